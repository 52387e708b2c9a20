"""Dynamic baselines of the method spec (section 4): greedy kept up to date, sieve re-run.

Both share :class:`~solverkit_submodular.dynbase.DynamicBase` (ids, live set,
the singleton cache every algorithm gets, the counting rule) and are two-phase
like the level algorithm: all oracle calls happen before any state changes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .dynbase import DynamicBase
from .static import Picks, guess_range, sieve_offer, sieve_streaming

__all__ = ["GreedyRecompute", "SieveRerun"]


class GreedyRecompute(DynamicBase):
    """Greedy kept up to date ("optimized" greedy): always greedy's exact picks on the live set.

    Keeps greedy's pick sequence, gains and prefix states. Deleting pick j
    re-runs greedy from position j (deleting any other element is free). An
    insertion is compared against each prefix in turn (one gain per prefix) and
    greedy is re-run from the first position where it would have been chosen.
    Ties go to the smallest id, exactly as in the static ``greedy``.

    Parameters
    ----------
    f : SetFunction or callable
    k : int
    """

    def __init__(self, f: Any, k: int) -> None:
        super().__init__(f, k)
        self.picks: list[int] = []
        self.gains: list[float] = []
        self.prefix: list[Any] = [self.oracle.empty()]  # prefix[j] = state of picks[:j]
        self.reruns = 0

    def solution(self) -> list[int]:
        return list(self.picks)

    def value(self) -> float:
        return self.base + float(sum(self.gains))

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "reruns": self.reruns}

    def _rerun(self, j: int, live: list[int]) -> tuple[list[int], list[float], list[Any]]:
        """Greedy from position j over ``live`` (pure: returns the new sequences)."""
        picks, gains, prefix = self.picks[:j], self.gains[:j], self.prefix[:j + 1]
        chosen = set(picks)
        cands = np.array(sorted(e for e in live if e not in chosen), dtype=np.int64)
        state = prefix[-1]
        single = self.singles.values
        while len(picks) < self.k and cands.size:
            if picks:
                g = self.oracle.gains(state, cands)
            else:  # round on the empty set: the shared singleton cache
                g = np.array([single[e] for e in cands.tolist()])
            b = int(np.argmax(g))  # first maximum = smallest id among ties
            if g[b] <= 0:
                break
            e = int(cands[b])
            picks.append(e)
            gains.append(float(g[b]))
            state = self.oracle.add(state, e)
            prefix.append(state)
            cands = np.delete(cands, b)
        return picks, gains, prefix

    def _commit(self, new: tuple[list[int], list[float], list[Any]]) -> None:
        self.picks, self.gains, self.prefix = new
        self.reruns += 1

    def _insert(self, ids: list[int], singles: list[float]) -> None:
        new = np.array(sorted(ids), dtype=np.int64)
        first = None
        for j in range(len(self.picks) + 1):
            if j == self.k:
                break
            if j == 0:
                g = np.array([self.singles.values[e] for e in new.tolist()])
            else:
                g = self.oracle.gains(self.prefix[j], new)
            b = int(np.argmax(g))
            if j == len(self.picks):
                beats = g[b] > 0
            else:
                beats = g[b] > self.gains[j] or (g[b] == self.gains[j] and new[b] < self.picks[j])
            if beats:
                first = j
                break
        plan = None
        if first is not None:
            plan = self._rerun(first, list(self.live) + ids)
        self._live_add(ids, singles)
        if plan is not None:
            self._commit(plan)

    def _delete(self, ids: list[int]) -> None:
        gone = set(ids)
        hit = [j for j, e in enumerate(self.picks) if e in gone]
        plan = None
        if hit:
            plan = self._rerun(min(hit), [e for e in self.live if e not in gone])
        self._live_remove(ids)
        if plan is not None:
            self._commit(plan)


class SieveRerun(DynamicBase):
    """Sieve-streaming fed with the insertions, re-run when its solution loses an element.

    Insertions go to a sieve (Badanidiyuru et al. 2014) over the live maximum
    singleton. Deleting an element of the *reported* solution re-runs the
    sieve over the live set (in insertion order); deleting an element of
    another guess's set only drops it there (one read of f to re-value that set).

    Parameters
    ----------
    f : SetFunction or callable
    k : int
    eps : float
        Sieve grid ratio 1 + eps, in (0, 1).
    """

    def __init__(self, f: Any, k: int, eps: float = 0.2) -> None:
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0.0 < eps < 1.0:
            raise ValueError(f"eps must be a number in (0, 1), got {eps!r}")
        super().__init__(f, k)
        self.eps = float(eps)
        self.guesses: dict[int, Picks] = {}
        self.m = 0.0
        self.reruns = 0

    def _best(self) -> Picks | None:
        if not self.guesses:
            return None
        return max(self.guesses.values(), key=lambda p: (p.total, -len(p.ids)))

    def solution(self) -> list[int]:
        best = self._best()
        return [] if best is None else list(best.ids)

    def value(self) -> float:
        best = self._best()
        return self.base + (0.0 if best is None else best.total)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "reruns": self.reruns, "guesses": len(self.guesses)}

    def _copy(self, p: Picks) -> Picks:
        return Picks(ids=list(p.ids), gains=list(p.gains), state=p.state, total=p.total)

    def _insert(self, ids: list[int], singles: list[float]) -> None:
        # work on copies so that an oracle error leaves the sieve as it was
        guesses = {i: self._copy(p) for i, p in self.guesses.items()}
        m = self.m
        for e, s in zip(ids, singles, strict=False):
            if s > m:
                m = s
                grid = guess_range(m, 2.0 * self.k, self.eps)
                for i in [i for i in guesses if i < grid.start]:
                    del guesses[i]
                for i in grid:
                    guesses.setdefault(i, Picks(state=self.oracle.empty()))
            sieve_offer(self.oracle, guesses, e, s, self.k, self.eps)
        self._live_add(ids, singles)
        self.guesses, self.m = guesses, m

    def _delete(self, ids: list[int]) -> None:
        gone = set(ids)
        best = self._best()
        if best is not None and gone & set(best.ids):
            order = [e for e in self.live if e not in gone]  # dict keeps insertion order
            _, guesses = sieve_streaming(self.oracle, order, self.k, self.eps,
                                         singletons=self.singles.values)
            m = max((self.singles.values[e] for e in order), default=0.0)
            self._live_remove(ids)
            self.guesses, self.m = guesses, m
            self.reruns += 1
            return
        guesses = dict(self.guesses)
        for i, p in self.guesses.items():
            if gone & set(p.ids):
                keep = [e for e in p.ids if e not in gone]
                state = self.oracle.state_of(keep)
                total = self.oracle.value(state) - self.base
                guesses[i] = Picks(ids=keep, state=state, total=total,
                                   gains=[math.nan] * len(keep))
        self._live_remove(ids)
        self.guesses = guesses
