"""The orienteering solver: insertion and local search on shortest-path legs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csgraph

from geodata.errors import (
    InfeasibleError,
)
from geodata.network import (
    tree_path,
    tree_path_sums,
)
from service.planning.walks.inputs import (
    LENGTH_TOLERANCE,
    PAD_TRIALS,
    PLACE_CELL_M,
    REPAIR_SEEDS,
    REPAIR_WORK,
    REPEAT_EXCESS_PENALTY,
    REPEAT_SOFT_SHARE,
    REROUTE_COST,
    REROUTE_PASSES,
    VIA_TRIALS,
    WAYPOINT_CELL_M,
)
from service.planning.walks.prizes import (
    _Graph,
)


class _Solver:
    """Prize-collecting insertion and local search on shortest-path legs among sources."""

    def __init__(self, graph: _Graph, start_pos: int, target: float, repeat_penalty: float) -> None:
        self.g = graph
        self.repeat_penalty = repeat_penalty
        self.target = target
        self.lo = (1.0 - LENGTH_TOLERANCE) * target
        self.hi = (1.0 + LENGTH_TOLERANCE) * target
        # Discounted distances are at most the true ones: this keeps every source a loop of
        # the target length could reach, and legs up to half the target.
        reach = _reach(graph, start_pos, 0.5 * target)
        sources = np.unique(
            np.concatenate(
                [
                    _cell_best(
                        graph, graph.node_prize, reach & (graph.node_prize > 0), PLACE_CELL_M
                    ),
                    _waypoints(graph, reach),
                ]
            )
        )
        sources = sources[sources != start_pos]
        self.sources = np.concatenate([[start_pos], sources]).astype(np.int64)
        _dist, pred = csgraph.dijkstra(
            graph.weight,
            directed=False,
            indices=self.sources,
            return_predecessors=True,
            limit=0.5 * target,
        )
        self.pred = pred
        self.L, self.P = self._leg_matrices(pred)
        self.leg_cache: dict[tuple[int, int], np.ndarray] = {}
        self.rows_cache: dict[tuple[int, int], np.ndarray] = {}
        self.evaluations = 0

    def _leg_matrices(self, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """True length and prize of every tree path between sources (inf/0 if not reached)."""
        g = self.g

        def step(parent: np.ndarray, node: np.ndarray) -> list[np.ndarray]:
            edge = g.rows_between(parent, node)
            return [g.length[edge], g.edge_prize[edge] + g.node_prize[node]]

        (length, prize), found = tree_path_sums(pred, self.sources, self.sources, step)
        return np.where(found, length, np.inf), prize

    # -- route evaluation -------------------------------------------------------------

    def leg(self, a: int, b: int) -> np.ndarray:
        """Node positions of the leg from source ``a`` to source ``b`` (both indices)."""
        key = (a, b)
        cached = self.leg_cache.get(key)
        if cached is not None:
            return cached
        nodes = tree_path(self.pred[a], int(self.sources[a]), int(self.sources[b]))
        self.leg_cache[key] = nodes
        return nodes

    def nodes_of(self, tour: Sequence[int]) -> np.ndarray:
        """Node positions along the realised tour."""
        parts = [self.leg(a, b)[1:] for a, b in itertools.pairwise(tour)]
        return (
            np.concatenate([[self.sources[tour[0]]], *parts])
            if parts
            else np.asarray([self.sources[tour[0]]])
        )

    def leg_rows(self, a: int, b: int) -> np.ndarray:
        """Edge rows of the leg from source ``a`` to source ``b``."""
        key = (a, b)
        cached = self.rows_cache.get(key)
        if cached is None:
            nodes = self.leg(a, b)
            cached = self.rows_cache[key] = self.g.rows_between(nodes[:-1], nodes[1:])
        return cached

    def evaluate(self, tour: Sequence[int]) -> tuple[float, float, float]:
        """``(value, prize, length)`` of the realised tour; value penalises repeated length."""
        self.evaluations += 1
        nodes = self.nodes_of(tour)
        if len(nodes) < 2:
            return 0.0, 0.0, 0.0
        rows = np.concatenate([self.leg_rows(a, b) for a, b in itertools.pairwise(tour)])
        return self._score(nodes, rows)

    def score(self, nodes: np.ndarray) -> tuple[float, float, float]:
        """``(value, prize, length)`` of a walk given as node positions."""
        if len(nodes) < 2:
            return 0.0, 0.0, 0.0
        return self._score(nodes, self.g.rows_between(nodes[:-1], nodes[1:]))

    def _score(self, nodes: np.ndarray, rows: np.ndarray) -> tuple[float, float, float]:
        """``(value, prize, length)`` of a walk: its node positions and walked edge rows."""
        lengths = self.g.length[rows]
        distinct = np.unique(rows)
        repeated = lengths.sum() - self.g.length[distinct].sum()
        prize = self.g.edge_prize[distinct].sum() + self.g.node_prize[np.unique(nodes)].sum()
        # Repeats beyond a quarter of the target length cost steeply: a walk that covers much
        # of its way twice is not a loop (the limit is 30 %).
        excess = max(0.0, repeated - REPEAT_SOFT_SHARE * self.target)
        value = prize - (self.repeat_penalty * repeated + REPEAT_EXCESS_PENALTY * excess) / 100.0
        return float(value), float(prize), float(lengths.sum())

    def repeated(self, tour: Sequence[int]) -> float:
        """Metres of the realised tour walked more than once."""
        if len(tour) < 2:
            return 0.0
        rows = np.concatenate([self.leg_rows(a, b) for a, b in itertools.pairwise(tour)])
        return float(self.g.length[rows].sum() - self.g.length[np.unique(rows)].sum())

    def tour_length(self, tour: Sequence[int]) -> float:
        t = np.asarray(tour)
        return float(self.L[t[:-1], t[1:]].sum())

    # -- moves ------------------------------------------------------------------------

    def insert_greedy(self, tour: list[int], budget: float) -> list[int]:
        """Cheapest prize-per-metre insertion until nothing more fits in ``budget``."""
        value, _, length = self.evaluate(tour)
        excluded = self._visited(tour)
        while True:
            cand = np.flatnonzero(~excluded)
            if len(cand) == 0:
                return tour
            t = np.asarray(tour)
            a, b = t[:-1], t[1:]
            dlen = self.L[a][:, cand] + self.L[cand][:, b].T - self.L[a, b][:, None]
            dpr = self.P[a][:, cand] + self.P[cand][:, b].T - self.P[a, b][:, None]
            feasible = np.isfinite(dlen) & (length + dlen <= budget) & (dpr > 0)
            if not feasible.any():
                return tour
            score = np.where(feasible, dpr / (np.maximum(dlen, 0.0) + 50.0), -np.inf)
            i, j = np.unravel_index(int(np.argmax(score)), score.shape)
            new = [*tour[: i + 1], int(cand[j]), *tour[i + 1 :]]
            new_value, _, new_length = self.evaluate(new)
            if new_value > value + 1e-9 and new_length <= budget:
                tour, value, length = new, new_value, new_length
                excluded = self._visited(tour)
            else:
                excluded[cand[j]] = True  # blocked until the tour changes

    def _visited(self, tour: list[int]) -> np.ndarray:
        """Per source: on the tour, or passed by it."""
        passed = np.zeros(len(self.g.xy), dtype=bool)
        passed[self.nodes_of(tour)] = True
        visited = passed[self.sources]
        visited[tour] = True
        return visited

    def two_opt(self, tour: list[int]) -> list[int]:
        """Reverse segments while the (matrix) length drops; keeps the exact value."""
        improved = True
        value = self.evaluate(tour)[0]
        while improved and len(tour) > 4:
            improved = False
            t = np.asarray(tour)
            n = len(t) - 1
            i, j = np.triu_indices(n, 2)
            i, j = i[(i > 0) | (j < n - 1)], j[(i > 0) | (j < n - 1)]
            delta = (
                self.L[t[i], t[j]]
                + self.L[t[i + 1], t[j + 1]]
                - self.L[t[i], t[i + 1]]
                - self.L[t[j], t[j + 1]]
            )
            for m in np.argsort(delta, kind="stable")[:5]:
                if delta[m] >= -1e-6:
                    break
                a, b = int(i[m]), int(j[m])
                new = [*tour[: a + 1], *tour[a + 1 : b + 1][::-1], *tour[b + 1 :]]
                new_value = self.evaluate(new)[0]
                if new_value >= value - 1e-9:
                    tour, value, improved = new, new_value, True
                    break
        return tour

    def solve(self, work: int) -> np.ndarray:
        """Build, improve, pad and untangle the tour; the walk's node positions.

        ``work`` bounds the local search by route evaluations, not by the clock, so the same
        input gives the same walk on any machine.
        """
        tour = self.improve(work)
        if self.repeated(tour) <= REPEAT_SOFT_SHARE * self.target:
            return self.nodes_of(tour)
        # The walk repeats too much: exact descents from several tours, then detours.
        return self.untangle(self.repair(tour, REPAIR_WORK))

    def improve(self, work: int) -> list[int]:
        """Build, improve and pad the tour (indices into ``sources``; 0 is the start)."""
        budget = self.evaluations + work
        loops = self.L[0] + self.L[:, 0]
        loops[0] = np.inf
        if not np.isfinite(loops).any() or loops.min() > self.hi:
            raise InfeasibleError(
                f"Sträckan {self.target / 1000:.2f} km är för kort för att lämna startpunkten "
                "och komma tillbaka; välj en längre vandring."
            )
        tour = self.insert_greedy([0, 0], self.target)
        if len(tour) == 2:
            # No prize fits: start from the waypoint whose out-and-back is longest in budget.
            fits = np.flatnonzero(loops <= self.target)
            tour = [0, int(fits[np.argmax(loops[fits])]) if len(fits) else int(np.argmin(loops)), 0]
        best = (self.evaluate(tour)[0], tour)
        while self.evaluations < budget:
            tour = self.two_opt(best[1])
            tour = self.insert_greedy(tour, self.target)
            improved = self.evaluate(tour)[0] > best[0] + 1e-9
            if improved:
                best = (self.evaluate(tour)[0], tour)
            # Remove-and-reinsert each visited source (a swap when another takes its place).
            for pos in range(1, len(best[1]) - 1):
                if self.evaluations >= budget:
                    break
                trial = [*best[1][:pos], *best[1][pos + 1 :]]
                if len(trial) < 3:
                    continue
                trial = self.insert_greedy(trial, self.target)
                value = self.evaluate(trial)[0]
                if value > best[0] + 1e-9:
                    best, improved = (value, trial), True
                    break
            if not improved:
                break
        return self.pad(best[1])

    def pad(self, tour: list[int]) -> list[int]:
        """Insert waypoints until the loop reaches the lower end of the length window."""
        length = self.tour_length(tour)
        while length < self.lo:
            t = np.asarray(tour)
            a, b = t[:-1], t[1:]
            dlen = self.L[a] + self.L[:, b].T - self.L[a, b][:, None]
            dlen[:, 0] = np.inf
            new_len = length + dlen
            ok = np.isfinite(new_len) & (new_len <= self.hi) & (dlen > 1.0)
            if not ok.any():
                raise InfeasibleError(
                    f"Gångnätet i området räcker inte till en slinga på {self.target / 1000:.1f} "
                    "km; välj en kortare vandring eller ett större område."
                )
            # Among the insertions that land in the window (else: the longest that fits),
            # take the best exact value: few repeats, most prize in passing.
            in_window = ok & (new_len >= self.lo)
            pool = in_window if in_window.any() else ok & (dlen >= dlen[ok].max() * 0.5)
            dpr = self.P[a] + self.P[:, b].T - self.P[a, b][:, None]
            flat = np.flatnonzero(pool.ravel())
            flat = flat[np.argsort(-dpr.ravel()[flat], kind="stable")[:PAD_TRIALS]]
            trials = []
            for f in flat.tolist():
                i, j = np.unravel_index(f, pool.shape)
                trial = [*tour[: i + 1], int(j), *tour[i + 1 :]]
                trials.append((self.evaluate(trial)[0], -f, trial))
            tour = max(trials)[2]
            length = self.tour_length(tour)
        return tour

    def repair(self, tour: list[int], work: int) -> list[int]:
        """Exact descents for a tour that walks too much of itself twice; the best result.

        The insertion moves rank candidates by prize per metre from the leg matrices, which
        cannot see repeats. Where repeats dominate the value (a start at the end of a long
        dead end) :meth:`_descend` runs from the tour and from the ``REPAIR_SEEDS`` best
        out-and-back tours in the window (a single move seldom turns the one into a loop),
        all within ``work`` evaluations in total.
        """
        budget = self.evaluations + work
        loops = self.L[0] + self.L[:, 0]
        fits = np.flatnonzero((loops >= self.lo) & (loops <= self.hi))
        seeds = sorted(([0, int(x), 0] for x in fits[fits > 0]), key=lambda t: -self.evaluate(t)[0])
        best = (self.evaluate(tour)[0], tour)
        for seed in [tour, *seeds[:REPAIR_SEEDS]]:
            if self.evaluations >= budget:
                break
            found = self._descend(seed, budget)
            if found[0] > best[0] + 1e-9:
                best = found
        return best[1]

    def _descend(self, tour: list[int], budget: int) -> tuple[float, list[int]]:
        """Best-improvement descent over :meth:`_neighbours`, evaluated exactly.

        Stops when no neighbour improves, the repeats fall to the soft share or the
        evaluation count reaches ``budget``. Returns ``(value, tour)``.
        """
        value = self.evaluate(tour)[0]
        while self.repeated(tour) > REPEAT_SOFT_SHARE * self.target:
            best: tuple[float, list[int]] | None = None
            for trial in self._neighbours(tour):
                if self.evaluations >= budget:
                    break
                trial_value = self.evaluate(trial)[0]
                if trial_value > value + 1e-9 and (best is None or trial_value > best[0]):
                    best = (trial_value, trial)
            if best is None:
                break
            value, tour = best
        return value, tour

    def _neighbours(self, tour: list[int]) -> Iterator[list[int]]:
        """Tours one insertion, removal or replacement away whose length is in the window."""
        t = np.asarray(tour)
        length = self.tour_length(tour)
        legs = self.L

        def fits(x: np.ndarray) -> np.ndarray:
            return (x >= self.lo) & (x <= self.hi)

        a, b = t[:-1], t[1:]
        inserted = length + legs[a] + legs[:, b].T - legs[a, b][:, None]
        inserted[:, 0] = np.inf
        for i, x in zip(*np.nonzero(fits(inserted)), strict=True):
            if x != a[i] and x != b[i]:
                yield [*tour[: i + 1], int(x), *tour[i + 1 :]]
        for pos in range(1, len(tour) - 1):
            p, here, q = tour[pos - 1], tour[pos], tour[pos + 1]
            rest = length - legs[p, here] - legs[here, q]
            if len(tour) > 3 and fits(rest + legs[p, q]):
                yield [*tour[:pos], *tour[pos + 1 :]]
            replaced = rest + legs[p] + legs[:, q]
            replaced[[0, here, p, q]] = np.inf
            for x in np.flatnonzero(fits(replaced)).tolist():
                yield [*tour[:pos], x, *tour[pos + 1 :]]

    def untangle(self, tour: list[int]) -> np.ndarray:
        """Re-route legs off the edges the rest of the walk already uses.

        Legs are shortest paths, so a walk that has to come back the way it went (from a
        start at the end of a long dead end) also walks its far end twice. Each leg in turn,
        the last first, is replaced by one of its detours (:meth:`_detours`) when the walk's
        exact value rises and its length stays in the window. A fixed number of passes and
        of detours per leg: deterministic.
        """
        legs = [self.leg(a, b) for a, b in itertools.pairwise(tour)]
        used_by = [self.g.rows_between(leg[:-1], leg[1:]) for leg in legs]
        value, _, length = self.score(_join(legs))
        for _ in range(REROUTE_PASSES):
            improved = False
            for i in reversed(range(len(legs))):
                best = None
                for leg in self._detours(legs, used_by, i, length):
                    trial = [*legs[:i], leg, *legs[i + 1 :]]
                    new_value, _, new_length = self.score(_join(trial))
                    if new_value > value + 1e-9 and self.lo <= new_length <= self.hi:
                        value, best = new_value, (trial, new_length)
                if best is not None:
                    legs, length = best
                    used_by[i] = self.g.rows_between(legs[i][:-1], legs[i][1:])
                    improved = True
            if not improved:
                break
        return _join(legs)

    def _detours(
        self, legs: list[np.ndarray], used_by: list[np.ndarray], i: int, length: float
    ) -> list[np.ndarray]:
        """Other ways for leg ``i``, off the edges of the other legs where they can.

        On the discounted lengths with the other legs' edges ``REROUTE_COST`` times longer:
        the shortest way, and ways through a via node where the trees from both ends arrive
        by different edges (so the leg turns there instead of doubling back), those with the
        least length on other legs' edges first, then the longest; at most ``VIA_TRIALS``
        distinct ones that keep the walk within the window.
        """
        g = self.g
        a, b = int(legs[i][0]), int(legs[i][-1])
        used = np.zeros(len(g.length), dtype=bool)
        for j, rows in enumerate(used_by):
            if j != i:
                used[rows] = True
        weight = g.weight.copy()
        weight.data = weight.data * np.where(used[g.arcs.row], REROUTE_COST, 1.0)
        old = float(g.length[used_by[i]].sum())
        room = old + self.hi - length
        ends = np.asarray([a, b])
        _, pred = csgraph.dijkstra(
            weight, indices=ends, return_predecessors=True, limit=REROUTE_COST * room
        )
        out = []
        if a != b and pred[0, b] >= 0:
            out.append(tree_path(pred[0], a, b))

        def step(parent: np.ndarray, node: np.ndarray) -> list[np.ndarray]:
            rows = g.rows_between(parent, node)
            return [g.length[rows], g.length[rows] * used[rows]]

        n = pred.shape[1]
        (dist, overlap), found = tree_path_sums(pred, ends, np.arange(n), step)
        total, over = dist.sum(axis=0), overlap.sum(axis=0)
        ok = found.all(axis=0) & (pred[0] != pred[1]) & (total <= room)
        ok &= length - old + total >= self.lo
        ok[ends] = False
        seen: set[tuple[float, float]] = set()
        for x in np.flatnonzero(ok)[np.lexsort((-total[ok], over[ok]))].tolist():
            key = (round(float(total[x]), 1), round(float(over[x]), 1))
            if key in seen:
                continue
            seen.add(key)
            out.append(_join([tree_path(pred[0], a, x), tree_path(pred[1], b, x)[::-1]]))
            if len(out) > VIA_TRIALS:
                break
        return out


def _join(legs: Sequence[np.ndarray]) -> np.ndarray:
    """One walk from consecutive legs (each leg starts where the one before ends)."""
    return np.concatenate([legs[0][:1], *(leg[1:] for leg in legs)])


def _reach(graph: _Graph, start_pos: int, limit: float) -> np.ndarray:
    """Nodes within ``limit`` (discounted metres) of the start."""
    dist = csgraph.dijkstra(graph.weight, directed=False, indices=start_pos, limit=limit)
    return np.isfinite(dist)


def _cell_best(graph: _Graph, score: np.ndarray, mask: np.ndarray, cell_m: float) -> np.ndarray:
    """Per grid cell, the masked node with the highest score (lowest position on ties)."""
    cells = np.floor(graph.xy / cell_m).astype(np.int64)
    frame = pd.DataFrame(
        {"cx": cells[:, 0], "cy": cells[:, 1], "score": score, "node": np.arange(len(score))}
    )[mask]
    best = frame.sort_values(["cx", "cy", "score", "node"], ascending=[True, True, False, True])
    return best.drop_duplicates(["cx", "cy"])["node"].to_numpy(np.int64)


def _waypoints(graph: _Graph, reach: np.ndarray) -> np.ndarray:
    """One node per grid cell: the one touching the most edge prize (or any node)."""
    pos = graph.network.node_positions()
    u = pos.loc[graph.network.edges["u"].to_numpy()].to_numpy()
    v = pos.loc[graph.network.edges["v"].to_numpy()].to_numpy()
    n = len(graph.node_ids)
    touching = np.bincount(u, graph.edge_prize, n) + np.bincount(v, graph.edge_prize, n)
    return _cell_best(graph, touching, reach, WAYPOINT_CELL_M)
