"""The road or path network of an area, and the routing kernel every planner shares.

A :class:`Network` (two GeoDataFrames, nodes and edges, in a metric CRS) is the contract
between the data layer and the planners: every loader (file, Overpass, cache) returns one.

The routing kernel lives here, beside the data it reads, in the manner of OSMnx's
``distance.py`` and ``routing.py``: :func:`nearest_nodes` and :func:`nearest_edges` (snapping,
vectorised with shapely's STRtree), :func:`to_csgraph` (the scipy graph plus an arc -> edge-row
lookup), :func:`tree_path_sums` and :func:`tree_path` (sums and paths along csgraph's
shortest-path trees) and the one speed table (:data:`WALK_SPEED_KMH`, :data:`DRIVE_SPEED_KMH`,
:data:`TERRAIN_SPEED_KMH`, used by :func:`edge_weights`). It belongs with the facts rather than
in ``service.planning`` because ``geodata`` needs it itself (connected components when a
loader keeps the largest part) and ``geodata`` never imports ``service``; speeds by road class
are facts about Swedish roads, not planning decisions. Planners (checkpoints, coverage, walks,
rounds) call these functions and keep no copies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from geodata import METRIC_CRS, OSM_ATTRIBUTION, WGS84

NetworkKind = Literal["drive", "walk", "snowmobile", "track"]
NETWORK_KINDS: tuple[str, ...] = ("drive", "walk", "snowmobile", "track")


@dataclass
class Provenance:
    """Where a data set came from, to show beside every layer built from it."""

    source: str  # "file", "overpass", "cache"
    detail: str  # file path or query
    data_date: str | None  # newest OSM timestamp in the data (ISO date)
    retrieved: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    crs: str = METRIC_CRS
    attribution: str = OSM_ATTRIBUTION

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON."""
        return asdict(self)

    @property
    def label(self) -> str:
        """Short Swedish attribution line with data date."""
        date = f", data {self.data_date}" if self.data_date else ""
        return f"{self.attribution}{date}"


@dataclass
class Network:
    """A simplified network: nodes are junctions and way ends, edges the stretches between them.

    Attributes
    ----------
    nodes
        Index ``node`` (OSM node id); columns ``x``, ``y`` (EPSG:3006), ``lon``, ``lat``;
        geometry points in EPSG:3006.
    edges
        One row per undirected stretch: ``u``, ``v`` (node ids), ``length`` (m), ``osmid``
        (way id), ``highway``, ``name``, ``ref``, ``maxspeed`` (km/h, NaN when untagged),
        ``oneway``, ``lit``, ``tunnel``, ``bridge``, ``access``, ``service``; geometry
        linestrings in EPSG:3006.
    kind
        One of ``drive``, ``walk``, ``snowmobile``, ``track``.
    provenance
        Source and date of the data.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    kind: str
    provenance: Provenance

    @property
    def total_length_km(self) -> float:
        """Total length of all edges in km."""
        return float(self.edges["length"].sum()) / 1000.0

    def node_positions(self) -> pd.Series:
        """Positional index (0..n-1) of each node id, for sparse matrices."""
        return pd.Series(np.arange(len(self.nodes)), index=self.nodes.index)

    def edge_endpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """Positional indices of ``u`` and ``v`` for every edge."""
        pos = self.node_positions()
        return (
            pos.loc[self.edges["u"].to_numpy()].to_numpy(),
            pos.loc[self.edges["v"].to_numpy()].to_numpy(),
        )

    def components(self) -> np.ndarray:
        """Connected-component label of each node (undirected)."""
        _, labels = csgraph.connected_components(to_csgraph(self).matrix, directed=False)
        return labels

    def largest_component(self) -> Network:
        """The network restricted to its largest connected component."""
        labels = self.components()
        if len(labels) == 0:
            return self
        biggest = np.bincount(labels).argmax()
        keep_nodes = self.nodes.index[labels == biggest]
        return self.subset_nodes(keep_nodes)

    def subset_nodes(self, node_ids: Any) -> Network:
        """The network restricted to edges whose both ends are in ``node_ids``."""
        keep = pd.Index(node_ids)
        edges = self.edges[self.edges["u"].isin(keep) & self.edges["v"].isin(keep)]
        nodes = self.nodes.loc[self.nodes.index.isin(keep)]
        return Network(nodes, edges.reset_index(drop=True), self.kind, self.provenance)

    def subset_edges(self, mask: Any) -> Network:
        """The network restricted to the selected edges and the nodes they use."""
        edges = self.edges[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        used = pd.Index(np.unique(np.concatenate([edges["u"], edges["v"]])))
        return Network(self.nodes.loc[used], edges, self.kind, self.provenance)

    def clip(self, polygon: shapely.Geometry) -> Network:
        """Edges that intersect ``polygon`` (EPSG:3006), whole, with their nodes."""
        shapely.prepare(polygon)
        mask = shapely.intersects(polygon, self.edges.geometry.to_numpy())
        return self.subset_edges(mask)

    def edges_wgs84(self) -> gpd.GeoDataFrame:
        """Edges reprojected to WGS 84 for maps and exports."""
        return self.edges.to_crs(WGS84)


def empty_network(kind: str, provenance: Provenance) -> Network:
    """A network with no nodes or edges (callers decide whether that is an error)."""
    nodes = gpd.GeoDataFrame(
        {"x": [], "y": [], "lon": [], "lat": []}, geometry=[], crs=METRIC_CRS
    ).rename_axis("node")
    edges = gpd.GeoDataFrame({"u": [], "v": [], "length": []}, geometry=[], crs=METRIC_CRS)
    return Network(nodes, edges, kind, provenance)


# --------------------------------------------------------------------------- speeds

#: Walking speed (km/h) for every planner: safety walks turned from minutes into metres and
#: foot rounds. 5 km/h (1.4 m/s) is the usual pedestrian speed of routing engines (OSRM's and
#: GraphHopper's foot profiles); a safety walk's slower pace is modelled by its explicit stops
#: (``walks.STOPS_PER_KM`` x ``walks.STOP_MINUTES``), so the walking speed itself stays 5.
WALK_SPEED_KMH = 5.0
#: Driving speeds (km/h) by road class where ``maxspeed`` is not tagged (Swedish rural defaults).
DRIVE_SPEED_KMH = {
    "motorway": 110.0, "trunk": 90.0, "primary": 80.0, "secondary": 70.0, "tertiary": 60.0,
    "unclassified": 50.0, "residential": 40.0, "living_street": 10.0, "service": 20.0,
    "road": 50.0, "track": 30.0,
}  # fmt: skip
#: Driving speed (km/h) of a road class missing from :data:`DRIVE_SPEED_KMH`.
DRIVE_FALLBACK_KMH = 50.0
#: Patrol speeds (km/h) on terrain networks, used for every edge whatever is tagged: a
#: ``maxspeed`` on a track is a car limit and skoterleder carry none. 30 km/h is a car or ATV
#: on a gravel forest road; 40 km/h is a snowmobile patrol's average on a marked trail
#: (well below the 70 km/h terrain limit, since trails wind and cross lakes and roads).
TERRAIN_SPEED_KMH = {"track": 30.0, "snowmobile": 40.0}
#: Road classes in the order planners think of them (used for weights and candidate rules).
ROAD_CLASS_RANK = {
    "motorway": 0, "trunk": 1, "primary": 2, "secondary": 3, "tertiary": 4,
    "unclassified": 5, "residential": 6, "living_street": 7, "service": 8, "road": 8,
}  # fmt: skip


def base_class(highway: str | None) -> str:
    """Road class of a ``highway`` value: ``primary_link`` -> ``primary``."""
    return (highway or "").removesuffix("_link")


def speed_kmh(network: Network, kind: str | None = None) -> np.ndarray:
    """Travel speed (km/h) on every edge of ``network``.

    Parameters
    ----------
    network
        The network whose edges are timed.
    kind
        How it is travelled (default ``network.kind``): ``walk`` at :data:`WALK_SPEED_KMH`;
        ``track`` and ``snowmobile`` at :data:`TERRAIN_SPEED_KMH`; otherwise driving at the
        tagged ``maxspeed`` or, untagged, :data:`DRIVE_SPEED_KMH` by road class, clipped to
        5..130 km/h.
    """
    kind = kind or network.kind
    n = len(network.edges)
    if kind == "walk":
        return np.full(n, WALK_SPEED_KMH)
    if kind in TERRAIN_SPEED_KMH:
        return np.full(n, TERRAIN_SPEED_KMH[kind])
    index = network.edges.index
    default = (
        network.edges["highway"].map(
            lambda h: DRIVE_SPEED_KMH.get(base_class(h), DRIVE_FALLBACK_KMH)
        )
        if "highway" in network.edges
        else pd.Series(DRIVE_FALLBACK_KMH, index=index)
    ).to_numpy(float)
    tagged = network.edges.get("maxspeed", pd.Series(np.nan, index=index)).to_numpy(float)
    return np.clip(np.where(np.isfinite(tagged), tagged, default), 5.0, 130.0)


def edge_weights(network: Network, mode: str = "length", kind: str | None = None) -> np.ndarray:
    """Weight of every edge: metres (``length``) or seconds of travel (``time``).

    ``kind`` overrides how the network is travelled in ``time`` mode (see :func:`speed_kmh`).
    """
    length = network.edges["length"].to_numpy(float)
    if mode == "length":
        return length
    if mode != "time":
        raise ValueError(f"unknown weight mode {mode!r}")
    return length / (speed_kmh(network, kind) / 3.6)


# --------------------------------------------------------------------------- snapping


@dataclass
class Locations:
    """Points along the network as ``edge`` (row of ``network.edges``) and ``fraction`` (0..1)."""

    edge: np.ndarray
    fraction: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    def points(self, network: Network) -> np.ndarray:
        """Shapely points of the locations, in the network's CRS."""
        lines = network.edges.geometry.to_numpy()[self.edge]
        return shapely.line_interpolate_point(lines, self.fraction, normalized=True)

    def take(self, index: np.ndarray) -> Locations:
        """A subset, in the order of ``index``."""
        return Locations(self.edge[index], self.fraction[index])

    @staticmethod
    def concat(parts: list[Locations]) -> Locations:
        """Join several location sets."""
        return Locations(
            np.concatenate([p.edge for p in parts]).astype(np.int64),
            np.concatenate([p.fraction for p in parts]).astype(float),
        )


