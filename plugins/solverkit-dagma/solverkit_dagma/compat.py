"""A drop-in for the reference ``dagma.linear.DagmaLinear`` (same ``fit`` keywords).

Switching an A/B script is a one-line change::

    from dagma.linear import DagmaLinear        # reference
    from solverkit_dagma import DagmaLinear     # this plugin

    W_est = DagmaLinear(loss_type="l2").fit(X, lambda1=0.02)

Differences on purpose: X is never modified, the default ``s`` is never
modified, nothing is printed unless ``verbose``, and the returned W is always
a DAG. The full :class:`solverkit.Result` is kept in ``self.result``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["DagmaLinear"]


class DagmaLinear:
    """DAGMA for linear SEMs with the reference class's interface.

    Parameters
    ----------
    loss_type : {'l2', 'logistic'}
    verbose : bool
        Progress lines on stderr.
    dtype : numpy dtype
        Accepted for compatibility; computation is float64.
    """

    def __init__(self, loss_type: str, verbose: bool = False, dtype: Any = np.float64) -> None:
        if loss_type not in ("l2", "logistic"):
            raise ValueError(f"loss_type must be 'l2' or 'logistic', got {loss_type!r}")
        self.loss_type = loss_type
        self.verbose = verbose
        self.dtype = dtype
        self.result: Any = None

    def fit(
        self,
        X: np.ndarray,
        lambda1: float = 0.03,
        w_threshold: float = 0.3,
        T: int = 5,
        mu_init: float = 1.0,
        mu_factor: float = 0.1,
        s: float | Sequence[float] = (1.0, 0.9, 0.8, 0.7, 0.6),
        warm_iter: int = 30000,
        max_iter: int = 60000,
        lr: float = 0.0003,
        checkpoint: int = 1000,
        beta_1: float = 0.99,
        beta_2: float = 0.999,
        exclude_edges: Sequence[tuple[int, int]] | None = None,
        include_edges: Sequence[tuple[int, int]] | None = None,
        **options: Any,
    ) -> np.ndarray:
        """Learn W; returns the thresholded weighted adjacency (always a DAG).

        Extra keyword arguments go to ``solverkit.solve`` (e.g. ``inner='adam'``,
        ``tol``, ``time_limit``, ``seed``). ``max_iter`` is the last-stage step
        cap, as in the reference.
        """
        import solverkit

        prob = solverkit.StructureLearning(X, loss=self.loss_type, include_edges=include_edges,
                                           exclude_edges=exclude_edges)
        s_opt = float(s) if np.isscalar(s) else tuple(float(v) for v in s)
        res = solverkit.solve(
            prob, method="dagma", lambda1=lambda1, w_threshold=w_threshold, T=T,
            mu_init=mu_init, mu_factor=mu_factor, s=s_opt, warm_iter=int(warm_iter),
            last_iter=int(max_iter), lr=lr, checkpoint=int(checkpoint), beta_1=beta_1,
            beta_2=beta_2, verbose=self.verbose, **options,
        )
        self.result = res
        self.W_est = res.x
        self.h_final = res.extra.get("h_final")
        self.score_final = res.extra.get("score_final")
        return res.x
