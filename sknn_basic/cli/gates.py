"""``sknn-basic gates``: the course's first story, the logic gates.

The perceptron learns AND, OR and NOT and fails XOR, whose classes no
straight line separates; a network with one hidden layer learns XOR.  The
command prints each truth table learnt and, with ``--plot``, draws each
gate's points and decision boundary, XOR's failure beside its solution.
:func:`draw_gates` is also what the gallery's example draws with.
"""

from . import _memory, _parser, _plot
from ._errors import OK
from ._registry import apply_hidden, network_class

#: The gates: inputs (one row per case) and the target of each row.
GATES = {
    "AND": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]),
    "OR": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]),
    "NOT": ([[0], [1]], [1, 0]),
    "XOR": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]),
}

#: The lessons' perceptron (S1): Rosenblatt's rule with a bias, step 1, the
#: rows in the table's order, from zero weights; it stops once an epoch
#: makes no mistake.
PERCEPTRON_SETTINGS = dict(learning_rate=1.0, shuffle=False, max_iter=100, tol=None,
                           random_state=0)
#: The network that learns XOR: sigmoid hidden units, the whole table as one
#: batch, every epoch run.  Four hidden units learn XOR from every seed tried
#: (0 to 19); two, the fewest that can, fail from some.
NETWORK_SETTINGS = dict(n_hidden=4, batch_size=None, max_iter=1000, tol=None, random_state=0)


def add_parser(commands):
    """Add the ``gates`` subparser to ``commands``."""
    gates = commands.add_parser(
        "gates",
        parents=[_parser.plot_parent("each gate's points and decision boundary, "
                                     "XOR's failure beside its solution"),
                 _parser.quiet_parent()],
        help="the perceptron learns AND, OR and NOT and fails XOR; a hidden layer learns XOR",
        description="Train Rosenblatt's perceptron (learning rate 1, the rows in the "
        "table's order, from zero weights) on the truth tables of AND, OR, NOT and "
        "XOR, and a network with one hidden layer of sigmoid units on XOR; print "
        "each truth table with what the model answers.",
    )
    gates.add_argument(
        "--epochs", type=_parser.epoch_count, metavar="N",
        help=f"epochs of the network (default {NETWORK_SETTINGS['max_iter']}), from 1 "
        f"to {_parser.EPOCHS_MAX}",
    )
    _parser.add_model_options(
        gates, learning_rate_help="the network's step size (default 0.5)",
        hidden=f"the network's; default {NETWORK_SETTINGS['n_hidden']}",
        seed_help="random_state of the network's initial weights (default 0)",
    )
    gates.set_defaults(handler=run)


def network_settings(args=None):
    """:data:`NETWORK_SETTINGS` with the command line's options applied."""
    settings = dict(NETWORK_SETTINGS)
    for option, param in (("epochs", "max_iter"), ("learning_rate", "learning_rate"),
                          ("seed", "random_state")):
        value = getattr(args, option, None)
        if value is not None:
            settings[param] = value
    if getattr(args, "hidden", None) is not None:
        apply_hidden(settings, args.hidden)
    return settings


def learn_gates(printer=None, settings=None):
    """Train the perceptron on every gate and the network on XOR.

    Returns
    -------
    list of (str, str, list, list, estimator)
        ``(gate, model, inputs, targets, fitted estimator)``, the
        perceptron's four gates, then the network's XOR.
    """
    from sknn_basic import PerceptronClassifier

    def fit(who, estimator, X, y):
        if printer is None:
            return estimator.fit(X, y)
        # The perceptron's warning that XOR is not separable is the lesson:
        # the table says it, so it is not repeated as a note.
        return printer.run(who, lambda: estimator.fit(X, y), report=False)

    results = []
    for gate, (X, y) in GATES.items():
        model = fit(gate, PerceptronClassifier(**PERCEPTRON_SETTINGS), X, y)
        results.append((gate, "perceptron", X, y, model))
    X, y = GATES["XOR"]
    settings = settings or NETWORK_SETTINGS
    network = network_class(settings)(**settings)
    results.append(("XOR", "network", X, y, fit("XOR network", network, X, y)))
    return results


def _model_text(model, estimator):
    if model == "perceptron":
        w = ", ".join(f"{v:g}" for v in estimator.coef_[0])
        return f"perceptron, w = [{w}], b = {estimator.intercept_[0]:g}"
    sizes = getattr(estimator, "hidden_layer_sizes", None)
    if sizes is not None:
        return (f"network with hidden layers of {', '.join(map(str, sizes))} unit(s), "
                f"{estimator.n_iter_} epochs")
    return f"network with {estimator.n_hidden} hidden unit(s), {estimator.n_iter_} epochs"


