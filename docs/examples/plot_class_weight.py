"""
================================
Class weights on imbalanced data
================================

When one class is rare, a classifier that minimises the average loss can do
well by mostly ignoring it.  ``class_weight="balanced"`` multiplies each
record's weight by ``n_samples / (n_classes * count_of_its_class)``, so both
classes count equally in the loss.  This example trains the three estimators
with and without it on data where one record in twenty belongs to the rare
class, and compares the boundaries and the share of rare records found
(recall).  scikit-learn's ``MLPClassifier`` has no ``class_weight`` option;
:class:`~sknn_basic.TwoLayerBackpropClassifier` does.
"""

# %%
# Data: 5 % of the records in class 1
# -----------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split

from sknn_basic import PerceptronClassifier, SigmoidGDClassifier, TwoLayerBackpropClassifier

X, y = make_classification(n_samples=1000, n_features=2, n_redundant=0,
                           n_clusters_per_class=1, weights=[0.95, 0.05],
                           class_sep=0.8, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"training records per class: {np.bincount(y_train).tolist()}")

models = {
    "PerceptronClassifier": lambda weights: PerceptronClassifier(
        average=True, class_weight=weights, random_state=0),
    "SigmoidGDClassifier": lambda weights: SigmoidGDClassifier(
        class_weight=weights, random_state=0),
    "TwoLayerBackpropClassifier": lambda weights: TwoLayerBackpropClassifier(
        n_hidden=8, class_weight=weights, max_iter=500, random_state=0),
}

# %%
# Fit with and without class weights
# ----------------------------------
# The averaged perceptron cannot separate overlapping classes and warns each
# time; those warnings are expected here and silenced.
fig, axes = plt.subplots(2, 3, figsize=(13, 8.5), sharex=True, sharey=True)
print(f"{'model':28s}{'class_weight':>14s}{'recall':>9s}{'balanced acc.':>15s}")
for col, (name, make_model) in enumerate(models.items()):
    for row, weights in enumerate([None, "balanced"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = make_model(weights).fit(X_train, y_train)
        predicted = model.predict(X_test)
        recall = recall_score(y_test, predicted)
        balanced = balanced_accuracy_score(y_test, predicted)
        print(f"{name:28s}{str(weights):>14s}{recall:9.3f}{balanced:15.3f}")
        ax = axes[row, col]
        DecisionBoundaryDisplay.from_estimator(
            model, X, response_method="predict", cmap="coolwarm", alpha=0.3, ax=ax)
        ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="coolwarm",
                   edgecolor="k", s=np.where(y_test == 1, 40, 12))
        ax.set_title(f"{name}\nclass_weight={weights!r}: recall {recall:.2f}", fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
fig.suptitle("Test records; the rare class in red (larger dots)")
fig.tight_layout()

# %%
# Reading the result
# ------------------
# Without weights, the boundaries hug the rare class and leave many of its
# records on the wrong side: few false alarms, many misses.  With balanced
# weights every model moves its boundary into the common class and finds
# more of the rare records, at the price of more false alarms.  Which
# trade-off is right depends on what a miss costs compared with a false
# alarm; ``class_weight`` also takes a dict such as ``{0: 1, 1: 5}`` to set it
# directly.  Accuracy alone would hide all of this: always answering
# "class 0" scores 0.95 here.
