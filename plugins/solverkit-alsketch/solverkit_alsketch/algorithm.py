"""The AdaSketch-Newton outer loop (Hong, Na, Mahoney, Kolar, ICML 2023).

Per iteration k at (x, lam):
1. gradL = (grad_x L, c); stop when ||gradL|| <= tol and ||c|| <= feas_tol.
2. Matrix-free constants by Lanczos: ||H||, ||G||, xi_G = lambda_min(G G')
   (floored, never an abort), lambda_min(Z'HZ) (on the null space of G) for
   the shift t, and ||K||.
3. Solve K d = -gradL inexactly (sketching or a baseline) until
   ||K|| Psi ||r|| <= theta_k delta_k ||gradL||.
4. Descent test on the exact augmented Lagrangian merit
   L_mu,nu = L + mu/2 ||c||^2 + nu/2 ||grad_x L||^2: if
   grad L_mu,nu' d > -(nu/2) ||gradL||^2, raise mu, lower nu, sharpen delta,
   resume the inner solve (warm start) and test again.
5. With ``tangential_radius`` (default), the tangential part of dx (null space of G) is cut
   to a radius adapted by the ratio of actual to predicted merit decrease (module
   ``tangential``); the normal part and the multiplier step stay whole.
6. Armijo backtracking (alpha halved) on L_mu,nu, the same alpha for x and lam. With
   ``second_order_correction`` (default) the unit step is first tried as x + dx + dc, where
   dc = -G'(G G')^{-1} c(x + dx) removes the constraint curvature the linearisation missed
   (Nocedal & Wright, 2nd ed., section 18.3); when that fails the search backtracks along dx.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from solverkit import Status

from .linalg import KKT, lanczos_extremes, ls_multipliers, min_norm_correction, nullspace_projector
from .oracle import Oracle, Point
from .sketch import InnerSolver, InnerStats
from .tangential import TangentialRadius


def kkt_check(problem: Any, x: np.ndarray, lam: np.ndarray) -> tuple[float, float, float]:
    """Independent KKT residual, ||c|| and f at (x, lam), from fresh calls to the user's code."""
    xc = np.array(x, dtype=np.float64)
    g = np.asarray(problem.grad(xc.copy()), dtype=np.float64).reshape(-1)
    c = np.asarray(problem.cons(xc.copy()), dtype=np.float64).reshape(-1)
    J = problem.jac(xc.copy())
    JT_lam = J.T @ lam if not hasattr(J, "rmatvec") else J.rmatvec(lam)
    gl = g + np.asarray(JT_lam, dtype=np.float64).reshape(-1)
    kkt = float(np.sqrt(gl @ gl + c @ c))
    return kkt, float(np.linalg.norm(c)), float(problem.fun(xc.copy()))


def _merit(pt: Point, lam: np.ndarray, mu: float, nu: float) -> float:
    gl = pt.grad_lag(lam)
    return pt.f + lam @ pt.c + 0.5 * mu * (pt.c @ pt.c) + 0.5 * nu * (gl @ gl)


def merit(pt: Point, lam: np.ndarray, mu: float, nu: float) -> float:
    """L_mu,nu(x, lam) = L + mu/2 ||c||^2 + nu/2 ||grad_x L||^2."""
    return _merit(pt, lam, mu, nu)


