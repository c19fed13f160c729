"""The ``sknn-basic`` command line (``sknn_basic.cli``) and ``python -m sknn_basic``.

Most tests call ``main(argv)`` in-process and read the output with
``capsys``; a few run the installed entry points in a subprocess to check the
real exit status and that no traceback escapes (Ctrl-C, a full or closed
standard output, matplotlib missing).  Epoch counts are kept small.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from sknn_basic import _lessons
from sknn_basic.cli import main, reproduce

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
    assert lines[-1].startswith(f"Test accuracy of scikit-learn's {counterpart}(")
    assert ACCURACY.search(lines[-1])
    assert "Traceback" not in err and "Warning:" not in err


def test_train_backprop_defaults_learn_without_rising_loss(capsys):
    status, out, err = run(capsys, "train", "backprop")
    assert status == 0
    epochs = epoch_lines(out)
    assert [int(EPOCH_LINE.match(line).group(1)) for line in epochs] == list(range(0, 100, 10))
    assert not any("WARNING" in line for line in epochs)
    losses = [float(EPOCH_LINE.match(line).group(2)) for line in epochs]
    assert losses[-1] < losses[0] - 0.1
    accuracy = float(ACCURACY.search(out.splitlines()[-2]).group(1))
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
    assert "hidden_layer_sizes=(3,)" in out.splitlines()[-1]
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
    assert "Perceptron(" in out.splitlines()[-1]
    notes = err.strip().splitlines()
    assert notes and all(line.startswith("sknn-basic: note: ") for line in notes)
    assert any("PerceptronClassifier" in line and "ConvergenceWarning" in line for line in notes)
    assert "warnings.warn" not in err and "Traceback" not in err


def test_quiet_leaves_only_the_results(capsys):
    status, out, err = run(capsys, "train", "perceptron", "--quiet")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Test accuracy of PerceptronClassifier: ")
    assert lines[1].startswith("Test accuracy of scikit-learn's Perceptron(")
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
    s3 = reference["S3_sigmoid_gd_admissions"]
    s6 = reference["S6_backprop_admissions"]
    golden = s3["weights"] + s3["train_mse_every_100_epochs"] + [s3["test_accuracy"]]
    golden += [w for row in s6["weights_input_hidden"] for w in row]
    golden += s6["weights_hidden_output"] + [s6["test_accuracy"]]
    for line, value in zip(figures, golden):
        shown, expected = re.findall(r"-?\d+\.\d{12}", line)
        assert expected == f"{value:.12f}"
        assert abs(float(shown) - value) < 1e-8
    assert err == ""


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


def test_reproduce_needs_data(capsys):
    status, out, err = run(capsys, "reproduce")
    assert_one_error_line(status, out, err)
    assert "--data" in err
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


@pytest.mark.parametrize("argv", [[], ["train"], ["reproduce"], ["compare"]])
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
    assert lines[-1].startswith("Test accuracy of scikit-learn's LogisticRegression(")
    assert done.stderr == ""


def test_python_dash_m_bad_option_has_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sknn_basic", "train", "sigmoid", "--epochs", "abc"],
        capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "sknn-basic: error: argument --epochs: must be a whole number >= 1, got 'abc' "
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
    assert len(done.stdout.splitlines()) == 2 and done.stderr == ""
    done = subprocess.run(
        [script, "compare", "--data", str(wrong_column_csv)],
        capture_output=True, text=True, cwd=tmp_path, env=_environment(), timeout=120,
    )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
