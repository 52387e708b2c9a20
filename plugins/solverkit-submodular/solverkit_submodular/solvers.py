"""solverkit Solver classes: thin adapters from the core API to the algorithms."""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar, Literal

import solverkit
from solverkit import SubmodularMax, SubmodularStream

from .counting import CountingOracle
from .static import Picks, greedy, lazy_greedy, sieve_streaming, stochastic_greedy

__all__ = ["SOLVERS", "GreedySolver", "LazyGreedySolver", "StochasticGreedySolver",
           "SieveStreamingSolver", "DynamicSubmodularSolver", "GreedyRecomputeSolver",
           "SieveRerunSolver"]

_NO_CAP = 10**9  # rounds are bounded by k (static) or the stream length (dynamic)


def _check_eps(eps: float) -> None:
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps must lie in (0, 1), got {eps!r}")


# -- options ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class StochasticGreedyOptions:
    """Options of ``stochastic-greedy``.

    Parameters
    ----------
    delta : float
        Failure probability per round; each round samples (n/k) ln(1/delta)
        candidates. In (0, 1), default 0.01.
    """

    delta: float = 0.01

    def __post_init__(self) -> None:
        if not 0.0 < self.delta < 1.0:
            raise ValueError(f"delta must lie in (0, 1), got {self.delta!r}")


@dataclasses.dataclass(frozen=True)
class SieveOptions:
    """Options of ``sieve-streaming``.

    Parameters
    ----------
    eps : float
        Guess grid ratio 1 + eps, in (0, 1); the result is >= (1/2 - eps) OPT. Default 0.2.
    order : {"given", "random"}
        Stream the ground set in the given order, or in a seeded random order.
    """

    eps: float = 0.2
    order: Literal["given", "random"] = "given"

    def __post_init__(self) -> None:
        _check_eps(self.eps)
        if self.order not in ("given", "random"):
            raise ValueError(f"order must be 'given' or 'random', got {self.order!r}")


@dataclasses.dataclass(frozen=True)
class DynamicOptions:
    """Options of ``dynamic-submodular``.

    Parameters
    ----------
    eps : float
        In (0, 1): guess grid ratio 1 + eps and rebuild slack; the value is
        always >= (1/2 - eps) OPT. Default 0.2.
    n_max : int or None
        Bound on the live-set size (T = ceil(log2 n_max) levels); None grows T
        with a full rebuild each time the live set passes 2^T.
    candidates : int
        Each pick is the best of the first ``candidates`` qualifying elements in
        the random order (1 = the paper's uniform pick). Default 4.
    refresh : float
        In [0, 1]: a deletion hitting the solution also rebuilds when f(S) fell
        below (1 - refresh) times its value at the last build (1 = the paper's
        rule alone). Default 0.05.
    extend : bool
        Keep extra guesses below the grid (down to gamma ~ eps m) while the
        lowest guess has fewer than k picks: more value when OPT is close to the
        largest singleton (False = the paper's grid alone). Default True.
    """

    eps: float = 0.2
    n_max: int | None = None
    candidates: int = 4
    refresh: float = 0.05
    extend: bool = True

    def __post_init__(self) -> None:
        _check_eps(self.eps)
        if self.n_max is not None and self.n_max < 1:
            raise ValueError(f"n_max must be None or an integer >= 1, got {self.n_max!r}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {self.candidates!r}")
        if not 0.0 <= self.refresh <= 1.0:
            raise ValueError(f"refresh must lie in [0, 1], got {self.refresh!r}")
        if not isinstance(self.extend, bool):
            raise ValueError(f"extend must be True or False, got {self.extend!r}")


