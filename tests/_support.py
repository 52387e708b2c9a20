"""Helpers shared by the core's tests (importable: tests/ is on pythonpath)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import types

import numpy as np

import solverkit as sk


def make_plugin(*solver_classes, **hooks) -> types.SimpleNamespace:
    """An in-process plugin object registering ``solver_classes``."""

    @sk.hookimpl
    def solverkit_register_solvers(register):
        for cls in solver_classes:
            register(cls)

    return types.SimpleNamespace(solverkit_register_solvers=solverkit_register_solvers, **hooks)


@dataclasses.dataclass(frozen=True)
class GDOptions:
    """Options of the test solver."""

    step: float = 0.02

    def __post_init__(self):
        if not self.step > 0:
            raise ValueError(f"step must be > 0, got {self.step}")


class PenaltyGD(sk.Solver):
    """Gradient descent on f + rho/2 ||c||^2: a tiny real solver for core tests."""

    name = "test-penalty-gd"
    kinds = (sk.EqualityConstrained,)
    Options = GDOptions
    summary = "test solver"
    default_max_iter = 500

    def solve(self, problem, options, progress):
        x = problem.x0.copy() + 1e-3 * progress.rng.standard_normal(problem.n)
        for k in range(1, progress.max_iter + 1):
            c = problem.cons(x)
            g = problem.grad(x) + 10.0 * np.asarray(problem.jac(x)).T @ c
            x = x - options.step * g
            if np.linalg.norm(g) < progress.tol:
                return progress.result(x=x, fun=problem.fun(x), nit=k)
            if progress.report(k, x=x, fun=problem.fun(x), gnorm=float(np.linalg.norm(g))):
                break
        return progress.result(x=x, fun=problem.fun(x), nit=k)


def quadratic_problem():
    """min ||x||^2 s.t. x0 + x1 = 1 (solution (0.5, 0.5))."""
    A = np.array([[1.0, 1.0]])
    return sk.EqualityConstrained(lambda x: float(x @ x), lambda x: 2 * x,
                                  lambda x: A @ x - 1.0, lambda x: A, [0.0, 0.0])


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "solverkit", *args], capture_output=True,
                          text=True, env=env, timeout=120)
