"""solverkit-alsketch: AdaSketch-Newton for equality-constrained optimization.

Solvers ``adasketch`` (adaptive inexact Newton on the exact augmented
Lagrangian merit, KKT systems solved by randomized iterative sketching) and
``newton-kkt`` (the same merit and line search with exact sparse direct steps).
"""

__version__ = "0.1.0"
