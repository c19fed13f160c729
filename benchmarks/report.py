"""Writing the suite's results: ``results.md`` and the log-log figures of fit time against n."""

import textwrap
from pathlib import Path

import numpy as np

from . import time_to_model

__all__ = ["slope", "write_figures", "write_report"]

SLOPE_TARGET = 1.1

SECTIONS = [
    ("fit", "Fit time on W1 and W2"),
    ("cv", "Cross-validation on the admissions data (W3)"),
    ("predict", "predict on W1"),
    ("fixed", "Fixed cost of a fit call on the lessons' 360 rows (S7)"),
    ("float32", "float32 against float64 on W1 (sknn-basic on both sides)"),
    ("torch", "The networks against PyTorch on W1"),
    ("memory", "Peak memory during fit on W1"),
    ("lessons", "Against the lessons' per-record loops (S3, S6), for information"),
    ("fresh", "Fresh processes of the default install"),
    ("loader", "Reading the admissions file: load_admissions against pandas.read_csv"),
    ("dask", "On a Dask cluster: full-batch epochs against the same fit in memory, and dask-ml"),
    ("onnx", "ONNX Runtime against predict, for information"),
    (time_to_model.SECTION, time_to_model.TITLE),
]


def slope(points, attribute):
    """Least-squares slope of log(time) against log(n)."""
    if len(points) < 2:
        return float("nan")
    n = np.log([p.n_samples for p in points])
    t = np.log([getattr(p, attribute) for p in points])
    return float(np.polyfit(n, t, 1)[0])


def _value(value, unit):
    if unit == "B":
        if value >= 2**20:
            return f"{value / 2**20:.1f} MiB"
        return f"{value / 2**10:.1f} KiB"
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def _ratio(ratio):
    if ratio < 0.01:
        return f"{ratio:.2g} (1/{1 / ratio:.0f})"
    return f"{ratio:.2f}"


def _compared(row):
    """The ratio, or for a difference row the signed difference."""
    if row.compare == "difference":
        sign = "+" if row.value >= 0 else "−"
        return sign + _value(abs(row.value), row.unit)
    return _ratio(row.ratio)


def _accuracy(row):
    if row.accuracy is None:
        return "–"
    ours, theirs = row.accuracy
    text = f"{100 * ours:.2f} / {100 * theirs:.2f}"
    if row.accuracy_tolerance is not None:
        text += f" (Δ {100 * (ours - theirs):+.2f}, min −{row.accuracy_tolerance:g})"
    return text


def _n_iter(row):
    if row.n_iter is None:
        return "–"
    return f"{row.n_iter[0]} / {row.n_iter[1]}"


def _target(row):
    return "–" if row.informational else f"<= {row.target_text}"


def _status(row):
    return row.status if row.passed else f"**{row.status}**"


def _escape(text):
    return str(text).replace("|", "\\|")


def scaling_groups(points):
    groups = {}
    for point in points:
        groups.setdefault(point.pair, []).append(point)
    for values in groups.values():
        values.sort(key=lambda p: p.n_samples)
    return groups


def _figure_name(pair):
    first = pair.split("/")[0].strip().split("(")[0]
    return {
        "PerceptronClassifier": "scaling_perceptron.png",
        "SigmoidGDClassifier": "scaling_sigmoid_gd_vs_sgd.png",
        "TwoLayerBackpropClassifier": "scaling_backprop_vs_mlp.png",
    }.get(first, "scaling_" + "".join(c if c.isalnum() else "_" for c in first).lower() + ".png")


