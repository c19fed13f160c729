"""``sknn_basic.explain.explain_step``: one training step, quantity by quantity.

The step it reports must be the step the estimators take: each "weights after
the step" is compared with what ``partial_fit`` (one epoch on that one record)
did to a fitted estimator, and with what ``fit`` does from its first weights.
``explain_step`` computes with the public functions and ``fit`` with the
kernels, whose sums BLAS may order otherwise on another CPU: the two agree to
the rounding of those sums (``STEP_RTOL``), not to the bit.  The lessons'
worked examples must give the course's numbers.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification

from sknn_basic import (
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
    lessons_features,
    load_default_admissions,
)
from sknn_basic._lessons import WORKED_EXAMPLES, s4_example
from sknn_basic.explain import StepExplanation, explain_step


@pytest.fixture(scope="module")
def data():
    X_train, _, y_train, _ = lessons_features(load_default_admissions())
    return X_train.to_numpy(), y_train.to_numpy()


# A step's sums over a few features and units, rounded in another order: a
# few units of the last place of a double, far below any real difference.
STEP_RTOL = 1e-12


def assert_same_step(explained, taken, name):
    scale = np.max(np.abs(taken))
    assert_allclose(explained, taken, rtol=STEP_RTOL, atol=STEP_RTOL * scale, err_msg=name)


def _after(estimator):
    """The estimator's weights and biases, as explain_step names them after the step."""
    if isinstance(estimator, TwoLayerBackpropClassifier):
        return {
            "new_weights_input_hidden": estimator.coefs_[0],
            "new_weights_hidden_output": estimator.coefs_[1][:, 0],
            "new_bias_hidden": estimator.intercepts_[0],
            "new_bias_output": estimator.intercepts_[1][0],
        }
    return {"new_weights": estimator.coef_[0], "new_bias": estimator.intercept_[0]}


ESTIMATORS = [
    pytest.param(lambda: PerceptronClassifier(shuffle=False, max_iter=3, tol=None), id="perceptron"),
    pytest.param(lambda: PerceptronClassifier(learning_rate=0.3, max_iter=2, tol=None,
                                              random_state=1), id="perceptron-rate"),
    pytest.param(lambda: SigmoidGDClassifier(loss="squared_error", learning_rate=0.5,
                                             batch_size=None, max_iter=5, tol=None,
                                             random_state=0), id="sigmoid-squared"),
    pytest.param(lambda: SigmoidGDClassifier(max_iter=5, tol=None, alpha=0.01,
                                             random_state=0), id="sigmoid-log-l2"),
    # Without a replay memory: partial_fit then trains on the one record alone.
    pytest.param(lambda: TwoLayerBackpropClassifier(n_hidden=3, momentum=0.0, batch_size=None,
                                                    max_iter=5, tol=None, replay_size=0,
                                                    random_state=0),
                 id="backprop-log"),
    pytest.param(lambda: TwoLayerBackpropClassifier(n_hidden=4, momentum=0.0, batch_size=None,
                                                    replay_size=0,
                                                    activation="tanh", loss="squared_error",
                                                    alpha=0.1, max_iter=5, tol=None,
                                                    random_state=0), id="backprop-tanh-l2"),
]


@pytest.mark.parametrize("make", ESTIMATORS)
def test_weights_after_the_step_are_what_partial_fit_does(data, make):
    X, y = data
    estimator = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the perceptron cannot separate these data
        estimator.fit(X, y)
    assert estimator.fit_intercept  # the steps of the biases are checked too
    moved = 0
    for x, target in zip(X[:15], y[:15]):
        step = explain_step(estimator, x, target)
        before = {name: np.copy(value) for name, value in _after(estimator).items()}
        estimator.partial_fit(x[np.newaxis], [target])
        for name, value in _after(estimator).items():
            assert_same_step(step[name], value, name)
            moved += not np.array_equal(before[name], value)
    assert moved > 0