# -- static -----------------------------------------------------------------------------------
class _Static(solverkit.Solver):
    kinds: ClassVar[tuple[type, ...]] = (SubmodularMax,)
    default_max_iter = _NO_CAP
    reference = ""

    def _result(self, problem: SubmodularMax, oracle: CountingOracle, picks: Picks,
                progress: solverkit.Progress, base: float) -> solverkit.Result:
        extra = {"calls": oracle.calls, "calls_all": oracle.calls_all,
                 "gains": list(picks.gains), **picks.notes}
        return progress.result(x=list(picks.ids), fun=base + picks.gain, nit=picks.rounds,
                               nfev=oracle.calls, extra=extra)

    def _report(self, progress: solverkit.Progress, base: float) -> Any:
        return lambda nit, p: progress.report(nit, x=list(p.ids), fun=base + p.gain)

    def solve(self, problem: SubmodularMax, options: Any,
              progress: solverkit.Progress) -> solverkit.Result:
        oracle = CountingOracle(problem.oracle)
        base = oracle.value(oracle.empty())
        picks = self._run(problem, options, progress, oracle, self._report(progress, base))
        return self._result(problem, oracle, picks, progress, base)

    def _run(self, problem: SubmodularMax, options: Any, progress: solverkit.Progress,
             oracle: CountingOracle, report: Any) -> Picks:
        raise TypeError(f"{type(self).__name__} must implement _run (the static algorithm)")


class GreedySolver(_Static):
    """Nemhauser-Wolsey-Fisher greedy."""

    name = "greedy"
    when_to_use = (
        "The classic (1 - 1/e) greedy for a fixed ground set; every step evaluates every "
        "remaining element. `lazy-greedy` returns the same set with far fewer oracle calls.")
    summary = "Greedy for monotone submodular max under |S| <= k: (1-1/e) OPT, about k n calls"
    reference = "Nemhauser, Wolsey, Fisher, Math. Programming 14 (1978)"

    def _run(self, problem, options, progress, oracle, report):  # type: ignore[no-untyped-def]
        return greedy(oracle, problem.ground, problem.k, report)


class LazyGreedySolver(_Static):
    """Minoux's accelerated greedy (identical output to greedy)."""

    name = "lazy-greedy"
    when_to_use = (
        "The default for static problems: identical picks to `greedy` using stale upper bounds "
        "(submodularity) to skip most oracle calls.")
    summary = "Lazy (accelerated) greedy: greedy's exact picks with far fewer oracle calls"
    reference = "Minoux, Optimization Techniques (1978), LNCS 7"

    def _run(self, problem, options, progress, oracle, report):  # type: ignore[no-untyped-def]
        return lazy_greedy(oracle, problem.ground, problem.k, report)


class StochasticGreedySolver(_Static):
    """Stochastic ("lazier than lazy") greedy."""

    name = "stochastic-greedy"
    when_to_use = (
        "Very large ground sets: each step evaluates a random sample, (1 - 1/e - eps) in "
        "expectation with about n log(1/eps) calls in total.")
    summary = "Stochastic greedy: (1-1/e-delta) OPT in expectation with n ln(1/delta) calls"
    reference = "Mirzasoleiman, Badanidiyuru, Karbasi, Vondrak, Krause, AAAI 2015"
    Options = StochasticGreedyOptions
    stochastic = True

    def _run(self, problem, options, progress, oracle, report):  # type: ignore[no-untyped-def]
        return stochastic_greedy(oracle, problem.ground, problem.k, progress.rng,
                                 options.delta, report)


class SieveStreamingSolver(_Static):
    """One-pass sieve-streaming."""

    name = "sieve-streaming"
    when_to_use = (
        "One pass over a stream of insertions with small memory, (1/2 - eps); it cannot handle "
        "deletions (use `dynamic-submodular`).")
    summary = "Sieve-streaming: one pass, (1/2 - eps) OPT, O(k log(k)/eps) memory"
    reference = "Badanidiyuru, Mirzasoleiman, Karbasi, Krause, KDD 2014"
    Options = SieveOptions

    def _run(self, problem, options, progress, oracle, report):  # type: ignore[no-untyped-def]
        order = problem.ground
        if options.order == "random":
            order = progress.rng.permutation(order)
        best, _ = sieve_streaming(oracle, order, problem.k, options.eps, report)
        return best


