"""
Getting started: solve a first problem by name
==============================================

Install the core and one plugin::

    pip install solverkit solverkit-scipy

A *problem* holds data and is validated when it is built; a *solver* is picked
by name. This solves Hock-Schittkowski problem 6,

.. math:: \\min_x (1 - x_1)^2 \\quad \\text{s.t.} \\quad 10 (x_2 - x_1^2) = 0,

whose solution is :math:`x^* = (1, 1)`.
"""

import numpy as np

import solverkit as sk

problem = sk.EqualityConstrained(
    fun=lambda x: (1 - x[0]) ** 2,
    grad=lambda x: np.array([-2 * (1 - x[0]), 0.0]),
    cons=lambda x: np.array([10 * (x[1] - x[0] ** 2)]),
    jac=lambda x: np.array([[-20 * x[0], 10.0]]),
    x0=[-1.2, 1.0],
)
res = sk.solve(problem, method="trust-constr", tol=1e-8)
print(res.x, res.success, res.status.name)
print(res.message)

# %%
# The result
# ----------
# ``Result`` has scipy's field names; solver-specific outputs are in ``extra``
# (here the Lagrange multipliers and the KKT residual, recomputed by solverkit
# at the returned point rather than taken from scipy's flag).
print(res.nit, res.nfev, f"{res.time:.3f} s", res.solver)
print(res.extra["lam"], res.extra["kkt_residual"])

# %%
# What is installed
# -----------------
for info in sk.solvers(kind=sk.EqualityConstrained):
    print(f"{info.name:14s} {info.distribution} {info.version}: {info.summary}")

# %%
# Errors say what is wrong
# ------------------------
# Bad input fails before any work, and a missing solver names the fix.
try:
    sk.EqualityConstrained(problem.fun, problem.grad, problem.cons, problem.jac, x0=[1.0, 2.0, 3.0])
except ValueError as err:
    print("ValueError:", err)
try:
    sk.solve(problem, method="trust-constr", tolerance=1e-8)
except TypeError as err:
    print("TypeError:", err)
