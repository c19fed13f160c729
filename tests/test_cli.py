"""The ``sknn-basic`` command line (``sknn_basic.cli``) and ``python -m sknn_basic``.

Most tests call ``main(argv)`` in-process and read the output with
``capsys``; a few run the installed entry points in a subprocess to check the
real exit status and that no traceback escapes (Ctrl-C, a full or closed
standard output, matplotlib missing).  Epoch counts are kept small.
"""

import errno
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from sknn_basic import _lessons, lessons_features, load_default_admissions
from sknn_basic.cli import main, reproduce

from _printed_numbers import assert_same_lines

SYNTHETIC_FIRST_LINE = (
    "Data: synthetic admissions data (400 rows, calibrated to the published facts); "
    "pass --data PATH for the real file"
)
EPOCH_LINE = re.compile(r"^Epoch +(\d+): train loss (\d+\.\d{8})(  WARNING - loss increasing)?$")
ACCURACY = re.compile(r"(\d\.\d{4}) \((\d+) of (\d+) test rows\)$")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def epoch_lines(out):
    return [line for line in out.splitlines() if line.startswith("Epoch")]


def accuracy_lines(out):
    """The test-accuracy lines (a baseline note may follow them)."""
    return [line for line in out.splitlines() if line.startswith("Test accuracy of ")]


def assert_one_error_line(status, out, err):
    assert status == 2
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sknn-basic: error: ")


# ---------------------------------------------------------------- train


@pytest.mark.parametrize(
    "model, counterpart",
    [("sigmoid", "LogisticRegression"), ("backprop", "MLPClassifier")],
)
def test_train_on_synthetic_data(capsys, model, counterpart):
    status, out, err = run(capsys, "train", model, "--epochs", "50")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == SYNTHETIC_FIRST_LINE
    epochs = epoch_lines(out)
    assert len(epochs) == 10
    assert [int(EPOCH_LINE.match(line).group(1)) for line in epochs] == list(range(0, 50, 5))
    # The epoch lines come after the context and before the results.
    assert lines.index(epochs[0]) > 0
    test_line = next(line for line in lines if line.startswith("Test accuracy of "))
    assert lines.index(test_line) > lines.index(epochs[-1])
    assert ACCURACY.search(test_line).group(3) == "40"
    assert accuracy_lines(out)[-1].startswith(f"Test accuracy of scikit-learn's {counterpart}(")
    assert ACCURACY.search(accuracy_lines(out)[-1])
    assert "Traceback" not in err and "Warning:" not in err


def test_train_backprop_defaults_learn_without_rising_loss(capsys):
    status, out, err = run(capsys, "train", "backprop")
    assert status == 0
    epochs = epoch_lines(out)
    assert [int(EPOCH_LINE.match(line).group(1)) for line in epochs] == list(range(0, 100, 10))
    assert not any("WARNING" in line for line in epochs)
    losses = [float(EPOCH_LINE.match(line).group(2)) for line in epochs]
    assert losses[-1] < losses[0] - 0.1
    accuracy = float(ACCURACY.search(accuracy_lines(out)[-2]).group(1))
    # Far better than the lessons' S6 settings (0.425); the majority rate of
    # the synthetic test rows is 0.725.
    assert accuracy >= 0.65


def test_train_without_a_model_trains_all_three(capsys):
    status, out, err = run(capsys, "train", "--epochs", "20")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == SYNTHETIC_FIRST_LINE
    sections = [line for line in lines if line.startswith("== ")]
    assert [line.split(":")[0] for line in sections] == ["== perceptron", "== sigmoid", "== backprop"]
    results = [line for line in lines if line.startswith("Test accuracy of ")]
    assert len(results) == 6
    assert len(epoch_lines(out)) == 30
    assert "Traceback" not in err


def test_train_is_reproducible(capsys):
    first = run(capsys, "train", "backprop", "--epochs", "20", "--seed", "3")
    second = run(capsys, "train", "backprop", "--epochs", "20", "--seed", "3")
    assert first == second


def test_train_options_reach_the_estimator(capsys):
    status, out, _ = run(
        capsys, "train", "backprop", "--epochs", "10", "--hidden", "3",
        "--learning-rate", "0.05", "--seed", "7",
    )
    assert status == 0
    model_line = next(line for line in out.splitlines() if line.startswith("Model: "))
    for text in ("max_iter=10", "n_hidden=3", "learning_rate=0.05", "random_state=7"):
        assert text in model_line
    assert "hidden_layer_sizes=(3,)" in accuracy_lines(out)[-1]
    assert len(epoch_lines(out)) == 10


def test_train_sigmoid_on_the_real_file_is_the_lessons_run(capsys, admissions_path, reference):
    status, out, _ = run(capsys, "train", "sigmoid", "--data", str(admissions_path))
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"Data: {admissions_path} (400 rows, 127 admitted)"
    epochs = epoch_lines(out)
    assert [int(EPOCH_LINE.match(line).group(1)) for line in epochs] == list(range(0, 1000, 100))
    assert not any("WARNING" in line for line in epochs)
    expected = reference["S3_sigmoid_gd_admissions"]["test_accuracy"]
    assert f"Test accuracy of SigmoidGDClassifier: {expected:.4f} (29 of 40 test rows)" in lines


def test_train_perceptron_convergence_warning_is_one_note(capsys):
    status, out, err = run(capsys, "train", "perceptron")
    assert status == 0
    assert out.splitlines()[0] == SYNTHETIC_FIRST_LINE
    assert "SGDClassifier(" in accuracy_lines(out)[-1]
    notes = err.strip().splitlines()
    assert notes and all(line.startswith("sknn-basic: note: ") for line in notes)
    assert any("PerceptronClassifier" in line and "ConvergenceWarning" in line for line in notes)
    assert "warnings.warn" not in err and "Traceback" not in err


