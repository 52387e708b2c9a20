"""``bilevel-penalty``: the double-loop first-order penalty method.

Kwon, Kwon, Wright & Nowak, "On Penalty Methods for Nonconvex Bilevel
Optimization and First-Order Stochastic Approximation", ICLR 2024. With
h_sigma = sigma f + g, the state (x, y, z) has y tracking argmin_Y h_sigma(x, .)
and z tracking argmin_Y g(x, .); the outer step is a projected step on x along

    d = grad_x f(x, y) + (grad_x g(x, y) - grad_x g(x, z)) / sigma,

the gradient of psi_sigma(x) = (min_y h_sigma(x, y) - min_z g(x, z)) / sigma.

Deterministic mode: inner projected gradient with backtracking to residual
sigma * max(tol, kappa * gm) (the 1/sigma factor in d amplifies inner error,
so inner accuracy scales with sigma, loose while the outer gradient mapping gm
is large); outer Armijo backtracking on Phi(x) = f(x, y) + (g(x, y) - g(x, z)) /
sigma with y and z held fixed, followed by a monotonicity safeguard on the
psi_sigma estimate after the inner re-solve. Stochastic mode: T projected SGD
inner steps and mini-batches that grow geometrically (the noise in d is
scaled by 1/sigma, so the batch must grow). Success is reported only when the
gradient mapping test holds and (unless ``certify=False``) the penalty
hypergradient is consistent as sigma -> 0 (see :func:`certify`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

import solverkit
from solverkit.problems import Bilevel
from solverkit.sets import Reals

from ._inner import INNER_SOLVERS, PathPredictor, residual_tilt, stochastic_inner
from ._oracle import Diverged, Oracle, failed, gradient_mapping
from ._secant import SecantProbe, two_loop
from .certificate import certify
from .penalty_options import PenaltyOptions

__all__ = ["PenaltySolver", "PenaltyOptions", "certify"]


class PenaltySolver(solverkit.Solver):
    """Double-loop penalty method for nonconvex bilevel problems (ICLR 2024)."""

    name = "bilevel-penalty"
    when_to_use = (
        "The default for bilevel problems given by gradients: first order only (no "
        "Hessian-vector products), handles a nonconvex lower level under the error-bound "
        "condition and constraint sets with cheap projections, with a sigma-controlled bias. "
        "With stochastic oracles it uses growing batches; prefer `bilevel-penalty-sl` there.")
    kinds = (Bilevel,)
    Options = PenaltyOptions
    summary = "double-loop first-order penalty method (projected, Hessian-free)"
    reference = ("J. Kwon, D. Kwon, S. Wright, R. Nowak, On Penalty Methods for Nonconvex "
                 "Bilevel Optimization and First-Order Stochastic Approximation, ICLR 2024")
    default_max_iter = 5000
    default_tol = 1e-5
    stochastic = True
    warm_start = False  # warm starts are internal (y, z across outer iterations)

    def solve(self, problem: Bilevel, options: PenaltyOptions, progress: Any) -> Any:
        if options.oracle == "stochastic" and not problem.stochastic:
            raise ValueError("oracle='stochastic' needs a problem with stochastic_grad_f, "
                             "stochastic_grad_g and n_samples")
        oracle = Oracle(problem, progress.rng)
        run = _Run(problem, options, progress, oracle)
        try:
            if options.oracle == "stochastic":
                return run.stochastic()
            return run.exact()
        except Diverged as exc:
            return failed(progress, oracle, run.x, str(exc), run.nit, run.extra())


class _Run:
    """State and loops of one solve (kept in one object so failures can report it)."""

    def __init__(self, problem: Bilevel, opts: PenaltyOptions, progress: Any,
                 oracle: Oracle) -> None:
        self.p, self.o, self.pr, self.oracle = problem, opts, progress, oracle
        self.x = problem.x0.copy()
        self.y = problem.y0.copy()
        self.z = problem.y0.copy()
        self.nit = 0
        self.sigma = opts.target_sigma()
        self.diag: dict[str, float] = {}
        self.certificate: dict[str, Any] | None = None
        self.stages: list[dict[str, Any]] = []
        self.rejected = 0
        self.gain = 1.0  # secant estimate of d's sensitivity to inner residuals (auto_inner_tol)
        # Divisor of the inner target, raised 10x each time a trial x would diverge while the
        # inner solves can still be tightened (see _diverging_trial).
        self.tightening = 1.0
        self.rho = 0.0  # latest measured secant ratio (kept for failure messages)
        self.path = PathPredictor(self.x)  # warm starts of the inner solves (extrapolate)

    def extra(self) -> dict[str, Any]:
        return {"y": self.y.copy(), "z": self.z.copy(), "sigma": self.sigma,
                **self.diag, **self.oracle.counts(), "stages": self.stages,
                "certificate": self.certificate,
                "rejected_steps": self.rejected, "inner_gain": self.gain,
                "inner_tightening": self.tightening}

    # -- deterministic -----------------------------------------------------
    def _inner(self, sigma: float, tol: float) -> tuple[Any, Any]:
        o, time_up = self.o, self.pr.time_up
        solve_inner = INNER_SOLVERS[o.inner_solver]
        z_start, y_start = self.z, self.y
        min_steps = 0
        predicted = self.path.predict(self.x, self.z, self.y) if o.extrapolate else None
        if predicted is not None:
            z_start, y_start = self.p.Y.project(predicted[0]), predicted[1]
            # A prediction is corrected by at least one step, never returned as it is: with
            # a loose inner target it can already meet the target, and then y and z would
            # only follow their extrapolation while x drifts (seen on least squares with
            # inner_tol_factor >= 30: geometric growth through accepted outer steps).
            min_steps = 1
        rz = solve_inner(self.oracle, self.p.Y, self.x, z_start, 0.0, tol * self._z_ratio(sigma),
                         o.max_inner, self.Lz, "z", time_up, min_steps=min_steps)
        tilt = residual_tilt(self.p.Y, rz.v, rz.grad) if o.tilt else None
        if tilt is not None:
            # z exactly minimises g - <tilt, .>; solving y for the same tilted lower level
            # makes the inner errors of y and z cancel in d (see PenaltyOptions.tilt).
            rz = dataclasses.replace(rz, value=rz.value - float(tilt @ rz.v))
        if o.shift_warm_start:
            # y - z = O(sigma) changes slowly with x while y and z each move with x:
            # start y from the new z plus the (predicted) offset.
            y_start = rz.v + (y_start - z_start)
        y_start = self.p.Y.project(y_start)
        ry = solve_inner(self.oracle, self.p.Y, self.x, y_start, sigma, tol, o.max_inner,
                         self.Ly, "y", time_up, tilt, min_steps)
        self.path.record(self.x, self.z, self.y)
        self.y, self.z, self.Ly, self.Lz = ry.v, rz.v, ry.L, rz.L
        measured = max(ry.gain, rz.gain)
        if measured > 0.0:
            self.rho = measured
        if o.auto_inner_tol and measured > 0.0:  # keep the last estimate after 0-step solves
            self.gain = min(max(measured, 1e-6), 1e6)
        return ry, rz

    def _z_ratio(self, sigma: float) -> float:
        """z's residual target over y's: z_tol_factor replaces inner_tol_factor * sigma."""
        if self.o.z_tol_factor is None:
            return 1.0
        return self.o.z_tol_factor / (self.o.inner_tol_factor * sigma)

    def _inner_scale(self, sigma: float) -> float:
        """Inner residual target per unit of max(tol, kappa gm): factor * sigma / gain."""
        return self.o.inner_tol_factor * sigma / (self.gain * self.tightening)

    def _diverging_trial(self, x_new: np.ndarray) -> bool:
        """True if a trial x would diverge and the inner solves may be the cause.

        Loose inner solves barely move y and z between outer iterates, so d looks constant,
        the Barzilai-Borwein step s's / s'd runs to its cap, and Phi (linear in x when y, z
        are fixed and g is quadratic) passes the screen at any distance: the trial lands
        beyond the divergence guard although psi_sigma is bounded. Before that is reported
        as an unbounded upper level, the inner targets are tightened 10x (for the rest of
        the run, down to 1e-4 of the configured one) and the step is retried. Raises
        :class:`Diverged`, naming the inner settings, once no tightening is left.
        """
        norm = float(np.linalg.norm(x_new))
        if math.isfinite(norm) and norm <= self.oracle.blowup:
            return False
        if self.tightening < 1e4:
            self.tightening *= 10.0
            return True
        raise Diverged(
            f"x diverged (trial norm {norm:.3g} > {self.oracle.blowup:.3g}) although the inner "
            f"solves were tightened to 1/{self.tightening:.0f} of the target set by "
            f"inner_tol_factor={self.o.inner_tol_factor:g}: the upper level looks unbounded "
            "below")

    def _fixed_step_reason(self, reason: str, gamma: float) -> str:
        """Why a run under the fixed outer rule diverged, with the likely cause.

        Without a line search nothing rejects a step, so divergence can only be diagnosed.
        The inner target factor * sigma * kappa * gm / (gain * tightening) leaves an error
        of about rho / sigma times it in d, i.e. factor * kappa * rho / (gain * tightening)
        times gm (rho: measured secant sensitivity of d to inner residuals); above 1 the
        inner error can exceed d itself and x runs away (then y and z follow it, so their
        divergence does not mean the lower level is unbounded).
        """
        o = self.o
        rel = o.inner_tol_factor * o.inner_kappa * self.rho / (self.gain * self.tightening)
        where = f" (|x| = {np.linalg.norm(self.x):.3g} under the fixed outer step {gamma:g})"
        if rel > 1.0:
            # Drop the guard's "... looks unbounded below": the inner error is the cause.
            return reason.split(": the ", 1)[0] + where + (
                f"; the inner solves were too loose for the outer step: inner_tol_factor="
                f"{o.inner_tol_factor:g} x inner_kappa={o.inner_kappa:g} x measured sensitivity "
                f"{self.rho:.2g} of d to inner residuals = {rel:.2g} > 1, so the inner error in d "
                "can exceed d; lower inner_tol_factor or set auto_inner_tol=True")
        return reason + where + ("; or the fixed step may be too large for the curvature of "
                                 "psi_sigma (lower outer_step)")

    def exact(self) -> Any:
        o, pr = self.o, self.pr
        tol = pr.tol
        target = self.sigma
        if o.continuation and o.sigma0 > target:
            n_stages = 1 + math.ceil(math.log(target / o.sigma0) / math.log(o.sigma_decay) - 1e-9)
            sigmas = [max(o.sigma0 * o.sigma_decay**i, target) for i in range(n_stages)]
        else:
            sigmas = [target]
        self.Ly = self.Lz = 1.0
        gamma = o.outer_step or 1.0
        for stage, sigma in enumerate(sigmas):
            last = stage == len(sigmas) - 1
            stage_tol = tol if last else max(tol, o.stage_tol_factor * sigma)
            self.sigma = sigma
            status, gamma = self._stage(sigma, stage_tol, gamma, final=last)
            self.stages.append({"sigma": sigma, "tol": stage_tol, "nit": self.nit,
                                "grad_calls": self.oracle.grad_calls, "status": status})
            if status != "converged":
                return self._finish(status)
        return self._finish("converged")

    def _stage(self, sigma: float, tol: float, gamma: float, final: bool) -> tuple[str, float]:
        o, pr, oracle, X = self.o, self.pr, self.oracle, self.p.X
        gm = math.inf
        tight = 1.0  # shrinks after a rejected step so psi_sigma estimates become exact enough
        inner_tol = self._inner_scale(sigma) * max(tol, o.inner_kappa)
        ry, rz = self._inner(sigma, inner_tol)
        recent: list[float] = []
        # Unconstrained x: L-BFGS directions on psi_sigma (d is its gradient); constrained
        # x: spectral projected gradient. Both go through the same tests below.
        use_lbfgs = isinstance(X, Reals) and o.lbfgs_memory > 0
        pairs: list[tuple[np.ndarray, np.ndarray]] = []
        passes = 0  # consecutive inner tightenings at the same x (not outer iterations)
        while True:
            d = ry.fx + (ry.gx - rz.gx) / sigma
            gm = gradient_mapping(X, self.x, d, o.gm_step)
            psi = (ry.value - rz.value) / sigma
            self._diagnose(sigma, gm, psi, ry, rz)
            if not math.isfinite(psi) or not math.isfinite(gm):
                raise Diverged("the penalty function became non-finite")
            # z's residual in units of y's target (they differ when z_tol_factor is set).
            res_inner = max(ry.residual, rz.residual / self._z_ratio(sigma))
            inner_ok = res_inner <= self._inner_scale(sigma) * tol
            # The outer test holds but the inner solves are too loose: tighten them 100x per
            # pass (not straight to the final accuracy), because a small gm can itself be an
            # artefact of loose solves (at the start y = z = y0 makes d = grad_x f, zero on
            # hyper-cleaning), and the outer steps resume as soon as d is resolved.
            tighten = gm <= tol and not inner_ok
            # x does not move in such a pass, so it is not an outer iteration, unless 10 come
            # in a row (then each counts, so the iteration and time limits still apply).
            if not tighten or passes >= 10:
                self.nit += 1
                self.diag["step"] = gamma
                stop = pr.report(self.nit, x=self.x, fun=psi, **self.diag)
                if gm <= tol and inner_ok:
                    if not final or not o.certify:
                        return "converged", gamma
                    self.certificate = certify(self, d, sigma, tol)
                    return ("converged" if self.certificate["passed"] else "uncertified"), gamma
                if stop:
                    return "stopped", gamma
            if tighten:
                passes += 1
                ry, rz = self._inner(sigma, max(self._inner_scale(sigma) * tol,
                                                0.01 * res_inner))
                continue
            passes = 0
            if o.outer_rule == "fixed":
                # The paper's rule: x <- Proj_X(x - gamma d) with a fixed gamma, a
                # discretised gradient flow of psi_sigma (no line search, no BB).
                gamma = o.outer_step or sigma
                x_new = X.project(self.x - gamma * d)
                try:
                    oracle.check_iterate("x", x_new)
                    self.x = x_new
                    ry, rz = self._inner(sigma, self._inner_scale(sigma)
                                         * max(tol, o.inner_kappa * gm))
                except Diverged as exc:
                    raise Diverged(self._fixed_step_reason(str(exc), gamma)) from None
                continue
            # Spectral projected gradient step (nonmonotone Armijo over the last
            # ``memory`` values of psi_sigma, Birgin-Martinez-Raydan): cheap trials on
            # Phi(., y, z) with y and z held fixed first, then the inner re-solve and
            # the test on the psi_sigma estimate itself (Phi ignores how y and z move).
            recent.append(psi)
            ref = max(recent[-o.memory:])
            x_old, y_old, z_old, Ly, Lz = self.x, self.y, self.z, self.Ly, self.Lz
            path = self.path.copy()
            accepted = False
            direction = -gamma * d
            if use_lbfgs and pairs:
                direction = -two_loop(d, pairs)
                if float(direction @ d) >= 0.0:  # not a descent direction: restart
                    pairs.clear()
                    direction = -gamma * d
            for _ in range(60):
                x_new = X.project(x_old + direction)
                s = x_new - x_old
                decrease = o.armijo * float(d @ s)
                phi = (sigma * oracle.f(x_new, y_old) + oracle.g(x_new, y_old)
                       - oracle.g(x_new, z_old)) / sigma
                if phi > ref + decrease:
                    gamma *= 0.5
                    direction *= 0.5
                    continue
                if self._diverging_trial(x_new):
                    # Retry from x_old with the tighter inner target: fresh d, and a step
                    # that no longer comes from secants of an unresolved d.
                    gamma = o.outer_step or 1.0
                    pairs.clear()
                    recent.pop()
                    ry, rz = self._inner(sigma, self._inner_scale(sigma)
                                         * max(tol, o.inner_kappa * gm) * tight)
                    break
                oracle.check_iterate("x", x_new)
                self.x = x_new
                inner_tol = self._inner_scale(sigma) * max(tol, o.inner_kappa * gm) * tight
                ry_new, rz_new = self._inner(sigma, inner_tol)
                psi_new = (ry_new.value - rz_new.value) / sigma
                # psi_sigma is a difference quotient: its rounding error is about
                # eps * (|h_sigma| + |g|) / sigma, which near a solution can exceed the
                # predicted decrease; the test allows for it.
                noise = 64 * np.finfo(float).eps * (abs(ry_new.value) + abs(rz_new.value)
                                                    + abs(ry.value) + abs(rz.value)) / sigma
                if psi_new <= ref + decrease + noise + 1e-12 * (1.0 + abs(ref)):
                    accepted = True
                    break
                # Undo and halve the step. Re-solve at the old point with tighter inner
                # tolerances, so the next comparison is not decided by inner error.
                self.x, self.y, self.z, self.Ly, self.Lz = x_old, y_old, z_old, Ly, Lz
                self.path = path
                self.rejected += 1
                gamma *= 0.5
                direction *= 0.5
                if tight > 1e-4:
                    tight = max(tight * 0.1, 1e-4)
                    recent.pop()
                    inner_tol = self._inner_scale(sigma) * max(tol, o.inner_kappa * gm) * tight
                    ry, rz = self._inner(sigma, inner_tol)
                    break
            else:
                return "stalled", gamma
            if not accepted:
                continue
            tight = min(tight * 10.0, 1.0)
            d_new = ry_new.fx + (ry_new.gx - rz_new.gx) / sigma
            ry, rz = ry_new, rz_new
            # Barzilai-Borwein step on the penalty hypergradient d, which sees the
            # curvature of psi_sigma including how y and z move with x.
            s_x, s_d = self.x - x_old, d_new - d
            curv = float(s_x @ s_d)
            gamma = float(s_x @ s_x) / curv if curv > 0 else gamma * 2.0
            gamma = min(max(gamma, 1e-10), 1e10)
            if use_lbfgs and curv > 1e-12 * float(np.linalg.norm(s_x) * np.linalg.norm(s_d)):
                pairs.append((s_x, s_d))
                del pairs[:-o.lbfgs_memory]

    def _diagnose(self, sigma: float, gm: float, psi: float, ry: Any, rz: Any) -> None:
        self.diag = {
            "gm": gm, "psi_sigma": psi, "sigma": sigma,
            "ll_gap": float(self.p.g(self.x, self.y) - self.p.g(self.x, self.z)),
            "yz_dist": float(np.linalg.norm(self.y - self.z)),
            "res_y": ry.residual, "res_z": rz.residual,
            "oracle_calls": self.oracle.oracle_calls, "grad_calls": self.oracle.grad_calls,
        }

    def _finish(self, status: str) -> Any:
        extra = self.extra()
        fun = self.diag.get("psi_sigma", math.nan)
        common = dict(x=self.x.copy(), fun=fun, nit=self.nit, nfev=self.oracle.oracle_calls,
                      extra=extra)
        if status == "converged":
            return self.pr.result(**common)
        if status == "stopped":
            return self.pr.result(**common)
        if status == "uncertified":
            c = self.certificate or {}
            return self.pr.result(status=solverkit.Status.STALLED, message=(
                "gradient mapping test holds at this sigma but the penalty hypergradient does "
                f"not converge as sigma -> 0 (changes {c.get('at_x')} at x, {c.get('near_x')} "
                "next to x, for sigma/10 and sigma/100): the lower-level solution set looks "
                "discontinuous near x (error bound fails), so psi may be discontinuous here"),
                **common)
        return self.pr.result(status=solverkit.Status.STALLED, message=(
            "outer line search found no decrease of the penalty function"), **common)

    # -- stochastic --------------------------------------------------------
    def stochastic(self) -> Any:
        o, pr, oracle, p = self.o, self.pr, self.oracle, self.p
        sigma, tol, n = self.sigma, pr.tol, p.n_samples or 1
        rng_probe = SecantProbe(oracle, p, self.pr.rng)
        alpha = o.inner_step or 0.5 / rng_probe.L_y(self.x, self.y, sigma, o.batch)
        beta = o.inner_step or 0.5 / rng_probe.L_y(self.x, self.z, 0.0, o.batch)
        # The theory's safe outer step Theta(sigma): with a few inner SGD steps the inner
        # error enters d multiplied by 1/sigma. (Secant estimates of the curvature of
        # psi_sigma on mini-batches were tried and were dominated by that error.)
        gamma = o.outer_step or sigma
        self.steps = {"alpha": alpha, "beta": beta, "gamma": gamma}
        batch = float(o.batch)
        while True:
            m = min(n, int(math.ceil(batch)))
            self.y = stochastic_inner(oracle, p.Y, self.x, self.y, sigma, o.inner_steps,
                                      alpha, m, "y")
            self.z = stochastic_inner(oracle, p.Y, self.x, self.z, 0.0, o.inner_steps, beta,
                                      m, "z")
            # One mini-batch for all three x-gradients: with common samples the noise of
            # grad_x g(x, y) - grad_x g(x, z) scales with ||y - z|| = O(sigma) instead of
            # being amplified by 1/sigma.
            idx = oracle.batch(m)
            fx = oracle.grad_f(self.x, self.y, idx)[0]
            d = fx + (oracle.grad_g(self.x, self.y, idx)[0]
                      - oracle.grad_g(self.x, self.z, idx)[0]) / sigma
            gm = gradient_mapping(p.X, self.x, d, o.gm_step)
            f_y, g_y, g_z = p.f(self.x, self.y), p.g(self.x, self.y), p.g(self.x, self.z)
            self.diag = {"gm": gm, "psi_sigma": f_y + (g_y - g_z) / sigma, "sigma": sigma,
                         "ll_gap": g_y - g_z, "yz_dist": float(np.linalg.norm(self.y - self.z)),
                         "batch": m, "samples": oracle.samples,
                         "oracle_calls": oracle.oracle_calls, "grad_calls": oracle.grad_calls}
            if not all(math.isfinite(v) for v in (gm, f_y, g_y, g_z)):
                raise Diverged("the penalty function became non-finite")
            self.nit += 1
            stop = pr.report(self.nit, x=self.x, fun=self.diag["psi_sigma"], **self.diag)
            if m >= n and gm <= tol:  # exact gradients at full batch: the test is valid
                return self.pr.result(x=self.x.copy(), fun=self.diag["psi_sigma"], nit=self.nit,
                                      nfev=oracle.oracle_calls, extra={**self.extra(),
                                                                       "steps": self.steps})
            budget = o.max_samples is not None and oracle.samples >= o.max_samples
            if stop or budget:
                status = {} if stop else {"status": solverkit.Status.MAX_ITER,
                                          "message": f"sample budget {o.max_samples} reached"}
                return self.pr.result(x=self.x.copy(), fun=self.diag["psi_sigma"], nit=self.nit,
                                      nfev=oracle.oracle_calls,
                                      extra={**self.extra(), "steps": self.steps}, **status)
            self.x = p.X.project(self.x - gamma * d)
            oracle.check_iterate("x", self.x)
            batch *= o.batch_growth
