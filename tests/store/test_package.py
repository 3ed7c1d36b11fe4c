"""The store is the bottom layer: it imports nothing of learnbot's outside store/, and
its modules do not import each other in a cycle."""

import ast
from pathlib import Path

import store

STORE = Path(store.__file__).parent
OURS = {"bot", "handlers", "providers", "bench", "fakes"}


def imports_of(module: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def store_graph() -> dict[str, set[str]]:
    return {f"store.{path.stem}": {name for name in imports_of(path) if name.startswith("store.")}
            for path in STORE.glob("*.py")}


def test_store_imports_nothing_of_learnbot_outside_store():
    for path in STORE.glob("*.py"):
        assert {name.split(".")[0] for name in imports_of(path)} & OURS == set(), path.name


def test_store_modules_import_each_other_without_a_cycle():
    graph = store_graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