MISTAKE_LINE = re.compile(
    r"^Epoch +(\d+): +(\d+) of (\d+) training rows misclassified \(mistake rate (\d\.\d{4})\)$"
)


def test_train_perceptron_speaks_of_mistakes_without_warnings(capsys, monkeypatch):
    from sknn_basic import PerceptronClassifier

    fitted = []
    original = PerceptronClassifier.fit

    def keep(self, *args, **kwargs):
        fitted.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PerceptronClassifier, "fit", keep)
    status, out, err = run(capsys, "train", "perceptron")
    assert status == 0
    assert "WARNING" not in out and "loss" not in "".join(epoch_lines(out))
    lines = [MISTAKE_LINE.match(line) for line in epoch_lines(out)]
    assert all(lines) and len(lines) == 10
    curve = fitted[0].loss_curve_
    assert [int(m.group(1)) for m in lines] == list(range(0, 100, 10))
    for m in lines:
        epoch, mistakes, rows, rate = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        assert rows == 360
        assert rate == f"{curve[epoch]:.4f}"  # the line of epoch e is loss_curve_[e]
        assert mistakes == round(curve[epoch] * 360)
    # The rate moves both ways, and the text says why instead of warning.
    rates = [float(m.group(4)) for m in lines]
    assert any(b > a for a, b in zip(rates, rates[1:]))
    training = next(line for line in out.splitlines() if line.startswith("Training: "))
    assert "goes up and down" in training and "misclassified" in training


def test_train_prints_the_majority_baseline_and_says_who_is_at_or_below_it(capsys):
    status, out, _ = run(capsys, "train", "sigmoid", "--epochs", "20")
    assert status == 0
    lines = out.splitlines()
    y_train, y_test = lessons_features(load_default_admissions())[2:]
    majority = y_train.mode()[0]
    expected = float((y_test == majority).mean())
    assert majority == 0 and expected == 0.725
    baseline = next(line for line in lines if line.startswith("Baseline: "))
    assert baseline == (
        'Baseline: always answering "not admitted" (0), the majority class of the '
        "training rows, scores 0.7250 (29 of 40 test rows)"
    )
    # The baseline comes before the models, the note after their accuracies.
    assert lines.index(baseline) < lines.index(epoch_lines(out)[0])
    scores = [float(ACCURACY.search(line).group(1)) for line in accuracy_lines(out)]
    note = [line for line in lines if line.startswith("Note: ")]
    low = [s for s in scores if s <= expected]
    assert len(note) == (1 if low else 0)
    if note:
        assert note[0].endswith("no better than always giving the majority answer")


def test_baseline_verdict_names_only_the_models_at_or_below_it():
    from sknn_basic.cli._data import baseline_verdict

    assert baseline_verdict([("A", 0.8), ("B", 0.76)], 0.75) is None
    assert baseline_verdict([("A", 0.8), ("B", 0.75)], 0.75).startswith(
        "Note: B is at or below the baseline 0.7500: on these test rows it does"
    )
    assert baseline_verdict([("A", 0.7), ("B", 0.425)], 0.75).startswith(
        "Note: A and B are at or below the baseline 0.7500: on these test rows they do"
    )


def test_train_counterparts_are_set_like_ours(capsys):
    from sklearn.linear_model import LogisticRegression, Perceptron, SGDClassifier
    from sklearn.neural_network import MLPClassifier

    from sknn_basic import PerceptronClassifier, SigmoidGDClassifier, TwoLayerBackpropClassifier
    from sknn_basic.cli._registry import MODELS

    averaged = MODELS["perceptron"].counterpart(
        PerceptronClassifier(average=True, max_iter=7, learning_rate=0.5, random_state=3), 360
    )
    assert isinstance(averaged, SGDClassifier)
    assert averaged.get_params() | dict(
        loss="perceptron", penalty=None, learning_rate="constant", eta0=0.5, average=True,
        max_iter=7, tol=None, random_state=3,
    ) == averaged.get_params()
    plain = MODELS["perceptron"].counterpart(PerceptronClassifier(max_iter=7), 360)
    assert isinstance(plain, Perceptron) and plain.max_iter == 7 and plain.eta0 == 1.0
    unit = MODELS["sigmoid"].counterpart(SigmoidGDClassifier(fit_intercept=False), 360)
    assert isinstance(unit, LogisticRegression)
    assert unit.C == np.inf and unit.fit_intercept is False
    net = MODELS["backprop"].counterpart(
        TwoLayerBackpropClassifier(n_hidden=5, batch_size=None, max_iter=30, learning_rate=0.1,
                                   momentum=0.8, random_state=2), 360)
    assert isinstance(net, MLPClassifier)
    assert (net.hidden_layer_sizes, net.activation, net.solver, net.batch_size, net.max_iter,
            net.learning_rate_init, net.momentum, net.alpha, net.random_state) == (
        (5,), "logistic", "sgd", 360, 30, 0.1, 0.8, 0.0, 2)
    # The output names the counterpart and says what the two sides share.
    status, out, err = run(capsys, "train", "perceptron", "--epochs", "10")
    assert status == 0
    assert accuracy_lines(out)[-1].startswith(
        "Test accuracy of scikit-learn's SGDClassifier(average=True, eta0=1.0, "
        "learning_rate='constant', loss='perceptron', max_iter=10, penalty=None"
    )
    assert "Compared with scikit-learn: the averaged perceptron on both sides" in out
    # The epochs it was told to run are not reported as a failure to converge.
    status, out, err = run(capsys, "train", "backprop", "--epochs", "10")
    assert "Maximum iterations" not in err


