"""The optimiser: maximal covering (coverage first), then the spread stage, then the certificate.

:meth:`MaximalCovering.solve` chooses the sites: greedy on exact marginal gains, 1-swap local
search and iterated local search (heuristic), or a HiGHS integer program on merged rows
(exact). The heuristic ends with :func:`~service.planning.checkpoints.spread.improve_spread`,
the exact mode with a second HiGHS model (:func:`~service.planning.checkpoints.exact.spread_stage`);
both then run :meth:`MaximalCovering.certify`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from geodata.errors import InfeasibleError, InvalidInputError
from service.planning.checkpoints.bound import (
    DEFAULT_BOUND_SECONDS,
    Certificate,
    lagrangian_bound,
)
from service.planning.checkpoints.exact import (
    STAGE1_SHARE,
    Watch,
    add_rows,
    highs_start,
    km,
    quiet_stdout,
    spread_stage,
)
from service.planning.checkpoints.search import _State
from service.planning.checkpoints.spread import improve_spread, spread_cost

# --------------------------------------------------------------------------- the model


@dataclass
class CoverageProblem:
    """A maximal-covering instance.

    Attributes
    ----------
    coverage
        Boolean csr, candidates × demand pieces: the candidate reaches the piece.
    weight
        Demand weight per piece.
    fixed
        Boolean per candidate: must be chosen.
    neighbours
        Boolean csr candidates × candidates: closer than the minimum separation (straight-line
        distance), or None.
    reaches
        Boolean csr candidates × required settlements, or None.
    distance
        Candidates × pieces network distances within the radius (same pattern as
        ``coverage``), for the spread stage (:mod:`service.planning.spread`); None skips it.
    radius
        The radius in the units of ``distance`` (the spread objective's cap).
    xy
        Candidate coordinates (metric CRS), for the spread stage's move neighbourhoods.
    """

    coverage: sparse.csr_array
    weight: np.ndarray
    fixed: np.ndarray
    neighbours: sparse.csr_array | None = None
    reaches: sparse.csr_array | None = None
    distance: sparse.csr_array | None = None
    radius: float | None = None
    xy: np.ndarray | None = None

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites."""
        return self.coverage.shape[0]

    def objective(self, selected: np.ndarray) -> float:
        """Weighted demand covered by ``selected`` candidate indices."""
        hit = np.zeros(self.coverage.shape[1], dtype=bool)
        sub = self.coverage[np.asarray(selected, dtype=np.int64)]
        hit[sub.indices] = True
        return float(self.weight[hit].sum())


@dataclass
class Solution:
    """Chosen candidate indices and the weighted demand they cover.

    ``bound`` is HiGHS's dual bound (exact mode); ``certificate`` the Lagrangian bound of
    :mod:`service.planning.bound`; ``spread_cost`` the second-stage objective (capped
    distance sum) and ``spread_moves`` how many sites the spread stage moved.
    """

    selected: np.ndarray
    objective: float
    method: str
    bound: float | None = None
    unreached_settlements: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    certificate: Certificate | None = None
    spread_cost: float | None = None
    spread_moves: int = 0


class MaximalCovering:
    """Choose ``k`` sites maximising covered demand (Church & ReVelle's MCLP) with side rules.

    Parameters
    ----------
    problem
        Coverage, weights, fixed sites, separation and settlement rules.
    k
        Number of sites, fixed ones included.
    """

    def __init__(self, problem: CoverageProblem, k: int) -> None:
        if k < 1:
            raise InvalidInputError("Antalet kontroller måste vara minst 1.", field="count")
        if k > problem.n_candidates:
            raise InfeasibleError(
                f"Du bad om {k} kontroller men det finns bara {problem.n_candidates} "
                "kandidatplatser. Minska antalet kontroller eller ange fler kandidater.",
                field="count",
            )
        if problem.fixed.sum() > k:
            raise InfeasibleError(
                f"Det finns {int(problem.fixed.sum())} fasta platser men bara {k} kontroller."
            )
        self.problem = problem
        self.k = k
        #: Perturbation rounds of the iterated local search: a work budget in coverage
        #: non-zeros rather than seconds, so the plan depends on the seed only.
        self.perturbation_rounds = int(np.clip(2e7 / max(problem.coverage.nnz, 1), 4, 30))
        self.cov = problem.coverage.astype(np.float64).tocsr()
        self.cov_t = self.cov.T.tocsr()  # pieces × candidates: column access as rows

    # -- public -----------------------------------------------------------------------

    def solve(
        self,
        method: str = "heuristic",
        seed: int = 0,
        time_limit: float | None = None,
        bound_seconds: float | None = DEFAULT_BOUND_SECONDS,
        progress: Callable[[str], None] | None = None,
    ) -> Solution:
        """Solve with ``heuristic`` (greedy + swaps) or ``exact`` (HiGHS MIP), then certify.

        Both methods end with the spread stage (:func:`~service.planning.spread.improve_spread`)
        when the problem carries distances. ``bound_seconds`` limits the Lagrangian bound
        (None: no certificate); ``progress`` receives the exact mode's progress lines.
        """
        if method == "heuristic":
            solution = self._heuristic(np.random.default_rng(seed), time_limit)
        elif method == "exact":
            solution = self._exact(time_limit, progress, np.random.default_rng(seed))
        else:
            raise ValueError(f"unknown method {method!r}")
        if bound_seconds is not None:
            solution.certificate = self.certify(
                solution.selected, solution.objective, bound_seconds, solution.bound
            )
        return solution

    def certify(
        self,
        selected: np.ndarray,
        objective: float,
        seconds: float = DEFAULT_BOUND_SECONDS,
        known_bound: float | None = None,
    ) -> Certificate:
        """An upper bound on the covered demand of any plan with this K and these candidates.

        The least of: the Lagrangian bound on the merged rows
        (:func:`~service.planning.bound.lagrangian_bound`), the greedy bound (the plan plus
        the K largest marginal gains left, valid by submodularity), all coverable demand, and
        ``known_bound`` (HiGHS's dual bound in exact mode, used only when the model has no
        separation or settlement rules: with them it bounds only the plans that keep them).
        """
        p = self.problem
        rows, weights = self.aggregated_rows()
        hit = np.zeros(self.cov.shape[1], dtype=bool)
        hit[self.cov[np.asarray(selected, dtype=np.int64)].indices] = True
        gains = np.asarray(self.cov @ (p.weight * ~hit), dtype=float)
        gains[p.fixed] = 0.0
        pick = self.k - int(p.fixed.sum())
        greedy = objective + float(np.sort(gains)[::-1][:pick].sum())
        ruled = (p.neighbours is not None and p.neighbours.nnz > 0) or p.reaches is not None
        known = np.inf if known_bound is None or ruled else known_bound
        cheap = min(greedy, float(weights.sum()), known)
        if cheap <= objective * (1 + 1e-6):  # nothing left to prove
            return Certificate(max(cheap, objective), objective, 0, 0.0)
        cert = lagrangian_bound(rows, weights, self.k, p.fixed, objective, selected, seconds)
        cert.bound = max(min(cert.bound, cheap), objective)
        return cert

    def _spread(
        self, state: _State, rng: np.random.Generator, deadline: float | None
    ) -> tuple[float | None, int]:
        """Run the spread stage on ``state`` if the problem carries distances."""
        p = self.problem
        if p.distance is None or p.radius is None or p.xy is None:
            return None, 0
        moves = improve_spread(state, p.distance, p.radius, p.xy, rng, deadline)
        return spread_cost(p.distance, state.w, np.flatnonzero(state.chosen), p.radius), moves

    # -- heuristic ----------------------------------------------------------------------

    def _required(self) -> tuple[sparse.csr_array | None, np.ndarray]:
        """Required-settlement incidence restricted to settlements some candidate reaches."""
        reach = self.problem.reaches
        if reach is None or reach.shape[1] == 0:
            return None, np.zeros(0, dtype=int)
        reachable = np.asarray(reach.sum(axis=0)).ravel() > 0
        return reach[:, np.flatnonzero(reachable)].astype(np.float64).tocsr(), np.flatnonzero(
            ~reachable
        )

    def _heuristic(self, rng: np.random.Generator, time_limit: float | None) -> Solution:
        """Greedy on exact marginal gains, 1-swap local search, then iterated local search.

        The perturbation drops a few free sites, refills greedily without them and swaps
        again, keeping the result only if it is better; a fixed number of rounds keeps the
        plan a pure function of the seed.
        """
        start = time.perf_counter()
        p = self.problem
        w = p.weight.astype(float)
        reach, unreachable = self._required()
        state = _State(self, w, reach)
        for c in np.flatnonzero(p.fixed):
            state.add(int(c))
        state.fill(rng)
        state.swap(rng, start, time_limit)
        best, snapshot = state.value(), state.snapshot()
        free_count = self.k - int(p.fixed.sum())
        drop = max(1, min(free_count // 5, 10))
        for _ in range(self.perturbation_rounds if free_count > 1 else 0):
            if time_limit is not None and time.perf_counter() - start > time_limit:
                break
            free = np.flatnonzero(state.chosen & ~p.fixed)
            out = rng.choice(free, size=min(drop, len(free)), replace=False)
            for c in out:
                state.remove(int(c))
            state.fill(rng, forbid=out)
            state.swap(rng, start, time_limit)
            value = state.value()
            if value > best + state.tol:
                best, snapshot = value, state.snapshot()
            else:
                state.restore(snapshot)
        deadline = None if time_limit is None else start + time_limit
        cost, moves = self._spread(state, rng, deadline)
        selected = np.flatnonzero(state.chosen)
        missed = unreachable
        if reach is not None and p.reaches is not None and (state.reached == 0).any():
            reachable_ids = np.flatnonzero(np.asarray(p.reaches.sum(axis=0)).ravel() > 0)
            missed = np.sort(np.concatenate([unreachable, reachable_ids[state.reached == 0]]))
        return Solution(
            selected, p.objective(selected), "heuristic", None, missed, None, cost, moves
        )

    # -- exact ----------------------------------------------------------------------------

    def aggregated_rows(self) -> tuple[sparse.csr_array, np.ndarray]:
        """Demand pieces merged when covered by exactly the same candidates.

        Each piece's covering set is hashed (two sums of random 64-bit keys per candidate),
        so the ILP gets one row per distinct set rather than spopt's one row per piece.

        Returns
        -------
        csr_array, ndarray
            Groups × candidates incidence, and each group's total weight.
        """
        cov_t = self.cov_t  # pieces × candidates, sorted indices per row
        rng = np.random.default_rng(12345)
        keys = rng.integers(0, 2**62, size=(2, self.problem.n_candidates), dtype=np.int64)
        nnz = np.diff(cov_t.indptr)
        live = np.flatnonzero(nnz > 0)
        starts = cov_t.indptr[live]
        h1 = np.add.reduceat(keys[0][cov_t.indices], starts) if len(live) else np.zeros(0)
        h2 = np.add.reduceat(keys[1][cov_t.indices], starts) if len(live) else np.zeros(0)
        frame = pd.DataFrame({"h1": h1, "h2": h2, "n": nnz[live]})
        group = frame.groupby(["h1", "h2", "n"], sort=False).ngroup().to_numpy()
        weights = np.bincount(group, weights=self.problem.weight[live])
        _, rep = np.unique(group, return_index=True)
        return cov_t[live[rep]], weights

    def _exact(
        self,
        time_limit: float | None,
        progress: Callable[[str], None] | None = None,
        rng: np.random.Generator | None = None,
    ) -> Solution:
        """The lexicographic model in two HiGHS stages (:mod:`~service.planning.checkpoints.exact`).

        Stage 1 (covered demand) runs branch and bound on the merged rows from the heuristic's
        plan, within :data:`~service.planning.checkpoints.exact.STAGE1_SHARE` of
        ``time_limit``; stage 2 keeps that coverage and minimises the capped distance sum
        (p-median) within the rest of it. Without distances only stage 1 runs.
        """
        import highspy

        rng = rng if rng is not None else np.random.default_rng(0)
        clock0 = time.perf_counter()
        heuristic = self._heuristic(rng, None)
        start_plan = heuristic.selected
        limit1 = None if time_limit is None else time_limit * STAGE1_SHARE

        p = self.problem
        n = p.n_candidates
        rows, weights = self.aggregated_rows()
        m = rows.shape[0]
        with quiet_stdout():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", 1e-6)
        h.setOptionValue("random_seed", 0)
        if limit1 is not None:
            h.setOptionValue("time_limit", float(limit1))
        inf = highspy.kHighsInf
        # Columns: x (n binaries) then y (m continuous in [0, 1]); maximise sum W y.
        lower_x = p.fixed.astype(float)
        h.addVars(n + m, np.concatenate([lower_x, np.zeros(m)]), np.ones(n + m))
        h.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
        )
        h.changeColsCost(
            n + m, np.arange(n + m, dtype=np.int32), np.concatenate([np.zeros(n), weights])
        )
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        blocks: list[sparse.csr_array] = []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []
        # y_g - sum_{c covers g} x_c <= 0
        blocks.append(sparse.hstack([-rows.astype(float), sparse.eye_array(m)]).tocsr())
        lo.append(np.full(m, -inf))
        hi.append(np.zeros(m))
        # sum x = k
        blocks.append(sparse.csr_array(np.concatenate([np.ones(n), np.zeros(m)])[None, :]))
        lo.append(np.array([float(self.k)]))
        hi.append(np.array([float(self.k)]))
        if p.neighbours is not None and p.neighbours.nnz:
            pairs = sparse.triu(p.neighbours, k=1).tocoo()
            both_fixed = p.fixed[pairs.row] & p.fixed[pairs.col]
            r, c = pairs.row[~both_fixed], pairs.col[~both_fixed]
            e = len(r)
            if e:
                sep = sparse.csr_array(
                    (np.ones(2 * e), (np.repeat(np.arange(e), 2), np.column_stack([r, c]).ravel())),
                    shape=(e, n + m),
                )
                blocks.append(sep)
                lo.append(np.full(e, -inf))
                hi.append(np.ones(e))
        reach, unreachable = self._required()
        if reach is not None and reach.shape[1]:
            req = sparse.hstack([reach.T.astype(float), sparse.csr_array((reach.shape[1], m))])
            blocks.append(req.tocsr())
            lo.append(np.ones(reach.shape[1]))
            hi.append(np.full(reach.shape[1], inf))
        add_rows(h, blocks, lo, hi)
        start = np.zeros(n + m)
        start[start_plan] = 1.0
        hit = np.asarray(rows[:, start_plan].sum(axis=1)).ravel() > 0
        start[n:] = hit
        h.setSolution(highs_start(highspy, start))
        clock = time.perf_counter()
        with Watch(progress, limit1, p.objective(start_plan)) as watch:
            h.cbMipInterrupt.subscribe(watch.seen)
            with quiet_stdout():
                h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise InfeasibleError(
                "Det finns ingen plan som uppfyller alla villkor (minsta avstånd, orter, fasta "
                "platser). Lätta på villkoren."
            )
        sol = np.asarray(h.getSolution().col_value)
        if len(sol) < n:
            raise InfeasibleError("HiGHS hittade ingen lösning inom tidsgränsen.")
        selected = np.flatnonzero(sol[:n] > 0.5)
        bound = float(h.getInfo().mip_dual_bound)
        proven = status == highspy.HighsModelStatus.kOptimal
        covered = p.objective(selected)
        if progress is not None:
            progress(
                f"HiGHS klar efter {time.perf_counter() - clock:.0f} s: bästa plan "
                f"{km(covered)}, övre gräns {km(bound)}"
                + ("." if proven else " (tidsgränsen nåddes; steg 2 behåller denna täckning).")
            )
        cost, moves = None, 0
        if p.distance is not None and p.radius is not None:
            # Start stage 2 from the better spread of two plans keeping the coverage: HiGHS's
            # plan after the heuristic's spread moves, and the heuristic's own plan.
            tol = 1e-9 * max(float(p.weight.sum()), 1.0)
            state = _State(self, p.weight.astype(float), reach)
            for c in selected:
                state.add(int(c))
            self._spread(state, rng, None)
            moved = np.flatnonzero(state.chosen)
            plans = [selected] + [
                plan for plan in (moved, start_plan) if p.objective(plan) >= covered - tol
            ]
            costs = [spread_cost(p.distance, p.weight, plan, p.radius) for plan in plans]
            best = plans[int(np.argmin(costs))]
            left = None if time_limit is None else time_limit - (time.perf_counter() - clock0)
            found, _ = spread_stage(
                h.getModel(), p, covered - tol, rows, weights, best, left, progress,
            )  # fmt: skip
            selected = best
            if found is not None and p.objective(found) >= covered - tol:
                selected = found
            cost = spread_cost(p.distance, p.weight, selected, p.radius)
            moves = len(np.setdiff1d(selected, plans[0]))
        return Solution(
            selected, p.objective(selected), "exact", bound, unreachable, None, cost, moves
        )
