"""The package's rooms: imports run one way, none in a circle, and Dask stays optional.

Every module's imports are read from its source (``ast``, the lazy imports
inside functions included) and checked against a rank per module: a module
imports only modules of a lower rank (the command-line package's modules may
also import each other), so no import runs back up and none closes a cycle.
A module without a rank fails the test with a message that asks for one: a
new room says where it stands.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sknn_basic"

#: Each module's rank: it may import modules of lower ranks only.  Names are
#: relative to the package; "" is the package itself (its public names).
RANKS = {
    # Leaves: constants, messages, input reading, weights, splits, constraints.
    "_warnings": 0, "_lessons": 0, "_compiled": 0, "_inputs": 0, "_params": 0,
    "_doc_link": 0, "_weights": 0, "_split": 0, "utils": 0,
    # The mathematics, and the step size with its schedule.
    "_kernels": 1, "_perceptron_kernels": 1, "_schedules": 1,
    # Step rules, the replay memory and the loop's watchers, then the
    # layered model and the loop.
    "_optimizers": 2, "_replay": 2, "_watchers": 2,
    "_network": 3, "_training": 3, "_lbfgs": 4,
    # Where the rows are: the interface, the engines (rows in blocks are one
    # engine-neutral module beneath Dask's), the choice between them.
    "_engines.rows": 4, "_engines.memory": 5, "_engines.blocks": 5, "_engines.dask": 6,
    "_engines": 7,
    # The steps of one fit call.
    "_fit": 8,
    # The estimators: their bases, then the classes and public modules.
    "_base": 9, "_network_estimator": 10,
    "perceptron": 11, "sigmoid_gd": 11, "backprop": 11, "functional": 11,
    "preprocessing": 11,
    "explain": 12, "datasets": 12, "onnx": 12,
    "": 13,
    # The command line uses the public names; its modules share one rank.
    "cli": 14, "__main__": 15,
}

#: Packages whose modules may import each other (cycles are still refused).
GROUPS = ("cli",)


def _name(path):
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    return {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name, path, modules):
    """The package's modules that ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module == "sknn_basic" or (node.module or "").startswith("sknn_basic."):
                target = node.module.partition("sknn_basic")[2].lstrip(".")
            else:
                continue
            for alias in node.names:
                child = f"{target}.{alias.name}" if target else alias.name
                found.add(child if child in modules else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sknn_basic" or alias.name.startswith("sknn_basic."):
                    found.add(alias.name.partition("sknn_basic")[2].lstrip("."))
    found.discard(name)
    return {target for target in found if target in modules}


def _rank(name):
    if name in RANKS:
        return RANKS[name]
    group = name.partition(".")[0]
    if group in GROUPS:
        return RANKS[group]
    raise AssertionError(
        f"sknn_basic.{name} has no rank: add it to RANKS in tests/test_layout.py "
        "above every module it imports and below every module that imports it."
    )


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_import_reader_sees_relative_lazy_and_absolute_imports():
    graph = _graph()
    # Relative, two levels up, from a subpackage.
    assert {"_weights", "_engines.rows", "_network"} <= graph["_engines.blocks"]
    # Lazy (inside a function).
    assert "cli.compare" in graph["cli"]
    # From the package itself.
    assert "" in graph["cli._registry"]


def test_the_engines_found_by_name_rank_below_their_chooser():
    # engine_for imports an engine by the name of its input's package, which
    # no import statement shows: each engine module must still rank below
    # the package that chooses it, and above the rows it implements.
    from sknn_basic import _engines

    engines = [name for name in _modules() if name.startswith("_engines.")
               and name.rpartition(".")[2] not in _engines._NOT_ENGINES]
    assert "_engines.dask" in engines
    for name in engines:
        assert _rank("_engines.rows") < _rank(name) < _rank("_engines"), name


def test_every_module_has_a_rank():
    for name in _graph():
        _rank(name)


def test_imports_run_only_downwards():
    upward = []
    for name, targets in _graph().items():
        for target in targets:
            same_group = (name.partition(".")[0] in GROUPS
                          and name.partition(".")[0] == target.partition(".")[0])
            if not (_rank(name) > _rank(target) or same_group):
                upward.append(f"sknn_basic.{name} (rank {_rank(name)}) imports "
                              f"sknn_basic.{target} (rank {_rank(target)})")
    assert not upward, "imports that run back up:\n" + "\n".join(upward)


def test_no_import_cycle():
    graph = _graph()
    state = {}

    def visit(name, path):
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(
                    f"sknn_basic.{n}".rstrip(".") for n in cycle))
            if target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("name", ["_fit", "_engines", "_engines.memory", "_engines.blocks",
                                  "_base"])
def test_the_fit_and_the_in_memory_engine_never_import_dask(name):
    graph = _graph()
    seen, todo = set(), [name]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            # The Dask engine is reached only through engine_for's lazy import.
            todo.extend(t for t in graph[module] if t != "_engines.dask")
    assert "_engines.dask" not in seen - {name}


def test_importing_the_package_and_fitting_in_memory_does_not_import_dask():
    code = (
        "import sys\n"
        "import numpy as np\n"
        "import sknn_basic\n"
        "import sknn_basic.perceptron, sknn_basic.sigmoid_gd, sknn_basic.backprop\n"
        "import sknn_basic.preprocessing, sknn_basic.datasets, sknn_basic.explain\n"
        "import sknn_basic.functional, sknn_basic.utils, sknn_basic.cli\n"
        "for name in sknn_basic.__all__:\n"
        "    getattr(sknn_basic, name)\n"
        "X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])\n"
        "y = np.array([0, 1, 1, 0])\n"
        "for Est in (sknn_basic.PerceptronClassifier, sknn_basic.SigmoidGDClassifier):\n"
        "    est = Est(max_iter=2, tol=None).fit(X, y)\n"
        "    est.predict(X); est.score(X, y); est.decision_function(X)\n"
        "loaded = sorted(m for m in sys.modules if m.partition('.')[0] in "
        "('dask', 'distributed', 'dask_expr'))\n"
        "print(loaded)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout
