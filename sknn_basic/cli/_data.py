"""The data of a command: the file (or the synthetic set), the lessons' split, the baseline.

Data a command cannot use are refused here with advice the command-line user
can follow (a larger ``--data`` file, fewer ``--cv`` folds), before a library
function would give advice meant for Python callers.
"""

import numpy as np

from ._errors import UsageError

#: The lessons' split keeps round(0.9 n) rows for training and the rest for
#: testing; from 5 rows on, both sides get at least one.
MIN_SPLIT_ROWS = 5


def load(printer, path):
    """The admissions frame and the line that describes it."""
    from ..datasets import load_admissions, load_default_admissions

    if path is None:
        frame = printer.run("data", load_default_admissions)
        text = (
            f"Data: synthetic admissions data ({len(frame)} rows, calibrated to the "
            f"published facts); pass --data PATH for the real file"
        )
    else:
        frame = printer.run("data", lambda: load_admissions(path))
        text = f"Data: {path} ({len(frame)} rows, {int(frame['admit'].sum())} admitted)"
    return frame, text


def lesson_split(printer, frame, where):
    """The lessons' split (S7) of ``frame``: X_train, X_test, y_train, y_test."""
    from ..datasets import lessons_features

    if len(frame) < MIN_SPLIT_ROWS:
        raise UsageError(
            f"{where} has {len(frame)} data row(s); the lessons' split (90 % "
            f"training, 10 % test rows) needs at least {MIN_SPLIT_ROWS}: pass a "
            f"larger file with --data PATH"
        )
    X_train, X_test, y_train, y_test = printer.run("data", lambda: lessons_features(frame))
    if y_train.nunique() < 2:
        raise UsageError(
            f"the lessons' training rows of {where} hold only one class of 'admit' "
            f"({y_train.iloc[0]}); the data need both admitted and rejected rows: "
            f"pass another file with --data PATH"
        )
    return X_train, X_test, y_train, y_test


def describe(path):
    """How messages name the data: the file, or the synthetic data."""
    return "the synthetic data" if path is None else repr(str(path))


def accuracy_text(y_true, y_pred):
    correct = int(np.sum(np.asarray(y_true) == np.asarray(y_pred)))
    total = len(y_true)
    return f"{correct / total:.4f} ({correct} of {total} test rows)"


def majority_baseline(y_train, y_test):
    """``(accuracy, text)`` of always answering the training rows' majority class."""
    values, counts = np.unique(np.asarray(y_train), return_counts=True)
    majority = values[np.argmax(counts)]
    answer = {0: '"not admitted" (0)', 1: '"admitted" (1)'}.get(int(majority), repr(majority))
    predicted = np.full(len(y_test), majority)
    accuracy = float(np.mean(np.asarray(y_test) == predicted))
    return accuracy, (
        f"Baseline: always answering {answer}, the majority class of the training "
        f"rows, scores {accuracy_text(y_test, predicted)}"
    )


def baseline_verdict(scores, baseline):
    """A sentence for the models at or below the baseline, or None.

    Parameters
    ----------
    scores : list of (str, float)
        ``(who, test accuracy)``.
    baseline : float
        The majority-class accuracy.
    """
    low = [who for who, score in scores if score <= baseline]
    if not low:
        return None
    subject = " and ".join(low)
    verb = "is" if len(low) == 1 else "are"
    return (
        f"Note: {subject} {verb} at or below the baseline {baseline:.4f}: on these test "
        f"rows {'it does' if len(low) == 1 else 'they do'} no better than always giving "
        f"the majority answer"
    )
