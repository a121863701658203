"""Network distances for checkpoint planning: demand pieces and bounded coverage.

Snapping, graph building and speeds come from the routing kernel in :mod:`geodata.network`.

Everything works on a :class:`geodata.network.Network` in its own metric CRS. Points that
lie along an edge (a bus stop, a piece of road) are kept as ``(edge, fraction)`` pairs, so
the distance from a source to a point at fraction ``f`` of edge ``(u, v)`` with weight ``w``
is ``min(d(u) + f*w, d(v) + (1-f)*w)`` — no graph surgery per point.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import _sparsetools, csgraph

from geodata.errors import InvalidInputError
from geodata.network import Locations, Network, edge_weights, to_csgraph

#: Longest demand piece (m): every road is cut into pieces no longer than this.
PIECE_LENGTH_M = 250.0
#: A demand piece this close to a settlement (m) serves it.
SETTLEMENT_BUFFER_M = 200.0
#: Sources per Dijkstra call: csgraph returns a dense sources × nodes array.
_CHUNK = 256


@dataclass
class DemandPieces:
    """Every edge cut into equal pieces no longer than ``PIECE_LENGTH_M``.

    ``edge``/``fraction`` locate each piece's midpoint; ``length`` is its length in metres.
    """

    edge: np.ndarray
    fraction: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def locations(self) -> Locations:
        """The pieces' midpoints as locations."""
        return Locations(self.edge, self.fraction)

    def lines(self, network: Network, vertices: int = 5) -> np.ndarray:
        """Each piece as a line through ``vertices`` points along its edge (for maps).

        Shapely has no vectorised substring; sampling a few points per piece is vectorised
        and doubles as the simplification a light map needs.
        """
        edge_len = np.maximum(network.edges["length"].to_numpy(float)[self.edge], 1e-9)
        half = 0.5 * self.length / edge_len
        steps = np.linspace(-1.0, 1.0, vertices)
        frac = np.clip(self.fraction[:, None] + half[:, None] * steps[None, :], 0.0, 1.0)
        lines = np.repeat(network.edges.geometry.to_numpy()[self.edge], vertices)
        pts = shapely.line_interpolate_point(lines, frac.ravel(), normalized=True)
        xy = shapely.get_coordinates(pts)
        return shapely.linestrings(xy, indices=np.repeat(np.arange(len(self)), vertices))


