"""Import contracts: dependencies point one way.

`bot/` (wiring) → the Slack and terminal surfaces → a Slack-free core → `providers/` and
`store/`. Read from the source with `ast`, so an import hidden inside a function counts too.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "providers", "store")
SLACK = ("slack_bolt", "slack_sdk")
# Modules with no Slack in them, however deep one follows their imports.
SLACK_FREE = ("handlers.core", "handlers.digest.model", "handlers.digest.build", "handlers.digest.text",
              "handlers.terminal", "bot.deps", "providers", "store")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


@cache
def imports_of(name: str) -> frozenset[str]:
    """Every module `name` imports, at module level or inside a function (absolute names)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(modules()[name].read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if is_package(name) else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules().keys()
            found |= submodules
            if len(submodules) < len(node.names):  # something defined in `base` itself
                found.add(base)
    return frozenset(found)


def ours(name: str) -> set[str]:
    return {imported for imported in imports_of(name) if imported in modules()}


def reachable(name: str) -> set[str]:
    seen, stack = set(), [name]
    while stack:
        for imported in ours(stack.pop()):
            if imported not in seen:
                seen.add(imported)
                stack.append(imported)
    return seen


def cycles() -> list[set[str]]:
    """The strongly connected components with more than one module (or a module importing itself)."""
    components = []
    assigned: set[str] = set()
    for name in modules():
        if name in assigned:
            continue
        component = {other for other in reachable(name) if name in reachable(other)} | {name}
        if len(component) > 1 or name in ours(name):
            components.append(component)
        assigned |= component
    return components


def in_room(name: str, rooms: tuple[str, ...]) -> bool:
    return any(name == room or name.startswith(room + ".") for room in rooms)


def test_the_contracts_see_every_package():
    assert {name.partition(".")[0] for name in modules()} == set(PACKAGES)
    assert "handlers.core.actions" in reachable("bot.app")


def test_no_import_cycles():
    assert [sorted(cycle) for cycle in cycles()] == []


def test_the_core_providers_and_store_import_nothing_of_slack():
    offenders = {}
    for name in modules():
        if in_room(name, SLACK_FREE):
            slack = sorted(other for other in {name, *reachable(name)}
                           for imported in imports_of(other) if in_room(imported, SLACK))
            if slack:
                offenders[name] = slack
    assert offenders == {}


def test_store_imports_nothing_of_ours():
    offenders = {name: sorted(imports) for name in modules() if in_room(name, ("store",))
                 if (imports := {i for i in ours(name) if not in_room(i, ("store",))})}
    assert offenders == {}


def test_providers_import_nothing_of_bot_or_handlers():
    offenders = {name: sorted(imports) for name in modules() if in_room(name, ("providers",))
                 if (imports := {i for i in ours(name) if in_room(i, ("bot", "handlers"))})}
    assert offenders == {}


def test_a_cycle_through_a_function_level_import_is_found(tmp_path, monkeypatch):
    """The checker itself: a lazy import inside a function closes a cycle just the same."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "handlers" / "a.py").write_text("from handlers import b\n")
    (tmp_path / "handlers" / "b.py").write_text("def late():\n    from handlers.a import x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    for cached in (modules, imports_of):
        cached.cache_clear()
    try:
        assert {"handlers.a", "handlers.b"} in cycles()
    finally:
        for cached in (modules, imports_of):
            cached.cache_clear()
