"""
Learning a causal DAG: ``dagma`` against ``notears``
====================================================

Simulate data from a linear structural equation model on a random
Erdos-Renyi DAG (the conventions of the DAGMA and NOTEARS papers: weights
uniform on ``±[0.5, 2]``, Gaussian noise), then learn the graph back with both
solvers, chosen by name, and score them against the truth.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from solverkit_dagma.utils import (
    count_accuracy,
    simulate_dag,
    simulate_linear_sem,
    simulate_parameter,
)

import solverkit as sk

rng = np.random.default_rng(1)
d = 20
B_true = simulate_dag(d, 2 * d, "ER", rng=rng)          # ER2: 40 edges
W_true = simulate_parameter(B_true, rng=rng)
X = simulate_linear_sem(W_true, 500, "gauss", rng=rng)

problem = sk.StructureLearning(X)
results = {}
for method in ("dagma", "notears"):
    start = time.process_time()
    res = sk.solve(problem, method=method, lambda1=0.02, seed=0)
    cpu = time.process_time() - start
    acc = count_accuracy(B_true, res.x != 0)
    results[method] = res
    print(f"{method:8s} CPU {cpu:6.2f} s  SHD {acc['shd']:3d}  TPR {acc['tpr']:.3f}  "
          f"FDR {acc['fdr']:.3f}  edges {acc['nnz']}")

# %%
# Both outputs are DAGs by construction. The weighted adjacency matrices next
# to the truth:
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, (title, W) in zip(axes, [("truth", W_true), ("dagma", results["dagma"].x),
                                 ("notears", results["notears"].x)]):
    ax.imshow(W, cmap="RdBu_r", vmin=-2, vmax=2)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
