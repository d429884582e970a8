"""The import structure: no cycle between modules of qa/, embeddings/, eval/ (app.py included), no module
importing another module's private (`_name`) names, and tests importing private names only from the
module they test. The checker reads the source (AST), so lazy imports inside functions count too."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("qa", "embeddings", "eval")


def module_files(root: Path, packages: Iterable[str], extra: Iterable[str] = ()) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of `packages` (and top-level `extra` modules)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    for name in extra:
        if (root / f"{name}.py").is_file():
            found[name] = root / f"{name}.py"
    return found


def _imports(module: str, path: Path) -> Iterable[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import statement of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, [alias.name for alias in node.names], node.lineno


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of `modules` it imports (`from pkg import mod` counts as importing pkg.mod)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        deps: set[str] = set()
        for base, names, _ in _imports(module, path):
            submodules = [f"{base}.{name}" for name in names if f"{base}.{name}" in modules]
            deps.update(submodules)
            if base in modules and len(submodules) < max(len(names), 1):
                deps.add(base)
        deps.discard(module)
        graph[module] = deps
    return graph


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(modules: Mapping[str, Path], ours: Iterable[str]) -> list[str]:
    """`module:line imports private name from other` for every private name one module takes from another."""
    roots = tuple(ours)
    found = []
    for module, path in modules.items():
        for base, names, line in _imports(module, path):
            if base != module and base.split(".")[0] in roots:
                found += [f"{module}:{line} imports {n} from {base}" for n in names if _private(n)]
    return found


def private_imports_in_tests(root: Path) -> list[str]:
    """Private names a test imports from a module other than the one it tests (tests/.../test_X.py -> *.X)."""
    bad = []
    for path in sorted((root / "tests").rglob("*.py")):
        tested = path.stem.removeprefix("test_")
        for base, names, line in _imports("tests." + path.stem, path):
            for name in filter(_private, names):
                if base.rpartition(".")[2] != tested:
                    bad.append(f"{path.relative_to(root)}:{line} imports {name} from {base}")
    return bad


def test_tests_import_private_names_only_from_the_module_they_test() -> None:
    assert private_imports_in_tests(REPO) == []


def test_no_import_cycles() -> None:
    modules = module_files(REPO, PACKAGES, extra=["app"])
    assert len(modules) > 20
    assert find_cycles(import_graph(modules)) == []


def test_no_module_imports_private_names_of_another() -> None:
    modules = module_files(REPO, PACKAGES, extra=["app"])
    assert private_imports(modules, PACKAGES) == []


def test_tests_import_no_bench_script() -> None:
    bad = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for base, _, line in _imports("tests." + path.stem, path):
            if base == "bench" or base.startswith("bench."):
                bad.append(f"{path.relative_to(REPO)}:{line} imports {base}")
    assert bad == []


# ------------------------------------------------------------------ the checks can fail


@pytest.fixture
def tangled(tmp_path: Path) -> Path:
    """A package with a cycle (a -> b -> c -> a, b importing lazily), a private reach-in and a clean module."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from .sub import c\n    return c\n")
    (pkg / "sub" / "c.py").write_text("from pkg.a import thing, _hidden\n")
    (pkg / "d.py").write_text("import os\nfrom pkg.sub.c import thing\n")
    return tmp_path


def test_checker_finds_a_cycle_and_a_private_import(tangled: Path) -> None:
    modules = module_files(tangled, ["pkg"])
    graph = import_graph(modules)
    assert graph["pkg.b"] == {"pkg.sub.c"} and graph["pkg.d"] == {"pkg.sub.c"}
    assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c"]]
    assert private_imports(modules, ["pkg"]) == ["pkg.sub.c:1 imports _hidden from pkg.a"]


def test_checker_finds_a_private_import_in_a_test(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_spans.py").write_text("from qa.spans import _own\nfrom qa.reader import _other\n")
    assert private_imports_in_tests(tmp_path) == ["tests/test_spans.py:2 imports _other from qa.reader"]


# the layers, bottom first: a module may import its own layer and those below it, never one above
LAYERS: tuple[tuple[str, ...], ...] = (("qa", "embeddings"), ("eval",), ("training",), ("bench",))


def upward_imports(root: Path, layers: tuple[tuple[str, ...], ...] = LAYERS) -> list[str]:
    """`module:line imports other` for every import of a package from a layer above the module's own."""
    level = {pkg: i for i, layer in enumerate(layers) for pkg in layer}
    modules = module_files(root, [p for layer in layers for p in layer])
    bad = []
    for module, path in modules.items():
        mine = level[module.split(".")[0]]
        for base, _, line in _imports(module, path):
            other = level.get(base.split(".")[0])
            if other is not None and other > mine:
                bad.append(f"{module}:{line} imports {base}")
    return bad


def test_packages_are_layered() -> None:
    """qa and embeddings at the bottom, then eval, training, bench: no import runs upward (`qa eval` finds
    the harness through its `qa.commands` entry point instead)."""
    assert upward_imports(REPO) == []


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    for pkg, text in (("qa", "def f():\n    from eval.cli import main\n"), ("eval", "import qa.api\n")):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
        (tmp_path / pkg / "m.py").write_text(text)
    for pkg in ("embeddings", "training", "bench"):
        (tmp_path / pkg).mkdir()
    assert upward_imports(tmp_path) == ["qa.m:2 imports eval.cli"]
