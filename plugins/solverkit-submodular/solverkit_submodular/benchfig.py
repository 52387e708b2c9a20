"""The calls-per-update figure of ``solverkit bench submodular --report DIR``.

One panel per case: oracle calls per update along the stream (averaged over
consecutive windows, the first seed's run), one line per dynamic solver, log
scale, so the rebuild bursts of each algorithm and the gap to greedy kept up
to date are visible at a glance.
"""

from __future__ import annotations

import math
import os
from typing import Any

__all__ = ["calls_figure"]

FILENAME = "submodular-calls-per-update.png"


def calls_figure(rows: list[dict[str, Any]], directory: Any) -> list[str]:
    """Write the figure into ``directory``; return its path (nothing without series).

    Parameters
    ----------
    rows : list of dict
        Rows of the ``submodular`` suite; those with ``_series_x`` and
        ``_series_calls`` are drawn, note rows are skipped.
    directory : str or path
        Where the PNG goes (the report's directory).

    Returns
    -------
    list of str
        The PNG's path, or an empty list when no row carries a series.
    """
    import matplotlib.pyplot as plt  # the report only calls this when matplotlib is present

    drawn = [r for r in rows if r.get("_series_calls")]
    cases = list(dict.fromkeys(r["case"] for r in drawn))
    if not cases:
        return []
    cols = min(4, len(cases))
    nrows = math.ceil(len(cases) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.6 * cols, 2.7 * nrows), squeeze=False)
    solvers = list(dict.fromkeys(r["solver"] for r in drawn))
    colors = {s: f"C{j}" for j, s in enumerate(solvers)}
    for ax, case in zip(axes.flat, cases, strict=False):
        for row in (r for r in drawn if r["case"] == case):
            # a window with no call at all cannot sit on a log axis: draw it at 0.1
            ys = [max(y, 0.1) for y in row["_series_calls"]]
            ax.plot(row["_series_x"], ys, color=colors[row["solver"]], linewidth=0.9,
                    label=row["solver"])
        ax.set_yscale("log")
        ax.set_title(case, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("update", fontsize=7)
        ax.set_ylabel("oracle calls / update", fontsize=7)
    for ax in list(axes.flat)[len(cases):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=colors[s], label=s) for s in solvers]
    fig.legend(handles=handles, loc="upper center", ncol=len(solvers), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.25 / nrows))
    path = os.path.join(str(directory), FILENAME)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]
