"""The lessons' constants and the admissions schema, in one place.

Everything the course fixes and the package, its command line, its tests and
its benchmarks refer to lives here: the columns of the admissions file and
the six features of the lessons' preparation, the ranks, the settings of the
lessons' training runs (S3, S6), the inputs of the worked examples (S2, S4,
S5) and the published figures that ``sknn-basic reproduce`` checks.

Row numbers in messages follow one convention, :func:`data_row_number`: the
1-based number of the data row, the header not counted.
"""

import numpy as np

__all__ = [
    "ADMISSIONS_COLUMNS",
    "INPUT_COLUMNS",
    "NUMERIC_COLUMNS",
    "RANKS",
    "LESSON_FEATURES",
    "S3_PARAMS",
    "S6_PARAMS",
    "WORKED_EXAMPLES",
    "LESSON_FIGURES",
    "data_row_number",
    "s4_example",
]

#: Columns of the admissions file, in the file's order.
ADMISSIONS_COLUMNS = ("admit", "gre", "gpa", "rank")
#: The columns an applicant is described by (the inputs of the preparation).
INPUT_COLUMNS = ("gre", "gpa", "rank")
#: The columns standardised by the preparation.
NUMERIC_COLUMNS = ("gre", "gpa")
#: The ranks of the undergraduate institution, 1 (highest) to 4.
RANKS = (1, 2, 3, 4)
#: The six features of the lessons' preparation, in the lessons' order.
LESSON_FEATURES = NUMERIC_COLUMNS + tuple(f"rank_{rank}" for rank in RANKS)

#: SigmoidGDClassifier parameters of the lessons' S3 run: one sigmoid unit
#: without bias, squared error, full-batch gradient descent, 1000 epochs,
#: learning rate 0.5, weights from RandomState(42).
S3_PARAMS = dict(
    loss="squared_error",
    learning_rate=0.5,
    max_iter=1000,
    batch_size=None,
    fit_intercept=False,
    random_state=42,
    tol=None,
)

#: TwoLayerBackpropClassifier parameters of the lessons' S6 run: a 6-2-1
#: sigmoid network without biases, squared error, full batch, 900 epochs,
#: learning rate 0.005, weights normal(0, 1/sqrt(6)) from RandomState(21).
S6_PARAMS = dict(
    n_hidden=2,
    loss="squared_error",
    learning_rate=0.005,
    max_iter=900,
    batch_size=None,
    momentum=0.0,
    fit_intercept=False,
    init_scale=6**-0.5,
    random_state=21,
    tol=None,
)


def s4_example():
    """The inputs of the forward-pass example S4, drawn as the lessons draw them.

    ``RandomState(42)`` draws ``x = randn(4)``, then the input-to-hidden
    weights ``normal(0, 0.1, (4, 3))``, then hidden-to-output
    ``normal(0, 0.1, (3, 2))``.

    Returns
    -------
    dict
        ``x``, ``weights_input_hidden`` and ``weights_hidden_output``.
    """
    rng = np.random.RandomState(42)
    x = rng.randn(4)
    w_ih = rng.normal(0, 0.1, size=(4, 3))
    w_ho = rng.normal(0, 0.1, size=(3, 2))
    return {"x": x, "weights_input_hidden": w_ih, "weights_hidden_output": w_ho}


#: The given quantities of the worked examples: one gradient step of one
#: sigmoid unit (S2) and one backpropagation step of a 3-2-1 network (S5),
#: both with the squared error and no biases.  S4's inputs are drawn by
#: :func:`s4_example`.
WORKED_EXAMPLES = {
    "S2": {
        "x": [0.1, 0.3],
        "y": 0.2,
        "weights": [-0.8, 0.5],
        "learning_rate": 0.5,
    },
    "S5": {
        "x": [0.5, 0.1, -0.2],
        "target": 0.6,
        "learning_rate": 0.5,
        "weights_input_hidden": [[0.5, -0.6], [0.1, -0.2], [0.1, 0.7]],
        "weights_hidden_output": [0.1, -0.3],
    },
}

# The course's published figures of the S3 and S6 runs, produced by the
# lessons' own per-sample loops on the real admissions file
# (../shared/reference/seed_reference.json).  They are facts of the course,
# kept here so that `sknn-basic reproduce` does not depend on the repository
# layout at run time; a test checks that they still equal the JSON file.
LESSON_FIGURES = {
    "S3_sigmoid_gd_admissions": {
        "weights": [
            0.25311107390812637,
            0.3003922887495849,
            0.09942036815194526,
            -0.6180836823480238,
            -1.1427964565805877,
            -1.4147913849203286,
        ],
        "train_mse_every_100_epochs": [
            0.2627609384996635,
            0.20928619409324875,
            0.20084292908073426,
            0.19862156475527873,
            0.19779851396686027,
            0.19742577912189868,
            0.1972350774624106,
            0.1971294562509248,
            0.19706766341315082,
            0.1970300580177737,
        ],
        "test_accuracy": 0.725,
    },
    "S6_backprop_admissions": {
        "weights_input_hidden": [
            [-0.009556618004353177, -0.051427459999376215],
            [0.43475290688292334, -0.5173504334000478],
            [0.30361519024956235, -0.697987457252836],
            [-0.09360418557755963, -0.09032510533855595],
            [0.4465212363105238, 0.0030856417986596424],
            [-0.25923504948214177, 0.5655196985823127],
        ],
        "weights_hidden_output": [0.5406671741485963, -0.41408766980641915],
        "test_accuracy": 0.425,
    },
}


def data_row_number(position):
    """The number a message gives the data row at 0-based ``position``.

    Rows are numbered from 1, the header not counted: the first applicant of a
    file is "data row 1" wherever a message names it.
    """
    return int(position) + 1
