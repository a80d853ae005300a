"""Pydantic validation errors → one-line ConfigIssues with file:line:col and a data path."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from domogov.config.sourcemap import DataPath, SourceMap, format_path
from domogov.errors import ConfigIssue
from domogov.spec.types import ERROR_TYPE, describe, suggest

#: pydantic error type → what the value should have been.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "float_type": "a number",
    "enum": "one of the listed values",
}
#: Extra advice for an unknown key: returns a message replacing "unknown key".
Hint = Callable[[DataPath, str], str | None]


def model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model whose fields apply at ``loc`` (a pydantic error location), if any."""
    current: type[BaseModel] | None = model
    for seg in loc:
        if isinstance(seg, int):
            continue  # an index into a list keeps the element's model
        if current is None or seg not in current.model_fields:
            return None
        current = _first_model(current.model_fields[seg].annotation)
    return current


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def translate(
    exc: ValidationError,
    model: type[BaseModel],
    base: DataPath,
    source: SourceMap,
    hint: Hint | None = None,
) -> list[ConfigIssue]:
    """Every error of ``exc`` (validating ``model`` at ``base`` of a file) as a ConfigIssue."""
    issues = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] != "extra_forbidden":  # an unknown key is the user's text: keep it whole
            # Drop union/validator tags pydantic puts in locations (`function-after[...]`).
            loc = tuple(seg for seg in loc if isinstance(seg, int) or "[" not in seg)
        issues.append(_one(err, loc, model, base, source, hint))
    return list(dict.fromkeys(issues))


def _one(
    err: Any,
    loc: tuple[Any, ...],
    model: type[BaseModel],
    base: DataPath,
    source: SourceMap,
    hint: Hint | None,
) -> ConfigIssue:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        path = (*base, *loc)
        resolved = source.resolve(path)
        key = str(loc[-1])
        message = hint(resolved[:-1], key) if hint else None
        if message is None:
            owner = model_at(model, loc[:-1])
            fields = list(owner.model_fields) if owner else []
            close = suggest(key, fields)
            if close:
                message = f"unknown key; did you mean '{close}'?"
            else:
                message = (
                    f"unknown key; valid keys: {', '.join(fields)}" if fields else "unknown key"
                )
        return ConfigIssue(source.locate(path, key=True), format_path(resolved), message)
    if kind == "missing":
        path = (*base, *loc[:-1])
        resolved = source.resolve(path)
        message = f"missing required key '{loc[-1]}'"
        return ConfigIssue(source.locate(path), format_path(resolved), message)
    if kind == ERROR_TYPE and "index" in ctx:
        loc = (*loc, ctx["index"])
    path = (*base, *loc)
    resolved = source.resolve(path)
    # An empty value (`key:` and nothing) has no position of its own: point at its key.
    on_key = err.get("input", "") is None
    return ConfigIssue(source.locate(path, key=on_key), format_path(resolved), _message(err))


def _message(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == ERROR_TYPE:
        return str(ctx.get("message", err["msg"]))
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {describe(err.get('input'))}"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "string_too_short":
        return "must not be empty"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg[:1].lower() + msg[1:]
