"""The simulator stands alone: no module of domogov.sim imports the rest of domogov."""

from __future__ import annotations

import ast
from pathlib import Path

import domogov.sim

SIM_DIR = Path(domogov.sim.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_sim_imports_nothing_else_from_domogov():
    offenders = {
        f"{path.relative_to(SIM_DIR)}: {name}"
        for path in SIM_DIR.rglob("*.py")
        for name in _imports(path)
        if (name == "domogov" or name.startswith("domogov.")) and not name.startswith("domogov.sim")
    }
    assert offenders == set()


def test_modules_stay_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in SIM_DIR.rglob("*.py")}
    assert max(sizes.values()) <= 420, sizes
