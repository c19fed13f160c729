"""``--plot FILE.png``: the pictures of ``train``, ``compare`` and ``gates``.

matplotlib is optional (the extra ``plot``).  :func:`check_plot_path` runs
before any training, so that a missing matplotlib or an unwritable path is
reported at once rather than after the work.  The figures are drawn with
matplotlib's object interface on an Agg canvas: no window, no global pyplot
state.
"""

import textwrap
from pathlib import Path

from ._errors import MissingPackageError, UsageError

INSTALL_HINT = 'pip install "sknn-basic[plot]"'


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingPackageError(
            f"--plot needs matplotlib, which is not installed; install it with: {INSTALL_HINT}"
        ) from None
    return Figure, FigureCanvasAgg


def check_plot_path(path):
    """Refuse a ``--plot`` that cannot work, before anything is trained."""
    if path is None:
        return None
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise UsageError(f"--plot {path!r}: the picture is a PNG image; name a file ending in .png")
    if not target.parent.is_dir():
        raise UsageError(
            f"--plot {path!r}: the folder {str(target.parent)!r} does not exist; "
            f"create it or name another file"
        )
    _matplotlib()
    return target


def _save(figure, canvas_class, path):
    canvas_class(figure)
    try:
        figure.savefig(path, dpi=100)
    except OSError as exc:
        raise UsageError(f"--plot: cannot write {str(path)!r}: {exc.strerror or exc}") from None


def save_figure(path, draw, size):
    """Save what ``draw(figure)`` draws on a new figure of ``size`` inches."""
    Figure, FigureCanvasAgg = _matplotlib()
    figure = Figure(figsize=size, layout="constrained")
    draw(figure)
    _save(figure, FigureCanvasAgg, path)


def save_loss_curves(path, curves):
    """One panel per model: its training loss per epoch, and validation loss if any.

    Epochs count from 0, as ``loss_curve_``'s index and the printed lines do:
    the point at epoch ``e`` is ``loss_curve_[e]``.

    Parameters
    ----------
    path : Path
        The PNG file.
    curves : list of (str, str, list, list or None, str or None)
        ``(model, what the loss is, loss_curve_, validation_loss_curve_,
        a sentence under the panel)``.
    """
    Figure, FigureCanvasAgg = _matplotlib()
    figure = Figure(figsize=(5.0 * len(curves), 4.3), layout="constrained")
    axes = figure.subplots(1, len(curves), squeeze=False)[0]
    for ax, (model, what, training, validation, note) in zip(axes, curves):
        ax.plot(range(len(training)), training, label="training", color="tab:blue")
        if validation:
            ax.plot(range(len(validation)), validation, label="validation",
                    color="tab:orange")
        ax.set_title(model)
        ax.set_xlabel("epoch (from 0: the point at e is loss_curve_[e])")
        # Long descriptions on two lines, or the panel's height cuts them.
        ax.set_ylabel(textwrap.fill(what, 38))
        ax.grid(alpha=0.3)
        ax.legend()
        if note:
            ax.text(0.5, -0.2, textwrap.fill(note, 60), transform=ax.transAxes,
                    ha="center", va="top", fontsize="small", style="italic")
    _save(figure, FigureCanvasAgg, path)


def save_accuracy_boxes(path, rows, folds):
    """A box plot of the test-fold accuracies of each model.

    Parameters
    ----------
    path : Path
        The PNG file.
    rows : list of (str, str, ndarray)
        ``(model, package, accuracy of each test fold)``.
    folds : int
        Number of folds, for the title.
    """
    Figure, FigureCanvasAgg = _matplotlib()
    figure = Figure(figsize=(9.0, 4.5), layout="constrained")
    ax = figure.subplots()
    scores = [scores for _, _, scores in rows]
    try:
        ax.boxplot(scores, orientation="horizontal")
    except TypeError:  # matplotlib before 3.10 knows only vert=
        ax.boxplot(scores, vert=False)
    ax.set_yticks(range(1, len(rows) + 1),
                  [f"{name} ({package})" for name, package, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel(f"accuracy on each of the {folds} test folds")
    ax.set_title("Cross-validated accuracy per model")
    ax.grid(axis="x", alpha=0.3)
    _save(figure, FigureCanvasAgg, path)
