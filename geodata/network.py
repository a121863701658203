"""The road or path network of an area as two GeoDataFrames (nodes, edges) in EPSG:3006.

A :class:`Network` is the contract between the data layer and the planners: every loader
(file, Overpass, cache) returns one, and planners turn it into a sparse graph.
"""

from __future__ import annotations

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

    def adjacency(self, weight: str | np.ndarray = "length") -> sparse.csr_array:
        """Symmetric sparse adjacency (one-way ignored), the shortest parallel edge kept."""
        u, v = self.edge_endpoints()
        w = self.edges[weight].to_numpy(float) if isinstance(weight, str) else np.asarray(weight)
        n = len(self.nodes)
        # csgraph treats explicit zeros as missing edges: keep a tiny positive length instead.
        w = np.maximum(w, 1e-3)
        keep = u != v
        rows = np.concatenate([u[keep], v[keep]])
        cols = np.concatenate([v[keep], u[keep]])
        data = np.concatenate([w[keep], w[keep]])
        # Parallel edges (two ways between the same junctions): keep the shortest.
        frame = pd.DataFrame({"r": rows, "c": cols, "w": data}).groupby(["r", "c"])["w"].min()
        r = frame.index.get_level_values(0).to_numpy()
        c = frame.index.get_level_values(1).to_numpy()
        return sparse.csr_array((frame.to_numpy(), (r, c)), shape=(n, n))

    def components(self) -> np.ndarray:
        """Connected-component label of each node (undirected)."""
        _, labels = csgraph.connected_components(self.adjacency(), directed=False)
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