def write_figures(points, out_dir, repeats, specs):
    """One log-log figure per estimator pair; returns {pair: file name}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = {}
    for pair, values in scaling_groups(points).items():
        n = np.array([p.n_samples for p in values])
        fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
        sknn_spec, other_spec = specs.get(pair, (None, None))
        for attribute, label, marker in (("sknn", "sknn-basic", "o"),
                                         ("other", "scikit-learn", "s")):
            t = np.array([getattr(p, attribute) for p in values])
            name = (sknn_spec if attribute == "sknn" else other_spec)
            name = name.name if name is not None else label
            ax.loglog(n, t, marker=marker, label=f"{name} ({label}), slope "
                      f"{slope(values, attribute):.2f}")
        # A slope-1 guide through sknn's first point.
        first = values[0].sknn
        ax.loglog(n, first * n / n[0], linestyle=":", color="grey", label="slope 1 (linear)")
        ax.set_xlabel("training samples (W1 generator, 50 features)")
        ax.set_ylabel(f"fit time, s (median of {repeats})")
        title = pair
        if sknn_spec is not None:
            # Wrapped: the settings are longer than the figure is wide.
            title += "\n" + "\n".join(textwrap.wrap(sknn_spec.text(), 100))
        ax.set_title(title, fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = _figure_name(pair)
        fig.savefig(Path(out_dir) / name)
        plt.close(fig)
        names[pair] = name
    return names


def _row_table(rows):
    lines = [
        "| row | pair | setting | metric | sknn-basic | other | ratio | target | "
        "accuracy % sknn / other | epochs | result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| `{row.key}` | {_escape(row.pair)} | {_escape(row.setting)} | {row.metric} | "
            f"{_value(row.sknn, row.unit)} | {_value(row.other, row.unit)} | "
            f"{_compared(row)} | {_target(row)} | {_accuracy(row)} | "
            f"{_n_iter(row)} | {_status(row)} |"
        )
    notes = []
    for row in rows:
        texts = list(row.notes)
        if row.accuracy_text:
            texts.insert(0, f"accuracy: {row.accuracy_text}")
        if row.foreign is not None and row.foreign > 0.05:
            texts.append(f"other processes used {row.foreign:.0%} of the machine meanwhile")
        if texts:
            notes.append(f"- `{row.key}`: " + "; ".join(_escape(t) for t in texts) + ".")
    return lines + ([""] + notes if notes else [])


def write_report(path, *, suite, machine, mode, elapsed, figures, threads, argv_text):
    rows = suite.rows
    groups = scaling_groups(suite.scaling)
    slope_results = []
    for pair, values in groups.items():
        s_sknn, s_other = slope(values, "sknn"), slope(values, "other")
        slope_results.append((pair, s_sknn, s_other, s_sknn <= SLOPE_TARGET))

    judged = [r for r in rows if not r.informational]
    total = len(judged) + len(slope_results)
    passed = sum(r.passed for r in judged) + sum(ok for *_, ok in slope_results)
    missed = [r for r in judged if not r.passed]
    missed_slopes = [s for s in slope_results if not s[3]]

    out = []
    add = out.append
    add("# Benchmarks: sknn-basic against scikit-learn")
    add("")
    add(f"Written by `{argv_text}` ({mode.name} mode) on {machine[0][1]}; the run took "
        f"{elapsed / 60:.1f} minutes. This file is generated: rerun the command rather "
        "than editing it.")
    add("")
    add("## Summary")
    add("")
    add(f"**{passed} of {total} targets met.** A ratio is sknn-basic's value divided by "
        "the other's (time or memory; lower is better); a row marked `info` has no "
        "target and is reported for information.")
    if missed or missed_slopes:
        add("")
        add("Missed:")
        add("")
        for row in missed:
            add(f"- `{row.key}` ({_escape(row.pair)}, {_escape(row.setting)}): "
                f"{'difference' if row.compare == 'difference' else 'ratio'} "
                f"{_compared(row)} against <= {row.target_text}"
                + ("" if row.accuracy_ok else
                   f"; accuracy {_accuracy(row)}"))
        for pair, s_sknn, _, _ in missed_slopes:
            add(f"- scaling of {pair}: log-log slope {s_sknn:.2f} against <= {SLOPE_TARGET}")
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    for label, value in machine:
        add(f"| {label} | {_escape(value)} |")
    add("")
    add("## Method")
    add("")
    first = suite.first_call
    add(f"- Both contenders run in one process, alternated (sknn-basic, other, sknn-basic, "
        f"other, ...): the value is the **median of {mode.repeats} repeats**, "
        f"{mode.repeats * mode.cheap_repeats} for the short cross-validation and predict rows, "
        f"whose timings scatter more "
        f"(`time.perf_counter`, garbage collector collected before and disabled during each "
        f"timed call). Building an estimator and preparing data are outside the timings.")
    add(f"- Every pair gets an untimed **warm-up fit** (on the first {5000:_} training rows) "
        "before its timings, so one-off costs (imports, caches) are excluded; the fresh-"
        "process rows measure them instead. The first perceptron fit of this process took "
        f"{_value(first.get('first', float('nan')), 's')} against "
        f"{_value(first.get('second', float('nan')), 's')} for the second (its "
        f"{'compiled' if first.get('compiled') else 'NumPy (the compiled one was not built)'} "
        "kernel).")
    add(f"- Threads: the whole suite runs under `threadpoolctl.threadpool_limits({threads})`, "
        "so every BLAS and OpenMP pool (numpy's, scipy's, scikit-learn's) uses the same "
        f"{threads} threads for both contenders.")
    add("- Same data for both: float64, C-contiguous; W1/W2 standardised by a "
        "`StandardScaler` fitted once on the training rows, outside the timings; "
        "accuracies on the held-out 20 %.")
    add("- Same epochs and batch size where the row says so; the number of epochs each "
        "ran (`n_iter_`) is shown (sknn / other) and checked for the fixed-epoch rows.")
    add("- Accuracy targets are one-sided: sknn-basic must not be less accurate than the "
        "other by more than the tolerance (in percentage points).")
    add("- Memory: peak of `tracemalloc` during one fit, above its level at the start "
        "(NumPy reports its buffers to tracemalloc; memory that compiled code takes with "
        "a plain malloc, e.g. OpenBLAS work buffers, is not seen). The target is judged on "
        "this peak." + (" The notes add the growth of the resident set (VmHWM after the "
                        "fit minus VmRSS before it, high-water mark reset just before the "
                        "fit) in a fresh child process, for comparison: it only shows allocations larger than "
                        "the memory the process already holds, so a few MiB may read as 0."
                        if mode.rss else ""))
    add(f"- Disturbance: for every row the share of the machine's CPU time used by other "
        f"processes (and hypervisor steal) is read from /proc. Rows above "
        f"{mode.disturbed_threshold:.0%} are measured again at the end "
        f"({mode.reruns} rerun at most) and the calmer attempt is kept.")
    add("")
    add("## Workloads")
    add("")
    for name, text in sorted(suite.data_text.items()):
        add(f"- **{name}**: {_escape(text)}")
    add("")

    add("## Results")
    for section, title in SECTIONS:
        section_rows = [r for r in rows if r.section == section]
        section_notes = suite.section_notes.get(section, [])
        if not section_rows and not section_notes:
            continue
        add("")
        add(f"### {title}")
        add("")
        for text in section_notes:
            # A section note is a paragraph (or a table of its own), not a
            # table cell: its pipes are left as Markdown.
            add(str(text))
            add("")
        if not section_rows:
            continue
        if section == "lessons":
            add("The lessons' loops are the course's per-record pure-Python/NumPy code, "
                "transcribed in `benchmarks/lessons_loops.py` as the reference being "
                "compared against (not part of the package); both start from the same "
                "initial weights.")
            add("")
        out.extend(_row_table(section_rows))

    if groups:
        add("")
        add("### Fit time against the number of samples")
        add("")
        add(f"W1's generator, all rows standardised and used for training, 10 epochs "
            f"(median of {mode.repeats}). Target: sknn-basic's log-log slope <= "
            f"{SLOPE_TARGET}.")
        add("")
        add("| pair | n | sknn-basic | scikit-learn | ratio |")
        add("|---|---|---|---|---|")
        for pair, values in groups.items():
            for p in values:
                add(f"| {_escape(pair)} | {p.n_samples:_} | {_value(p.sknn, 's')} | "
                    f"{_value(p.other, 's')} | {p.sknn / p.other:.2f} |")
        add("")
        add("| pair | sknn-basic slope | scikit-learn slope | target | result |")
        add("|---|---|---|---|---|")
        for pair, s_sknn, s_other, ok in slope_results:
            add(f"| {_escape(pair)} | {s_sknn:.2f} | {s_other:.2f} | <= {SLOPE_TARGET} | "
                f"{'pass' if ok else '**MISS**'} |")
        specs = suite.scaling_specs()
        add("")
        for pair, (sknn_spec, other_spec) in specs.items():
            if pair in groups:
                add(f"- {_escape(pair)}: `{sknn_spec.text()}` vs `{other_spec.text()}`")
        for pair, name in figures.items():
            add("")
            add(f"![{pair}]({name})")

    if suite.log or any(r.foreign is not None for r in rows):
        add("")
        add("## Disturbance by other processes")
        add("")
        foreign = [r.foreign for r in rows if r.foreign is not None] + [
            p.foreign for p in suite.scaling if p.foreign is not None]
        if foreign:
            add(f"Share of the machine used by others during a row: median "
                f"{np.median(foreign):.0%}, max {max(foreign):.0%}.")
        for line in suite.log:
            add(f"- {line}")

    add("")
    add("## Raw timings")
    add("")
    add("Every repeat, in seconds (sknn-basic; other), in the order run.")
    add("")
    for row in rows:
        if row.times:
            add(f"- `{row.key}`: " + "; ".join(
                ", ".join(f"{t:.4g}" for t in row.times[side]) for side in ("sknn", "other")))
    for p in suite.scaling:
        add(f"- scaling {p.pair.split(' ')[0]} n={p.n_samples}: " + "; ".join(
            ", ".join(f"{t:.4g}" for t in p.times[side]) for side in ("sknn", "other")))
    add("")
    Path(path).write_text("\n".join(out))
    return passed, total
