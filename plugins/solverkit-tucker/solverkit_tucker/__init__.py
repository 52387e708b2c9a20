"""solverkit-tucker: choose a Tucker core shape (multilinear rank) under a size budget.

Solvers (``solverkit.solve(TuckerRank(X, budget), method=...)``):
``tucker-shape``, ``tucker-packing``, ``tucker-greedy``, ``tucker-greedy-sv``,
``tucker-exhaustive``. The building blocks are importable directly:
:func:`mode_spectra` / :func:`spectra_of`, :func:`hooi`, :func:`st_hosvd`,
:func:`exact_shape`, and the truncated-HOSVD error table :func:`hosvd_table` /
:func:`best_on_table` / :class:`WarmFitter`.
"""

from .hooi import TuckerFit, hooi, reconstruct, st_hosvd
from .proxy import HosvdTable, WarmFitter, best_on_table, hosvd_table
from .search import exact_shape, exhaustive_shape, greedy_shape, tucker_size
from .sparse import coo_spectra
from .spectra import Spectra, mode_spectra, spectra_of

__version__ = "0.1.0"

__all__ = ["Spectra", "mode_spectra", "spectra_of", "TuckerFit", "hooi", "st_hosvd",
           "reconstruct", "exact_shape", "exhaustive_shape", "greedy_shape", "tucker_size",
           "HosvdTable", "hosvd_table", "best_on_table", "WarmFitter", "coo_spectra"]
