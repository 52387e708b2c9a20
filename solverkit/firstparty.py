"""Names of first-party solvers, so a missing one gets an exact install line."""

from __future__ import annotations

FIRST_PARTY: dict[str, tuple[str, ...]] = {
    "solverkit-scipy": ("slsqp", "trust-constr"),
    "solverkit-alsketch": ("adasketch", "newton-kkt"),
    "solverkit-bilevel": ("bilevel-penalty", "bilevel-penalty-sl", "bilevel-aid", "f2sa", "bome",
                          "itd"),
    "solverkit-tucker": (
        "tucker-packing",
        "tucker-shape",
        "tt-shape",
        "tucker-greedy",
        "tucker-greedy-sv",
        "tucker-exhaustive",
    ),
    "solverkit-submodular": (
        "dynamic-submodular",
        "greedy",
        "lazy-greedy",
        "stochastic-greedy",
        "sieve-streaming",
        "greedy-recompute",
        "sieve-rerun",
    ),
    "solverkit-dagma": ("dagma", "dagma-mlp", "notears"),
}

SOLVER_TO_DISTRIBUTION: dict[str, str] = {
    solver: dist for dist, solvers in FIRST_PARTY.items() for solver in solvers
}


def install_line(distribution: str) -> str:
    """The pip command that installs a first-party plugin."""
    return f"pip install {distribution}"
