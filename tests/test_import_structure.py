"""No import cycles among domogov's modules.

Every import counts: at module level, inside functions (a lazy import often hides a cycle
rather than removing it), and a module named in a string (``importlib.import_module`` and the
CLI's lazy command table take module names as strings). Only ``if TYPE_CHECKING:`` blocks are
left out: they never run. Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first,
so an import depends on every package on the way, except the importer's own packages (a
package's children importing it is how packages work, not a cycle).
"""

from __future__ import annotations

import ast
import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "domogov"


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    #: imported module name -> line of the first import that names it
    names: dict[str, int] = field(default_factory=dict)


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Collects every imported name of one module, wherever the import statement is."""

    def __init__(self, module: Module, known: set[str]) -> None:
        self.module = module
        self.known = known

    def add(self, name: str, line: int) -> None:
        if name:
            self.module.names.setdefault(name, line)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # only the else branch runs
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            here = self.module.name.split(".")
            package = here if self.module.is_package else here[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        self.add(base, node.lineno)
        for alias in node.names:  # `from pkg import submodule` imports the submodule
            self.add(f"{base}.{alias.name}", node.lineno)

    def visit_Constant(self, node: ast.Constant) -> None:
        # "domogov.sim.cli" in a lazy command table, or "pkg.mod:attr" as entry points write it.
        if isinstance(node.value, str):
            name = node.value.partition(":")[0]
            if name in self.known:
                self.add(name, node.lineno)


def scan(root: Path) -> dict[str, Module]:
    """Every module under the package directory ``root``, with the names it imports."""
    modules = {
        _module_name(root, path): Module(_module_name(root, path), path, path.name == "__init__.py")
        for path in sorted(root.rglob("*.py"))
    }
    for module in modules.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))
        _Imports(module, set(modules)).visit(tree)
    return modules


def graph(modules: dict[str, Module]) -> dict[str, dict[str, int]]:
    """module -> {module it runs on import: line}."""
    edges: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, module in modules.items():
        for imported, line in module.names.items():
            target = imported
            while target and target not in modules:  # `pkg.mod.attr` -> `pkg.mod`
                target = target.rpartition(".")[0]
            while target:
                if target != name and not name.startswith(target + "."):
                    edges[name].setdefault(target, line)
                target = target.rpartition(".")[0]
    return edges


def components(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


def shortest_cycle(edges: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """One shortest cycle through the component's first module: [a, b, ..., a]."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(edges[v]):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def describe(
    root: Path, modules: dict[str, Module], edges: dict[str, dict[str, int]]
) -> Iterator[str]:
    """Each cycle, one import a line, with the file and line that makes it."""
    for component in components(edges):
        cycle = shortest_cycle(edges, component)
        steps = [
            f"{a} -> {b}  ({modules[a].path.relative_to(root.parent)}:{edges[a][b]})"
            for a, b in itertools.pairwise(cycle)
        ]
        yield f"cycle among {', '.join(component)}:\n    " + "\n    ".join(steps)


def test_domogov_has_no_import_cycle() -> None:
    modules = scan(ROOT)
    cycles = list(describe(ROOT, modules, graph(modules)))
    assert not cycles, "\n".join(cycles)


def test_every_kind_of_import_is_seen() -> None:
    """The scanner sees module-level imports, imports in functions and the lazy CLI table."""
    modules = scan(ROOT)
    edges = graph(modules)
    assert len(modules) > 50
    assert "domogov.config" in edges["domogov.cli"]
    assert "domogov.sim.cli" in edges["domogov.cli"]  # the lazy table's strings
    assert "domogov.export.commands" in edges["domogov.cli"]


def test_a_cycle_is_found_and_printed(tmp_path: Path) -> None:
    """The check can fail: a small package whose cycle hides in a function and a string."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from pkg.sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "def later():\n    from .. import c\n",
        "sub/d.py": (
            "import importlib\n"
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    import pkg.a\n"
            "importlib.import_module('pkg.a')\n"
        ),
        "c.py": "TABLE = {'x': ('pkg.sub.d', 'thing')}\n",
    }
    for rel, text in files.items():
        (pkg / rel).write_text(text, encoding="utf-8")
    modules = scan(pkg)
    edges = graph(modules)
    assert edges["pkg.sub.d"] == {"pkg.a": 5}  # the string, not the TYPE_CHECKING import
    assert set(edges["pkg.a"]) == {"pkg.sub", "pkg.sub.b"}  # a package runs its __init__
    assert components(edges) == [["pkg.a", "pkg.c", "pkg.sub.b", "pkg.sub.d"]]
    [text] = describe(pkg, modules, edges)
    assert text.splitlines()[1:] == [
        "    pkg.a -> pkg.sub.b  (pkg/a.py:1)",
        "    pkg.sub.b -> pkg.c  (pkg/sub/b.py:2)",
        "    pkg.c -> pkg.sub.d  (pkg/c.py:1)",
        "    pkg.sub.d -> pkg.a  (pkg/sub/d.py:5)",
    ]
