"""
=============================================================
The course's first story: logic gates, and XOR's hidden layer
=============================================================

The course starts with a perceptron learning the logic gates AND, OR and NOT
from their truth tables, then failing XOR, whose two classes no straight line
separates, and ends the story with a hidden layer that learns XOR.  This is
the figure ``sknn-basic gates --plot gates.png`` saves, and its truth tables
are what ``sknn-basic gates`` prints.
"""

# %%
# Four gates for the perceptron, XOR for the network
# --------------------------------------------------
# The lessons' perceptron: Rosenblatt's rule with a bias, a step of 1, the
# rows in the table's order, from zero weights.  It stops at the first epoch
# without a mistake; on XOR there is none, and it runs all its epochs.
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

from sknn_basic import PerceptronClassifier, TwoLayerBackpropClassifier
from sknn_basic.cli.gates import GATES, draw_gates

results = []
for gate, (X, y) in GATES.items():
    with warnings.catch_warnings():
        # On XOR the perceptron warns that it did not separate the rows:
        # that failure is the point of this example.
        warnings.simplefilter("ignore", ConvergenceWarning)
        perceptron = PerceptronClassifier(learning_rate=1.0, shuffle=False, max_iter=100,
                                          tol=None, random_state=0).fit(X, y)
    right = int((perceptron.predict(X) == y).sum())
    print(f"{gate:3s} perceptron: {right} of {len(y)} rows right after "
          f"{perceptron.n_iter_} epochs, w = {perceptron.coef_[0]}, b = "
          f"{perceptron.intercept_[0]}")
    results.append((gate, "perceptron", X, y, perceptron))

# %%
# Four sigmoid hidden units, the whole table as one batch, 1000 epochs:
X, y = GATES["XOR"]
network = TwoLayerBackpropClassifier(n_hidden=4, batch_size=None, max_iter=1000, tol=None,
                                     random_state=0).fit(X, y)
print(f"XOR network: answers {network.predict(X).tolist()} for targets {y}")
results.append(("XOR", "network", X, y, network))

# %%
# The figure
# ----------
# Each panel shades the model's answer over the plane (blue 1, red 0), draws
# its decision boundary and circles the rows it answers wrong.  The
# perceptron's boundary is one straight line; for XOR every line leaves two
# of the four points on the wrong side.  The network's hidden units each draw
# a line, and its output unit combines them into a band that holds (0, 1) and
# (1, 0) and leaves out (0, 0) and (1, 1).
figure = plt.figure(figsize=(20, 4.4), layout="constrained")
draw_gates(figure, results)
plt.show()