def demand_pieces(network: Network, max_length: float = PIECE_LENGTH_M) -> DemandPieces:
    """Cut every edge into ``ceil(length / max_length)`` equal pieces (vectorised)."""
    length = network.edges["length"].to_numpy(float)
    count = np.maximum(np.ceil(length / max_length), 1).astype(np.int64)
    edge = np.repeat(np.arange(len(length)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    rank = np.arange(len(edge)) - first
    n = count[edge]
    return DemandPieces(edge, (rank + 0.5) / n, length[edge] / n)


class DistanceGraph:
    """A symmetric sparse graph of a network plus ``(edge, fraction)`` arithmetic.

    Parameters
    ----------
    network
        The road network (one-way ignored: a checkpoint's reach is about the roads near it).
    mode
        ``length`` (metres) or ``time`` (seconds).
    """

    def __init__(self, network: Network, mode: str = "length") -> None:
        if network.edges.empty:
            raise InvalidInputError("Området saknar vägar att planera på.")
        self.network = network
        self.mode = mode
        self.weight = np.maximum(edge_weights(network, mode), 1e-3)
        self.u, self.v = network.edge_endpoints()
        self.adjacency = to_csgraph(network, self.weight).matrix
        self.n_nodes = self.adjacency.shape[0]
        self.xy = network.nodes[["x", "y"]].to_numpy(float)
        # Euclidean bound on reach: in time mode a radius of t seconds spans at most t*vmax m.
        speed = network.edges["length"].to_numpy(float) / self.weight
        self.max_speed = 1.0 if mode == "length" else float(speed.max())

    def _augmented(self, sources: Locations) -> sparse.csr_array:
        """The whole graph with one extra node per source, joined to its edge's two ends."""
        return self._local_graph(np.arange(self.n_nodes), sources)

    def nearest(self, sources: Locations, targets: Locations) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each target to its nearest source, and which source (-1 if none).

        One multi-source Dijkstra (``min_only``) over the whole graph.
        """
        graph = self._augmented(sources)
        virt = self.n_nodes + np.arange(len(sources))
        dist, _, origin = csgraph.dijkstra(
            graph, directed=False, indices=virt, min_only=True, return_predecessors=True
        )
        src = origin - self.n_nodes
        te_u, te_v = self.u[targets.edge], self.v[targets.edge]
        w = self.weight[targets.edge]
        via_u = dist[te_u] + targets.fraction * w
        via_v = dist[te_v] + (1 - targets.fraction) * w
        best = np.minimum(via_u, via_v)
        who = np.where(via_u <= via_v, src[te_u], src[te_v])
        # A source on the target's own edge may be closer straight along that edge.
        same = _same_edge_pairs(sources.edge, targets.edge)
        if len(same[0]):
            s_idx, t_idx = same
            direct = np.abs(sources.fraction[s_idx] - targets.fraction[t_idx]) * w[t_idx]
            order = np.argsort(direct)[::-1]  # smallest last so it wins the fancy assignment
            s_idx, t_idx, direct = s_idx[order], t_idx[order], direct[order]
            better = direct < best[t_idx]
            best[t_idx[better]] = direct[better]
            who[t_idx[better]] = s_idx[better]
        who = np.where(np.isfinite(best), who, -1)
        return best, who

    def within(
        self, sources: Locations, targets: Locations, radius: float, distances: bool = False
    ) -> sparse.csr_array:
        """Boolean sparse matrix sources × targets: network distance ≤ ``radius``.

        With ``distances=True`` the matrix holds the network distances instead (float32; a
        source standing exactly on a target is stored as 1e-3, so no reached pair is dropped).

        Sources are processed in spatial tiles; each tile runs Dijkstra on the subgraph of
        nodes within ``radius`` (straight line, a lower bound on network distance) of the
        tile, because csgraph's output is dense over all nodes and filling it dominated the
        run time on the large test networks.
        """
        n_src = len(sources)
        src_xy = shapely.get_coordinates(sources.points(self.network))
        reach = radius * self.max_speed
        tile = max(2.0 * reach, 2000.0)
        cell = np.floor(src_xy / tile).astype(np.int64)
        order = np.lexsort((cell[:, 1], cell[:, 0]))
        keys = cell[order]
        breaks = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
        groups = [
            g[i : i + _CHUNK] for g in np.split(order, breaks) for i in range(0, len(g), _CHUNK)
        ]

        # Targets hang off their edge's two end nodes: node -> targets incidence (csr), with
        # the offset from that end and the node at the other end.
        n = self.n_nodes
        t_u, t_v = self.u[targets.edge], self.v[targets.edge]
        t_w = self.weight[targets.edge]
        n_t = len(targets)
        inc_node = np.concatenate([t_u, t_v])
        inc_other = np.concatenate([t_v, t_u])
        inc_target = np.concatenate([np.arange(n_t), np.arange(n_t)])
        inc_off = np.concatenate([targets.fraction * t_w, (1 - targets.fraction) * t_w])
        inc_other_off = np.concatenate([inc_off[n_t:], inc_off[:n_t]])
        inc_is_u = np.concatenate([np.ones(n_t, dtype=bool), np.zeros(n_t, dtype=bool)])
        by_node = np.argsort(inc_node, kind="stable")
        inc_ptr = np.searchsorted(inc_node[by_node], np.arange(n + 1))
        inc_target, inc_off = inc_target[by_node], inc_off[by_node]
        inc_other, inc_other_off = inc_other[by_node], inc_other_off[by_node]
        inc_is_u = inc_is_u[by_node]

        to_local = np.full(n, -1, dtype=np.int64)
        rows_out: list[np.ndarray] = []
        cols_out: list[np.ndarray] = []
        vals_out: list[np.ndarray] = []
        for group in groups:
            lo = src_xy[group].min(axis=0) - reach
            hi = src_xy[group].max(axis=0) + reach
            local = np.flatnonzero(np.all((self.xy >= lo) & (self.xy <= hi), axis=1))
            ends = np.concatenate([self.u[sources.edge[group]], self.v[sources.edge[group]]])
            local = np.union1d(local, ends)  # a long edge's far end may lie outside the box
            sub = self._local_graph(local, sources.take(group))
            virt = len(local) + np.arange(len(group))
            dist = csgraph.dijkstra(sub, directed=False, indices=virt, limit=radius)
            # Column len(local) is a virtual source: always inf for "not in the subgraph".
            dist[:, len(local)] = np.inf
            to_local[local] = np.arange(len(local))
            r, c = np.nonzero(dist[:, : len(local)] <= radius)
            d = dist[r, c]
            node = local[c]
            # Expand each reached node to the targets on its edges, vectorised via the csr.
            cnt = inc_ptr[node + 1] - inc_ptr[node]
            start = np.repeat(inc_ptr[node], cnt)
            k = start + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            rr = np.repeat(r, cnt)
            total = np.repeat(d, cnt) + inc_off[k]
            # Emit each pair once: from the u end, or from the v end when the u end fails.
            other = to_local[inc_other[k]]
            other_total = dist[rr, np.where(other >= 0, other, len(local))] + inc_other_off[k]
            ok = (total <= radius) & (inc_is_u[k] | (other_total > radius))
            to_local[local] = -1
            rows_out.append(group[rr[ok]])
            cols_out.append(inc_target[k][ok])
            if distances:
                vals_out.append(total[ok])
        rows = np.concatenate(rows_out)
        cols = np.concatenate(cols_out)
        if distances:
            return self._distance_matrix(sources, targets, radius, rows, cols, vals_out)
        # Pairs are unique: build the csr by a stable counting sort, no duplicate summing.
        order = _row_order(rows, n_src)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_src))])
        mat = sparse.csr_array(
            (np.ones(len(rows), dtype=bool), cols[order], indptr), shape=(n_src, n_t)
        )
        # Targets on a source's own edge may be reachable only straight along the edge.
        s_idx, t_idx = _same_edge_pairs(sources.edge, targets.edge)
        direct = np.abs(sources.fraction[s_idx] - targets.fraction[t_idx]) * t_w[t_idx]
        ok = direct <= radius
        same = sparse.csr_array(
            (np.ones(ok.sum(), dtype=bool), (s_idx[ok], t_idx[ok])), shape=(n_src, n_t)
        )
        return (mat + same).astype(bool).tocsr()

    def _distance_matrix(
        self,
        sources: Locations,
        targets: Locations,
        radius: float,
        rows: np.ndarray,
        cols: np.ndarray,
        vals_out: list[np.ndarray],
    ) -> sparse.csr_array:
        """The float32 distance form of :meth:`within`: shortest of graph and same-edge paths.

        The graph's pairs and the same-edge pairs it missed go into one csr with its column
        indices sorted, built by two linear counting sorts (pairs by target, then back by
        source) rather than a stable sort by source, a per-row sort and a sparse sum.
        """
        n_src, n_t = len(sources), len(targets)
        # Kept as slack (radius + 1 - distance) while merging, then turned back, so every
        # stored distance is the same float as the slack-based merge has always given.
        top = radius + 1.0
        slack = top - np.concatenate(vals_out)
        s_idx, t_idx = _same_edge_pairs(sources.edge, targets.edge)
        direct = np.abs(sources.fraction[s_idx] - targets.fraction[t_idx])
        direct = direct * self.weight[targets.edge][t_idx]
        ok = direct <= radius
        s_idx, t_idx, same = s_idx[ok], t_idx[ok], top - direct[ok]
        if len(same):
            # The few same-edge pairs: keep the shorter distance where the graph found the
            # pair (matched among the graph's pairs on their source's own edge), add the rest.
            own = np.flatnonzero(sources.edge[rows] == targets.edge[cols])
            key = rows[own].astype(np.int64) * n_t + cols[own]
            by_key = np.argsort(key)
            key, own = key[by_key], own[by_key]
            want = s_idx.astype(np.int64) * n_t + t_idx
            pos = np.minimum(np.searchsorted(key, want), max(len(key) - 1, 0))
            found = (key[pos] == want) if len(key) else np.zeros(len(want), dtype=bool)
            hit = own[pos[found]]
            slack[hit] = np.maximum(slack[hit], same[found])
            new = ~found
            rows = np.concatenate([rows, s_idx[new]])
            cols = np.concatenate([cols, t_idx[new]])
            slack = np.concatenate([slack, same[new]])
        out = _sorted_csr(rows, cols, slack, (n_src, n_t))
        out.data = np.maximum(top - out.data, 1e-3).astype(np.float32)
        return out

    def _local_graph(self, local: np.ndarray, sources: Locations) -> sparse.csr_array:
        """Subgraph on ``local`` nodes plus one virtual node per source."""
        sub = self.adjacency[local][:, local]
        m, s = len(local), len(sources)
        w = self.weight[sources.edge]
        pos_u = np.searchsorted(local, self.u[sources.edge])
        pos_v = np.searchsorted(local, self.v[sources.edge])
        virt = m + np.arange(s)
        rows = np.concatenate([virt, virt, pos_u, pos_v])
        cols = np.concatenate([pos_u, pos_v, virt, virt])
        to_u = np.maximum(sources.fraction * w, 1e-3)
        to_v = np.maximum((1 - sources.fraction) * w, 1e-3)
        data = np.concatenate([to_u, to_v, to_u, to_v])
        coo = sub.tocoo()
        return sparse.csr_array(
            (
                np.concatenate([coo.data, data]),
                (np.concatenate([coo.row, rows]), np.concatenate([coo.col, cols])),
            ),
            shape=(m + s, m + s),
        )


def _sorted_csr(
    rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape: tuple[int, int]
) -> sparse.csr_array:
    """A csr matrix with sorted column indices from unique ``(rows, cols)`` pairs, in linear time.

    Two counting sorts (scipy's coo-to-csr of the transpose, then its csr-to-csc back) give
    the canonical matrix without a comparison sort.
    """
    n_rows, n_cols = shape
    nnz = len(rows)
    idx = np.int32 if max(nnz, n_rows, n_cols) < np.iinfo(np.int32).max else np.int64
    r, c = rows.astype(idx), cols.astype(idx)
    data = np.asarray(data, dtype=np.float64)
    t_ptr, t_idx, t_data = np.empty(n_cols + 1, idx), np.empty(nnz, idx), np.empty(nnz)
    _sparsetools.coo_tocsr(n_cols, n_rows, nnz, c, r, data, t_ptr, t_idx, t_data)
    ptr, ind, out = np.empty(n_rows + 1, idx), np.empty(nnz, idx), np.empty(nnz)
    _sparsetools.csr_tocsc(n_cols, n_rows, t_ptr, t_idx, t_data, ptr, ind, out)
    mat = sparse.csr_array((out, ind, ptr), shape=shape)
    mat.has_sorted_indices = True
    return mat


def _row_order(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """The stable sort of ``rows`` (source indices), as a permutation.

    With fewer than 65,536 sources the keys fit 16 bits, where numpy's stable sort is a radix
    sort: the same permutation in a sixth of the time of the 64-bit merge sort.
    """
    if n_rows <= np.iinfo(np.uint16).max:
        return np.argsort(rows.astype(np.uint16), kind="stable")
    return np.argsort(rows, kind="stable")


def _same_edge_pairs(
    source_edge: np.ndarray, target_edge: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All (source, target) index pairs that share an edge, vectorised with a sort-merge."""
    s_order = np.argsort(source_edge, kind="stable")
    s_sorted = source_edge[s_order]
    lo = np.searchsorted(s_sorted, target_edge, side="left")
    hi = np.searchsorted(s_sorted, target_edge, side="right")
    cnt = hi - lo
    t_idx = np.repeat(np.arange(len(target_edge)), cnt)
    k = np.repeat(lo, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return s_order[k], t_idx


def settlement_pieces(
    network: Network, pieces: DemandPieces, settlements: gpd.GeoDataFrame
) -> sparse.csr_array:
    """Boolean pieces × settlements: the piece lies within ``SETTLEMENT_BUFFER_M`` of it."""
    geoms = settlements.to_crs(network.edges.crs).geometry.to_numpy()
    pts = pieces.locations.points(network)
    tree = shapely.STRtree(geoms)
    p_idx, s_idx = tree.query(pts, predicate="dwithin", distance=SETTLEMENT_BUFFER_M)
    return sparse.csr_array(
        (np.ones(len(p_idx), dtype=bool), (p_idx, s_idx)), shape=(len(pieces), len(geoms))
    )