@pytest.mark.parametrize("make", ESTIMATORS[2:])
def test_fresh_weights_are_those_fit_starts_from(data, make):
    # One epoch of full-batch training where only the first record has
    # weight: the step fit takes from its initial draw is that record's.
    X, y = data
    estimator = make().set_params(max_iter=1, batch_size=None)
    rows = [0, int(np.flatnonzero(y != y[0])[0])]
    # No learning rate given: explain_step takes the one fit starts with, also
    # for learning_rate="auto" (2.0 for one full batch, SigmoidGDClassifier's docs).
    step = explain_step(estimator, X[0], y[0])
    estimator.fit(X[rows], y[rows], sample_weight=[1.0, 0.0])
    for name, value in _after(estimator).items():
        assert_same_step(step[name], value, name)


def test_unfitted_perceptron_starts_from_zero():
    step = explain_step(PerceptronClassifier(), [2.0, -1.0], 0)
    assert step["weights"].tolist() == [0.0, 0.0] and step["bias"] == 0.0
    # h = 0 fires (the boundary counts as 1), so the target 0 is a mistake.
    assert step["output"] == 1.0 and step["error"] == -1.0
    assert step["new_weights"].tolist() == [-2.0, 1.0] and step["new_bias"] == -1.0


def test_several_classes(data):
    X, y = make_classification(60, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=0)
    estimator = SigmoidGDClassifier(max_iter=3, tol=None, random_state=0,
                                    batch_size=None).fit(X, y)
    step = explain_step(estimator, X[0], y[0])
    assert step["output"].shape == (3,) and step["weights"].shape == (4, 3)
    assert np.isclose(step["output"].sum(), 1.0)  # a softmax for the log loss
    estimator.partial_fit(X[:1], y[:1])
    assert_same_step(step["new_weights"], estimator.coef_.T, "new_weights")


def test_lessons_names_and_order():
    example = WORKED_EXAMPLES["S5"]
    step = explain_step(
        "backprop", example["x"], example["target"], learning_rate=example["learning_rate"],
        weights=[example["weights_input_hidden"], example["weights_hidden_output"]],
    )
    assert step.names() == [
        "x", "target", "learning_rate", "weights_input_hidden", "weights_hidden_output",
        "hidden_input", "hidden_output", "output_layer_in", "output", "error",
        "output_error_term", "hidden_error_term", "delta_weights_hidden_output",
        "delta_weights_input_hidden", "new_weights_input_hidden", "new_weights_hidden_output",
    ]
    frame = step.to_frame()
    assert isinstance(frame, pd.DataFrame) and isinstance(step, StepExplanation)
    assert frame.columns.tolist() == ["name", "symbol", "shape", "value"]
    assert frame.set_index("name").loc["delta_weights_input_hidden", "shape"] == (3, 2)
    assert frame.set_index("name").loc["output", "symbol"] == "ŷ = σ(h⁽²⁾)"


def test_worked_examples_give_the_course_numbers(reference):
    s2 = WORKED_EXAMPLES["S2"]
    step = explain_step("sigmoid", s2["x"], s2["y"], weights=s2["weights"],
                        learning_rate=s2["learning_rate"])
    expected = reference["S2_single_unit_step"]
    assert step["output"] == pytest.approx(expected["output"], abs=1e-12)
    assert step["error"] == pytest.approx(expected["error"], abs=1e-12)
    np.testing.assert_allclose(step["delta_weights"], expected["delta_weights"], atol=1e-12, rtol=0)

    s4 = s4_example()
    step = explain_step("backprop", s4["x"],
                        weights=[s4["weights_input_hidden"], s4["weights_hidden_output"]])
    expected = reference["S4_forward_pass"]
    assert "error" not in step  # no target: the forward pass only
    np.testing.assert_allclose(step["hidden_output"], expected["hidden_output"], atol=1e-12, rtol=0)
    np.testing.assert_allclose(step["output"], expected["output"], atol=1e-12, rtol=0)

    s5 = WORKED_EXAMPLES["S5"]
    step = explain_step("backprop", s5["x"], s5["target"], learning_rate=s5["learning_rate"],
                        weights=[s5["weights_input_hidden"], s5["weights_hidden_output"]])
    expected = reference["S5_backprop_step"]
    assert step["output"] == pytest.approx(expected["output"], abs=1e-12)
    for name in ("delta_weights_hidden_output", "delta_weights_input_hidden"):
        np.testing.assert_allclose(step[name], expected[name], atol=1e-12, rtol=0)


