"""
============================================
The learning rate: too small, right, too big
============================================

Gradient descent moves the weights by the learning rate times the gradient
(see :ref:`math_gradient_descent`).  This example trains the same sigmoid
unit on the lessons' preparation of the (synthetic) admissions data with
learning rates spanning four orders of magnitude, and shows the three
regimes: a crawl, a quick descent, and an overshoot.  It then shows the two
safety nets of the estimators: the *adaptive* schedule, which halves a step
that made the loss rise, and the divergence guard, which stops a run whose
weights overflow, keeps the last finite weights and warns.
"""

# %%
# Three constant learning rates
# -----------------------------
# ``learning_rate_schedule="constant"`` keeps the step fixed, ``batch_size=None``
# makes one step per epoch, and ``tol=None`` runs every epoch.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn_basic import (SigmoidGDClassifier, TwoLayerBackpropClassifier,
                        lessons_features, load_default_admissions)

X_train, X_test, y_train, y_test = lessons_features(load_default_admissions())


def unit(learning_rate, schedule="constant"):
    return SigmoidGDClassifier(learning_rate=learning_rate, learning_rate_schedule=schedule,
                               batch_size=None, max_iter=100, tol=None,
                               random_state=0).fit(X_train, y_train)


runs = {
    "0.05: too small": unit(0.05),
    "2: about right": unit(2.0),
    "50: too large": unit(50.0),
}
for label, model in runs.items():
    # Epochs count from 0: loss_curve_[e] is the loss of epoch e, here (a full
    # batch) the loss before its update, so after e updates.
    print(f"learning rate {label:16s} loss at epoch 10 {model.loss_curve_[10]:.3f}, "
          f"at epoch {len(model.loss_curve_) - 1} {model.loss_curve_[-1]:.3f}")

# %%
# The adaptive schedule rescues the large step
# --------------------------------------------
# With the default ``learning_rate_schedule="adaptive"``, every epoch whose
# loss rose by more than 1 % halves the step.  Starting from 50, the step is
# halved until it suits the problem; ``learning_rate_`` records where it ended.
rescued = unit(50.0, schedule="adaptive")
print(f"adaptive from 50: final loss {rescued.loss_curve_[-1]:.3f}, "
      f"step at the end {rescued.learning_rate_}")

# %%
# Divergence: the guard stops the run
# -----------------------------------
# A sigmoid output never overflows, but ReLU hidden units are unbounded: with a
# huge step their weights grow until they overflow to infinity.  The estimator
# notices after the epoch, restores the weights of the last finite epoch,
# stops, and says so with a ``ConvergenceWarning``.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    exploding = TwoLayerBackpropClassifier(
        activation="relu", learning_rate=1e4, learning_rate_schedule="constant",
        batch_size=None, max_iter=100, tol=None, random_state=0,
    ).fit(X_train, y_train)
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
weights_finite = all(np.isfinite(W).all() for W in exploding.coefs_)
print(f"epochs run: {exploding.n_iter_} of 100; weights all finite: {weights_finite}")

# %%
# The curves
# ----------
fig, (ax_constant, ax_guard) = plt.subplots(1, 2, figsize=(11, 4))
for label, model in runs.items():
    ax_constant.plot(model.loss_curve_, label=f"constant {label}")
ax_constant.plot(rescued.loss_curve_, linestyle="--", color="black",
                 label="adaptive, starting at 50")
ax_constant.set_yscale("log")
ax_constant.set_xlabel("epoch (from 0, the index of loss_curve_)")
ax_constant.set_ylabel("training log loss (log scale)")
ax_constant.set_title("SigmoidGDClassifier")
ax_constant.legend(loc="upper right", fontsize=8, framealpha=0.9)

ax_guard.plot(exploding.loss_curve_, color="tab:red")
ax_guard.axvline(exploding.n_iter_, color="grey", linestyle=":",
                 label=f"stopped: diverged at epoch {exploding.n_iter_}")
ax_guard.set_yscale("log")
ax_guard.set_xlim(0, 100)
ax_guard.set_xlabel("epoch")
ax_guard.set_ylabel("training log loss (log scale)")
ax_guard.set_title("TwoLayerBackpropClassifier, ReLU, learning rate 10^4")
ax_guard.legend()
fig.tight_layout()

# %%
# What to take away
# -----------------
# * Too small a step wastes epochs: after 100 of them the loss is still
#   above what the right step reached within ten.
# * Too large a step jumps across the valley: the loss stays high and erratic
#   (the log loss of a saturated sigmoid is capped, so it does not explode).
#   The adaptive schedule turns such a run into a sensible one by itself.
# * A run that overflows stops with a clear message instead of continuing
#   with NaN weights.  Its advice (lower the learning rate, standardise the
#   features, add an L2 penalty) is the usual cure.