def test_quiet_leaves_only_the_results(capsys):
    # The results: the baseline, both accuracies, and the note that both are
    # at or below the baseline (they are, on the synthetic test rows).
    status, out, err = run(capsys, "train", "perceptron", "--quiet")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("Baseline: always answering \"not admitted\" (0)")
    assert lines[1].startswith("Test accuracy of PerceptronClassifier: ")
    assert lines[2].startswith("Test accuracy of scikit-learn's SGDClassifier(")
    assert lines[3].startswith("Note: PerceptronClassifier and scikit-learn's SGDClassifier "
                               "are at or below the baseline 0.7250")
    assert err == ""


def test_progress_only_on_a_terminal(capsys, monkeypatch):
    status, _, err = run(capsys, "compare", "--cv", "2")
    assert status == 0
    assert "cross-validating" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, out, err = run(capsys, "compare", "--cv", "2")
    assert status == 0
    assert "[1/7] cross-validating PerceptronClassifier" in err
    assert "cross-validating" not in out
    status, out, err = run(capsys, "compare", "--cv", "2", "--quiet")
    assert status == 0 and err == ""


# ------------------------------------------------------------ reproduce


def test_reproduce_the_lessons(capsys, admissions_path, reference):
    status, out, err = run(capsys, "reproduce", "--data", str(admissions_path))
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0] == f"Data: {admissions_path} (400 rows, 127 admitted)"
    figures = [line for line in lines if line.startswith("  ")]
    assert len(figures) == 32
    assert all(line.endswith("  match") for line in figures)
    assert "MISMATCH" not in out
    assert lines[-1] == "All 32 figures match the lessons (tolerance 1e-8)."
    # S3's two loss figures related, and the baseline both runs fall short of.
    assert any("is 2 x loss_curve_[e + 1]" in line and "as 'Epoch e'" in line
               for line in lines)
    assert lines[-3] == ('Baseline: always answering "not admitted" (0), the majority class '
                         "of the training rows, scores 0.7500 (30 of 40 test rows)")
    assert lines[-2].startswith("Note: S3 and S6 are at or below the baseline 0.7500")
    s3 = reference["S3_sigmoid_gd_admissions"]
    s6 = reference["S6_backprop_admissions"]
    golden = s3["weights"] + s3["train_mse_every_100_epochs"] + [s3["test_accuracy"]]
    golden += [w for row in s6["weights_input_hidden"] for w in row]
    golden += s6["weights_hidden_output"] + [s6["test_accuracy"]]
    for line, value in zip(figures, golden):
        shown, expected = re.findall(r"-?\d+\.\d{12}", line)
        assert expected == f"{value:.12f}"
        assert abs(float(shown) - value) < 1e-8
    # The lessons' S6 network ends worse than a constant, which the estimator
    # notes (its ConvergenceWarning); nothing else reaches stderr.
    assert all(line.startswith("sknn-basic: note: S6: ") for line in err.splitlines())


def test_reproduce_reports_a_mismatch(capsys, admissions_path, monkeypatch):
    figures = {key: dict(value) for key, value in _lessons.LESSON_FIGURES.items()}
    figures["S6_backprop_admissions"]["test_accuracy"] = 0.5
    monkeypatch.setattr(reproduce, "LESSON_FIGURES", figures)
    status, out, _ = run(capsys, "reproduce", "--data", str(admissions_path), "--quiet")
    assert status == 1
    assert [line for line in out.splitlines() if "MISMATCH" in line] == [
        "  test accuracy               0.425000000000  expected  0.500000000000  "
        "|diff| 7.5e-02  MISMATCH"
    ]
    assert out.splitlines()[-1].startswith("1 of 32 figures do NOT match")


def test_reproduce_without_data_uses_the_cached_course_file(
    capsys, admissions_path, tmp_path, monkeypatch
):
    # Without --data, reproduce reads fetch_admissions' cache (before, it
    # required --data); here the cache holds the real file.
    from sknn_basic import datasets

    monkeypatch.setenv("SKNN_BASIC_DATA", str(tmp_path))
    (tmp_path / "admissions").mkdir()
    shutil.copy(admissions_path, tmp_path / "admissions" / "binary.csv")
    monkeypatch.setattr(datasets, "ADMISSIONS_URL", "http://127.0.0.1:9/never-asked")
    status, out, err = run(capsys, "reproduce")
    assert status == 0, out + err
    assert out.splitlines()[0] == (
        f"Data: the course's file, {tmp_path / 'admissions' / 'binary.csv'} "
        f"(cached; 400 rows, 127 admitted)"
    )
    assert out.splitlines()[-1] == "All 32 figures match the lessons (tolerance 1e-8)."


def test_reproduce_offline_without_data_says_where_to_put_the_file(
    capsys, tmp_path, monkeypatch
):
    import socket

    from sknn_basic import datasets

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SKNN_BASIC_DATA", str(tmp_path))
    monkeypatch.setattr(datasets, "ADMISSIONS_URL", f"http://127.0.0.1:{port}/binary.csv")
    status, out, err = run(capsys, "reproduce")
    assert_one_error_line(status, out, err)
    assert "could not download the admissions file" in err
    assert str(tmp_path / "admissions" / "binary.csv") in err
    assert out == ""


def test_expected_figures_equal_the_reference(reference):
    for key, figures in reproduce.LESSON_FIGURES.items():
        for name, value in figures.items():
            assert value == reference[key][name], (key, name)


# -------------------------------------------------------------- compare


