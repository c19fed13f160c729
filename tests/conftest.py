"""Shared fixtures: the course's reference numbers and data from ``../shared``.

The real admissions file and the golden numbers live beside the project, in
``../shared``; they are never copied into it.  Tests that need them skip with
the reason when they are absent.
"""

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REFERENCE_PATH = SHARED / "reference" / "seed_reference.json"
DATA_PATH = SHARED / "data" / "binary.csv"


@pytest.fixture(scope="session")
def reference():
    """The golden numbers of the lessons (seed_reference.json)."""
    if not REFERENCE_PATH.exists():
        pytest.skip(f"lesson reference numbers not found at {REFERENCE_PATH}")
    return json.loads(REFERENCE_PATH.read_text())


@pytest.fixture(scope="session")
def admissions_path():
    """Path of the real admissions file."""
    if not DATA_PATH.exists():
        pytest.skip(f"real admissions data not found at {DATA_PATH}")
    return DATA_PATH


@pytest.fixture(scope="session")
def lesson_split(admissions_path):
    """The lessons' S7 features of the real file: X_train, X_test, y_train, y_test."""
    from sknn_basic.datasets import lessons_features, load_admissions

    X_train, X_test, y_train, y_test = lessons_features(load_admissions(admissions_path))
    return X_train.to_numpy(), X_test.to_numpy(), y_train.to_numpy(), y_test.to_numpy()


@pytest.fixture(scope="session")
def real_csv(admissions_path):
    """Path of the real admissions file (skips where absent)."""
    return admissions_path


@pytest.fixture(scope="session")
def s7_reference(reference):
    """The lessons' data-preparation figures (S7)."""
    return reference["S7_admissions_prep"]


@pytest.fixture(scope="session")
def dask_client():
    """A ``distributed`` client of a LocalCluster: two single-threaded worker processes.

    Processes (not threads), so that every task's arguments and results are
    pickled between processes as on a real cluster.  Started once per
    session, closed at its end; tests skip where dask, distributed or
    dask-ml is not installed.
    """
    for module in ("dask", "distributed", "dask_ml"):
        pytest.importorskip(module, reason=f"{module} is not installed (pip install '.[test]')")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


# The tests that compare numbers: with the lessons' golden figures, between
# the compiled and the NumPy kernels, between explain_step and fit, between
# the Dask and the in-memory fit, and with what the documentation prints.
# `.ci/run` runs them (``pytest -m numbers``) a second time under another
# OpenBLAS core type, so that an equality that holds only for this machine's
# BLAS kernels fails here before it fails for a user.
_NUMBER_MODULES = {
    "test_lessons.py",
    "test_functional.py",
    "test_kernels.py",
    "test_single_layer_kernel.py",
    "test_layered_kernel.py",
    "test_perceptron_kernels.py",
    "test_network.py",
    "test_explain.py",
    "test_dask.py",
}
_NUMBER_TESTS = {
    "test_cli.py": {
        "test_train_sigmoid_on_the_real_file_is_the_lessons_run",
        "test_reproduce_the_lessons",
        "test_explain_lessons_examples_print_the_course_numbers",
        "test_explain_a_record_matches_explain_step",
        "test_inside_one_step_page_shows_the_real_output",
    },
    "test_docs.py": {
        "test_docstring_examples",
        "test_page_examples",
        "test_real_data_blocks",
        "test_getting_started_shows_the_real_command_output",
    },
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name
        if name in _NUMBER_MODULES or item.originalname in _NUMBER_TESTS.get(name, ()):
            item.add_marker(pytest.mark.numbers)

@pytest.fixture(scope="module")
def tls_client():
    """A client of a one-worker LocalCluster whose every connection is TLS.

    The only cluster a test starts besides ``dask_client``: it shows the
    documented way to secure one (``Security.temporary()`` makes a
    throw-away certificate authority, which needs ``cryptography``).  Not
    the default client (the other tests keep the session's cluster): use
    it with ``dask.config.set(scheduler=tls_client)``.  Closed with the module.
    """
    for module in ("dask", "distributed", "cryptography"):
        pytest.importorskip(module, reason=f"{module} is not installed (pip install '.[test]')")
    from distributed import Client, LocalCluster
    from distributed.security import Security

    security = Security.temporary()
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tls://",
                           security=security, dashboard_address=None)
    client = Client(cluster, security=security, set_as_default=False)
    yield client
    client.close()
    cluster.close()
