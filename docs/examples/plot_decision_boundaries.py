"""
=================================================
Decision boundaries on logic gates and half-moons
=================================================

Where does each estimator put its boundary?  The perceptron and the sigmoid
unit draw a straight line; the network with a hidden layer can bend it.  Four
problems show the difference: the AND and OR gates (separable by a line), XOR
(not separable by any line) and two interleaving half-moons.

Each panel shades the region each model assigns to class 1 and marks the
training points; the title gives the training accuracy.  The boundaries are
drawn with scikit-learn's :class:`~sklearn.inspection.DecisionBoundaryDisplay`.
"""

# %%
# The problems and the models
# ---------------------------
# One setting per estimator, the same on all four problems.  The sigmoid unit
# and the network run on the full batch for a fixed number of epochs; the
# network uses sixteen tanh hidden units.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from sknn_basic import PerceptronClassifier, SigmoidGDClassifier, TwoLayerBackpropClassifier

gates_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
problems = {
    "AND": (gates_X, np.array([0, 0, 0, 1])),
    "OR": (gates_X, np.array([0, 1, 1, 1])),
    "XOR": (gates_X, np.array([0, 1, 1, 0])),
    "half-moons": make_moons(n_samples=200, noise=0.2, random_state=0),
}
models = {
    "PerceptronClassifier": lambda: PerceptronClassifier(random_state=0),
    "SigmoidGDClassifier": lambda: SigmoidGDClassifier(
        batch_size=None, max_iter=500, tol=None, random_state=0
    ),
    "TwoLayerBackpropClassifier": lambda: TwoLayerBackpropClassifier(
        n_hidden=16, activation="tanh", batch_size=None, max_iter=1000, tol=None,
        random_state=0,
    ),
}

# %%
# Fitting and drawing
# -------------------
# The perceptron warns when it cannot separate the training data; the
# warnings are collected and printed rather than lost.
fig, axes = plt.subplots(len(models), len(problems), figsize=(13, 9.5))
notes = []
for row, (model_name, make_model) in enumerate(models.items()):
    for col, (problem_name, (X, y)) in enumerate(problems.items()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model = make_model().fit(X, y)
        notes += [f"{model_name} on {problem_name}: {w.category.__name__}" for w in caught]
        ax = axes[row, col]
        DecisionBoundaryDisplay.from_estimator(
            model, X, response_method="predict", plot_method="contourf",
            grid_resolution=150, eps=0.5, cmap="RdBu", alpha=0.35, ax=ax,
        )
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolor="k",
                   s=60 if len(X) == 4 else 18)
        ax.set_title(f"{problem_name}: accuracy {model.score(X, y):.2f}", fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel(model_name if col == 0 else "", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
fig.suptitle("Class 1 in blue, class 0 in red", y=0.995)
fig.tight_layout()

for note in notes:
    print(note)

# %%
# What the figure shows
# ---------------------
# * All three learn AND and OR: a line suffices.
# * On XOR the two linear models fail, whatever their settings: the
#   perceptron stops with two of the four points wrong (and warns), the
#   sigmoid unit hovers near the middle and gets at most half right.  The
#   network bends its boundary around the two diagonal points.
# * On the half-moons the linear models find the best straight cut (about
#   eight points in ten); the network follows the curve of the moons.
#
# The reason is worked out in :ref:`math_perceptron`: a hidden layer maps
# the points to new coordinates in which a line does separate them.
