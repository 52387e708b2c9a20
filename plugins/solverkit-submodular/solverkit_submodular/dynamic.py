"""Fully dynamic monotone submodular maximisation: the level algorithm with OPT guesses.

Banihashem, Biabani, Goudarzi, Hajiaghayi, Jabbarzade, Monemizadeh, "Dynamic
Constrained Submodular Optimization with Polylogarithmic Update Time", ICML 2023,
following the level structure of Lattanzi et al. (NeurIPS 2020); see the
method spec, sections 2.2-2.5.

Per guess gamma = (1+eps)^i (tau = gamma / 2k) and level l = 0..T:
A[l] is the pool recorded when level l was last built, S[l] the picks made at
level l, B[l] the (useful) insertions since then; P[l] is the f-state of
S[<l]. After every update, for every guess, the invariant holds:

(a) f(S) >= (1 - eps) gamma / 2, or
(b) |S| < k and every live e has Delta(e | S) < tau,

which gives f(best S) >= (1/2 - eps) OPT. :meth:`DynamicSubmodular.check_invariant`
verifies it from scratch.

Two documented departures that keep the invariant (so the guarantee) intact
and trade oracle calls for value (``candidates=1, refresh=1`` is the paper's
rule exactly): each pick is the best of the first ``candidates`` qualifying
elements of the random order, and a deletion that hits S also rebuilds when
f(S) lost more than a fraction ``refresh`` of its value at the last Build.

Build cost. Picks are taken by a *lazy scan* of the shuffled pool: the first
element in the random order whose gain still reaches tau is picked (a uniform
pick among the qualifying ones), and an element found below tau is dropped for
good (by submodularity it can never qualify again). The pool is re-filtered
only when a level is entered after picks, so A[l] is exact when recorded and a
Build costs O(|A[l0]|) calls instead of O(k |A[l0]|).

Every update is two-phase: all oracle calls happen while *planning* each
guess's change; the plans are committed only when every one succeeded, so an
oracle error leaves the structure as it was before the update.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from .dynbase import DynamicBase

__all__ = ["DynamicSubmodular", "InvariantError"]


class InvariantError(AssertionError):
    """check_invariant() found a guess violating (a) and (b), or an inconsistent structure."""


class _Guess:
    """State of one OPT guess."""

    __slots__ = ("i", "gamma", "tau", "T", "A", "B", "S", "P", "Pv", "where", "size", "value",
                 "lowest", "rng", "built_value")

    def __init__(self, i: int, gamma: float, k: int, T: int, empty: Any,
                 rng: np.random.Generator) -> None:
        self.i, self.gamma, self.tau, self.T = i, gamma, gamma / (2.0 * k), T
        self.A: list[set[int]] = [set() for _ in range(T + 1)]
        self.B: list[set[int]] = [set() for _ in range(T + 1)]
        self.S: list[list[int]] = [[] for _ in range(T + 1)]
        self.P: list[Any] = [empty] * (T + 2)       # P[l] = state of S[<l]; P[T+1] = all of S
        self.Pv: list[float] = [0.0] * (T + 2)      # f(S[<l]) - f({}); nan when not known
        self.where: dict[int, int] = {}             # picked id -> level
        self.size = 0
        self.value = 0.0                            # f(S) - f({})
        self.lowest = T + 1                         # lowest level touched by deletions
        self.rng = rng
        self.built_value = 0.0                      # f(S) - f({}) right after the last Build

    def size_below(self, level: int) -> int:
        return sum(len(s) for s in self.S[:level])

    def ids(self) -> list[int]:
        return [e for level in self.S for e in level]


@dataclasses.dataclass
class _Built:
    """Levels l0..T produced by a Build, not yet committed."""

    l0: int
    A: list[set[int]]
    S: list[list[int]]
    P: list[Any]
    Pv: list[float]
    size: int
    value: float


@dataclasses.dataclass
class _Plan:
    """One guess's change for one update (committed only if every plan succeeded)."""

    add_B: list[int] = dataclasses.field(default_factory=list)
    discard: list[int] = dataclasses.field(default_factory=list)
    hits: list[int] = dataclasses.field(default_factory=list)
    lo_hit: int = -1
    S_new: list[list[int]] | None = None
    P_new: list[Any] | None = None
    value_new: float = 0.0
    built: _Built | None = None