def test_given_biases_are_used():
    step = explain_step("sigmoid", [1.0, 2.0], 1.0, weights=[0.5, -0.5], intercepts=[0.25],
                        learning_rate=1.0)
    assert step["h"] == pytest.approx(0.5 - 1.0 + 0.25)
    assert step["new_bias"] == pytest.approx(0.25 + step["error_term"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: explain_step("svm", [1.0], 1, weights=[1.0]), "kind must be one of"),
        (lambda: explain_step("sigmoid", [1.0], 1), "needs weights"),
        (lambda: explain_step("sigmoid", [1.0, 2.0], 1, weights=[1.0], learning_rate=1),
         "shape"),
        (lambda: explain_step("sigmoid", [[1.0]], 1, weights=[1.0], learning_rate=1),
         "one record"),
        (lambda: explain_step("sigmoid", [np.nan], 1, weights=[1.0], learning_rate=1),
         "finite"),
        (lambda: explain_step("sigmoid", [1.0], 1, weights=[1.0]), "learning rate"),
        (lambda: explain_step("sigmoid", [1.0], 1, weights=[1.0], learning_rate=-1),
         "> 0"),
        (lambda: explain_step("backprop", [1.0], 1, weights=[[1.0]], learning_rate=1),
         "weights_input_hidden"),
    ],
)
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_not_our_estimator():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="PerceptronClassifier"):
        explain_step(LogisticRegression(), [1.0], 1)


def test_a_label_the_model_did_not_learn_is_refused():
    # As fit and predict would: 7 is no class of a binary model, nor a unit's target.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    for est in (PerceptronClassifier(max_iter=2), SigmoidGDClassifier(max_iter=2)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        with pytest.raises(ValueError, match=r"y=7 is not among the classes"):
            explain_step(est, X[0], 7)
        with pytest.raises(ValueError, match="between 0 and 1"):
            explain_step(est, X[0], [7.0])
        assert explain_step(est, X[0], 1)["y"] == 1.0


def test_an_estimator_at_its_defaults_is_explained_with_the_rate_fit_starts_with():
    # Before, learning_rate="auto" was refused ("needs a numeric learning rate").
    step = explain_step(SigmoidGDClassifier(random_state=0), [1.0, -2.0], 1)
    assert step["learning_rate"] == 2.0
    assert explain_step(TwoLayerBackpropClassifier(random_state=0), [1.0, -2.0], 1)[
        "learning_rate"] == 0.5
    assert explain_step(PerceptronClassifier(), [1.0, -2.0], 1)["learning_rate"] == 1.0


def test_text_is_rounded_for_reading_and_the_frame_keeps_full_values():
    step = explain_step("sigmoid", [0.1, 0.3, 0.0], 0.2, weights=[-0.8, 0.5, 0.3],
                        learning_rate=0.5)
    # The third input is 0: its step is -0.0 (a negative error term times 0).
    assert np.signbit(step["delta_weights"][2]) and step["delta_weights"][2] == 0
    text = step.to_text()
    assert not re.search(r"-0(?![.\de])", text)  # no negative zero, however written
    delta = next(line for line in text.splitlines() if "delta_weights" in line)
    shown = [float(v) for v in re.findall(r"-?\d[\d.e-]*", delta.split("(3,)")[1])]
    assert_allclose(shown, step["delta_weights"], rtol=5e-6, atol=0)  # 6 significant digits
    assert delta.endswith(", 0]")
    # Float noise is gone: 0.1 * -0.8 + 0.3 * 0.5 is 0.07000000000000001 in full.
    h = next(line for line in text.splitlines() if line.split()[0] == "h")
    assert step["h"] != 0.07 and h.endswith("  0.07")
    full = step.to_text(precision=None)
    assert repr(float(step["h"])) in full and "-0.0" in full
    frame = step.to_frame()
    assert frame.set_index("name").loc["h", "value"] == step["h"]  # unrounded
    assert np.signbit(frame.set_index("name").loc["delta_weights", "value"][2])


def test_text_wraps_to_the_width():
    step = explain_step("sigmoid", np.linspace(-1, 1, 12), 1.0,
                        weights=np.linspace(0.5, -0.5, 12) / 3, learning_rate=0.5)
    for width in (80, 100):
        lines = step.to_text(width=width).splitlines()
        assert max(map(len, lines)) <= width
        assert len(lines) > len(step)  # the 12-value vectors wrap
    assert len(step.to_text(width=None).splitlines()) == len(step)
