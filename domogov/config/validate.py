"""``domogov validate``: load a configuration directory offline and summarise the result."""

from __future__ import annotations

import os
import sys

from domogov.config.manifest import Config
from domogov.errors import ConfigError
from domogov.policy import load_checked


def summary(config: Config) -> str:
    """The success line: ``OK: 12 objects in 5 files`` (the wording SPEC fixes, even for 1)."""
    return f"OK: {config.object_count} objects in {len(config.files)} files"


def validate_dir(path: str | os.PathLike[str]) -> tuple[Config, str]:
    """Load ``path`` (no network) and return the Config with its summary line.

    Raises ConfigError (exit code 1) whose ``issues`` list every problem; ``str(error)`` is
    one ``file:line:col: path: message`` line per issue.
    """
    config = load_checked(path)
    return config, summary(config)


def run(path: str | os.PathLike[str]) -> tuple[int, str]:
    """What ``domogov validate`` prints and returns: ``(0, "OK: ...")`` or ``(1, errors)``."""
    try:
        _, line = validate_dir(path)
    except ConfigError as exc:
        count = len(exc.issues)
        return 1, f"{exc}\nvalidate: {count} error{'s' if count != 1 else ''}"
    return 0, line


if __name__ == "__main__":  # python -m domogov.config.validate DIR (until the CLI is wired)
    code, text = run(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    raise SystemExit(code)