class DynamicSubmodular(DynamicBase):
    """Keep a (1/2 - eps)-approximate max f(S), |S| <= k, under insertions and deletions.

    Parameters
    ----------
    f : SetFunction or callable
        Monotone submodular oracle over integer element ids.
    k : int
        Cardinality limit (>= 1).
    eps : float
        In (0, 1): guess-grid ratio 1 + eps and rebuild slack (default 0.2).
    seed : int, Generator or None
        Randomness of the picks (each guess gets a spawned child generator).
    n_max : int, optional
        Bound on the live-set size; sets the number of levels T = ceil(log2 n_max).
        Without it T grows (with a full rebuild) whenever the live set passes 2^T.
    candidates : int
        Each pick is the best of the first ``candidates`` qualifying elements of
        the random order (a uniform random subset); 1 is the paper's uniform pick.
        An element's chance of being picked grows by at most that factor, so the
        expected rebuild cost does too, while the value moves towards greedy's.
        Default 4.
    refresh : float
        In [0, 1]. Besides the paper's rule (rebuild when f(S) < (1 - eps) gamma/2),
        a deletion that hits S rebuilds when f(S) fell below (1 - refresh) times its
        value at the last Build. 1 disables it (the paper's rule alone). Default 0.05.
    extend : bool
        Also keep guesses below the grid, down to gamma ~ eps m, while the lowest guess
        has fewer than k picks (see :meth:`_extend`); they only add candidate
        solutions, the grid's guesses still carry the guarantee. Default True.

    Notes
    -----
    The guarantee is deterministic; randomness only makes updates cheap in
    expectation against an *oblivious* adversary (a stream fixed in advance).
    A user who deletes exactly the reported solution again and again makes
    every update pay a rebuild (the ratio still holds).
    """

    def __init__(self, f: Any, k: int, eps: float = 0.2, seed: Any = None,
                 n_max: int | None = None, candidates: int = 4, refresh: float = 0.05,
                 extend: bool = True) -> None:
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0.0 < eps < 1.0:
            raise ValueError(f"eps must be a number in (0, 1), got {eps!r}")
        if n_max is not None and (isinstance(n_max, bool) or not isinstance(n_max, int)
                                  or n_max < 1):
            raise ValueError(f"n_max must be None or an integer >= 1, got {n_max!r}")
        if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
            raise ValueError(f"candidates must be an integer >= 1, got {candidates!r}")
        if isinstance(refresh, bool) or not isinstance(refresh, (int, float)) \
                or not 0.0 <= refresh <= 1.0:
            raise ValueError(f"refresh must be a number in [0, 1], got {refresh!r}")
        super().__init__(f, k)
        self.eps = float(eps)
        self.candidates = int(candidates)
        self.refresh = float(refresh)
        if not isinstance(extend, (bool, np.bool_)):
            raise ValueError(f"extend must be True or False, got {extend!r}")
        self.extend = bool(extend)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.T = max(1, math.ceil(math.log2(max(2, n_max or 2))))
        self.guesses: dict[int, _Guess] = {}
        self._best: _Guess | None = None
        self._empty = self.oracle.empty()
        self._log_base = math.log1p(self.eps)
        self.counters = {"builds": 0, "rebuilds": 0, "new_guesses": 0, "dropped_guesses": 0,
                         "level_grows": 0, "deletion_hits": 0}

    # -- queries (no oracle call) --------------------------------------------------------------
    def solution(self) -> list[int]:
        return [] if self._best is None else self._best.ids()

    def value(self) -> float:
        return self.base + (0.0 if self._best is None else self._best.value)

    def stats(self) -> dict[str, Any]:
        out = super().stats()
        out.update(self.counters, guesses=len(self.guesses), levels=self.T + 1)
        return out

    # -- guesses -------------------------------------------------------------------------------
    def _grid(self, m: float) -> range:
        """Exponents i with (1+eps)^i in [m/(1+eps), k m]: OPT in [m, k m] always has a
        guess in (OPT/(1+eps), OPT]."""
        if m <= 0:
            return range(0)
        lo = math.floor(math.log(m) / self._log_base + 1e-9)
        hi = math.floor(math.log(self.k * m) / self._log_base + 1e-9)
        return range(lo, hi + 1)

    def _new_guess(self, i: int, T: int, pool: list[int]) -> _Guess:
        gamma = math.exp(i * self._log_base)
        g = _Guess(i, gamma, self.k, T, self._empty, self.rng.spawn(1)[0])
        pool = [e for e in pool if self.singles.values[e] >= g.tau]
        self._commit_build(g, self._build(g, 0, self._empty, 0.0, 0, pool))
        return g

    # -- Build (spec 2.4) ----------------------------------------------------------------------
    def _build(self, g: _Guess, l0: int, state: Any, val: float, size: int,
               pool: list[int], known: set[int] | frozenset[int] = frozenset()) -> _Built:
        """Rebuild levels l0..T from the f-state of S[<l0] over ``pool`` (pure: no commit).

        ``known``: elements of ``pool`` already known to have gain >= tau against
        ``state``. The live part of A[l0] is such a set: it was recorded with exact
        gains against S[<l0], and S[<l0] has not changed since (a rebuild starts at or
        below the lowest level any deletion touched), so only the rest of the pool
        (B[l0], new insertions) is filtered. This saves |A[l0]| calls per rebuild.
        """
        oracle, k, tau, T, r = self.oracle, self.k, g.tau, g.T, self.candidates
        single = self.singles.values
        self.counters["builds"] += 1
        if l0 < T:
            self.counters["rebuilds"] += 1
        pool = [pool[j] for j in g.rng.permutation(len(pool)).tolist()]
        if size == 0:  # filtering against S = {} reuses the cached singletons
            rem = [e for e in pool if single[e] >= tau]
        else:
            unknown = [e for e in pool if e not in known]
            if unknown:
                gs = oracle.gains(state, unknown).tolist()
                low = {e for e, x in zip(unknown, gs, strict=False) if x < tau}
                rem = [e for e in pool if e not in low]
            else:
                rem = pool
        pos, dirty = 0, False
        cur: set[int] | None = None
        A: list[set[int]] = []
        S: list[list[int]] = []
        P: list[Any] = []
        Pv: list[float] = []
        for level in range(l0, T + 1):
            if size >= k:
                A.append(set())
                S.append([])
                P.append(state)
                Pv.append(val)
                continue
            if dirty:  # picks happened: the level starts from an exact pool
                rest = rem[pos:]
                if rest:
                    gs = oracle.gains(state, rest).tolist()
                    rem = [e for e, x in zip(rest, gs, strict=False) if x >= tau]
                else:
                    rem = []
                pos, dirty, cur = 0, False, None
            if cur is None:
                cur = set(rem[pos:])
            A.append(cur)
            P.append(state)
            Pv.append(val)
            picked: list[int] = []
            need = 1 << (T - level)
            start = pos
            while size < k and len(rem) - pos >= need:
                # the first r qualifying elements of the random order (a uniform r-subset);
                # the elements found below tau on the way are dropped for good
                front: list[tuple[float, int]] = []
                while len(front) < r and pos < len(rem):
                    e = rem[pos]
                    pos += 1
                    x = single[e] if size == 0 else oracle.gain(state, e)
                    if x >= tau:
                        front.append((x, e))
                if not front:
                    break
                best = max(range(len(front)), key=lambda j: front[j][0])
                x, e = front[best]
                others = [c for j, (_, c) in enumerate(front) if j != best]
                if others:  # the losers stay first in line for the next pick
                    pos -= len(others)
                    rem[pos:pos + len(others)] = others
                picked.append(e)
                state = oracle.add(state, e)
                val += x
                size += 1
                dirty = True
            if pos != start:
                cur = None
            S.append(picked)
        P.append(state)
        Pv.append(val)
        return _Built(l0, A, S, P, Pv, size, val)

    @staticmethod
    def _commit_build(g: _Guess, b: _Built) -> None:
        l0 = b.l0
        for level in range(l0, g.T + 1):
            for e in g.S[level]:
                del g.where[e]
        g.A[l0:] = b.A
        g.B[l0:] = [set() for _ in range(l0, g.T + 1)]
        g.S[l0:] = b.S
        g.P[l0:] = b.P
        g.Pv[l0:] = b.Pv
        for j, picked in enumerate(b.S):
            for e in picked:
                g.where[e] = l0 + j
        g.size, g.value = b.size, b.value
        g.built_value = b.value
        if l0 <= g.lowest:
            g.lowest = g.T + 1

    # -- Insert (spec 2.4) ---------------------------------------------------------------------
    def _plan_insert(self, g: _Guess, ids: list[int], singles: list[float]) -> _Plan | None:
        useful = [e for e, s in zip(ids, singles, strict=False) if s >= g.tau]
        if not useful:
            return None  # f({v}) < tau: v can never reach tau for this guess
        plan = _Plan(add_B=useful)
        if g.size >= self.k:
            return plan  # (a) holds: |S| = k and every pick added >= tau
        T, n_new = g.T, len(useful)
        l_b = next(lv for lv in range(T + 1) if len(g.B[lv]) + n_new >= (1 << (T - lv)))
        l0 = min(l_b, g.lowest)
        pool = list(g.A[l0] | g.B[l0]) + useful
        plan.built = self._build(g, l0, g.P[l0], g.Pv[l0], g.size_below(l0), pool, g.A[l0])
        return plan

    def _insert(self, ids: list[int], singles: list[float]) -> None:
        m = self.max_single(extra=singles)
        n_after = len(self.live) + len(ids)
        T = self.T
        while (1 << T) < n_after:
            T += 1
        new_ids = dict(zip(ids, singles, strict=False))

        def pool_for(tau: float) -> list[int]:
            return self.live_at_least(tau) + [e for e, s in new_ids.items() if s >= tau]

        if T != self.T:  # more levels: rebuild every guess from scratch
            self.counters["level_grows"] += 1
            grid = self._grid(m)
            guesses = {i: self._new_guess(i, T, pool_for(self._tau(i))) for i in grid}
            self.counters["new_guesses"] += len(guesses)
            if grid:
                self._extend(guesses, grid.start, m, T, pool_for)
                self._extend_up(guesses, grid.stop - 1, m, T, pool_for)
            plans: dict[int, _Plan | None] = {}
        else:
            guesses, plans = self._regrid(m, pool_for)
            for i, g in guesses.items():
                if i in self.guesses:
                    plans[i] = self._plan_insert(g, ids, singles)
        # -- commit (no oracle call below) --
        self._live_add(ids, singles)
        self.T = T
        for i, plan in plans.items():
            if plan is not None:
                self._apply(guesses[i], plan)
        self._set_guesses(guesses)

    # -- Delete (spec 2.4) ---------------------------------------------------------------------
    def _plan_delete(self, g: _Guess, dead: list[int]) -> _Plan | None:
        mine = [e for e in dead if self.singles.values[e] >= g.tau]
        if not mine:
            return None
        plan = _Plan(discard=mine)
        hits = [e for e in mine if e in g.where]
        if not hits:
            return plan  # (a) unchanged; (b) only loses candidates
        self.counters["deletion_hits"] += 1
        hit = set(hits)
        lo = min(g.where[e] for e in hits)
        S_new = [[e for e in g.S[lv] if e not in hit] for lv in range(lo, g.T + 1)]
        state = g.P[lo]
        P_new = [state]
        for picked in S_new:  # conditioning only (free under rule (ii))
            for e in picked:
                state = self.oracle.add(state, e)
            P_new.append(state)
        value = self.oracle.value(state) - self.base  # reading f(S): one call
        plan.hits, plan.lo_hit, plan.S_new, plan.P_new, plan.value_new = hits, lo, S_new, P_new, \
            value
        # the paper's rule: rebuild when (a) is lost; "refresh": also when S lost more than
        # a fraction `refresh` of the value it had when last built (keeps the value near
        # the threshold algorithm's, at a few more rebuilds; refresh=1 turns it off)
        if value < (1.0 - self.eps) * g.gamma / 2.0 \
                or value < (1.0 - self.refresh) * g.built_value:
            l0 = min(lo, g.lowest)
            gone = set(mine)
            pool = [e for e in (g.A[l0] | g.B[l0]) if e not in gone]
            size_below = g.size_below(l0)
            plan.built = self._build(g, l0, g.P[l0], g.Pv[l0], size_below, pool, g.A[l0])
        return plan

    def _delete(self, ids: list[int]) -> None:
        gone = set(ids)
        m = self.max_single(without=gone)
        guesses, plans = self._regrid(m, lambda tau: self.live_at_least(tau, without=gone),
                                      grow=False)
        for i, g in guesses.items():
            if i in self.guesses:
                plans[i] = self._plan_delete(g, ids)
        # -- commit --
        self._live_remove(ids)
        for i, plan in plans.items():
            if plan is not None:
                self._apply(guesses[i], plan)
        self._set_guesses(guesses)

    # -- shared commit helpers -----------------------------------------------------------------
    def _tau(self, i: int) -> float:
        return math.exp(i * self._log_base) / (2.0 * self.k)

    def _regrid(self, m: float, pool_for: Any,
                grow: bool = True) -> tuple[dict[int, _Guess], dict[int, Any]]:
        """Guesses after the update: kept ones (with one grid step of slack, so an
        oscillating maximum does not rebuild guesses back and forth), new ones, and
        the guesses below the grid that ``extend`` asks for."""
        grid = self._grid(m)
        if not grid:
            self.counters["dropped_guesses"] += len(self.guesses)
            return {}, {}
        cand = dict(self.guesses)
        for i in grid:
            if i not in cand:
                cand[i] = self._new_guess(i, self.T, pool_for(self._tau(i)))
                self.counters["new_guesses"] += 1
        lo = self._extend(cand, grid.start, m, self.T, pool_for, grow)
        hi = self._extend_up(cand, grid.stop - 1, m, self.T, pool_for)
        guesses = {i: g for i, g in cand.items() if lo - 1 <= i <= hi + 1}
        kept = sum(1 for i in guesses if i in self.guesses)
        self.counters["dropped_guesses"] += len(self.guesses) - kept
        return guesses, {}

    def _extend_up(self, cand: dict[int, _Guess], hi: int, m: float, T: int,
                   pool_for: Any) -> int:
        """Highest guess to keep: walk up from the grid's top while the top guess is
        full, creating guesses, up to gamma = 2 k m (tau = m: no element can pass a
        higher threshold).

        When every guess of the grid is full (many elements close to the largest,
        late in a delete-largest-first stream), a higher threshold may still fill k
        slots, with better picks: its (a) is f >= (1 - eps) gamma / 2 > (1 - eps) k m / 2.
        The walk stops at the first guess short of k; that one is kept (its (b) holds).
        """
        if not self.extend:
            return hi
        ceil_i = math.floor(math.log(2.0 * self.k * m) / self._log_base + 1e-9)
        while hi < ceil_i:
            g = cand.get(hi)
            if g is None or g.size < self.k:
                break
            hi += 1
            if hi not in cand:
                cand[hi] = self._new_guess(hi, T, pool_for(self._tau(hi)))
                self.counters["new_guesses"] += 1
        return hi

    def _extend(self, cand: dict[int, _Guess], lo: int, m: float, T: int,
                pool_for: Any, grow: bool = True) -> int:
        """Lowest guess to keep: walk down from the grid's bottom while the lowest guess
        is not full, creating guesses, down to gamma ~ eps m.

        The grid [m/(1+eps), k m] is all the guarantee needs. When OPT is close to m
        (facility location, a nearly empty ground set) its lowest guess stops short of
        k picks because every remaining gain is below its tau ~ m / 2k, so (b) only
        gives f >= OPT - m/2. A guess gamma below it that is still not full gives
        f >= OPT - gamma/2; a full one gives nothing new, so the walk stops there. The
        sizes of kept guesses are the ones before this update (one update of lag).
        Deletions (``grow=False``) keep the guesses already below the grid but create
        none: on a stream of deletions of the largest elements, creating them cost a
        Build over the whole live set each time the grid moved down.
        """
        if not self.extend:
            return lo
        floor_i = math.floor(math.log(self.eps * m) / self._log_base + 1e-9)
        while lo > floor_i:
            g = cand.get(lo)
            if g is None or g.size >= self.k:
                break
            if (g.lowest <= g.T or not grow) and lo - 1 not in cand:
                # short of k only because a deletion took a pick since its last Build: no
                # reason to build a new guess (guesses already there are kept, so a pick
                # deleted and refilled does not drop and rebuild the ones below)
                break
            lo -= 1
            if lo not in cand:
                cand[lo] = self._new_guess(lo, T, pool_for(self._tau(lo)))
                self.counters["new_guesses"] += 1
        return lo

    def _apply(self, g: _Guess, plan: _Plan) -> None:
        for e in plan.add_B:
            for b in g.B:
                b.add(e)
        if plan.discard:
            for e in plan.discard:
                for a in g.A:
                    a.discard(e)
                for b in g.B:
                    b.discard(e)
        if plan.hits:
            lo = plan.lo_hit
            for e in plan.hits:
                del g.where[e]
            g.S[lo:] = plan.S_new
            g.P[lo + 1:] = plan.P_new[1:]
            g.Pv[lo + 1:] = [math.nan] * (g.T + 1 - lo)
            g.Pv[g.T + 1] = plan.value_new
            g.size -= len(plan.hits)
            g.value = plan.value_new
            g.lowest = min(g.lowest, lo)
        if plan.built is not None:
            self._commit_build(g, plan.built)

    def _set_guesses(self, guesses: dict[int, _Guess]) -> None:
        self.guesses = guesses
        self._best = max(guesses.values(), key=lambda g: (g.value, -g.i),  # ties: lower guess
                         default=None)

    # -- verification --------------------------------------------------------------------------
    def check_invariant(self, tol: float = 1e-9) -> None:
        """Verify the structure and invariant (a) or (b) for every guess, from scratch.

        Uses the raw oracle (calls are not counted). Costs O(guesses * n)
        gains: meant for tests and debugging on small ground sets.

        Raises
        ------
        InvariantError
            With the guess, the element and the numbers that break it.
        """
        raw = self.oracle.oracle
        empty = raw.empty()
        base = float(raw.value(empty))
        m = self.max_single()
        grid = self._grid(m)
        for i in grid:
            if i not in self.guesses:
                raise InvariantError(f"guess {i} of the grid for max singleton {m} is missing")
        for i, g in self.guesses.items():
            ids = g.ids()
            if len(ids) != g.size or len(set(ids)) != len(ids) or g.size > self.k:
                raise InvariantError(f"guess {i}: |S| bookkeeping broken ({ids}, size {g.size})")
            if set(g.where) != set(ids):
                raise InvariantError(f"guess {i}: level index disagrees with S")
            for e in ids:
                if e not in self.live:
                    raise InvariantError(f"guess {i}: solution holds dead element {e}")
            for sets, name in ((g.A, "A"), (g.B, "B")):
                for lv, s in enumerate(sets):
                    dead = [e for e in s if e not in self.live]
                    if dead:
                        raise InvariantError(f"guess {i}: {name}[{lv}] holds dead {dead[:3]}")
            state = empty
            for e in ids:
                state = raw.add(state, e)
            value = float(raw.value(state)) - base
            scale = tol * max(1.0, abs(value), abs(g.gamma))
            if abs(value - g.value) > scale:
                raise InvariantError(f"guess {i}: kept value {g.value} but f(S) - f({{}}) = "
                                     f"{value}")
            if value >= (1.0 - self.eps) * g.gamma / 2.0 - scale:
                continue  # (a)
            if g.size >= self.k:
                raise InvariantError(f"guess {i}: |S| = k but f(S) = {value} < (1-eps)gamma/2")
            for e in self.live:
                if e in g.where:
                    continue
                gain = float(raw.gain(state, e))
                if gain >= g.tau + scale:
                    raise InvariantError(
                        f"guess {i} (gamma {g.gamma:.6g}): neither (a) f(S) = {value:.6g} >= "
                        f"{(1 - self.eps) * g.gamma / 2:.6g} nor (b): live element {e} has gain "
                        f"{gain:.6g} >= tau = {g.tau:.6g} with |S| = {g.size} < k")