# -- dynamic ----------------------------------------------------------------------------------
class _Dynamic(solverkit.Solver, abc.ABC):
    kinds: ClassVar[tuple[type, ...]] = (SubmodularStream,)
    default_max_iter = _NO_CAP
    stateful = True
    open_params: ClassVar[tuple[str, ...]] = ("f", "k")

    @abc.abstractmethod
    def make(self, f: Any, k: int, options: Any, progress: solverkit.Progress) -> Any:
        """Build the live structure for oracle ``f`` and cardinality ``k``."""

    def open(self, options: Any, progress: solverkit.Progress, **data: Any) -> Any:
        missing = [p for p in ("f", "k") if p not in data]
        if missing:
            raise TypeError(f"solverkit.open({self.name!r}, ...) needs {', '.join(missing)}: "
                            "the oracle f and the cardinality k")
        return self.make(data["f"], data["k"], options, progress)

    def solve(self, problem: SubmodularStream, options: Any,
              progress: solverkit.Progress) -> solverkit.Result:
        return self.make(problem.oracle, problem.k, options, progress).replay(problem, progress)


class DynamicSubmodularSolver(_Dynamic):
    """The level algorithm with OPT guesses (Banihashem et al., ICML 2023)."""

    name = "dynamic-submodular"
    when_to_use = (
        "The ground set changes by insertions and deletions and you need a good solution after "
        "every update: (1/2 - eps) of the optimum at every step with a polylogarithmic number of "
        "oracle calls per update (amortised, against an oblivious adversary).")
    summary = ("Fully dynamic (1/2 - eps) submodular max under |S| <= k with polylog amortised "
               "oracle calls per insert/delete")
    reference = ("Banihashem, Biabani, Goudarzi, Hajiaghayi, Jabbarzade, Monemizadeh, ICML 2023 "
                 "(arXiv 2305.15192)")
    Options = DynamicOptions
    stochastic = True

    def make(self, f, k, options, progress):  # type: ignore[no-untyped-def]
        from .dynamic import DynamicSubmodular

        return DynamicSubmodular(f, k, eps=options.eps, seed=progress.rng, n_max=options.n_max,
                                 candidates=options.candidates, refresh=options.refresh,
                                 extend=options.extend)


@dataclasses.dataclass(frozen=True)
class SieveRerunOptions:
    """Options of ``sieve-rerun``.

    Parameters
    ----------
    eps : float
        Sieve grid ratio 1 + eps, in (0, 1). Default 0.2.
    """

    eps: float = 0.2

    def __post_init__(self) -> None:
        _check_eps(self.eps)


class GreedyRecomputeSolver(_Dynamic):
    """Greedy kept up to date: the exact greedy solution after every update."""

    name = "greedy-recompute"
    when_to_use = (
        "Baseline: re-runs lazy greedy after every update. Best values, but thousands of oracle "
        "calls per update at n in the thousands.")
    summary = ("Dynamic baseline: greedy's exact picks kept up to date (re-run from the first "
               "changed position)")
    reference = "Nemhauser, Wolsey, Fisher (1978); dynamic bookkeeping as in Lattanzi et al. 2020"
    baseline = True

    def make(self, f, k, options, progress):  # type: ignore[no-untyped-def]
        from .baselines import GreedyRecompute

        return GreedyRecompute(f, k)


class SieveRerunSolver(_Dynamic):
    """Sieve-streaming on insertions, re-run when the reported solution loses an element."""

    name = "sieve-rerun"
    when_to_use = (
        "Baseline: re-runs sieve streaming over the live elements after each update.")
    summary = ("Dynamic baseline: sieve-streaming, re-run over the live set when its solution "
               "is hit")
    reference = "Badanidiyuru, Mirzasoleiman, Karbasi, Krause, KDD 2014"
    Options = SieveRerunOptions
    baseline = True

    def make(self, f, k, options, progress):  # type: ignore[no-untyped-def]
        from .baselines import SieveRerun

        return SieveRerun(f, k, eps=options.eps)


SOLVERS: tuple[type[solverkit.Solver], ...] = (
    GreedySolver,
    LazyGreedySolver,
    StochasticGreedySolver,
    SieveStreamingSolver,
    DynamicSubmodularSolver,
    GreedyRecomputeSolver,
    SieveRerunSolver,
)
