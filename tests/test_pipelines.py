"""Pipelines and cross-validation: the estimators behind ``AdmissionsPreprocessor``.

Each estimator sits in ``make_pipeline(AdmissionsPreprocessor(), estimator)``
on the raw ``gre, gpa, rank`` columns, so the preparation is learnt on the
training rows (folds) only.  Checked on the synthetic data and, when it is
present, on the real file: cross-validated accuracy, grid search, cloning,
pickling, and that no statistic of a test fold leaks into its training.

Accuracy thresholds were set from measurements (stratified 10-fold, shuffled,
``random_state=0``; majority-class rate 0.715 synthetic, 0.6825 real):

================================  =========  ======
model                             synthetic  real
================================  =========  ======
PerceptronClassifier()            0.68       0.58
PerceptronClassifier(average)     0.73       0.70
sklearn Perceptron                0.67       0.60
SigmoidGDClassifier()             0.705      0.69
LogisticRegression()              0.7225     0.70
TwoLayerBackpropClassifier()      0.68-0.72  0.67-0.70
(full batch, constant step)       0.7225     0.695
================================  =========  ======

A plain perceptron is not expected to reach the majority rate on data that
are not linearly separable (scikit-learn's does not either); the sigmoid unit
and the network are expected to come close to logistic regression.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Perceptron
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from sknn_basic import (
    AdmissionsPreprocessor,
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
)
from sknn_basic.datasets import load_admissions, make_admissions

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FEATURES = ["gre", "gpa", "rank"]


def ten_folds():
    return StratifiedKFold(10, shuffle=True, random_state=0)


@pytest.fixture(scope="module", params=["synthetic", "real"])
def data(request):
    """(X, y) of the raw frame: gre, gpa, rank and admit."""
    if request.param == "synthetic":
        frame = make_admissions(400, random_state=0)
    else:
        frame = load_admissions(request.getfixturevalue("admissions_path"))
    return frame[FEATURES], frame["admit"]


@pytest.fixture(scope="module")
def synthetic():
    frame = make_admissions(400, random_state=0)
    return frame[FEATURES], frame["admit"]


@pytest.fixture(scope="module")
def logistic_accuracy(data):
    X, y = data
    pipeline = make_pipeline(AdmissionsPreprocessor(), LogisticRegression())
    return cross_val_score(pipeline, X, y, cv=ten_folds()).mean()


def majority_rate(y):
    return max(np.mean(y), 1 - np.mean(y))


def cv_accuracy(estimator, X, y):
    pipeline = make_pipeline(AdmissionsPreprocessor(), estimator)
    return cross_val_score(pipeline, X, y, cv=ten_folds()).mean()


# -------------------------------------------------------------- accuracy


def test_perceptron_accuracy(data):
    X, y = data
    plain = cv_accuracy(PerceptronClassifier(random_state=0), X, y)
    reference = cv_accuracy(Perceptron(random_state=0), X, y)
    averaged = cv_accuracy(PerceptronClassifier(average=True, random_state=0), X, y)
    # Well above chance, and as good as scikit-learn's perceptron up to noise.
    assert plain >= 0.55
    assert plain >= reference - 0.05
    # Averaging the weights gives a steady linear rule near the majority rate.
    assert averaged >= majority_rate(y) - 0.03


def test_sigmoid_accuracy(data, logistic_accuracy):
    X, y = data
    accuracy = cv_accuracy(SigmoidGDClassifier(random_state=0), X, y)
    assert accuracy >= majority_rate(y) - 0.03
    assert accuracy >= logistic_accuracy - 0.03


def test_backprop_accuracy(data, logistic_accuracy):
    X, y = data
    default = cv_accuracy(TwoLayerBackpropClassifier(random_state=0), X, y)
    assert default >= logistic_accuracy - 0.05
    # The settings of `sknn-basic train backprop`: full batch, constant step.
    tuned = cv_accuracy(
        TwoLayerBackpropClassifier(
            batch_size=None, learning_rate_schedule="constant", tol=None, random_state=0
        ),
        X,
        y,
    )
    assert tuned >= majority_rate(y) - 0.02
    assert tuned >= logistic_accuracy - 0.03


# ------------------------------------------------------------- mechanics


@pytest.mark.parametrize(
    "estimator, grid",
    [
        (
            SigmoidGDClassifier(random_state=0, max_iter=50),
            {"sigmoidgdclassifier__learning_rate": [0.05, 0.5]},
        ),
        (
            TwoLayerBackpropClassifier(random_state=0, max_iter=30),
            {"twolayerbackpropclassifier__n_hidden": [2, 8]},
        ),
        (
            PerceptronClassifier(random_state=0, max_iter=20),
            {"perceptronclassifier__average": [False, True]},
        ),
    ],
    ids=["sigmoid", "backprop", "perceptron"],
)
def test_grid_search(synthetic, estimator, grid):
    X, y = synthetic
    pipeline = make_pipeline(AdmissionsPreprocessor(), estimator)
    search = GridSearchCV(pipeline, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    search.fit(X, y)
    ((name, values),) = grid.items()
    assert set(search.best_params_) == {name}
    assert search.best_params_[name] in values
    assert 0.5 <= search.best_score_ <= 1.0
    assert len(search.cv_results_["mean_test_score"]) == len(values)
    # The refitted best pipeline carries the winning value and predicts.
    assert search.best_estimator_.get_params()[name] == search.best_params_[name]
    assert set(np.unique(search.predict(X))) <= {0, 1}


@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronClassifier(random_state=0, max_iter=20, average=True),
        SigmoidGDClassifier(random_state=0, max_iter=20, learning_rate=0.2),
        TwoLayerBackpropClassifier(random_state=0, max_iter=20, n_hidden=5),
    ],
    ids=["perceptron", "sigmoid", "backprop"],
)
def test_clone_gives_an_unfitted_equal_copy(synthetic, estimator):
    X, y = synthetic
    pipeline = make_pipeline(AdmissionsPreprocessor(ddof=0), estimator).fit(X, y)
    copy = clone(pipeline)
    assert copy is not pipeline
    params, copied = pipeline.get_params(deep=True), copy.get_params(deep=True)
    assert params.keys() == copied.keys()
    for key, value in params.items():
        if key == "steps" or hasattr(value, "get_params"):
            continue  # the step objects themselves: new, compared via their params
        assert copied[key] == value, key
    for original_step, copied_step in zip(pipeline, copy):
        assert copied_step is not original_step
        with pytest.raises(NotFittedError):
            check_is_fitted(copied_step)
    # The copy trains to the same model: the seed is part of the parameters.
    np.testing.assert_array_equal(copy.fit(X, y).predict(X), pipeline.predict(X))


@pytest.mark.parametrize(
    "estimator",
    [
        PerceptronClassifier(random_state=0, max_iter=20),
        SigmoidGDClassifier(random_state=0, max_iter=20),
        TwoLayerBackpropClassifier(random_state=0, max_iter=20),
    ],
    ids=["perceptron", "sigmoid", "backprop"],
)
def test_pickled_pipeline_predicts_the_same(data, estimator):
    X, y = data
    pipeline = make_pipeline(AdmissionsPreprocessor(), clone(estimator)).fit(X, y)
    restored = pickle.loads(pickle.dumps(pipeline))
    np.testing.assert_array_equal(restored.predict(X), pipeline.predict(X))
    np.testing.assert_array_equal(restored.decision_function(X), pipeline.decision_function(X))
    if hasattr(pipeline, "predict_proba"):
        np.testing.assert_array_equal(restored.predict_proba(X), pipeline.predict_proba(X))
    assert restored.score(X, y) == pipeline.score(X, y)


# ------------------------------------------------------------- leak-free


def test_preprocessor_is_fitted_on_the_training_part_only(data):
    X, y = data
    whole = AdmissionsPreprocessor().fit(X)
    subset = X.iloc[:200]
    pipeline = make_pipeline(
        AdmissionsPreprocessor(), SigmoidGDClassifier(random_state=0, max_iter=5)
    ).fit(subset, y.iloc[:200])
    preprocessor = pipeline[0]
    assert preprocessor.n_samples_seen_ == 200
    np.testing.assert_allclose(preprocessor.mean_, subset[["gre", "gpa"]].mean().to_numpy())
    np.testing.assert_allclose(
        preprocessor.scale_, subset[["gre", "gpa"]].std(ddof=1).to_numpy()
    )
    assert not np.allclose(preprocessor.mean_, whole.mean_)
    assert not np.allclose(preprocessor.scale_, whole.scale_)


def test_each_fold_prepares_with_its_training_rows_only(data):
    X, y = data
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    pipeline = make_pipeline(
        AdmissionsPreprocessor(), TwoLayerBackpropClassifier(random_state=0, max_iter=5)
    )
    result = cross_validate(pipeline, X, y, cv=cv, return_estimator=True)
    whole = AdmissionsPreprocessor().fit(X)
    for fitted, (train, test) in zip(result["estimator"], cv.split(X, y)):
        preprocessor = fitted[0]
        assert preprocessor.n_samples_seen_ == len(train)
        np.testing.assert_allclose(
            preprocessor.mean_, X.iloc[train][["gre", "gpa"]].mean().to_numpy()
        )
        np.testing.assert_allclose(
            preprocessor.scale_, X.iloc[train][["gre", "gpa"]].std(ddof=1).to_numpy()
        )
        # The held-out fold's rows changed nothing: the whole-file statistics differ.
        assert not np.allclose(preprocessor.mean_, whole.mean_)


# ----------------------------------------------- every DataFrame library by name
#
# In memory, every library's frame reaches the same arithmetic after its
# columns are read by name, so results are compared exactly.  Dask predicts
# block by block (products over fewer rows): within rtol=1e-12.

from _frames import EAGER, LIBRARIES, computed, in_library  # noqa: E402

_ESTIMATORS = [
    PerceptronClassifier(random_state=0),
    SigmoidGDClassifier(random_state=0),
    TwoLayerBackpropClassifier(n_hidden=3, max_iter=20, random_state=0),
]


def _raw(n=120):
    data = make_admissions(n, random_state=5)
    return data[FEATURES], data["admit"]


def _same(actual, expected, library):
    if library == "dask":
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("estimator", _ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("library", EAGER)
def test_estimators_fit_every_library_as_pandas(estimator, library):
    X, y = _raw()
    X = X.astype(np.float64)
    reference = clone(estimator).fit(X, y)
    model = clone(estimator).fit(in_library(library, X), y)
    assert list(model.feature_names_in_) == FEATURES
    np.testing.assert_array_equal(model.coef_ if hasattr(model, "coef_") else model.coefs_[0],
                                  reference.coef_ if hasattr(reference, "coef_")
                                  else reference.coefs_[0])
    for other in EAGER:
        np.testing.assert_array_equal(model.decision_function(in_library(other, X)),
                                      reference.decision_function(X))


@pytest.mark.parametrize("library", EAGER)
def test_float32_frames_train_in_float32_in_every_library(library):
    X, y = _raw()
    model = SigmoidGDClassifier(random_state=0).fit(in_library(library, X.astype(np.float32)), y)
    assert model.coef_.dtype == np.float32


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(
    "columns",
    [["gpa", "gre", "rank"], ["gre", "gpa", "rank", "admit"], ["gre", "gpa"]],
    ids=["permuted", "extra", "missing"],
)
def test_estimator_names_checked_with_sklearns_error_in_every_library(library, columns):
    """Names recorded at fit, checked at predict: the pandas error, whatever the library."""
    data = make_admissions(60, random_state=5)
    model = SigmoidGDClassifier(random_state=0).fit(data[FEATURES], data["admit"])
    with pytest.raises(ValueError) as pandas_error:
        model.predict(data[columns])
    assert "feature names" in str(pandas_error.value)
    with pytest.raises(ValueError) as error:
        computed(model.predict(in_library(library, data[columns])))
    assert str(error.value) == str(pandas_error.value)


@pytest.mark.parametrize("fitted_on", EAGER)
@pytest.mark.parametrize("applied_to", LIBRARIES)
def test_pipeline_fitted_in_one_library_applied_in_another(fitted_on, applied_to):
    """The issue's case: admission probabilities equal the pandas pipeline's."""
    data = make_admissions(120, random_state=5)
    wide = data[["rank", "admit", "gpa", "gre"]]
    reference = make_pipeline(AdmissionsPreprocessor(), SigmoidGDClassifier(random_state=0))
    reference.fit(data[FEATURES], data["admit"])
    pipe = make_pipeline(AdmissionsPreprocessor(), SigmoidGDClassifier(random_state=0))
    pipe.fit(in_library(fitted_on, wide), data["admit"].to_numpy())
    probabilities = computed(pipe.predict_proba(in_library(applied_to, wide.iloc[:, ::-1])))
    _same(probabilities, reference.predict_proba(data[FEATURES]), applied_to)


def test_pipeline_fitted_on_dask_matches_pandas():
    """Trained on a lazy frame: the in-memory fit but for the order of additions."""
    pytest.importorskip("dask.dataframe", reason="dask is not installed")
    data = make_admissions(120, random_state=5)
    wide = data[["rank", "admit", "gpa", "gre"]]
    settings = dict(random_state=0, batch_size=None, max_iter=30, tol=None)
    reference = make_pipeline(AdmissionsPreprocessor(), SigmoidGDClassifier(**settings))
    reference.fit(data[FEATURES], data["admit"])
    frame = in_library("dask", wide)
    pipe = make_pipeline(AdmissionsPreprocessor(), SigmoidGDClassifier(**settings))
    pipe.fit(frame, frame["admit"])
    np.testing.assert_allclose(pipe[-1].coef_, reference[-1].coef_, rtol=1e-9)
    np.testing.assert_allclose(computed(pipe.predict_proba(frame)),
                               reference.predict_proba(data[FEATURES]), rtol=1e-9)
