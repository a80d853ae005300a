"""Addresses of managed objects and placeholders for ids known only after apply."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

PLACEHOLDER_RE = re.compile(r"\$\{([^{}]+)\.id\}")


def placeholder(address: str) -> str:
    """The text standing for the id of the object at ``address`` until it is created."""
    return "${" + address + ".id}"


def placeholders_in(value: Any) -> set[str]:
    """Addresses whose ids ``value`` (a call path or body, nested) waits for."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(PLACEHOLDER_RE.findall(value))
    elif isinstance(value, dict):
        for v in value.values():
            found |= placeholders_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            found |= placeholders_in(v)
    return found


def substitute(value: Any, ids: dict[str, Any]) -> Any:
    """Replace placeholders by known ids; a value that is a whole placeholder keeps the id's type.

    Domo returns a new group id as a string but a role id as an int; callers get back what
    the create answered, and the kinds convert where an endpoint needs the other type.
    """
    if isinstance(value, str):
        whole = PLACEHOLDER_RE.fullmatch(value)
        if whole and whole.group(1) in ids:
            return ids[whole.group(1)]

        def repl(m: re.Match[str]) -> str:
            key = m.group(1)
            return str(ids[key]) if key in ids else m.group(0)

        return PLACEHOLDER_RE.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


def matches(address: str, patterns: list[str]) -> bool:
    """True if ``address`` matches one of the ``--target`` patterns (glob, or a prefix address)."""
    for pattern in patterns:
        if fnmatch.fnmatchcase(address, pattern):
            return True
        # `group.X` also selects `group.X.members` style sub-addresses.
        if address.startswith(pattern + "."):
            return True
    return False
