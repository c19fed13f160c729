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
