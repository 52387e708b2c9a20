"""The sigma-certificate of ``bilevel-penalty``: is grad psi_sigma consistent as sigma -> 0?"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["certify"]


def certify(run: Any, d: np.ndarray, sigma: float, tol: float) -> dict[str, Any]:
    """Check that grad psi_sigma converges as sigma -> 0 at and next to the final x.

    Under the error bound the bias of grad psi_sigma is O(sigma), so the
    changes e1 = ||d(sigma/10) - d(sigma)|| and e2 = ||d(sigma/100) - d(sigma/10)||
    shrink (e2 ~ e1 / 10). Where the lower-level solution set jumps (the
    paper's Examples 1-2) they grow instead, like 1/sigma. The check runs at x
    and at a nearby point x' = Proj_X(x + delta u) (u a random unit vector from
    the run's rng, delta = 0.1 sqrt(sigma) (1 + ||x||), the scale over which
    psi_sigma smooths a jump of psi), because at the jump itself every sigma can
    give the same d. It passes when e2 <= 0.5 e1 + 10 tol at both points (the
    slack absorbs inner-solve error). y and z are re-solved to sigma' tol / 10.
    """
    keep = (run.x, run.y, run.z, run.Ly, run.Lz, run.path.copy())
    u = run.pr.rng.standard_normal(run.x.size)
    u /= np.linalg.norm(u)
    delta = 0.1 * math.sqrt(sigma) * (1.0 + float(np.linalg.norm(run.x)))
    x_near = run.p.X.project(run.x + delta * u)
    if np.linalg.norm(x_near - run.x) < 0.5 * delta:
        x_near = run.p.X.project(run.x - delta * u)
    checks = []
    for point, d0 in ((run.x, d), (x_near, None)):
        run.x = point
        ds = [] if d0 is None else [d0]
        for factor in ((1.0, 10.0, 100.0) if d0 is None else (10.0, 100.0)):
            s = sigma / factor
            ry, rz = run._inner(s, max(run._inner_scale(s) * tol * 0.1, 1e-13))
            ds.append(ry.fx + (ry.gx - rz.gx) / s)
        e1 = float(np.linalg.norm(ds[1] - ds[0]))
        e2 = float(np.linalg.norm(ds[2] - ds[1]))
        checks.append({"e1": e1, "e2": e2, "passed": bool(e2 <= 0.5 * e1 + 10.0 * tol)})
    run.x, run.y, run.z, run.Ly, run.Lz, run.path = keep
    return {"passed": all(c["passed"] for c in checks), "at_x": checks[0], "near_x": checks[1],
            "delta": delta, "sigmas": [sigma, sigma / 10, sigma / 100]}
