"""The round solver: a time-window TSP heuristic on shortest paths between the places."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csgraph

from geodata.network import (
    CsGraph,
    Network,
    edge_weights,
    to_csgraph,
    tree_path_sums,
)
from service.planning.rounds.hours import (
    MAX_WAIT_MIN,
)

# --------------------------------------------------------------------------- network


@dataclass
class _Routing:
    """A directed graph of the mode's network (lengths) and travel seconds per edge row."""

    network: Network
    graph: CsGraph
    seconds: np.ndarray  # per row of network.edges
    usable: np.ndarray  # node positions where stops may be snapped


def _routing(network: Network, mode: str) -> _Routing:
    # A foot patrol ignores one-way streets; a car follows them.
    graph = to_csgraph(network, "length", directed=mode != "walk")
    seconds = edge_weights(network, "time", kind="walk" if mode == "walk" else None)
    # Stops go where every other stop can be reached and left: the largest strongly
    # connected part (one-way streets leaving a clipped extract are dead ends).
    n = graph.n_nodes
    _, labels = csgraph.connected_components(graph.matrix, directed=True, connection="strong")
    usable = np.flatnonzero(labels == np.bincount(labels).argmax()) if n else np.zeros(0, int)
    return _Routing(network=network, graph=graph, seconds=seconds, usable=usable)


def _leg_matrices(
    routing: _Routing, stops: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest lengths (m), their travel times (s) and predecessors between stop nodes."""
    dist, pred = csgraph.dijkstra(
        routing.graph.matrix, directed=True, indices=stops, return_predecessors=True
    )

    def step(parent: np.ndarray, node: np.ndarray) -> list[np.ndarray]:
        return [routing.seconds[routing.graph.rows_between(parent, node)]]

    (seconds,), _ = tree_path_sums(pred, stops, stops, step)
    return dist[:, stops], seconds, pred


# --------------------------------------------------------------------------- solver


class RoundSolver:
    """Time-window TSP on a small asymmetric matrix; index 0 is the start and end."""

    def __init__(
        self,
        length: np.ndarray,
        seconds: np.ndarray,
        windows: list[np.ndarray | None],
        service_s: float,
        horizon_s: float,
    ) -> None:
        self.D = length
        self.T = seconds
        self.windows = [None, *windows]  # the start has none
        self.service = service_s
        self.horizon = horizon_s
        self.max_wait = MAX_WAIT_MIN * 60.0

    def schedule(self, tour: list[int]) -> np.ndarray | None:
        """Arrival time (s) at each stop of ``tour`` (no 0s), None if infeasible.

        The car may wait up to ``MAX_WAIT_MIN`` outside a place that opens later; it must be
        back by the horizon.
        """
        t = 0.0
        prev = 0
        arrivals = np.empty(len(tour))
        for i, stop in enumerate(tour):
            t += self.T[prev, stop]
            window = self.windows[stop]
            if window is not None:
                later = window[window[:, 1] > t]
                if not len(later) or later[0, 0] - t > self.max_wait:
                    return None
                t = max(t, later[0, 0])
            arrivals[i] = t
            t += self.service
            prev = stop
        if t + self.T[prev, 0] > self.horizon:
            return None
        return arrivals

    def length(self, tour: list[int]) -> float:
        """Length of the closed tour through ``tour`` (start and end at index 0)."""
        seq = np.array([0, *tour, 0])
        return float(self.D[seq[:-1], seq[1:]].sum())

    def insert(self, candidates: list[int], limit: int) -> tuple[list[int], list[int]]:
        """Nearest feasible insertion until ``limit`` stops or nothing fits."""
        tour: list[int] = []
        left = list(candidates)
        while left and len(tour) < limit:
            seq = np.array([0, *tour, 0])
            cand = np.array(left)
            a, b = seq[:-1], seq[1:]
            delta = self.D[a][:, cand].T + self.D[cand][:, b] - self.D[a, b][None, :]
            placed = False
            for flat in np.argsort(delta, axis=None):
                p, pos = np.unravel_index(flat, delta.shape)
                trial = [*tour[:pos], int(cand[p]), *tour[pos:]]
                if self.schedule(trial) is not None:
                    tour = trial
                    left.remove(int(cand[p]))
                    placed = True
                    break
            if not placed:
                break
        return tour, left

    def improve(self, tour: list[int]) -> list[int]:
        """2-opt and or-opt moves that keep the schedule feasible, until none shortens."""
        improved = True
        while improved:
            improved = False
            for move in (self._two_opt_moves, self._or_opt_moves):
                for trial in move(tour):
                    if self.schedule(trial) is not None:
                        tour, improved = trial, True
                        break
                if improved:
                    break
        return tour

    def _two_opt_moves(self, tour: list[int]) -> Any:
        """Reversals of tour[i..j] that shorten the asymmetric route, best first."""
        seq = np.array([0, *tour, 0])
        n = len(tour)
        if n < 2:
            return
        fwd = np.concatenate([[0.0], np.cumsum(self.D[seq[:-1], seq[1:]])])
        bwd = np.concatenate([[0.0], np.cumsum(self.D[seq[1:], seq[:-1]])])
        i, j = np.triu_indices(n + 1, k=1)
        keep = i >= 1
        i, j = i[keep], j[keep]
        old = self.D[seq[i - 1], seq[i]] + (fwd[j] - fwd[i]) + self.D[seq[j], seq[j + 1]]
        new = self.D[seq[i - 1], seq[j]] + (bwd[j] - bwd[i]) + self.D[seq[i], seq[j + 1]]
        gain = old - new
        for k in np.flatnonzero(gain > 1e-6)[np.argsort(-gain[gain > 1e-6])]:
            a, b = i[k] - 1, j[k]  # tour indices
            yield [*tour[:a], *tour[a:b][::-1], *tour[b:]]

    def _or_opt_moves(self, tour: list[int]) -> Any:
        """Moves of a run of 1-3 stops elsewhere in the tour that shorten it, best first."""
        seq = np.array([0, *tour, 0])
        n = len(tour)
        moves: list[tuple[float, int, int, int]] = []
        for run in (1, 2, 3):
            if run >= n:
                break
            s = np.arange(1, n - run + 2)  # run occupies seq[s : s+run]
            first, last = seq[s], seq[s + run - 1]
            before, after = seq[s - 1], seq[s + run]
            removed = self.D[before, first] + self.D[last, after] - self.D[before, after]
            k = np.arange(len(seq) - 1)  # insert between seq[k] and seq[k+1]
            added = (
                self.D[seq[k]][:, first].T
                + self.D[last][:, seq[k + 1]]
                - self.D[seq[k], seq[k + 1]]
            )
            gain = removed[:, None] - added
            inside = (k[None, :] >= (s - 1)[:, None]) & (k[None, :] <= (s + run - 1)[:, None])
            gain[inside] = -np.inf
            si, ki = np.nonzero(gain > 1e-6)
            moves.extend(
                (gain[a, b], run, int(s[a]), int(k[b])) for a, b in zip(si, ki, strict=True)
            )
        for _, run, s0, k0 in sorted(moves, reverse=True):
            segment = tour[s0 - 1 : s0 - 1 + run]
            rest = tour[: s0 - 1] + tour[s0 - 1 + run :]
            pos = k0 if k0 < s0 else k0 - run
            yield [*rest[:pos], *segment, *rest[pos:]]