def truth_table(gate, model, X, y, estimator):
    """The lines of one learnt truth table, then one line of verdict."""
    answers = estimator.predict(X)
    names = [f"x{i + 1}" for i in range(len(X[0]))]
    lines = [f"  {'  '.join(names)}  | target | answer"]
    for row, target, answer in zip(X, y, answers):
        mark = "" if answer == target else "  wrong"
        inputs = "  ".join(f"{v:>2d}" for v in row)
        lines.append(f"  {inputs}  |   {target}    |   {answer}{mark}")
    wrong = int(sum(a != t for a, t in zip(answers, y)))
    if wrong == 0:
        if model == "perceptron":
            last = estimator.n_iter_ - 1
            verdict = (f"learnt: every row right; epoch {last} made no mistake, which "
                       f"stopped the rule (epochs count from 0)")
        else:
            verdict = "learnt: every row right"
    else:
        verdict = (f"NOT learnt: {wrong} of {len(y)} rows wrong after "
                   f"{estimator.n_iter_} epochs")
        if model == "perceptron" and gate == "XOR":
            verdict += "; no straight line can separate XOR's classes"
    return lines + [f"  {verdict}"], wrong


def draw_gates(figure, results):
    """Draw each gate's points and decision regions on ``figure``, one panel each.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        An empty figure.
    results : list of (str, str, list, list, estimator)
        As :func:`learn_gates` returns them.
    """
    import numpy as np

    axes = figure.subplots(1, len(results), squeeze=False)[0]
    grid = np.linspace(-0.5, 1.5, 201)
    g1, g2 = np.meshgrid(grid, grid)
    for ax, (gate, model, X, y, estimator) in zip(axes, results):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        if X.shape[1] == 1:
            # NOT has one input: its points lie on the x1 axis, and the
            # boundary is a point of it, drawn as a vertical line.
            answer = estimator.predict(g1.reshape(-1, 1)).reshape(g1.shape)
            points = np.column_stack([X[:, 0], np.zeros(len(X))])
        else:
            answer = estimator.predict(np.column_stack([g1.ravel(), g2.ravel()]))
            answer = answer.reshape(g1.shape)
            points = X
        ax.contourf(g1, g2, answer, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"])
        if answer.min() != answer.max():
            ax.contour(g1, g2, answer, levels=[0.5], colors="black", linewidths=1.5)
        wrong = estimator.predict(X) != y
        for target, color in ((0, "tab:red"), (1, "tab:blue")):
            mine = y == target
            ax.scatter(points[mine, 0], points[mine, 1], s=120, color=color,
                       edgecolor="black", zorder=3, label=f"target {target}")
        if wrong.any():
            ax.scatter(points[wrong, 0], points[wrong, 1], s=400, facecolors="none",
                       edgecolors="black", linewidths=2, zorder=4, label="answered wrong")
            ax.legend(loc="upper left", fontsize="small")
        verdict = f"{int(wrong.sum())} of {len(y)} wrong" if wrong.any() else "all right"
        ax.set_title(f"{gate}, {model}: {verdict}")
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(-0.5, 1.5)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2" if X.shape[1] == 2 else "(one input)")
        ax.set_aspect("equal")
    axes[0].legend(loc="upper left", fontsize="small")
    figure.suptitle("Shaded: the answer of the model (blue 1, red 0); line: its decision "
                    "boundary")


def run(args, printer):
    """Train and print the gates; returns the exit status."""
    plot_path = _plot.check_plot_path(args.plot)
    settings = network_settings(args)
    _memory.check_network_fits(settings.get("hidden_layer_sizes", settings.get("n_hidden")),
                               2, 4, 4)
    results = learn_gates(printer, settings)
    printer.say("Rosenblatt's perceptron (learning rate 1, rows in the table's order, from "
                "zero weights)")
    printer.say("on four gates, then a network with "
                + ("hidden layers" if "hidden_layer_sizes" in settings else "one hidden layer")
                + " on XOR")
    for gate, model, X, y, estimator in results:
        printer.result()
        printer.result(f"{gate}, {_model_text(model, estimator)}:")
        lines, _ = truth_table(gate, model, X, y, estimator)
        for line in lines:
            printer.result(line)
    printer.say()
    printer.say("The perceptron draws one straight line: enough for AND, OR and NOT, "
                "not for XOR.")
    printer.say("The hidden layer draws several lines and combines them, which XOR needs.")
    if plot_path is not None:
        _plot.save_figure(plot_path, lambda figure: draw_gates(figure, results),
                          (4.0 * len(results), 4.4))
        printer.say(f"Gates saved to {plot_path}")
    return OK