def _as_points(points: Any) -> np.ndarray:
    """Shapely points from an ``(n, 2)`` coordinate array, a GeoSeries or a geometry array."""
    values = np.asarray(getattr(points, "values", points))
    if values.dtype != object:
        return shapely.points(values.reshape(-1, 2).astype(float))
    return values


def nearest_nodes(
    network: Network, points: Any, among: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node (position, 0..n-1) of each point and the distance to it, vectorised.

    Parameters
    ----------
    network
        Where to snap.
    points
        Points in the network's CRS: an ``(n, 2)`` array of x, y or shapely points.
    among
        Only these node positions are eligible (default all).

    Returns
    -------
    ndarray, ndarray
        Node position per point (-1 when there is no node) and the distance (inf then).
    """
    geoms = _as_points(points)
    xy = network.nodes[["x", "y"]].to_numpy(float)
    eligible = np.arange(len(xy)) if among is None else np.asarray(among, dtype=np.int64)
    node = np.full(len(geoms), -1, dtype=np.int64)
    dist = np.full(len(geoms), np.inf)
    if len(geoms) == 0 or len(eligible) == 0:
        return node, dist
    tree = shapely.STRtree(shapely.points(xy[eligible]))
    (pt, hit), d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    node[pt] = eligible[hit]
    dist[pt] = d
    return node, dist


def nearest_edges(
    network: Network,
    points: Any,
    edge_mask: np.ndarray | None = None,
    max_distance: float | None = None,
) -> tuple[Locations, np.ndarray]:
    """Snap points to their nearest edge, vectorised with an STRtree.

    Parameters
    ----------
    network
        Where to snap.
    points
        Shapely points (or an ``(n, 2)`` array) in ``network.edges.crs``.
    edge_mask
        Only edges where this is True are eligible.
    max_distance
        Points farther than this from every eligible edge get edge -1.

    Returns
    -------
    Locations, ndarray
        The snapped locations and each point's distance to its edge (inf when not snapped).
    """
    geoms = _as_points(points)
    eligible = np.arange(len(network.edges)) if edge_mask is None else np.flatnonzero(edge_mask)
    edge = np.full(len(geoms), -1, dtype=np.int64)
    dist = np.full(len(geoms), np.inf)
    fraction = np.zeros(len(geoms))
    if len(geoms) == 0 or len(eligible) == 0:
        return Locations(edge, fraction), dist
    lines = network.edges.geometry.to_numpy()[eligible]
    tree = shapely.STRtree(lines)
    (pt, hit), d = tree.query_nearest(
        geoms, max_distance=max_distance, return_distance=True, all_matches=False
    )
    edge[pt] = eligible[hit]
    dist[pt] = d
    fraction[pt] = shapely.line_locate_point(lines[hit], geoms[pt], normalized=True)
    return Locations(edge, np.nan_to_num(fraction)), dist


# --------------------------------------------------------------------------- graphs


@dataclass
class CsGraph:
    """A network as a scipy sparse graph, with the edge row behind every arc.

    Attributes
    ----------
    matrix
        ``n x n`` csr weights between node positions; explicit zeros never occur.
    key
        Sorted ``tail * n + head`` of every arc (one per ordered node pair).
    row
        Row of ``network.edges`` behind each arc (the cheapest of parallel edges).
    reverse
        True where the arc runs from the edge's ``v`` to its ``u`` (against its geometry).
    """

    matrix: sparse.csr_array
    key: np.ndarray
    row: np.ndarray
    reverse: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.matrix.shape[0])

    def _arcs(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        keys = np.asarray(a, dtype=np.int64) * self.n_nodes + np.asarray(b, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.key, keys), max(len(self.key) - 1, 0))
        return np.where(self.key[at] == keys, at, -1) if len(self.key) else np.full(len(keys), -1)

    def rows_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge row of the arc ``a[i] -> b[i]`` for node positions (-1 where there is none)."""
        arc = self._arcs(a, b)
        return np.where(arc >= 0, self.row[np.maximum(arc, 0)], -1)

    def reversed_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether the arc ``a[i] -> b[i]`` runs against its edge's geometry."""
        arc = self._arcs(a, b)
        return (arc >= 0) & self.reverse[np.maximum(arc, 0)]


def to_csgraph(
    network: Network, weight: str | np.ndarray = "length", directed: bool = False
) -> CsGraph:
    """The network as a scipy csgraph plus the arc -> edge-row lookup.

    Parameters
    ----------
    network
        The network.
    weight
        An edge column or one weight per edge row (metres, seconds, or a planner's own).
        Weights below 1 mm become 1 mm: csgraph treats explicit zeros as missing edges.
    directed
        Respect ``oneway`` (an arc ``u -> v`` only); otherwise every edge gives both arcs.

    Returns
    -------
    CsGraph
        Self-loops are dropped; of parallel arcs the cheapest is kept (ties: lowest edge
        row, then the forward arc).
    """
    u, v = network.edge_endpoints()
    w = network.edges[weight].to_numpy(float) if isinstance(weight, str) else np.asarray(weight)
    w = np.maximum(w.astype(float), 1e-3)
    n = len(network.nodes)
    rows = np.arange(len(u), dtype=np.int64)
    if directed and "oneway" in network.edges:
        both = ~network.edges["oneway"].fillna(False).to_numpy(bool)
    else:
        both = np.ones(len(u), dtype=bool)
    tail = np.concatenate([u, v[both]]).astype(np.int64)
    head = np.concatenate([v, u[both]]).astype(np.int64)
    row = np.concatenate([rows, rows[both]])
    rev = np.concatenate([np.zeros(len(u), dtype=bool), np.ones(int(both.sum()), dtype=bool)])
    cost = np.concatenate([w, w[both]])
    keep = tail != head
    tail, head, row, rev, cost = tail[keep], head[keep], row[keep], rev[keep], cost[keep]
    key = tail * n + head
    order = np.lexsort((rev, row, cost, key))
    key, row, rev, cost = key[order], row[order], rev[order], cost[order]
    first = np.concatenate([[True], key[1:] != key[:-1]]) if len(key) else np.zeros(0, bool)
    key, row, rev, cost = key[first], row[first], rev[first], cost[first]
    # Keys are sorted by (tail, head): that is csr order, so the arrays form the csr directly.
    indptr = np.concatenate([[0], np.cumsum(np.bincount(key // max(n, 1), minlength=n))])
    matrix = sparse.csr_array((cost, key % max(n, 1), indptr), shape=(n, n))
    return CsGraph(matrix, key, row, rev)


def tree_path(pred_row: np.ndarray, source: int, target: int) -> np.ndarray:
    """Node positions from ``source`` to ``target`` along one row of csgraph predecessors."""
    path = [int(target)]
    while path[-1] != source:  # sequential by nature: each step needs the previous one
        path.append(int(pred_row[path[-1]]))
    return np.asarray(path[::-1], dtype=np.int64)


def tree_path_sums(
    pred: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    step: Callable[[np.ndarray, np.ndarray], Sequence[np.ndarray]],
) -> tuple[list[np.ndarray], np.ndarray]:
    """Sums of per-step values along shortest-path trees, by pointer jumping (vectorised).

    Parameters
    ----------
    pred
        csgraph's predecessors, ``len(sources) x n`` (negative at roots and unreached nodes).
    sources
        The root node position of each row of ``pred``.
    targets
        Node positions to report sums for.
    step
        ``step(parent, node)`` gives, for arrays of tree steps ``parent -> node``, one or more
        arrays of values per step (e.g. length, seconds, prize).

    Returns
    -------
    list of ndarray, ndarray
        For each value array of ``step``, a ``len(sources) x len(targets)`` matrix of sums
        from the row's source to each target (0 where not reached); and the boolean matrix
        of reached targets. Only reached (source, node) pairs are worked on: after round
        ``t`` each pair holds the sum over ``2**t`` steps towards its root; roots point to
        themselves and hold 0, so extra rounds add nothing.
    """
    k, n = pred.shape
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    flat_pred = pred.ravel()
    reached = flat_pred >= 0
    reached[np.arange(k) * n + sources] = True
    idx = np.flatnonzero(reached)
    col = idx % n
    par = flat_pred[idx]
    is_root = par < 0
    par = np.where(is_root, col, par)
    compact = np.full(k * n, -1, dtype=np.int64)
    compact[idx] = np.arange(len(idx))
    anc = compact[(idx // n) * n + par]
    values = []
    for value in step(par[~is_root], col[~is_root]):
        total = np.zeros(len(idx))
        total[~is_root] = value
        values.append(total)
    while True:
        values = [total + total.take(anc) for total in values]
        nxt = anc.take(anc)
        if np.array_equal(nxt, anc):
            break
        anc = nxt
    at = compact[(np.arange(k)[:, None] * n + targets[None, :]).ravel()].reshape(k, len(targets))
    found = at >= 0
    return [np.where(found, total[np.maximum(at, 0)], 0.0) for total in values], found
