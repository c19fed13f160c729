"""The README's examples run and print what they say, and its commands are the real ones."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def _run(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    return out.getvalue()


def test_three_examples_of_at_most_three_lines():
    blocks = _blocks("python")
    assert len(blocks) == 3
    assert all(len(block.strip().splitlines()) <= 3 for block in blocks)


def test_perceptron_example_prints_and_gate():
    assert _run(_blocks("python")[0]).strip() == "[1 0]"


@pytest.mark.parametrize("index", [1, 2])
def test_network_examples_print_an_accuracy(index):
    accuracy = float(_run(_blocks("python")[index]).strip())
    assert 0.6 <= accuracy <= 1.0


def test_ci_runs_the_readme_test_command():
    commands = _blocks("bash")
    test_command = next(c.strip() for c in commands if "pytest" in c)
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci
    main_job = commands[0].strip()
    assert main_job.startswith("pip install . && sknn-basic ")
