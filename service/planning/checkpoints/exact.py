"""The exact mode's HiGHS plumbing and its second stage: the capped p-median as an integer program.

The exact mode solves the same lexicographic model as the heuristic
(:mod:`service.planning.checkpoints.spread`) in two HiGHS stages:

1. Maximal covering on the merged rows (:meth:`MaximalCovering._exact`): the most covered
   demand ``C*`` (or, when the time limit stops branch and bound, the best plan found ``C``).
2. :func:`spread_stage`: the same rows and rules plus ``sum_g W_g y_g >= C*`` (covered demand
   never lower than stage 1), minimising the capped distance sum
   ``sum_j w_j * min(d_j, R)`` as a p-median: one assignment variable ``z_jc`` per piece ``j``
   and candidate ``c`` with ``d_jc < R`` (the distance matrix holds nothing else),
   ``sum_c z_jc <= 1``, ``z_jc <= x_c``, and cost ``w_j * (R + sum_c (d_jc - R) z_jc)``; a
   piece left unassigned costs ``R``, which is what capping at R means. Pieces with identical
   distance rows (same candidates, same distances) share one set of assignment variables with
   their summed weight, as stage 1 merges pieces with identical covering sets.

Time limit: stage 1 gets at most :data:`STAGE1_SHARE` of ``--time-limit``; stage 2 gets what
is left of it (so at least a third). Both report incumbent, bound and time every
:data:`PROGRESS_EVERY_S` seconds. When stage 1 stops at the limit, stage 2 holds the coverage
of stage 1's best plan (not a proven optimum) and the progress line says so.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from service.planning.checkpoints.spread import spread_cost
from service.render.format import number

if TYPE_CHECKING:
    from service.planning.checkpoints.model import CoverageProblem

#: Seconds between progress lines of the exact mode.
PROGRESS_EVERY_S = 10.0
#: Share of ``--time-limit`` the first (coverage) stage may take; the second gets the rest.
STAGE1_SHARE = 2.0 / 3.0


def distance_rows(
    dist: sparse.csr_array, weight: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray]:
    """Pieces merged when their distance rows are identical (same candidates and distances).

    Parameters
    ----------
    dist
        Candidates × pieces network distances below the cap.
    weight
        Demand weight per piece.

    Returns
    -------
    csr_array, ndarray
        Groups × candidates distances, and each group's total weight (pieces of weight 0 or
        reached by no candidate are left out: they cost the cap whatever the plan).
    """
    dist_t = dist.T.tocsr()
    dist_t.sort_indices()
    nnz = np.diff(dist_t.indptr)
    live = np.flatnonzero((nnz > 0) & (weight > 0))
    if len(live) == 0:
        return sparse.csr_array((0, dist.shape[0])), np.zeros(0)
    rng = np.random.default_rng(54321)
    keys = rng.integers(0, 2**62, size=(2, dist.shape[0]), dtype=np.int64)
    sub = dist_t[live]
    bits = sub.data.astype(np.float64).view(np.int64)
    starts = sub.indptr[:-1]
    h1 = np.add.reduceat(keys[0][sub.indices], starts)
    h2 = np.add.reduceat(keys[1][sub.indices] * (bits | 1), starts)  # wraps: a hash
    frame = pd.DataFrame({"h1": h1, "h2": h2, "n": nnz[live]})
    group = frame.groupby(["h1", "h2", "n"], sort=False).ngroup().to_numpy()
    weights = np.bincount(group, weights=weight[live])
    _, rep = np.unique(group, return_index=True)
    return sub[rep], weights


def add_rows(highs: Any, blocks: list[Any], lo: list[np.ndarray], hi: list[np.ndarray]) -> None:
    """Add the row blocks ``lo <= blocks x <= hi`` to a HiGHS model in one CSR call."""
    a = sparse.vstack(blocks).tocsr()
    a.sort_indices()
    highs.addRows(
        a.shape[0],
        np.concatenate(lo),
        np.concatenate(hi),
        a.nnz,
        a.indptr[:-1].astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
    )


def spread_stage(
    model: Any,
    problem: CoverageProblem,
    covered_floor: float,
    cov_rows: sparse.csr_array,
    cov_weights: np.ndarray,
    start: np.ndarray,
    time_limit: float | None,
    progress: Callable[[str], None] | None,
) -> tuple[np.ndarray | None, float]:
    """Minimise the capped distance sum on a copy of the stage-1 HiGHS model.

    ``model`` holds stage 1's columns (``x`` for the n candidates, then ``y`` for the merged
    coverage rows) and rows (coverage links, ``sum x = k``, separation, settlements); a fresh
    HiGHS instance gets it plus the covered-demand floor, the assignment columns and rows, and
    the capped distance objective.

    Parameters
    ----------
    model
        The stage-1 ``highspy.HighsModel``.
    problem
        The instance; its ``distance`` (candidates × pieces, below the radius), ``weight``
        and ``radius`` (the cap R) define the objective.
    covered_floor
        Covered demand the plan must keep (stage 1's optimum or incumbent, less a tolerance).
    cov_rows
        Stage 1's merged rows (groups × candidates), whose ``y`` columns follow ``x``.
    cov_weights
        Their weights.
    start
        Chosen candidate indices of a plan meeting the floor (the starting incumbent).
    time_limit
        Seconds for this stage (None: no limit).
    progress
        Receives the progress lines.

    Returns
    -------
    ndarray or None, float
        The chosen candidates (None when HiGHS found no plan) and HiGHS's lower bound on the
        capped distance sum.
    """
    import highspy

    assert problem.distance is not None and problem.radius is not None
    dist = problem.distance.astype(float).tocsr()
    weight, cap = problem.weight.astype(float), float(problem.radius)
    with quiet_stdout():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", 1e-6)
    highs.setOptionValue("random_seed", 0)
    highs.passModel(model)
    n, m_cov = dist.shape[0], cov_rows.shape[0]
    rows, w = distance_rows(dist, weight)
    coo = rows.tocoo()
    e = coo.nnz
    base = n + m_cov
    inf = highspy.kHighsInf
    highs.addVars(e, np.zeros(e), np.ones(e))
    # Objective: sum_g W_g * (R + sum_c (d_gc - R) z_gc), plus R for every other piece.
    cost = np.zeros(base + e)
    cost[base:] = w[coo.row] * (coo.data.astype(float) - cap)
    highs.changeColsCost(base + e, np.arange(base + e, dtype=np.int32), cost)
    highs.changeObjectiveOffset(float(cap * weight.sum()))
    highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
    blocks: list[sparse.csr_array] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    width = base + e
    z = np.arange(e) + base
    # sum_c z_gc <= 1 per group
    blocks.append(sparse.csr_array((np.ones(e), (coo.row, z)), shape=(rows.shape[0], width)))
    lo.append(np.full(rows.shape[0], -inf))
    hi.append(np.ones(rows.shape[0]))
    # z_gc - x_c <= 0
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(e), -np.ones(e)]),
            (np.concatenate([np.arange(e), np.arange(e)]), np.concatenate([z, coo.col])),
        ),
        shape=(e, width),
    )
    blocks.append(link)
    lo.append(np.full(e, -inf))
    hi.append(np.zeros(e))
    add_rows(highs, blocks, lo, hi)
    # The covered-demand floor: sum_g W_g y_g >= floor, W_g from stage 1's objective.
    floor_idx = np.arange(n, base, dtype=np.int32)
    highs.addRow(covered_floor, inf, m_cov, floor_idx, cov_weights.astype(float))

    values = np.zeros(width)
    values[start] = 1.0
    values[n:base] = np.asarray(cov_rows[:, start].sum(axis=1)).ravel() > 0
    chosen = np.zeros(n, dtype=bool)
    chosen[start] = True
    # Each group assigned to its nearest chosen candidate.
    on = chosen[coo.col]
    order = np.lexsort((coo.data, ~on, coo.row))
    first = np.ones(e, dtype=bool)
    first[1:] = coo.row[order][1:] != coo.row[order][:-1]
    pick = order[first & on[order]]
    values[base + pick] = 1.0
    highs.setSolution(highs_start(highspy, values))
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(max(time_limit, 1.0)))
    total = float(weight.sum()) or 1.0
    start_cost = spread_cost(dist, weight, start, cap)

    def describe(primal: float, dual: float, now: float, limit: str) -> str:
        return (
            f"HiGHS spridning {now:.0f} s{limit}: medelavstånd till närmaste kontroll "
            f"{_metres_km(primal / total)}, undre gräns {_metres_km(max(dual, 0.0) / total)}."
        )

    clock = time.perf_counter()
    with Watch(progress, time_limit, start_cost, describe, minimise=True) as watch:
        highs.cbMipInterrupt.subscribe(watch.seen)
        with quiet_stdout():
            highs.run()
    sol = np.asarray(highs.getSolution().col_value)
    # Distances are never negative; HiGHS's dual bound is below zero until its root LP is solved.
    bound = max(float(highs.getInfo().mip_dual_bound), 0.0)
    if progress is not None:
        proven = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        value = float(highs.getInfo().objective_function_value) if len(sol) >= n else np.inf
        progress(
            f"HiGHS spridning klar efter {time.perf_counter() - clock:.0f} s: medelavstånd "
            f"{_metres_km(value / total)}, undre gräns {_metres_km(bound / total)}"
            + (" (bevisat bästa)." if proven else " (tidsgränsen nåddes).")
        )
    if len(sol) < n:
        return None, bound
    return np.flatnonzero(sol[:n] > 0.5), bound


def _metres_km(value: float) -> str:
    """Metres as Swedish kilometres with two decimals, a dash when HiGHS has no value yet."""
    return f"{number(value / 1000.0, 2)} km" if np.isfinite(value) else "–"


def highs_start(highspy: Any, values: np.ndarray) -> Any:
    """A HiGHS solution object holding ``values`` as the starting column values."""
    sol = highspy.HighsSolution()
    sol.col_value = list(map(float, values))
    sol.value_valid = True
    return sol


def km(value: float) -> str:
    """Weighted metres as Swedish kilometres, a dash when HiGHS has no value yet."""
    return number(value / 1000.0, 1) if np.isfinite(value) else "–"


def _coverage_line(primal: float, dual: float, now: float, limit: str) -> str:
    return f"HiGHS {now:.0f} s{limit}: bästa plan {km(primal)}, övre gräns {km(dual)}."


class Watch:
    """Reports HiGHS's incumbent, bound and time to ``progress`` every few seconds.

    HiGHS calls :meth:`seen` during branch and bound; a timer thread reports the last values
    seen, so progress also shows while HiGHS is still in presolve or the root LP.
    """

    def __init__(
        self,
        progress: Callable[[str], None] | None,
        limit: float | None,
        start_value: float,
        describe: Callable[[float, float, float, str], str] = _coverage_line,
        minimise: bool = False,
    ) -> None:
        self.progress, self.limit, self.describe = progress, limit, describe
        self.minimise = minimise
        self.primal = start_value
        self.dual = float("-inf") if minimise else float("inf")
        self.clock = time.perf_counter()
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def seen(self, event: Any) -> None:
        """Keep the incumbent and bound of a HiGHS callback ``event``."""
        out = event.data_out
        pick = min if self.minimise else max
        self.primal = pick(self.primal, float(out.mip_primal_bound))
        self.dual = float(out.mip_dual_bound)

    def _run(self, every: float) -> None:
        while not self.done.wait(every):
            if self.progress is None:
                return
            now = time.perf_counter() - self.clock
            limit = f" av {self.limit:.0f} s" if self.limit else ""
            self.progress(self.describe(self.primal, self.dual, now, limit))

    def __enter__(self) -> Watch:
        if self.progress is not None:
            self.thread = threading.Thread(target=self._run, args=(PROGRESS_EVERY_S,), daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join()


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send what C++ libraries print to stdout (HiGHS's banner) to stderr instead.

    ``--json`` writes the plan to stdout, which must hold nothing else.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
