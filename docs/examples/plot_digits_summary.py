"""
A 20-image summary of the digits, kept up to date under insertions and deletions
================================================================================

Facility location on scikit-learn's bundled digits (1797 images, 8 x 8):
``f(S) = sum_i max_{j in S} sim(i, j)`` rewards a summary ``S`` whose images
resemble every image. Images arrive and leave; ``dynamic-submodular`` keeps a
summary of at most 20 images whose value stays within ``1/2 - eps`` of the best
possible, paying a polylogarithmic number of oracle calls per update instead of
re-running greedy.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from solverkit_submodular import FacilityLocation, knn_similarity

import solverkit as sk

digits = load_digits()
f = FacilityLocation(knn_similarity(digits.data, n_neighbors=30))
summary = sk.open("dynamic-submodular", f=f, k=20, eps=0.2, seed=0)

rng = np.random.default_rng(0)
order = rng.permutation(len(digits.data))
for image in order[:1200]:                   # images arrive one at a time ...
    summary.insert(image)
value_1200 = summary.value()
for image in order[:400]:                    # ... the oldest 400 leave ...
    summary.delete(image)
for image in order[1200:]:                   # ... and the rest arrive
    summary.insert(image)
stats = summary.stats()
print(f"after 1200 insertions: f = {value_1200:.1f}")
print(f"after {stats['updates']} updates: {len(summary.solution())} images, "
      f"f = {summary.value():.1f}")
print(f"oracle calls per update: mean {stats['calls_per_update']:.1f}, "
      f"p99 {stats['calls_p99']:.0f}, rebuilds {stats['rebuilds']}")

# %%
# Offline greedy on the final live set, for comparison (the dynamic solution
# must stay above half of it; in practice it is much closer).
live = np.sort(order[400:])
greedy = sk.solve(sk.SubmodularMax(f, live, k=20), method="lazy-greedy")
print(f"offline greedy f = {greedy.fun:.1f}, ratio {summary.value() / greedy.fun:.3f}")

fig, axes = plt.subplots(2, 10, figsize=(8, 2))
for ax, idx in zip(axes.ravel(), summary.solution()):
    ax.imshow(digits.images[idx], cmap="gray_r")
    ax.set_title(str(digits.target[idx]), fontsize=8)
    ax.axis("off")
fig.tight_layout()
