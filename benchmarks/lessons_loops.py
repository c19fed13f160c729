"""The lessons' own per-record training loops: the *reference implementation* being compared against.

This module is **not part of sknn-basic**.  It is a faithful transcription of
the course notes' pure-Python/NumPy loops, kept inside ``benchmarks/`` only so
that the suite can time the library against what the lessons actually ran and
check that both end on the same weights (see ``../shared/reference/README.md``,
keys ``S3_sigmoid_gd_admissions`` and ``S6_backprop_admissions``).

Both loops visit one record at a time, accumulate the weight steps of an
epoch in ``del_w`` arrays, and apply their mean once per epoch: full-batch
gradient descent on the squared error, written sample by sample.  Nothing is
vectorised over records, on purpose.
"""

import numpy as np

__all__ = [
    "S3_SETTINGS",
    "S6_SETTINGS",
    "lesson_sigmoid",
    "s3_initial_weights",
    "s3_train",
    "s6_initial_weights",
    "s6_train",
]

#: The lessons' S3 run: one sigmoid unit, no bias, squared error.
S3_SETTINGS = {"seed": 42, "epochs": 1000, "learning_rate": 0.5}

#: The lessons' S6 run: a 6-2-1 sigmoid network, no biases, squared error.
S6_SETTINGS = {"seed": 21, "epochs": 900, "learning_rate": 0.005, "n_hidden": 2}


def lesson_sigmoid(x):
    """The lessons' sigmoid, ``1 / (1 + exp(-x))``."""
    return 1 / (1 + np.exp(-x))


def s3_initial_weights(n_features, seed=S3_SETTINGS["seed"]):
    """``RandomState(seed).normal(0, 1/sqrt(n_features), n_features)``, as in the lessons."""
    return np.random.RandomState(seed).normal(scale=1 / n_features**0.5, size=n_features)


def s3_train(features, targets, weights, epochs, learning_rate):
    """The lessons' S3 loop: gradient descent of one sigmoid unit, record by record.

    Parameters
    ----------
    features : ndarray of shape (n_records, n_features)
    targets : ndarray of shape (n_records,)
    weights : ndarray of shape (n_features,)
        Initial weights (not modified).
    epochs : int
    learning_rate : float

    Returns
    -------
    ndarray of shape (n_features,)
        The weights after ``epochs`` epochs.
    """
    weights = np.array(weights, dtype=np.float64, copy=True)
    n_records = features.shape[0]
    for _ in range(epochs):
        del_w = np.zeros(weights.shape)
        for x, y in zip(features, targets):
            output = lesson_sigmoid(np.dot(x, weights))
            error = y - output
            error_term = error * output * (1 - output)
            del_w += error_term * x
        weights += learning_rate * del_w / n_records
    return weights


def s6_initial_weights(n_features, n_hidden=S6_SETTINGS["n_hidden"], seed=S6_SETTINGS["seed"]):
    """Input-to-hidden ``(n_features, n_hidden)`` drawn first, then hidden-to-output ``(n_hidden,)``."""
    random_state = np.random.RandomState(seed)
    scale = 1 / n_features**0.5
    weights_input_hidden = random_state.normal(scale=scale, size=(n_features, n_hidden))
    weights_hidden_output = random_state.normal(scale=scale, size=n_hidden)
    return weights_input_hidden, weights_hidden_output


def s6_train(features, targets, weights_input_hidden, weights_hidden_output, epochs,
             learning_rate):
    """The lessons' S6 loop: backpropagation through a network without biases, record by record.

    Parameters
    ----------
    features : ndarray of shape (n_records, n_features)
    targets : ndarray of shape (n_records,)
    weights_input_hidden : ndarray of shape (n_features, n_hidden)
    weights_hidden_output : ndarray of shape (n_hidden,)
        Initial weights (not modified).
    epochs : int
    learning_rate : float

    Returns
    -------
    (ndarray, ndarray)
        The input-to-hidden and hidden-to-output weights after ``epochs`` epochs.
    """
    weights_input_hidden = np.array(weights_input_hidden, dtype=np.float64, copy=True)
    weights_hidden_output = np.array(weights_hidden_output, dtype=np.float64, copy=True)
    n_records = features.shape[0]
    for _ in range(epochs):
        del_w_input_hidden = np.zeros(weights_input_hidden.shape)
        del_w_hidden_output = np.zeros(weights_hidden_output.shape)
        for x, y in zip(features, targets):
            # Forward pass.
            hidden_input = np.dot(x, weights_input_hidden)
            hidden_output = lesson_sigmoid(hidden_input)
            output = lesson_sigmoid(np.dot(hidden_output, weights_hidden_output))
            # Backward pass.
            error = y - output
            output_error_term = error * output * (1 - output)
            hidden_error = np.dot(output_error_term, weights_hidden_output)
            hidden_error_term = hidden_error * hidden_output * (1 - hidden_output)
            del_w_hidden_output += output_error_term * hidden_output
            del_w_input_hidden += hidden_error_term * x[:, None]
        weights_input_hidden += learning_rate * del_w_input_hidden / n_records
        weights_hidden_output += learning_rate * del_w_hidden_output / n_records
    return weights_input_hidden, weights_hidden_output
