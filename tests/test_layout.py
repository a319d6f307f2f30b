"""The package's layers: a module imports only from its own layer or the layers below, and no import
cycle exists, so each layer can be read (and tested) knowing only what lies under it."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
# Low to high; the README's "How it works" explains each.
LAYERS = (
    ("pipeline.errors", "pipeline.records", "pipeline.config"),
    ("pipeline.text",),
    ("pipeline.store",),
    ("pipeline.models",),
    ("pipeline.digest",),
    ("pipeline.stages",),
    ("pipeline.plan",),
    ("pipeline.engines",),
    ("pipeline.runner",),
    ("pipeline.eval",),
    ("pipeline.cli_common",),
    ("pipeline.cli_eval",),
    ("pipeline.cli", "pipeline.__main__"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Every pipeline module `path` imports, at any depth of its code (TYPE_CHECKING and lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    files = {module_name(path): path for path in package.rglob("*.py")}
    return {name: imported_modules(path, set(files)) - {name} for name, path in files.items()}


def layer_of(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    if module == "pipeline":
        return 0
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and to the README's layout")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in graph.items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return trail[trail.index(target):] + [target] if target in trail else [module, target]
            if target not in state and (cycle := visit(target, trail + [target])):
                return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module, [module])):
            return cycle
    return None


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports(import_graph(PACKAGE)) == []


def test_no_import_cycle() -> None:
    assert find_cycle(import_graph(PACKAGE)) is None


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    package = tmp_path / "pipeline"
    (package / "text").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "text" / "__init__.py").write_text("")
    (package / "text" / "a.py").write_text("from pipeline.text.b import x\n")
    (package / "text" / "b.py").write_text("def f():\n    from pipeline.text import a\n")
    (package / "runner.py").write_text("")
    (package / "text" / "c.py").write_text("import pipeline.runner\n")
    graph = {
        module_name_in(tmp_path, path): imported_modules(path, {module_name_in(tmp_path, p) for p in package.rglob("*.py")})
        for path in package.rglob("*.py")
    }
    assert find_cycle(graph) in (["pipeline.text.a", "pipeline.text.b", "pipeline.text.a"],
                                 ["pipeline.text.b", "pipeline.text.a", "pipeline.text.b"])
    assert upward_imports(graph) == ["pipeline.text.c (layer 1) imports pipeline.runner (layer 8)"]


def module_name_in(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("module", sorted(import_graph(PACKAGE)))
def test_every_module_has_a_layer(module: str) -> None:
    layer_of(module)


def test_scikit_learn_loads_only_when_merge_runs() -> None:
    """Grouping's scikit-learn and SciPy take 85 MB, which must not sit under the model stages' memory peak."""
    code = "import sys, pipeline.cli; print(sorted({'scipy', 'sklearn'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert loaded.stdout.strip() == "[]"
