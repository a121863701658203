"""A certificate for a checkpoint plan: an upper bound on the coverage any plan could reach.

The maximal-covering model on merged rows (pieces covered by exactly the same candidates form
one group ``g`` with weight ``W_g``) is

    max sum_g W_g y_g   s.t.  y_g <= sum_{c covers g} x_c,  sum_c x_c = K,
                              x_c in {0, 1} (fixed sites 1),  0 <= y_g <= 1.

Relaxing every group's coverage row with a multiplier ``0 <= lambda_g <= W_g`` (Lagrangian
relaxation) leaves two trivial problems, so for every ``lambda``

    L(lambda) = sum_g (W_g - lambda_g) + sum of the K largest s_c,  s_c = sum_{c covers g} lambda_g

(fixed sites always counted) is an upper bound on the covered demand of every plan with the
same K, radius and candidates, whatever the separation or settlement rules (dropping rules
only raises the optimum). The bound is minimised by projected subgradient steps with Polyak's
step length against the plan's own coverage; its best value equals the LP relaxation's at the
limit, and on the Porto instance of the benchmarks it comes within a fraction of a per cent of
it in seconds, where HiGHS's LP of the same merged model took over ten minutes.

The gap ``(bound - plan) / bound`` is then a proven statement: the plan is at most that far
from the best possible plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: Subgradient iterations of the bound at most: a work budget, not seconds, so the printed gap
#: is the same on a busy machine as on an idle one (each iteration is one pass over the merged
#: rows). On the Porto benchmark instance (K 50, 2,000 candidates) 250 iterations reach
#: 6,785.2 km, at most 0.37 % above the LP relaxation's value (which long primal-dual and
#: subgradient runs bracket between 6,760.6 and 6,769.1 km), against 6,781.5 km after 500
#: iterations of the former schedule (patience 30, deflection 0.3) in twice the CPU time.
#: Rhein-Neckar K 100: 5,256.7 km (former 5,244.0); Porto K 100: 8,754.0 km (former 8,781.5).
DEFAULT_BOUND_ITERATIONS = 250
#: Seconds after which the bound stops anyway (a guard for huge instances).
DEFAULT_BOUND_SECONDS = 30.0
#: Iterations without a new best bound before the step factor is halved.
PATIENCE = 10
#: Share of the new subgradient in the deflected direction (the rest is the last direction).
DEFLECTION = 0.2
#: Stop when the step factor falls below this.
MIN_STEP = 1e-4
#: Stop when the best bound improved by less than ``STALL_TOLERANCE`` (relative) over the
#: last ``STALL_WINDOW`` iterations.
STALL_WINDOW = 50
STALL_TOLERANCE = 2e-4


@dataclass
class Certificate:
    """An upper bound on the covered demand and the plan's proven distance from it.

    Attributes
    ----------
    bound
        No plan with the same K, radius and candidates covers more demand than this.
    objective
        The plan's covered demand (same units).
    iterations, seconds
        Work spent on the bound.
    """

    bound: float
    objective: float
    iterations: int
    seconds: float

    @property
    def gap(self) -> float:
        """Proven relative distance from the best possible plan, ``(bound - plan) / bound``."""
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)


def lagrangian_bound(
    rows: sparse.csr_array,
    weights: np.ndarray,
    k: int,
    fixed: np.ndarray,
    objective: float,
    selected: np.ndarray | None = None,
    seconds: float = DEFAULT_BOUND_SECONDS,
    max_iterations: int = DEFAULT_BOUND_ITERATIONS,
    target_gap: float = 1e-4,
    patience: int = PATIENCE,
    stall_tolerance: float = STALL_TOLERANCE,
) -> Certificate:
    """Minimise the Lagrangian bound of the merged maximal-covering model.

    Parameters
    ----------
    rows
        Groups × candidates incidence (boolean csr), as from ``MaximalCovering.aggregated_rows``.
    weights
        Weight of each group.
    k
        Number of sites, fixed ones included.
    fixed
        Boolean per candidate: always chosen.
    objective
        The plan's covered demand: the Polyak step's target and the certificate's plan value.
    selected
        The plan's candidates, for the starting multipliers.
    seconds, max_iterations
        Work limits: the best bound found so far is returned when either is reached.
    target_gap
        Stop once the bound is this close to ``objective`` (relative).
    patience, stall_tolerance
        Iterations without a new best before the step is halved, and the least relative
        improvement over ``STALL_WINDOW`` iterations that keeps the run going (0: never stop
        for that); a long reference run wants more patience and no stall stop.

    Returns
    -------
    Certificate
    """
    start = time.perf_counter()
    w = np.asarray(weights, dtype=float)
    cols = sparse.csr_array(rows.T, dtype=np.float64)  # candidates × groups
    cols.indices = cols.indices.astype(np.int32)
    cols.sort_indices()
    fixed = np.asarray(fixed, dtype=bool)
    free = np.flatnonzero(~fixed)
    pick = max(k - int(fixed.sum()), 0)
    total = float(w.sum())
    if pick == 0 or len(free) <= pick:
        chosen = np.flatnonzero(fixed) if pick == 0 else np.arange(cols.shape[0])
        covered = np.zeros(len(w), dtype=bool)
        covered[np.unique(cols[chosen].indices)] = True
        return Certificate(float(w[covered].sum()), objective, 0, time.perf_counter() - start)
    fixed_idx = np.flatnonzero(fixed)
    # The iterations' products in single precision (a sixth less time per pass); the bound
    # returned is recomputed exactly in double precision, so it is valid whatever rounding
    # steered the multipliers.
    cols32 = sparse.csr_array((cols.data.astype(np.float32), cols.indices, cols.indptr), cols.shape)
    # Start from the plan: a group it leaves uncovered keeps its whole weight as multiplier,
    # a covered one shares it among the plan's sites that cover it (each site's column sum
    # is then its share of the plan); without a plan, share among all covering candidates.
    share = cols[np.asarray(selected, dtype=np.int64)] if selected is not None else cols
    per_group = np.bincount(share.indices, minlength=len(w)).astype(float)
    lam = np.where(per_group > 0, w / np.maximum(per_group, 1.0), w)
    best, best_lam, step, stale, done = np.inf, lam, 1.0, 0, 0
    history: list[float] = []
    direction: np.ndarray | None = None
    s = cols32 @ lam.astype(np.float32)
    for _ in range(max_iterations):
        done += 1
        top = free[np.argpartition(-s[free], pick - 1)[:pick]]
        chosen = np.concatenate([fixed_idx, top])
        value = float(total - lam.sum() + s[chosen].astype(float).sum())
        if value < best - 1e-9 * total:
            best, best_lam, stale = value, lam, 0
        else:
            stale += 1
            if stale >= patience:
                step, stale = step / 2.0, 0
        history.append(best)
        if (
            best <= objective * (1 + target_gap)
            or step < MIN_STEP
            or time.perf_counter() - start > seconds
            or (
                len(history) > STALL_WINDOW
                and history[-STALL_WINDOW - 1] - best < stall_tolerance * best
            )
        ):
            break
        # Subgradient of L: -1 where W > lambda, plus how often the chosen columns hold g.
        grad = np.bincount(_row_entries(cols, chosen), minlength=len(w)).astype(float)
        grad -= lam < w
        direction = grad if direction is None else DEFLECTION * grad + (1 - DEFLECTION) * direction
        norm = float(np.square(direction).sum())  # not BLAS: its threads stall on busy hosts
        if norm == 0:
            break
        lam = np.clip(lam - step * (value - objective) / norm * direction, 0.0, w)
        s = cols32 @ lam.astype(np.float32)
    # The bound of the best multipliers, recomputed exactly.
    s = cols @ best_lam
    top = free[np.argpartition(-s[free], pick - 1)[:pick]]
    best = float(total - best_lam.sum() + s[np.concatenate([fixed_idx, top])].sum())
    best = max(best, objective)  # a bound below a real plan can only be rounding
    return Certificate(best, objective, done, time.perf_counter() - start)


def _row_entries(mat: sparse.csr_array, rows: np.ndarray) -> np.ndarray:
    """The column indices of ``rows`` of a csr matrix, concatenated (one gather, no loop)."""
    starts = mat.indptr[rows]
    lengths = mat.indptr[rows + 1] - starts
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return mat.indices[offsets + np.arange(int(lengths.sum()))]