def merit_grad(pt: Point, H: Any, lam: np.ndarray, mu: float, nu: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of L_mu,nu: x part grad_x L + mu G'c + nu H grad_x L, lam part c + nu G grad_x L.

    Only one product with H = hess_xx L (not hess f) is needed.
    """
    gl = pt.grad_lag(lam)
    return (gl + mu * pt.J.rmv(pt.c) + nu * H.mv(gl), pt.c + nu * pt.J.mv(gl))


def run(problem: Any, opts: Any, progress: Any, inner: str, solver_name: str):
    """Run AdaSketch-Newton (or, with ``inner='direct'``, exact Newton-KKT) on ``problem``."""
    n, m = problem.n, problem.m
    tol, feas_tol = progress.tol, opts.feas_tol
    if m > n:
        # G is m x n: rank <= n < m, so LICQ fails everywhere and K is singular.
        return progress.result(
            x=problem.x0.copy(), fun=problem.at_x0["fun"], nit=0, status=Status.INFEASIBLE,
            message=(f"{m} equality constraints but only {n} variables: the m x n Jacobian "
                     f"cannot have full row rank m (LICQ fails); {solver_name} needs m <= n"),
            extra={"lam": np.zeros(m), "kkt": math.nan,
                   "cviol": float(np.linalg.norm(problem.at_x0["cons"]))})
    oracle = Oracle(problem, opts.hessian, opts.fd_step)
    rng = progress.rng
    pt = oracle.point(problem.x0.copy(), cached=problem.at_x0)
    inner = resolve_inner(inner, n, m, pt.J.matrix is not None,
                          oracle.hessian_mode == "hess")
    solver = InnerSolver(inner, rng, block_size=_block_size(inner, opts.block_size),
                         sampling=opts.rk_sampling, max_steps=opts.max_sketch_steps,
                         time_up=progress.time_up)
    # Finite-difference products are accurate to O(fd_step): asking for more only stalls.
    rtol_min = opts.inner_rtol_min if oracle.hessian_mode != "fd" else max(
        opts.inner_rtol_min, 10.0 * opts.fd_step)
    lam = problem.lam0.copy() if problem.lam0 is not None else ls_multipliers(pt.g, pt.J)
    mu, nu, delta = opts.mu0, opts.nu0, opts.delta0
    xi_B, beta, rho = opts.xi_B, opts.beta, opts.rho
    tot = {"sketch_steps": 0, "row_ops": 0, "shifted": 0, "fallback_steps": 0,
           "descent_adapt": 0, "inner_unconverged": 0,
           "minres_fallbacks": 0, "unit_step_mu": 0, "soc_steps": 0, "radius_cuts": 0}
    kkt_hist: list[float] = []
    status, message, k = None, "", 0
    z_prev: np.ndarray | None = None
    alpha, stats = 0.0, InnerStats()  # 0: the first iteration counts as backtracked
    tr = TangentialRadius() if opts.tangential_radius else None
    while True:
        gl = pt.grad_lag(lam)
        grad_full = np.concatenate([gl, pt.c])
        kkt = float(np.linalg.norm(grad_full))
        cnorm = float(np.linalg.norm(pt.c))
        kkt_hist.append(kkt)
        if k > 0 and progress.report(k, x=pt.x, fun=pt.f, kkt=kkt, cviol=cnorm, mu=mu, nu=nu,
                                     alpha=alpha, sketch_steps=stats.steps):
            if kkt <= tol and cnorm <= feas_tol:
                status = Status.CONVERGED
            break
        if kkt <= tol and cnorm <= feas_tol:
            status = Status.CONVERGED
            break
        if progress.time_up():
            break
        k += 1
        # -- matrix-free constants (Lanczos, a few steps) ----------------------
        H = oracle.hessian(pt, lam)
        ls = opts.lanczos_steps
        h_lo, h_hi = lanczos_extremes(H.mv, n, ls, rng)
        norm_H = max(abs(h_lo), abs(h_hi))
        J = pt.J
        gg_lo, gg_hi = lanczos_extremes(lambda w, J=J: J.mv(J.rmv(w)), m, ls, rng)
        norm_G = math.sqrt(max(gg_hi, 0.0))
        xi_G = max(gg_lo, opts.xi_G_floor)  # floor, never abort (GOTTFR, PRICE4NE)
        t = 0.0
        if opts.shift != "none" and n > m:
            # Z'HZ has dimension n - m: more Lanczos steps would only see projection noise.
            z_lo, _ = lanczos_extremes(H.mv, n, min(ls, n - m), rng,
                                       project=nullspace_projector(pt.J))
            if not z_lo >= opts.shift_threshold:
                # reference: the public code's t = xi_B + ||H||; minimal: the smallest
                # shift with Z'(H + tI)Z >= xi_B I (Lanczos estimate).
                t = xi_B - z_lo if opts.shift == "minimal" and math.isfinite(z_lo) \
                    else xi_B + norm_H
            elif opts.shift_floor == "kkt" and alpha < 1.0 and z_lo < min(xi_B, kkt):
                # Positive but tiny reduced curvature far from a KKT point gives an enormous
                # null-space step (C3 from all ones: hundreds of backtracks). After a
                # backtracked step, lift it to min(xi_B, ||gradL||), a Levenberg-Marquardt-
                # like shift that vanishes near a solution (the Newton rate stays) and is
                # dropped as soon as a unit step is accepted (a flat QP keeps its 1 step).
                t = min(xi_B, kkt) - z_lo
            tot["shifted"] += t > 0
        K = KKT(H, pt.J, t)
        norm_B = max(abs(h_lo + t), abs(h_hi + t))
        K.diag_scale = max(norm_B, xi_B)
        k_lo, k_hi = lanczos_extremes(K.mv, K.N, ls, rng)
        norm_K = max(abs(k_lo), abs(k_hi))
        psi = 20.0 * max(norm_B**2, 1.0) / (min(xi_G, 1.0) * min(xi_B, 1.0))
        ups = max(norm_G, norm_H, 1.0)

        delta = max(opts.delta_min, min(delta, _delta_trial(beta, mu, nu, ups, psi)))
        theta = 1.0
        if opts.superlinear:
            theta = min(1.0, kkt**opts.superlinear_power)

        # -- inexact Newton-KKT step ------------------------------------------
        stats = InnerStats()
        rhs = -grad_full
        z0 = np.zeros(K.N)
        if opts.warm_start and z_prev is not None:
            z0 = z_prev
        scale = kkt / (max(norm_K, 1e-300) * psi)  # target = max(theta delta scale, floor)
        z = solver.solve(K, rhs, z0, max(theta * delta * scale, rtol_min * kkt), stats)
        if not stats.converged:
            tot["inner_unconverged"] += 1
        # -- descent test; adapt (mu, nu, delta) ---------------------------------
        Hgl = H.mv(gl)
        Jgl = pt.J.mv(gl)
        JTc = pt.J.rmv(pt.c)

        parts = (gl, JTc, Hgl, pt.c, Jgl)
        while _slope(z, n, parts, mu, nu) > -0.5 * nu * kkt**2:
            if mu > opts.mu_max or nu < opts.nu_min:
                break
            tot["descent_adapt"] += 1
            mu, nu = rho**2 * mu, nu / rho
            delta = max(opts.delta_min, min(delta / rho**4, _delta_trial(beta, mu, nu, ups, psi)))
            target = max(theta * delta * scale, rtol_min * kkt)
            if stats.resid > target and stats.steps < opts.max_sketch_steps \
                    and not stats.stalled:
                z = solver.solve(K, rhs, z, target, stats)
        if not stats.converged and inner not in ("minres", "pminres", "direct") \
                and not progress.time_up() and (
                opts.minres_fallback or _slope(z, n, parts, mu, nu) > -0.5 * nu * kkt**2):
            # The sketch missed the accuracy test (stalled or out of budget): finish this
            # system with MINRES from the sketched iterate (documented fallback).
            tot["minres_fallbacks"] += 1
            # MINRES needs at most ~N steps in exact arithmetic; 5N + 100 bounds a singular K.
            fb = InnerSolver("minres", rng, max_steps=min(opts.max_sketch_steps, 5 * K.N + 100))
            fstats = InnerStats()
            z = fb.solve(K, rhs, z, max(theta * delta * scale, rtol_min * kkt), fstats)
        d = z
        slope = _slope(d, n, parts, mu, nu)
        if not slope < 0.0:
            # Penalties exhausted and still no descent: steepest descent on the merit
            # keeps the method globally convergent (documented fallback).
            tot["fallback_steps"] += 1
            d = -np.concatenate([gl + mu * JTc + nu * Hgl, pt.c + nu * Jgl])
            slope = -float(d @ d)
        tot["sketch_steps"] += stats.steps
        tot["row_ops"] += K.row_ops
        z_prev = z
        if tr is not None:
            d = tr.bound(pt.J, d, n,
                         lambda e, p=parts, mu=mu, nu=nu: _slope(e, n, p, mu, nu))
            if tr.bounded:
                slope = _slope(d, n, parts, mu, nu)
                tot["radius_cuts"] += 1
        # -- Armijo backtracking on L_mu,nu --------------------------------------
        m0 = _merit(pt, lam, mu, nu)
        soc = _second_order_correction(oracle, pt, d[:n], 0.1 * feas_tol) \
            if opts.second_order_correction \
            else None
        # Trial steps (alpha, dx): the corrected unit step replaces the plain one; when it
        # fails Armijo the search goes on along dx from alpha = 1/2 (N&W Algorithm 18.3).
        alpha, new = 1.0, None
        dx = d[:n] if soc is None else d[:n] + soc
        while alpha >= opts.min_step:
            try:
                trial = oracle.point(pt.x + dx)
                lam_t = lam + alpha * d[n:]
                mt = _merit(trial, lam_t, mu, nu)
            except FloatingPointError:
                mt = math.inf
            if alpha == 1.0 and opts.unit_step_mu and math.isfinite(mt) \
                    and mt > m0 + beta * slope:
                # Merit and slope are affine in mu: raise mu just enough that the unit
                # step passes Armijo, when that is possible below mu_max (keeps the
                # full Newton step when the merit is not yet exact for this mu).
                qt, q0 = 0.5 * trial.c @ trial.c, 0.5 * pt.c @ pt.c
                tdir = float(JTc @ d[:n])
                a = qt - q0 - beta * tdir
                if a < 0.0:
                    mu_new = 1.01 * mu + (mt - m0 - beta * slope) / (-a)
                    if mu_new <= opts.mu_max:
                        slope += (mu_new - mu) * tdir
                        m0 += (mu_new - mu) * q0
                        mt += (mu_new - mu) * qt
                        mu = mu_new
                        tot["unit_step_mu"] += 1
            if math.isfinite(mt) and mt <= m0 + beta * alpha * slope:
                if tr is not None:
                    tr.update(m0 - mt, -alpha * slope, alpha)
                new = (trial, lam_t)
                tot["soc_steps"] += alpha == 1.0 and soc is not None
                break
            alpha *= 0.5
            dx = alpha * d[:n]
        if new is None:
            status, message = Status.STALLED, (
                f"line search failed at iteration {k}: no step >= {opts.min_step:g} decreases "
                f"the merit (KKT residual {kkt:.3e}, ||c|| {cnorm:.3e})")
            break
        pt, lam = new
    # -- honest termination: recompute at the returned point --------------------
    kkt_ind, c_ind, f_ind = kkt_check(problem, pt.x, lam)
    extra = {"lam": lam.copy(), "kkt": kkt_ind, "cviol": c_ind, "mu": mu, "nu": nu,
             "kkt_history": kkt_hist, **oracle.counts, **tot,
             "kkt_matvecs": tot["row_ops"] / (n + m), "inner": inner,
             "hessian_mode": oracle.hessian_mode}
    fields: dict[str, Any] = {"x": pt.x.copy(), "fun": f_ind, "nit": k,
                              "nfev": oracle.counts["nfev"], "extra": extra}
    ok = kkt_ind <= tol and c_ind <= feas_tol
    if status is Status.CONVERGED:
        if not ok:
            return progress.result(**fields, status=Status.NUMERICAL, message=(
                f"the independent check at the returned point failed: KKT residual "
                f"{kkt_ind:.3e} (tol {tol:g}), ||c|| {c_ind:.3e} (feas_tol {feas_tol:g})"))
        return progress.result(**fields, status=Status.CONVERGED, message=(
            f"KKT residual {kkt_ind:.2e} <= {tol:g} and ||c|| {c_ind:.2e} <= {feas_tol:g}"))
    if status is not None:
        return progress.result(**fields, status=status, message=message)
    res = progress.result(**fields)
    if res.success:  # cannot happen (no stop reason), but never report success unchecked
        res["success"] = False
    res["message"] += (f" (KKT residual {kkt_ind:.3e}, ||c|| {c_ind:.3e} at the returned point)")
    return res


#: ``inner="auto"``: systems with n + m at least this large and an explicit Jacobian use
#: preconditioned MINRES; smaller ones the block sketch (see the README, C4).
AUTO_PMINRES_MIN = 500


def resolve_inner(inner: str, n: int, m: int, explicit_jacobian: bool,
                  explicit_hessian: bool = True) -> str:
    """The inner solver ``inner="auto"`` stands for (other names are returned unchanged).

    Block sketching solves the small explicit C1 systems in a few sweeps. On large sparse
    PDE-type KKT systems every sketch contracts slowly (spec pitfall 3) while MINRES with
    the Schur-complement preconditioner needs a handful of steps. With Hessian products
    only, a row of K costs a whole product, so a b-row sketch step costs b products
    against MINRES's one: MINRES then.
    """
    if inner != "auto":
        return inner
    if not explicit_hessian:
        return "minres"
    return "pminres" if explicit_jacobian and n + m >= AUTO_PMINRES_MIN else "block"


def _delta_trial(beta: float, mu: float, nu: float, ups: float, psi: float) -> float:
    """delta_trial = (1/2 - beta) nu / ((1 + mu + nu) Upsilon^2 Psi^2)."""
    return (0.5 - beta) * nu / ((1.0 + mu + nu) * ups**2 * psi**2)


def _slope(d: np.ndarray, n: int, parts: tuple, mu: float, nu: float) -> float:
    """grad L_mu,nu' d from (grad_x L, G'c, H grad_x L, c, G grad_x L)."""
    gl, JTc, Hgl, c, Jgl = parts
    return float((gl + mu * JTc + nu * Hgl) @ d[:n] + (c + nu * Jgl) @ d[n:])


def _second_order_correction(oracle: Oracle, pt: Point, dx: np.ndarray,
                             skip_below: float) -> np.ndarray | None:
    """dc = -G'(G G')^{-1} c(x + dx), G the Jacobian at x (N&W eq. 18.20), or None.

    One counted constraint evaluation and no gradient: the linearised constraints hold at
    x + dx up to the curvature of c, and dc is the least-norm step that removes that
    residual to first order (on a sphere it pulls a tangential step back to the surface).
    None when c is not finite at x + dx (the line search then handles that point), and None
    when ||c(x + dx)|| <= ``skip_below`` (0.1 feas_tol): the trial point is then feasible well
    within the tolerance (linear constraints: rounding level), and the CG on G G' would cost
    hundreds of products on an ill-conditioned Jacobian (C4) for nothing.
    """
    try:
        r = oracle.cons(pt.x + dx)
    except FloatingPointError:
        return None
    if not np.linalg.norm(r) > skip_below:
        return None
    dc = min_norm_correction(pt.J, r)
    return dc if np.all(np.isfinite(dc)) else None


def _block_size(inner: str, block_size: int | None) -> int:
    if block_size is not None:
        return block_size
    return {"block": 64, "count": 8}.get(inner, 1)
