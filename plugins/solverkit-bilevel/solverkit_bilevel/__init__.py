"""solverkit-bilevel: first-order penalty methods for nonconvex bilevel optimization.

Solvers (registered with solverkit through the ``bilevel`` entry point):

- ``bilevel-penalty``: double-loop penalty method (Kwon, Kwon, Wright & Nowak, ICLR 2024).
- ``bilevel-penalty-sl``: single-loop variant with STORM-type momentum estimators.
- ``bilevel-aid``: implicit differentiation with conjugate gradient (baseline).
- ``f2sa``: fully first-order stochastic approximation (Kwon et al., ICML 2023; baseline).

Test and benchmark problems live in :mod:`solverkit_bilevel.problems`.
"""

__version__ = "0.1.0"
