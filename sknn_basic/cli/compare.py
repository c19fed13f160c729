"""``sknn-basic compare``: cross-validate the three models and their scikit-learn counterparts."""

from . import _data, _parser, _plot
from ._errors import OK, UsageError
from ._registry import compare_models


def add_parser(commands):
    """Add the ``compare`` subparser to ``commands``."""
    compare = commands.add_parser(
        "compare",
        parents=[_parser.data_parent(),
                 _parser.plot_parent("a box plot of each model's accuracy over the folds"),
                 _parser.quiet_parent()],
        help="cross-validate the three models and their scikit-learn counterparts",
        description="Stratified K-fold cross-validation (shuffled, random_state=0) "
        "of the three estimators and their scikit-learn counterparts at their "
        "defaults (random_state=0 where they take one), plus the majority-class "
        "baseline, each inside make_pipeline(AdmissionsPreprocessor(), model) on "
        "the raw gre, gpa and rank columns, so the preparation is fitted on the "
        "training folds only. Prints the mean and standard deviation of the "
        "accuracy over the folds and the mean fit time.",
    )
    compare.add_argument(
        "--cv", type=_parser.fold_count, default=10, metavar="K",
        help="number of folds (default: 10)",
    )
    compare.set_defaults(handler=run)


def _check_folds(frame, folds, where):
    counts = frame["admit"].value_counts()
    if len(counts) < 2:
        raise UsageError(
            f"column 'admit' of {where} holds only one class; cross-validation needs "
            f"admitted and rejected rows: pass another file with --data PATH"
        )
    smallest = int(counts.min())
    if smallest < 2:
        raise UsageError(
            f"{where} has only {smallest} row of its rarer class of 'admit'; "
            f"cross-validation needs at least 2 of each class: pass a larger file "
            f"with --data PATH"
        )
    if folds > smallest:
        raise UsageError(
            f"--cv {folds} is more folds than the rarer class of 'admit' has rows "
            f"({smallest}); choose --cv K with K from 2 to {smallest}"
        )


def run(args, printer):
    """Cross-validate every model; returns the exit status."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline

    from ..preprocessing import AdmissionsPreprocessor

    plot_path = _plot.check_plot_path(args.plot)
    frame, data_text = _data.load(printer, args.data)
    _check_folds(frame, args.cv, _data.describe(args.data))
    printer.say(data_text)
    X = frame[["gre", "gpa", "rank"]]
    y = frame["admit"]
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=0)
    printer.say(
        f"Cross-validation: stratified {args.cv}-fold (shuffled, random_state=0); "
        f"each model in make_pipeline(AdmissionsPreprocessor(), model) on gre, gpa, "
        f"rank, preparation fitted on the training folds only"
    )

    first_train, _ = next(cv.split(X, y))
    models = compare_models()
    rows = []
    for position, (name, package, estimator) in enumerate(models, start=1):
        pipeline = make_pipeline(AdmissionsPreprocessor(), estimator)
        progress = f"[{position}/{len(models)}] cross-validating {name} ..."
        # One untimed warm-up fit on the first training fold, so that one-off
        # costs (lazy imports, first-touch memory)
        # do not count as fit time; its warnings repeat those of the folds.
        printer.run(
            name, lambda: clone(pipeline).fit(X.iloc[first_train], y.iloc[first_train]),
            progress=progress, report=False,
        )
        scores = printer.run(
            name, lambda: cross_validate(pipeline, X, y, cv=cv, error_score="raise"),
            progress=progress, fits=args.cv,
        )
        rows.append((name, package, scores["test_score"], 1000 * scores["fit_time"].mean()))

    printer.result(f"{'model':<28} {'package':<13} {'accuracy':>8} {'sd':>7} {'fit time':>10}")
    for name, package, accuracy, fit_ms in rows:
        printer.result(
            f"{name:<28} {package:<13} {accuracy.mean():>8.4f} {accuracy.std():>7.4f} "
            f"{fit_ms:>7.1f} ms"
        )
    printer.say(
        f"(accuracy: mean over the {args.cv} test folds; sd: their standard "
        f"deviation; fit time: mean per fold, preparation included)"
    )
    if plot_path is not None:
        _plot.save_accuracy_boxes(plot_path, [row[:3] for row in rows], args.cv)
        printer.say(f"Box plot saved to {plot_path}")
    return OK
