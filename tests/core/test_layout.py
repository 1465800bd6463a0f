"""The layout of STYLE.md holds: imports point one way between the capabilities
(core ← ratings, surveys, interviews ← inspections ← annual report), and no module imports
itself back through others, not even from inside a function."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("evaluation", "inspections")
# A capability may import those listed, and itself.
MAY_IMPORT = {
    "core": set(),
    "ratings": {"core"},
    "surveys": {"core"},
    "interviews": {"core"},
    "inspections": {"core", "ratings", "surveys", "interviews"},
    "rankings": {"core", "ratings", "surveys", "interviews", "inspections"},
    "annual_report": {"core", "ratings", "surveys", "interviews", "inspections", "rankings"},
}


def capability(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "evaluation":
        return parts[1] if len(parts) > 1 else "core"
    if len(parts) > 1 and parts[1] in ("rankings", "annual_report"):
        return parts[1]
    return "inspections"


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "piccolo_migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project's modules a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    found = dict(modules())
    known = set(found)
    return {module: imports_of(path, known) - {module} for module, path in found.items()}


def test_no_capability_imports_one_above_it():
    upward = []
    for module, imported in graph().items():
        mine = capability(module)
        for other in imported:
            theirs = capability(other)
            if theirs != mine and theirs not in MAY_IMPORT[mine]:
                upward.append(f"{module} ({mine}) imports {other} ({theirs})")
    assert not upward, "imports against the layout:\n" + "\n".join(sorted(upward))


def test_no_module_imports_itself_back():
    edges = graph()
    cycles = []
    # Tarjan's strongly connected components: any component of two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def visit(module: str) -> None:
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for other in edges.get(module, ()):
            # A package's __init__ that only hands names on is imported through; skip the package itself.
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(" ↔ ".join(sorted(component)))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
