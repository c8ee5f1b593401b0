"""The runtime's shape, read from its source: sub-packages in layers, a module imports only from its
own layer or lower ones, no import cycle, and modules and functions that fit on a screen
(docs/decisions.md, "The runtime's layers")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
LAYERS = ("core", "io", "media", "engines", "detect", "solve", "video", "pipeline", "apps")  # lowest first
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 230, 50


def _modules() -> dict[str, Path]:
    """Dotted name under zedo.runtime (``io.formats``) -> file, for every module of a sub-package."""
    return {
        ".".join(p.relative_to(RUNTIME).with_suffix("").parts): p
        for p in sorted(RUNTIME.rglob("*.py"))
        if p.parent != RUNTIME and p.name != "__init__.py"
    }


def _imports(name: str, path: Path) -> set[str]:
    """The runtime modules ``name`` imports (at the top or inside functions), as dotted names."""
    package = name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".") if node.module else []
            if node.level:
                target = package[: len(package) - node.level + 1] + module
            elif module[:2] == ["zedo", "runtime"]:
                target = module[2:]
            else:
                continue
            for alias in node.names:
                found.add(".".join(target + [alias.name]))
                found.add(".".join(target))
        elif isinstance(node, ast.Import):
            found |= {a.name[len("zedo.runtime.") :] for a in node.names if a.name.startswith("zedo.runtime.")}
    return {f for f in found if f in _modules()}


GRAPH = {name: _imports(name, path) for name, path in _modules().items()}


def test_every_module_sits_in_a_known_layer():
    assert {name.split(".")[0] for name in GRAPH} <= set(LAYERS)


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_no_import_from_a_higher_layer(name):
    layer = LAYERS.index(name.split(".")[0])
    upward = sorted(t for t in GRAPH[name] if LAYERS.index(t.split(".")[0]) > layer)
    assert not upward, f"{name} (layer {LAYERS[layer]}) imports from higher layers: {upward}"


def test_no_import_cycle():
    """Depth-first search over the module graph; a back edge is a cycle."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            assert state.get(nxt) != 1, f"import cycle: {' -> '.join(path[path.index(nxt) :] + [nxt])}"
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_modules_and_functions_fit_on_a_screen(name):
    source = _modules()[name].read_text()
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        pytest.fail(f"{name}: {lines} lines, over {MAX_MODULE_LINES}")
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{name}: functions over {MAX_FUNCTION_LINES} lines: {long}"


@pytest.mark.parametrize("layer", LAYERS)
def test_each_package_lists_its_modules(layer):
    doc = ast.get_docstring(ast.parse((RUNTIME / layer / "__init__.py").read_text())) or ""
    missing = [n.split(".")[1] for n in GRAPH if n.split(".")[0] == layer and f"``{n.split('.')[1]}``" not in doc]
    assert not missing, f"runtime/{layer}/__init__.py does not list {missing}"


def test_the_graph_reads_imports():
    """A planted check of the reader: the pipeline imports the request, the io layer the core."""
    assert "pipeline.request" in GRAPH["pipeline.run"]
    assert "core.skeleton" in GRAPH["io.layouts"]
