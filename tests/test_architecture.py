"""The tree's rules, checked on the source with ``ast``: import direction, cycles, module size.

Every ``import`` counts, also those inside functions (a cycle deferred to run time is still a
cycle); only imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geodata", "service")
#: Longest module allowed (lines); migrations and data files are not modules of ours.
MAX_LINES = 600
EXCLUDED_PARTS = frozenset({"migrations"})


def _modules() -> dict[str, Path]:
    """Dotted name -> file for every module of ``geodata`` and ``service``."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            if EXCLUDED_PARTS & set(rel.parts):
                continue
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, nested: bool = True) -> list[ast.Import | ast.ImportFrom]:
    """Import statements, at any depth (or only outside functions when ``nested`` is False),
    except under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if not nested and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _longest_module(dotted: str, modules: dict[str, Path]) -> str:
    """``a.b.c`` -> the longest prefix that is a project module ("" for other packages)."""
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted


def import_graph(nested: bool = True) -> nx.DiGraph:
    """Directed graph module -> project module it imports (``nested``: also inside functions)."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")), nested):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    package = _package_of(name, path).split(".")
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, base] if base else package)
                # ``from pkg import mod`` names a module; ``from mod import name`` the module.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for dotted in targets:
                target = _longest_module(dotted, modules)
                if target and target != name:
                    graph.add_edge(name, target)
    return graph


def test_the_import_graph_sees_function_level_imports() -> None:
    graph, top_level = import_graph(), import_graph(nested=False)
    assert len(graph) > 40
    # Imports inside functions (deferred heavy or optional imports) add edges of their own.
    assert set(top_level.edges) < set(graph.edges)


def test_geodata_never_imports_service() -> None:
    graph = import_graph()
    wrong = sorted(
        (a, b) for a, b in graph.edges if a.startswith("geodata") and b.startswith("service")
    )
    assert not wrong, f"geodata importerar service: {wrong}"


def test_no_import_cycles() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert not cycles, f"importcykler: {cycles}"


def test_no_module_over_the_size_limit() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _modules().items()
    }
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, f"moduler över {MAX_LINES} rader: {too_long}"
