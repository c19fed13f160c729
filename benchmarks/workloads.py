"""The data the suite runs on, and the estimators it compares, as plain descriptions.

* W1: ``make_classification(n_samples, n_features=50, n_informative=20,
  n_classes=2, random_state=0)``; W2 the same with three classes.  A
  stratified 80/20 train/test split (``random_state=0``), then a
  ``StandardScaler`` fitted once on the training rows, outside any timing;
  float64, C-contiguous.
* W3: the admissions data (the real file beside the project when present,
  else :func:`sknn_basic.load_default_admissions`), columns gre, gpa, rank.
* The lessons' S7 features (:func:`sknn_basic.lessons_features`) for the
  per-record loops.

An estimator is described by a :class:`Spec` (class path and parameters) so
that the same description can be built in this process, shown in the report
and sent to a child process for the resident-memory measurement.
"""

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "ADMISSIONS_PATH",
    "ClassificationData",
    "Spec",
    "admissions",
    "classification",
    "cross_validate_small",
    "lesson_arrays",
    "scaling_data",
    "small_datasets",
]

#: The real admissions file, beside the project (never copied into it).
ADMISSIONS_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "binary.csv"

N_FEATURES = 50
N_INFORMATIVE = 20


@dataclass
class Spec:
    """An estimator to build: ``cls`` is ``"module:Class"``, ``params`` its keyword arguments."""

    cls: str
    params: dict = field(default_factory=dict)

    @property
    def name(self):
        return self.cls.rsplit(":", 1)[1]

    @property
    def package(self):
        return "sknn-basic" if self.cls.startswith("sknn_basic") else "scikit-learn"

    def build(self, **overrides):
        module, name = self.cls.split(":")
        return getattr(importlib.import_module(module), name)(**{**self.params, **overrides})

    def text(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"

    def to_json(self):
        return {"cls": self.cls, "params": self.params}


@dataclass
class ClassificationData:
    name: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    X_all: np.ndarray  # every row, standardised with the training rows' scaler
    description: str


def _generate(n_samples, n_classes):
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n_samples, n_features=N_FEATURES, n_informative=N_INFORMATIVE,
        n_classes=n_classes, random_state=0,
    )


def _float64(X):
    return np.ascontiguousarray(X, dtype=np.float64)


def classification(n_samples, n_classes, name=None):
    """W1 (two classes) or W2 (three): split 80/20, standardised on the training rows."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = _generate(n_samples, n_classes)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    name = name or ("W1" if n_classes == 2 else "W2")
    return ClassificationData(
        name=name,
        X_train=_float64(scaler.transform(X_train)),
        X_test=_float64(scaler.transform(X_test)),
        y_train=np.ascontiguousarray(y_train, dtype=np.int64),
        y_test=np.ascontiguousarray(y_test, dtype=np.int64),
        X_all=_float64(scaler.transform(X)),
        description=(
            f"make_classification(n_samples={n_samples:_}, n_features={N_FEATURES}, "
            f"n_informative={N_INFORMATIVE}, n_classes={n_classes}, random_state=0); "
            f"stratified 80/20 split (random_state=0): {len(y_train):_} training and "
            f"{len(y_test):_} test rows; StandardScaler fitted on the training rows"
        ),
    )


def scaling_data(n_samples):
    """W1's generator at ``n_samples`` rows, all of them standardised (no split)."""
    from sklearn.preprocessing import StandardScaler

    X, y = _generate(n_samples, 2)
    X = StandardScaler().fit_transform(X)
    return _float64(X), np.ascontiguousarray(y, dtype=np.int64)


def admissions():
    """W3: (frame, text saying which data it is)."""
    from sknn_basic import load_admissions, load_default_admissions

    if ADMISSIONS_PATH.exists():
        return load_admissions(ADMISSIONS_PATH), f"the real admissions file ({ADMISSIONS_PATH.name})"
    return load_default_admissions(), (
        "the package's synthetic admissions data (load_default_admissions(); the real "
        "file was not found)"
    )


#: The small data sets of the fresh-process cross-validation rows.
SMALL_DATASETS = ("iris", "wine", "breast_cancer", "digits", "two_moons", "admissions")


def small_datasets(names):
    """Yield ``(name, X, y, make_pipeline)`` for each named small data set.

    ``make_pipeline(estimator)`` puts the data set's preparation before the
    estimator: a ``StandardScaler``, or for the admissions data (gre, gpa,
    rank; the real file, else the synthetic default, as :func:`admissions`)
    the package's ``AdmissionsPreprocessor``.  Two moons is
    ``make_moons(n_samples=500, noise=0.3, random_state=0)``.
    """
    from sklearn import datasets
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    loaders = {"iris": datasets.load_iris, "wine": datasets.load_wine,
               "breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}
    for name in names:
        if name == "admissions":
            from sknn_basic import AdmissionsPreprocessor

            frame, _ = admissions()
            yield (name, frame[["gre", "gpa", "rank"]], frame["admit"],
                   lambda estimator: make_pipeline(AdmissionsPreprocessor(), estimator))
            continue
        if name == "two_moons":
            X, y = datasets.make_moons(n_samples=500, noise=0.3, random_state=0)
        else:
            X, y = loaders[name](return_X_y=True)
        yield name, X, y, lambda estimator: make_pipeline(StandardScaler(), estimator)


def cross_validate_small(spec, names, folds):
    """``cross_validate`` of ``spec`` at ``folds`` folds over the named small data sets.

    Returns ``{"fit_time": total fit seconds, "accuracy": {name: mean test score}}``
    (warnings silenced: the fits' convergence is not what is measured).
    """
    import warnings

    from sklearn.model_selection import cross_validate

    total, accuracy = 0.0, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, X, y, make_pipeline in small_datasets(names):
            result = cross_validate(make_pipeline(spec.build()), X, y, cv=folds,
                                    error_score="raise")
            total += float(sum(result["fit_time"]))
            accuracy[name] = float(result["test_score"].mean())
    return {"fit_time": total, "accuracy": accuracy}


def lesson_arrays():
    """The lessons' S7 training features and targets as float64 arrays, and the data's text."""
    from sknn_basic import lessons_features

    frame, text = admissions()
    X_train, X_test, y_train, y_test = lessons_features(frame)
    return (
        _float64(X_train.to_numpy()),
        np.asarray(y_train.to_numpy(), dtype=np.float64),
        _float64(X_test.to_numpy()),
        np.asarray(y_test.to_numpy(), dtype=np.float64),
        text,
    )