def test_compare_table(capsys):
    status, out, err = run(capsys, "compare", "--cv", "3")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == SYNTHETIC_FIRST_LINE
    header = next(i for i, line in enumerate(lines) if line.startswith("model "))
    rows = lines[header + 1 : header + 8]
    names = [row.split()[0] for row in rows]
    assert names == [
        "PerceptronClassifier", "Perceptron", "SigmoidGDClassifier",
        "LogisticRegression", "TwoLayerBackpropClassifier", "MLPClassifier", "majority",
    ]
    for row in rows:
        mean, sd, fit_ms = re.search(r"(\d\.\d{4}) +(\d\.\d{4}) +(\d+\.\d) ms$", row).groups()
        assert 0.4 <= float(mean) <= 1.0 and float(sd) >= 0 and float(fit_ms) > 0
    assert "Traceback" not in err


def test_compare_quiet_prints_the_table_only(capsys):
    status, out, err = run(capsys, "compare", "--cv", "2", "-q")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("model ") and len(lines) == 8
    assert err == ""


# --------------------------------------------------------------- errors


@pytest.fixture
def wrong_column_csv(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("admit,gre,gpa,grade\n1,380,3.61,3\n0,660,3.67,3\n")
    return path


@pytest.mark.parametrize(
    "argv, hint",
    [
        (["train", "sigmoid", "--data", "{missing}"], "does not exist"),
        (["train", "sigmoid", "--data", "{wrong}"], "'rank'"),
        (["compare", "--data", "{wrong}"], "'rank'"),
        (["reproduce", "--data", "{missing}"], "does not exist"),
        (["train", "sigmoid", "--epochs", "0"], "--epochs"),
        (["train", "sigmoid", "--epochs", "abc"], "--epochs"),
        (["train", "sigmoid", "--learning-rate", "-1"], "--learning-rate"),
        (["train", "backprop", "--seed", "-3"], "--seed"),
        (["train", "svm"], "invalid choice"),
        (["train", "perceptron", "--hidden", "4"], "--hidden"),
        (["train", "sigmoid", "--hidden", "4"], "--hidden"),
        (["compare", "--cv", "1"], "--cv"),
        (["compare", "--cv", "1000"], "--cv"),
        (["train", "sigmoid", "--bogus"], "--bogus"),
        ([], "COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, tmp_path, wrong_column_csv, argv, hint):
    values = {"missing": tmp_path / "absent.csv", "wrong": wrong_column_csv}
    argv = [arg.format(**values) for arg in argv]
    status, out, err = run(capsys, *argv)
    assert_one_error_line(status, out, err)
    assert hint in err
    assert out == ""


@pytest.mark.parametrize("argv", [[], ["train"], ["reproduce"], ["compare"], ["gates"]])
def test_help(capsys, argv):
    status, out, err = run(capsys, *argv, "--help")
    assert status == 0
    assert out.startswith(f"usage: sknn-basic {' '.join(argv)}".rstrip())
    assert err == ""


def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.strip() == "sknn-basic 0.1.0"


# ----------------------------------------------------------- subprocess


def _environment():
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return env


def test_python_dash_m(tmp_path):
    # Run from an unrelated directory: nothing may depend on the repository layout.
    done = subprocess.run(
        [sys.executable, "-m", "sknn_basic", "train", "sigmoid", "--epochs", "10"],
        capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == SYNTHETIC_FIRST_LINE
    assert len(epoch_lines(done.stdout)) == 10
    assert accuracy_lines(done.stdout)[-1].startswith(
        "Test accuracy of scikit-learn's LogisticRegression("
    )
    # Ten epochs leave the unit worse than a constant, which the estimator
    # notes (a warning added on main after this test was written).
    assert all(line.startswith("sknn-basic: note: ") for line in done.stderr.splitlines())


def test_python_dash_m_bad_option_has_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sknn_basic", "train", "sigmoid", "--epochs", "abc"],
        capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "sknn-basic: error: argument --epochs: must be a whole number from 1 to 100000, got 'abc' "
        "(see 'sknn-basic train --help')"
    ]


def test_console_script(tmp_path, wrong_column_csv):
    script = shutil.which("sknn-basic")
    if script is None:
        pytest.skip("the sknn-basic console script is not installed on PATH")
    done = subprocess.run(
        [script, "train", "backprop", "--epochs", "10", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(accuracy_lines(done.stdout)) == 2 and done.stderr == ""
    assert done.stdout.startswith("Baseline: ")
    done = subprocess.run(
        [script, "compare", "--data", str(wrong_column_csv)],
        capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120,
    )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


# ------------------------------------------------------------- explain


def parse_step(out):
    """The printed quantities of `explain`: name -> list of the numbers shown."""
    numbers = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
    values, current = {}, None
    for line in out.splitlines():
        match = re.match(r"^  (\w+)\s.*?\s(\((?:\d+(?:, \d+)*,?)?\))\s+(\S.*)$", line)
        if match:
            current = match.group(1)
            values[current] = [float(v) for v in numbers.findall(match.group(3))]
        elif current and line.startswith("    "):
            values[current] += [float(v) for v in numbers.findall(line)]
    return values


def _flat(value):
    return [float(v) for v in np.ravel(value)]


@pytest.mark.parametrize(
    "precision, tolerance",
    # Rounded to 6 significant digits by default: within half a unit of the
    # sixth digit; in full with --full-precision.
    [([], dict(rtol=5e-6, atol=0)), (["--full-precision"], dict(rtol=0, atol=1e-12))],
)
def test_explain_lessons_examples_print_the_course_numbers(capsys, reference, precision,
                                                           tolerance):
    status, out, err = run(capsys, "explain", "sigmoid", "--lessons-example", "S2", *precision)
    assert status == 0 and err == ""
    shown, expected = parse_step(out), reference["S2_single_unit_step"]
    for name in ("x", "y", "weights", "learning_rate", "output", "error", "delta_weights"):
        np.testing.assert_allclose(shown[name], _flat(expected[name]), **tolerance)

    status, out, _ = run(capsys, "explain", "backprop", "--lessons-example", "S4", *precision)
    assert status == 0
    shown, expected = parse_step(out), reference["S4_forward_pass"]
    assert "error" not in shown and "learning_rate" not in shown
    for name in ("x", "weights_input_hidden", "weights_hidden_output", "hidden_output", "output"):
        np.testing.assert_allclose(shown[name], _flat(expected[name]), **tolerance)

    status, out, _ = run(capsys, "explain", "backprop", "--lessons-example", "S5", *precision)
    assert status == 0
    shown, expected = parse_step(out), reference["S5_backprop_step"]
    assert list(shown)[:3] == ["x", "target", "learning_rate"]
    for name in ("x", "target", "weights_input_hidden", "weights_hidden_output", "output",
                 "delta_weights_hidden_output", "delta_weights_input_hidden"):
        np.testing.assert_allclose(shown[name], _flat(expected[name]), **tolerance)
    if not precision:
        # Read at a glance: 0.24, not 0.24000000000000002, and no line wider than 100.
        assert "[0.24, -0.46]" in out
        assert max(len(line) for line in out.splitlines() if line.startswith("  ")) <= 100


@pytest.mark.parametrize("model", ["perceptron", "sigmoid", "backprop"])
def test_explain_a_record_matches_explain_step(capsys, model):
    from sknn_basic.cli._registry import MODELS
    from sknn_basic.explain import explain_step

    status, out, err = run(capsys, "explain", model, "--record", "7", "--weights-from-epoch", "3",
                           "--full-precision")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == SYNTHETIC_FIRST_LINE
    assert lines[1].startswith("Record: training row 7 of 360 of the lessons' split")
    shown = parse_step(out)
    X_train, _, y_train, _ = lessons_features(load_default_admissions())
    spec = MODELS[model]
    estimator = spec.make(spec.lesson_settings).set_params(max_iter=3, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X_train, y_train)
    step = explain_step(estimator, X_train.iloc[6].to_numpy(), y_train.iloc[6])
    assert list(shown) == step.names()
    for quantity in step:
        assert shown[quantity.name] == _flat(quantity.value), quantity.name
    # Rounded by default: the same numbers to 6 significant digits, and no -0.
    status, out, _ = run(capsys, "explain", model, "--record", "7", "--weights-from-epoch", "3")
    rounded = parse_step(out)
    for quantity in step:
        np.testing.assert_allclose(rounded[quantity.name], _flat(quantity.value), rtol=5e-6,
                                   atol=0, err_msg=quantity.name)
    assert not re.search(r"-0(?![.\de])", out)


@pytest.mark.parametrize(
    "argv, hint",
    [
        (["explain", "perceptron", "--lessons-example", "S5"], "explain backprop --lessons-example S5"),
        (["explain", "backprop", "--lessons-example", "S5", "--record", "3"], "--record"),
        (["explain", "sigmoid", "--record", "361"], "from 1 to 360"),
        (["explain", "sigmoid", "--hidden", "3"], "--hidden"),
        (["explain", "sigmoid", "--weights-from-epoch", "-1"], "--weights-from-epoch"),
        (["explain"], "model"),
    ],
)
def test_explain_bad_input(capsys, argv, hint):
    status, out, err = run(capsys, *argv)
    assert_one_error_line(status, out, err)
    assert hint in err


# ------------------------------------------------------------ hardening


@pytest.mark.parametrize(
    "argv, hint",
    [
        (["train", "sigmoid", "--learning-rate", "-inf"],
         "must be a positive number at most 1000, got '-inf'"),
        (["train", "sigmoid", "--learning-rate", "-1e-3"], "got '-1e-3'"),
        (["explain", "sigmoid", "--learning-rate", "-0.5"], "got '-0.5'"),
        (["--bogus"], "unrecognized arguments: --bogus (see 'sknn-basic --help')"),
        (["compare", "--epochs", "3"], "--epochs 3 (see 'sknn-basic compare --help')"),
        (["train", "--epochs", "--quiet"], "expected one argument"),
    ],
)
def test_options_name_the_culprit_and_the_right_help(capsys, argv, hint):
    status, out, err = run(capsys, *argv)
    assert_one_error_line(status, out, err)
    assert hint in err


def test_help_lists_the_exit_statuses(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    text = " ".join(out.split())
    for fragment in ("0 success", "1 reproduce", "2 bad input", "3 out of memory",
                     "4 the output could not be written", "5 --plot needs matplotlib",
                     "70 unexpected error", "130 interrupted"):
        assert fragment in text


def test_small_files_get_advice_the_command_line_can_follow(capsys, tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("admit,gre,gpa,rank\n1,380,3.61,3\n")
    two = tmp_path / "two.csv"
    two.write_text("admit,gre,gpa,rank\n1,380,3.61,3\n0,500,3.1,2\n1,600,3.2,1\n")
    for argv in (["train", "sigmoid", "--data", str(one)], ["compare", "--data", str(two)],
                 ["compare", "--data", str(two), "--cv", "5"]):
        status, out, err = run(capsys, *argv)
        assert_one_error_line(status, out, err)
        assert "--data PATH" in err or "--cv K" in err
        assert "ddof" not in err and "fraction" not in err and "from 2 to 1" not in err


def test_out_of_memory_is_one_line_with_its_own_status(capsys, monkeypatch):
    # A MemoryError raised while training (the estimate let the network through).
    from sknn_basic.cli import _memory

    monkeypatch.setattr(_memory, "available_bytes", lambda: None)
    status, out, err = run(capsys, "train", "backprop", "--hidden", "1000000000", "-q")
    assert status == 3
    # Only the baseline, printed before training, reached the output.
    assert out.startswith("Baseline: ") and len(out.splitlines()) == 1
    assert "Traceback" not in err
    assert err.splitlines() == [
        "sknn-basic: error: out of memory; ask for less: fewer hidden units (--hidden) "
        "or a smaller file (--data PATH)"
    ]


@pytest.mark.parametrize(
    "argv",
    [["train", "backprop"], ["train"], ["explain", "backprop"]],
)
def test_a_network_too_large_for_the_memory_is_refused_before_allocating(capsys, argv):
    # Changed with issue 18: the estimate refuses it with advice, before the
    # data are prepared for training or any weight is drawn (10^8 hidden units
    # of the 360 training rows need about a terabyte).
    import tracemalloc

    tracemalloc.start()
    try:
        status, out, err = run(capsys, *argv, "--hidden", "100000000", "-q")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status == 3
    assert out == "" and "Traceback" not in err
    (line,) = err.splitlines()
    assert re.fullmatch(
        r"sknn-basic: error: out of memory: 100,000,000 hidden units would need about "
        r"[\d.,]+ TB for 360 training rows \(weights and hidden-layer buffers\), more than "
        r"the [\d.,]+ [kMGT]?B available; choose --hidden H with H at most [\d,]+, or a "
        r"smaller file \(--data PATH\)", line), line
    assert peak < 50e6


def test_the_memory_estimate_advises_the_largest_layer_that_fits(monkeypatch, capsys):
    from sknn_basic.cli import _memory

    need = _memory.network_bytes(1000, 6, 360, 40)
    assert _memory.network_bytes(1001, 6, 360, 40) > need
    monkeypatch.setattr(_memory, "available_bytes", lambda: need)
    status, out, err = run(capsys, "train", "backprop", "--hidden", "5000", "-q")
    assert status == 3
    assert "choose --hidden H with H at most 1,000," in err
    # A layer that fits trains.
    status, out, err = run(capsys, "train", "backprop", "--hidden", "1000", "--epochs", "1", "-q")
    assert status == 0, err


def test_available_memory_is_read():
    from sknn_basic.cli import _memory

    available = _memory.available_bytes()
    assert available is None or available > 0


@pytest.mark.parametrize(
    "argv, accepted",
    [
        (["train", "sigmoid", "--epochs", "100001"], "--epochs: must be a whole number from 1 to 100000"),
        (["explain", "sigmoid", "--weights-from-epoch", "10000000000000000000000"],
         "--weights-from-epoch: must be a whole number from 0 to 100000"),
        (["explain", "sigmoid", "--weights-from-epoch", "100001"], "from 0 to 100000"),
        (["train", "backprop", "--hidden", "1000000001"],
         "--hidden: must be a whole number from 1 to 1000000000"),
        (["explain", "backprop", "--hidden", "0"], "from 1 to 1000000000"),
        (["train", "sigmoid", "--learning-rate", "1e300"],
         "--learning-rate: must be a positive number at most 1000"),
        (["explain", "sigmoid", "--learning-rate", "1001"], "at most 1000"),
        (["train", "backprop", "--seed", "4294967296"],
         "--seed: must be a whole number from 0 to 4294967295"),
        (["train", "backprop", "--seed", "-1"], "from 0 to 4294967295"),
        (["compare", "--cv", "1"], "--cv: must be a whole number of folds >= 2"),
        (["explain", "sigmoid", "--record", "0"], "--record: must be a whole number >= 1"),
        # gates shares the bounds.
        (["gates", "--hidden", "0"], "--hidden: must be a whole number from 1 to 1000000000"),
        (["gates", "--epochs", "100001"], "--epochs: must be a whole number from 1 to 100000"),
        (["gates", "--learning-rate", "-1"], "--learning-rate: must be a positive number"),
        (["gates", "--seed", "-2"], "--seed: must be a whole number from 0 to 4294967295"),
        (["gates", "--plot", "gates.jpg"], "the picture is a PNG image"),
    ],
)
def test_each_bound_is_refused_at_parse_time(capsys, argv, accepted):
    status, out, err = run(capsys, *argv)
    assert_one_error_line(status, out, err)
    assert accepted in err


@pytest.mark.parametrize(
    "argv, accepted",
    [
        (["explain", "sigmoid", "--record", "10000000000000000000000"], "from 1 to 360"),
        (["compare", "--cv", "10000000000000000000000"], "with K from 2 to"),
    ],
)
def test_bounds_of_the_data_are_refused_once_read(capsys, argv, accepted):
    status, out, err = run(capsys, *argv)
    assert_one_error_line(status, out, err)
    assert accepted in err


def test_a_data_file_with_extra_fields_is_refused_naming_file_and_line(capsys, tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("admit,gre,gpa,rank\n1,500,3.1,2,7,7,7,7,7\n0,400,3.0,1\n")
    status, out, err = run(capsys, "train", "sigmoid", "--data", str(path))
    assert_one_error_line(status, out, err)
    assert "extra.csv' is not a readable CSV file: line 2 has 9 fields" in err


class _FullStream(io.StringIO):
    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_unwritable_output_has_its_own_status(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", _FullStream())
    status = main(["train", "sigmoid", "--epochs", "5"])
    err = capsys.readouterr().err
    assert status == 4
    assert err.splitlines() == [
        "sknn-basic: error: the output could not be written: No space left on device"
    ]


def _interrupt_at_call(n):
    """A function that sends this process SIGINT at its n-th call."""
    calls = []

    def interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            os.kill(os.getpid(), signal.SIGINT)

    return interrupt


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")
def test_ctrl_c_in_our_fit_prints_interrupted(capsys, monkeypatch):
    from sknn_basic.cli._registry import MODELS

    monkeypatch.setitem(MODELS["sigmoid"].train_settings, "callback", _interrupt_at_call(3))
    previous = signal.getsignal(signal.SIGINT)
    status, out, err = run(capsys, "train", "sigmoid", "--epochs", "50")
    assert status == 130
    assert err.splitlines() == ["sknn-basic: interrupted"]
    assert "Test accuracy" not in out
    assert signal.getsignal(signal.SIGINT) is previous  # the handler is put back


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_ctrl_c_swallowed_by_mlpclassifier_is_still_an_interrupt(capsys, monkeypatch):
    # scikit-learn's MLPClassifier catches KeyboardInterrupt in its fit,
    # warns and returns as if done: its results must not be printed.
    from sklearn.neural_network import MLPClassifier

    original = MLPClassifier._backprop
    interrupt = _interrupt_at_call(2)

    def backprop(self, *args, **kwargs):
        interrupt()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MLPClassifier, "_backprop", backprop)
    status, out, err = run(capsys, "train", "backprop", "--epochs", "5")
    assert status == 130
    assert err.splitlines() == ["sknn-basic: interrupted"]
    assert "Test accuracy of TwoLayerBackpropClassifier" in out
    assert "Test accuracy of scikit-learn's" not in out


# ---------------------------------------------------------------- plots


def _assert_png_picture(path, min_width, min_height):
    image = matplotlib_image().imread(path)
    height, width = image.shape[:2]
    assert width >= min_width and height >= min_height
    assert float(np.var(image[..., :3])) > 1e-3  # not blank


def matplotlib_image():
    return pytest.importorskip("matplotlib.image", reason="matplotlib is not installed")


def test_train_plot_saves_the_loss_curves(capsys, tmp_path):
    matplotlib_image()
    path = tmp_path / "loss.png"
    status, out, err = run(capsys, "train", "--epochs", "20", "--plot", str(path))
    assert status == 0, err
    assert out.splitlines()[-1] == f"Loss curves saved to {path}"
    _assert_png_picture(path, 1200, 300)  # three panels side by side


def test_compare_plot_saves_a_box_plot(capsys, tmp_path):
    matplotlib_image()
    path = tmp_path / "accuracy.png"
    status, out, err = run(capsys, "compare", "--cv", "3", "-q", "--plot", str(path))
    assert status == 0, err
    _assert_png_picture(path, 600, 300)


@pytest.mark.parametrize("name", ["picture.jpg", "missing-folder/picture.png"])
def test_plot_path_checked_before_training(capsys, tmp_path, name):
    status, out, err = run(capsys, "train", "sigmoid", "--plot", str(tmp_path / name))
    assert_one_error_line(status, out, err)
    assert "--plot" in err


def _distinct_colours(path):
    image = matplotlib_image().imread(path)
    return len(np.unique(image.reshape(-1, image.shape[-1]), axis=0))


def test_train_plot_is_a_picture_with_a_note_under_the_perceptron(capsys, tmp_path):
    path = tmp_path / "loss.png"
    status, out, err = run(capsys, "train", "perceptron", "--epochs", "20", "-q",
                           "--plot", str(path))
    assert status == 0, err
    assert _distinct_colours(path) > 50  # curve, text and anti-aliasing: not blank
    from sknn_basic.cli import train

    assert "not a fault" in train.PERCEPTRON_PLOT_NOTE


# ---------------------------------------------------------------- gates


def gate_tables(out):
    """gate title -> (rows of (inputs, target, answer), verdict line)."""
    tables, title = {}, None
    for line in out.splitlines():
        if re.match(r"^(AND|OR|NOT|XOR), ", line):
            title, rows = line, []
            tables[title] = (rows, None)
        elif title and re.match(r"^ +\d", line):
            *inputs, target, answer = [int(v) for v in re.findall(r"\d+", line)]
            rows.append((inputs, target, answer))
        elif title and line.startswith("  ") and ("learnt" in line):
            tables[title] = (rows, line.strip())
    return tables


def test_gates_prints_each_truth_table_learnt(capsys):
    status, out, err = run(capsys, "gates")
    assert status == 0 and err == ""
    tables = gate_tables(out)
    titles = list(tables)
    assert [t.split(",")[0] for t in titles] == ["AND", "OR", "NOT", "XOR", "XOR"]
    assert "perceptron, w = " in titles[0] and titles[4].startswith("XOR, network with 4 hidden")
    expected = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NOT": [1, 0], "XOR": [0, 1, 1, 0]}
    for title, (rows, verdict) in tables.items():
        gate = title.split(",")[0]
        assert [target for _, target, _ in rows] == expected[gate]
        right = all(target == answer for _, target, answer in rows)
        assert verdict.startswith("learnt" if right else "NOT learnt"), title
    # The perceptron learns AND, OR and NOT and fails XOR; the network learns XOR.
    verdicts = [verdict for _, verdict in tables.values()]
    assert [v.startswith("learnt") for v in verdicts] == [True, True, True, False, True]
    assert "no straight line" in verdicts[3]
    assert "wrong" in out.split("XOR, perceptron")[1].split("XOR, network")[0]


def test_gates_match_the_estimators(capsys):
    # The printed answers are those of the estimators with the documented settings.
    from sknn_basic import PerceptronClassifier, TwoLayerBackpropClassifier
    from sknn_basic.cli.gates import GATES, NETWORK_SETTINGS, PERCEPTRON_SETTINGS

    status, out, _ = run(capsys, "gates", "--seed", "3", "--hidden", "5", "--epochs", "800")
    assert status == 0
    tables = list(gate_tables(out).values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (gate, (X, y)), (rows, _) in zip(GATES.items(), tables):
            answers = PerceptronClassifier(**PERCEPTRON_SETTINGS).fit(X, y).predict(X)
            assert [a for _, _, a in rows] == answers.tolist(), gate
        network = TwoLayerBackpropClassifier(
            **{**NETWORK_SETTINGS, "random_state": 3, "n_hidden": 5, "max_iter": 800}
        ).fit(*GATES["XOR"])
    assert [a for _, _, a in tables[4][0]] == network.predict(GATES["XOR"][0]).tolist()
    assert "XOR, network with 5 hidden unit(s), 800 epochs:" in out


@pytest.mark.parametrize("seed", range(5))
def test_the_network_learns_xor_from_several_seeds(capsys, seed):
    status, out, _ = run(capsys, "gates", "--seed", str(seed), "-q")
    assert status == 0
    rows, verdict = list(gate_tables(out).values())[4]
    assert verdict == "learnt: every row right"


def test_gates_refuses_a_network_too_large_for_the_memory(capsys, monkeypatch):
    from sknn_basic.cli import _memory

    monkeypatch.setattr(_memory, "available_bytes", lambda: 10**6)
    status, out, err = run(capsys, "gates", "--hidden", "1000000")
    assert status == 3 and out == ""
    assert "choose --hidden H with H at most" in err


def test_gates_plot_draws_every_panel(capsys, tmp_path):
    path = tmp_path / "gates.png"
    status, out, err = run(capsys, "gates", "--plot", str(path))
    assert status == 0, err
    assert out.splitlines()[-1] == f"Gates saved to {path}"
    _assert_png_picture(path, 1800, 350)  # five panels side by side
    assert _distinct_colours(path) > 50
    image = matplotlib_image().imread(path)
    # Each fifth of the picture (a panel) holds both region colours: a
    # blank or one-colour panel would not.
    red, blue = np.array([0xF4, 0xC7, 0xC3]) / 255, np.array([0xC6, 0xDB, 0xEF]) / 255
    width = image.shape[1]
    for k in range(5):
        panel = image[:, k * width // 5:(k + 1) * width // 5, :3]
        for colour in (red, blue):
            assert np.any(np.all(np.abs(panel - colour) < 2 / 255, axis=-1)), (k, colour)


# ----------------------------------------------------------- subprocess II


def _run_module(tmp_path, argv, *, pythonpath=None, **kwargs):
    env = _environment()
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "sknn_basic", *argv],
        text=True, cwd=tmp_path, env=env, timeout=120, **kwargs,
    )


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path):
    hidden = tmp_path / "hide"
    (hidden / "matplotlib").mkdir(parents=True)
    (hidden / "matplotlib" / "__init__.py").write_text(
        "raise ImportError('No module named matplotlib (hidden by the test)')\n"
    )
    done = _run_module(tmp_path, ["train", "sigmoid", "--plot", "out.png"], pythonpath=hidden,
                       capture_output=True)
    assert done.returncode == 5
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "sknn-basic: error: --plot needs matplotlib, which is not installed; install it "
        'with: pip install "sknn-basic[plot]"'
    ]


def test_full_output_in_a_real_process(tmp_path):
    with open("/dev/full", "w") as full:
        done = _run_module(tmp_path, ["train", "sigmoid", "--epochs", "5"], stdout=full,
                           stderr=subprocess.PIPE)
    assert done.returncode == 4
    assert done.stderr.splitlines() == [
        "sknn-basic: error: the output could not be written: No space left on device"
    ]


def test_closed_pipe_and_closed_stdout(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = _run_module(tmp_path, ["train", "sigmoid", "--epochs", "5"], stdout=write_end,
                           stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert done.returncode == 4
    assert done.stderr.splitlines() == [
        "sknn-basic: error: the output could not be written: Broken pipe"
    ]
    done = subprocess.run(
        ["sh", "-c", f'exec "{sys.executable}" -m sknn_basic train sigmoid --epochs 5 >&-'],
        capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120,
    )
    assert done.returncode == 4
    assert done.stderr.splitlines() == [
        "sknn-basic: error: the output could not be written: standard output is closed"
    ]


_INTERRUPT_ON_IMPORT = """
import importlib.abc, os, signal, sys

class _Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, _Interrupt())
"""


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize(
    "module",
    ["sknn_basic.cli.train", "sklearn.utils"],
)
def test_ctrl_c_during_start_up_imports(tmp_path, module):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_INTERRUPT_ON_IMPORT.format(module=module))
    done = _run_module(tmp_path, ["train", "sigmoid", "--epochs", "5"], pythonpath=hook,
                       capture_output=True)
    assert done.stderr.splitlines() == ["sknn-basic: interrupted"]
    assert done.returncode == 130
    assert done.stdout == ""


# ------------------------------------------------------ documentation


ROOT = Path(__file__).resolve().parents[1]


def test_readme_documents_every_exit_status():
    from sknn_basic.cli import _errors

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Command line"):]
    section = section[: section.index("\n## ", 3)]
    documented = {int(n) for n in re.findall(r"^\| (\d+) \|", section, flags=re.M)}
    statuses = {value for name, value in vars(_errors).items()
                if name.isupper() and isinstance(value, int)}
    assert documented == statuses


def test_inside_one_step_page_shows_the_real_output(capsys):
    page = (ROOT / "docs" / "user_guide" / "inside_one_step.rst").read_text()
    blocks = re.findall(r"\.\. code-block:: console\n\n(.*?)\n\n(?=\S)", page, flags=re.S)
    assert len(blocks) == 2
    for block in blocks:
        # The block fits the page: 100 characters of output, indented by 3.
        assert max(len(line) for line in block.splitlines()) <= 103
        command, *shown = [line[3:] for line in block.splitlines()]
        assert command.startswith("$ sknn-basic ")
        status, out, _ = run(capsys, *command.split()[2:])
        assert status == 0
        assert_same_lines(out.splitlines(), shown)
