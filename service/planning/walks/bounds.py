"""Lower bounds on how much of any closed walk must be walked twice.

A closed walk of length ``T`` from ``s`` never goes further than ``T / 2`` (by path) from
``s``, and it uses an edge ``u–v`` of length ``l`` whole only if ``d(u) + l + d(v) <= T``.
Of an edge it cannot use whole it reaches at most a spur of ``T / 2 - d(u)`` from ``u`` and
one of ``T / 2 - d(v)`` from ``v``, each walked out and back. That clipped graph holds every
metre any such walk can touch.

A bridge of the clipped graph (a spur is one) that the walk uses is walked an even number of
times, so at least twice: with ``C`` the length used inside the 2-edge-connected components
and ``B`` the bridge length used, the distinct length is ``D = C + B`` and ``T >= C + 2 B``.
Contracting the components gives a tree rooted at the start's component. A walk touches a
component only after walking every bridge on the tree path to it whole, and it can walk into
a bridge from a component it has entered and turn back (a partial bridge, still doubled).
That tree knapsack (a small mixed-integer programme: one binary per component "entered",
shares of components and bridges walked) has a largest ``D``, ``D_max(T)``, at least the
distinct length of any closed walk of length ``T`` from ``s``; so ``1 - D_max(T) / T`` is a
lower bound on its repeated share. Relaxations that keep it a bound: a component may be
walked in any share without repeats (odd-degree vertices inside it can force more), and the
solver's dual bound is used if its time limit stops it early.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

from geodata.network import Network, to_csgraph


def _clipped_graph(network: Network, dist: np.ndarray, budget: float) -> nx.Graph:
    """The metres a closed walk of length ``budget`` from the source can touch.

    Every edge is subdivided at a midpoint node (so parallel edges and self-loops stay a
    simple graph); an edge not usable whole becomes up to two pendant spurs.
    """
    u, v = network.edge_endpoints()
    length = np.maximum(network.edges["length"].to_numpy(float), 0.0)
    du, dv = dist[u], dist[v]
    whole = du + length + dv <= budget
    g = nx.Graph()
    for row in np.flatnonzero(whole):
        a, b, half = int(u[row]), int(v[row]), float(length[row]) / 2.0
        if a == b:  # self-loop: a triangle of three thirds
            third = float(length[row]) / 3.0
            m1, m2 = ("m", int(row), 1), ("m", int(row), 2)
            g.add_edge(a, m1, length=third)
            g.add_edge(m1, m2, length=third)
            g.add_edge(m2, a, length=third)
            continue
        mid = ("m", int(row))
        g.add_edge(a, mid, length=half)
        g.add_edge(mid, b, length=half)
    for row in np.flatnonzero(~whole):
        for end, d, side in ((u[row], du[row], "u"), (v[row], dv[row], "v")):
            spur = min(float(length[row]), budget / 2.0 - float(d))
            if spur > 0.0:
                g.add_edge(int(end), ("s", int(row), side), length=spur)
    return g


def max_distinct_length(
    network: Network, start: int, budget: float, dist: np.ndarray | None = None
) -> float:
    """Upper bound on the distinct length of any closed walk of length ``budget``.

    Parameters
    ----------
    network
        The walk network (the planner's, i.e. its largest component).
    start
        Node position of the start.
    budget
        Length of the closed walk, metres.
    dist
        Path distances from ``start`` to every node (at least up to ``budget / 2``);
        computed when not given.

    Returns
    -------
    float
        Metres: the tree-knapsack bound described in the module docstring.
    """
    if dist is None:
        adj = to_csgraph(network).matrix
        dist = csgraph.dijkstra(adj, directed=False, indices=start, limit=budget / 2.0)
    g = _clipped_graph(network, dist, budget)
    if start not in g:
        return 0.0
    g = g.subgraph(nx.node_connected_component(g, start)).copy()
    bridges = list(nx.bridges(g))
    rest = g.copy()
    rest.remove_edges_from(bridges)
    comp_of: dict[object, int] = {}
    comp_len: list[float] = []
    for i, nodes in enumerate(nx.connected_components(rest)):
        for n in nodes:
            comp_of[n] = i
        comp_len.append(float(rest.subgraph(nodes).size(weight="length")))
    # The bridge tree, oriented from the start's component.
    tree = nx.Graph()
    tree.add_nodes_from(range(len(comp_len)))
    for a, b in bridges:
        tree.add_edge(comp_of[a], comp_of[b], length=float(g.edges[a, b]["length"]))
    root = comp_of[start]
    if comp_len[root] >= budget:  # the start's own component holds the whole length
        return float(budget)
    nc = len(comp_len)
    parent_edges = list(nx.bfs_edges(tree, root))  # (parent comp, child comp), one per bridge
    nb = len(parent_edges)
    # Variables: x_c (share of component c walked), y_j (share of bridge j walked), z_c
    # (component c entered, binary). A bridge can be walked only from an entered component
    # (y_j <= z_p); a component is entered only over its whole bridge (z_c <= y_j) and walked
    # only if entered (x_c <= z_c). Maximise D = sum C x + sum b y s.t. sum C x + 2 sum b y <= T.
    bridge_len = np.array([tree.edges[p, c]["length"] for p, c in parent_edges], float)
    comp = np.asarray(comp_len)
    nv = 2 * nc + nb
    objective = -np.concatenate([comp, bridge_len, np.zeros(nc)])
    rows, cols, vals = [0] * (nc + nb), list(range(nc + nb)), [*comp, *(2 * bridge_len)]
    upper = [budget]
    for c in range(nc):  # x_c - z_c <= 0
        rows += [len(upper)] * 2
        cols += [c, nc + nb + c]
        vals += [1.0, -1.0]
        upper.append(0.0)
    for j, (p, c) in enumerate(parent_edges):  # y_j - z_p <= 0 ; z_c - y_j <= 0
        rows += [len(upper)] * 2 + [len(upper) + 1] * 2
        cols += [nc + j, nc + nb + p, nc + nb + c, nc + j]
        vals += [1.0, -1.0, 1.0, -1.0]
        upper += [0.0, 0.0]
    a = sparse.csr_array((vals, (rows, cols)), shape=(len(upper), nv))
    lower_z = np.zeros(nv)
    lower_z[nc + nb + root] = 1.0  # the walk starts in the root component
    res = milp(
        objective,
        constraints=LinearConstraint(a, -np.inf, np.asarray(upper)),
        integrality=np.concatenate([np.zeros(nc + nb), np.ones(nc)]),
        bounds=Bounds(lower_z, np.ones(nv)),
        options={"time_limit": 20.0, "mip_rel_gap": 1e-6},
    )
    # The dual bound is valid even if the time limit stopped the search early.
    best = getattr(res, "mip_dual_bound", None)
    if best is None or not np.isfinite(best):
        if res.fun is None:  # pragma: no cover - all zero but the root is always feasible
            raise RuntimeError(res.message)
        best = res.fun
    return float(-best)


def repeated_share_bound(
    network: Network, start: int, lo: float, hi: float, step: float = 50.0
) -> float:
    """Lower bound on the repeated share of every closed walk of length in ``[lo, hi]``.

    On each slice ``[t, t + step]`` a walk of length ``T`` has distinct length at most
    ``D_max(t + step)`` (which grows with the budget) and ``T >= t``, so its repeated share is
    at least ``1 - D_max(t + step) / t``; the bound is the smallest over the slices.

    Parameters
    ----------
    network
        The walk network the walk is planned on.
    start
        Node position of the start.
    lo, hi
        Shortest and longest accepted walk, metres.
    step
        Slice width, metres (smaller is sharper and slower).

    Returns
    -------
    float
        A share in [0, 1].
    """
    adj = to_csgraph(network).matrix
    dist = csgraph.dijkstra(adj, directed=False, indices=start, limit=hi / 2.0)
    cuts = np.append(np.arange(lo, hi, step), hi)
    best = 1.0
    slices = list(itertools.pairwise(cuts)) or [(lo, hi)]
    for t0, t1 in reversed(slices):  # the longest slice is the weakest
        best = min(best, 1.0 - max_distinct_length(network, start, t1, dist) / t0)
        if best <= 0.0:
            break
    return float(max(0.0, best))
