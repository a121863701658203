"""The orienteering solver: insertion and local search on shortest-path legs."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

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
    REPEAT_EXCESS_PENALTY,
    REPEAT_SOFT_SHARE,
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

    def evaluate(self, tour: Sequence[int]) -> tuple[float, float, float]:
        """``(value, prize, length)`` of the realised tour; value penalises repeated length."""
        self.evaluations += 1
        nodes = self.nodes_of(tour)
        if len(nodes) < 2:
            return 0.0, 0.0, 0.0
        rows = self.g.rows_between(nodes[:-1], nodes[1:])
        lengths = self.g.length[rows]
        distinct = np.unique(rows)
        repeated = lengths.sum() - self.g.length[distinct].sum()
        prize = self.g.edge_prize[distinct].sum() + self.g.node_prize[np.unique(nodes)].sum()
        # Repeats beyond a quarter of the target length cost steeply: a walk that covers much
        # of its way twice is not a loop (the limit is 30 %).
        excess = max(0.0, repeated - REPEAT_SOFT_SHARE * self.target)
        value = prize - (self.repeat_penalty * repeated + REPEAT_EXCESS_PENALTY * excess) / 100.0
        return float(value), float(prize), float(lengths.sum())

    def tour_length(self, tour: Sequence[int]) -> float:
        t = np.asarray(tour)
        return float(self.L[t[:-1], t[1:]].sum())

    # -- moves ------------------------------------------------------------------------

    def insert_greedy(self, tour: list[int], budget: float) -> list[int]:
        """Cheapest prize-per-metre insertion until nothing more fits in ``budget``."""
        value, _, length = self.evaluate(tour)
        blocked: set[int] = set()
        k = len(self.sources)
        while True:
            on_route = np.zeros(k, dtype=bool)
            on_route[tour] = True
            covered = np.isin(self.sources, self.nodes_of(tour))
            cand = np.flatnonzero(~on_route & ~covered)
            if blocked:
                cand = cand[~np.isin(cand, list(blocked))]
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
                blocked.clear()
            else:
                blocked.add(int(cand[j]))

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

    def solve(self, work: int) -> list[int]:
        """Build, improve and pad the tour (indices into ``sources``; 0 is the start).

        ``work`` bounds the local search by route evaluations, not by the clock, so the same
        input gives the same walk on any machine.
        """
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
