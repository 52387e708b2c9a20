"""Size-constrained Tucker rank selection."""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from ._check import finite_array
from .base import Problem

__all__ = ["TuckerRank", "tucker_size"]


def tucker_size(shape: tuple[int, ...], ranks: tuple[int, ...]) -> int:
    """Parameters of a Tucker model: prod(ranks) + sum(I_n * R_n)."""
    return int(np.prod(ranks, dtype=np.int64) + sum(i * r for i, r in zip(shape, ranks)))


class TuckerRank(Problem):
    """Choose a multilinear rank whose Tucker model fits a size budget.

    Parameters
    ----------
    tensor : array_like
        A finite tensor with at least 2 modes and no empty mode. It is
        converted to float64 (no copy when it already is); solvers never
        write to it.
    budget : int or sequence of int
        Parameter budget(s) ``c``: the core shape R must satisfy
        ``prod(R) + sum(I_n R_n) <= c``. Each must be at least the all-ones
        size ``1 + sum(I_n)``. A sequence asks for a budget sweep.
    name : str
        A label for tables.
    """

    default_methods: ClassVar[tuple[str, ...]] = ("tucker-shape", "tucker-packing")

    def __init__(self, tensor: Any, budget: Any, *, name: str = "") -> None:
        arr = np.asarray(tensor)
        if arr.ndim < 2:
            raise ValueError(
                f"tensor must have at least 2 modes, got a {arr.ndim}-D array of shape {arr.shape}"
            )
        if arr.size == 0:
            raise ValueError(f"tensor must not be empty, got shape {arr.shape}")
        self.tensor = finite_array("tensor", arr)
        self.shape: tuple[int, ...] = tuple(int(i) for i in self.tensor.shape)
        self.min_budget = tucker_size(self.shape, (1,) * len(self.shape))
        self.max_budget = tucker_size(self.shape, self.shape)
        budgets = [budget] if np.ndim(budget) == 0 else list(np.asarray(budget).ravel())
        if not budgets:
            raise ValueError("budget must be a positive integer or a non-empty sequence of them")
        checked = []
        for c in budgets:
            if isinstance(c, (bool, np.bool_)) or not isinstance(c, (numbers.Integral, float)) \
                    or not np.isfinite(c) or c != int(c):
                raise ValueError(f"budget must be a whole number of parameters, got {c!r}")
            if c < self.min_budget:
                raise ValueError(
                    f"budget {int(c)} is smaller than the smallest Tucker model of a tensor of "
                    f"shape {self.shape} (all ranks 1 needs 1 + sum(I_n) = {self.min_budget} "
                    "parameters)"
                )
            checked.append(int(c))
        self.budgets: tuple[int, ...] = tuple(checked)
        self.name = name

    @property
    def budget(self) -> int:
        """The (first) budget."""
        return self.budgets[0]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"shape": self.shape, "budgets": list(self.budgets)}
        if self.name:
            out = {"name": self.name, **out}
        return out

    @classmethod
    def example(cls, seed: int = 0) -> TuckerRank:
        """A 20 x 18 x 16 tensor of multilinear rank (4, 3, 5) plus 1% noise."""
        rng = np.random.default_rng(seed)
        shape, ranks = (20, 18, 16), (4, 3, 5)
        core = rng.standard_normal(ranks)
        factors = [np.linalg.qr(rng.standard_normal((i, r)))[0] for i, r in zip(shape, ranks)]
        tensor = np.einsum("abc,ia,jb,kc->ijk", core, *factors)
        tensor += 0.01 * np.linalg.norm(tensor) / np.sqrt(tensor.size) * rng.standard_normal(shape)
        return cls(tensor, budget=tucker_size(shape, ranks) + 20, name="lowrank-20x18x16")
