"""
===================================
Training and validation loss curves
===================================

With ``early_stopping=True`` the estimators hold out part of the training
data and, after every epoch, record the loss and the accuracy on it next to
the training loss.  The two loss curves tell the story of a fit: while both
fall, the model is learning; when the validation loss turns up while the
training loss keeps falling, it has started to learn the noise of its
training records (overfitting).

Here a generously sized network (64 tanh hidden units for 200 noisy points)
is trained for 1000 epochs with a constant learning rate, so that both phases
are visible.
"""

# %%
# A run long enough to overfit
# ----------------------------
# ``tol=None`` switches the stopping rule off, so the run lasts ``max_iter``
# epochs and records every curve; the estimator still ends with the weights
# of the epoch whose validation accuracy was best.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

from sknn_basic import TwoLayerBackpropClassifier

X, y = make_moons(n_samples=200, noise=0.4, random_state=1)

common = dict(n_hidden=64, activation="tanh", learning_rate=0.3,
              learning_rate_schedule="constant", batch_size=None,
              early_stopping=True, validation_fraction=0.3, random_state=0)
long_run = TwoLayerBackpropClassifier(max_iter=1000, tol=None, **common).fit(X, y)

train_loss = np.array(long_run.loss_curve_)
validation_loss = np.array(long_run.validation_loss_curve_)
best_loss_epoch = int(np.argmin(validation_loss))
best_score_epoch = int(np.argmax(long_run.validation_scores_))
print(f"epochs run: {long_run.n_iter_}")
print(f"lowest validation loss {validation_loss.min():.3f} at epoch {best_loss_epoch}; "
      f"{validation_loss[-1]:.3f} at the end")
print(f"training loss at the end: {train_loss[-1]:.3f}")
print(f"best validation accuracy {long_run.best_validation_score_:.3f} at epoch "
      f"{best_score_epoch}")

# %%
# The same model with the default stopping rule
# ---------------------------------------------
# With the default ``tol`` and ``n_iter_no_change=10``, training stops once
# the validation accuracy has not improved for ten epochs.
stopped = TwoLayerBackpropClassifier(max_iter=1000, **common).fit(X, y)
last = stopped.n_iter_ - 1  # epochs count from 0, as the index of loss_curve_
print(f"early stopping ran {stopped.n_iter_} epochs, 0 to {last}, and stopped after "
      f"epoch {last} (best validation accuracy {stopped.best_validation_score_:.3f})")

# %%
# The curves
# ----------
fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(11, 4))
epochs = np.arange(long_run.n_iter_)
ax_loss.plot(epochs, train_loss, label="training loss (loss_curve_)")
ax_loss.plot(epochs, validation_loss, label="validation loss (validation_loss_curve_)")
ax_loss.axvline(best_loss_epoch, color="grey", linestyle=":",
                label=f"lowest validation loss (epoch {best_loss_epoch})")
ax_loss.set_xlabel("epoch (from 0, the index of loss_curve_)")
ax_loss.set_ylabel("mean log loss")
ax_loss.set_ylim(0, 1.1 * max(train_loss.max(), validation_loss.max()))
ax_loss.legend()
ax_loss.set_title("Training keeps improving, validation turns")

ax_score.plot(epochs, long_run.validation_scores_, color="tab:green",
              label="validation accuracy (validation_scores_)")
ax_score.axvline(best_score_epoch, color="tab:green", linestyle=":",
                 label=f"best, kept by the estimator (epoch {best_score_epoch})")
ax_score.axvline(last, color="tab:red", linestyle="--",
                 label=f"default rule stops after epoch {last}")
ax_score.set_xlabel("epoch (from 0)")
ax_score.set_ylabel("accuracy on the held-out 30 %")
ax_score.legend(loc="lower right")
ax_score.set_title("Validation accuracy")
fig.tight_layout()

# %%
# Reading the curves
# ------------------
# The validation loss is lowest early and then climbs while the training loss
# keeps falling: the network is fitting the noise of its 140 training points.
# The accuracy curve is flatter and steppier than the loss (it only changes
# when a point crosses the boundary), which is why early stopping on accuracy
# needs some patience (``n_iter_no_change``) and a validation set large enough
# for a step of one point to be small.  Whatever the stopping epoch, the
# estimator restores the weights of the best validation epoch.
