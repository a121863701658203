"""Priority on the walkable network: places snapped to nodes, lighting and tunnels on edges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geodata.network import (
    CsGraph,
    Network,
    nearest_nodes,
    to_csgraph,
)
from service.planning.walks.directions import lit_class
from service.planning.walks.incidents import (
    incident_prizes,
)
from service.planning.walks.inputs import (
    DEFAULT_WEIGHTS,
    FOOTPATH_HIGHWAYS,
    KIND_LABELS,
    MAX_PLACE_SNAP_M,
    PEDESTRIAN_HIGHWAYS,
    SCHOOL_PATH_M,
)

# --------------------------------------------------------------------------- planning


@dataclass
class _Graph:
    """Walk network as arrays for the solver."""

    network: Network
    node_ids: np.ndarray  # position -> OSM id
    xy: np.ndarray
    arcs: CsGraph  # discounted length for path choice, arcs -> edge rows
    length: np.ndarray  # per edge row
    edge_prize: np.ndarray  # per edge row
    node_prize: np.ndarray  # per node position

    @property
    def weight(self) -> sparse.csr_array:
        """The discounted-length graph Dijkstra runs on."""
        return self.arcs.matrix

    def rows_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge rows joining node positions ``a[i]`` -> ``b[i]`` (chosen parallel edge)."""
        return self.arcs.rows_between(a, b)


def _edge_prizes(
    edges: gpd.GeoDataFrame,
    weights: Mapping[str, float],
    schools_xy: np.ndarray | None = None,
    incident_prize: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-edge masks and the edge ``prize`` under ``weights``.

    Masks: ``unlit``, ``unknown``, ``tunnel``, ``footpath``, ``school_path``, ``incident``.
    """
    cls = lit_class(edges["lit"])
    unlit = cls == "unlit"
    unknown = cls == "unknown"
    highway = edges["highway"].astype("string").fillna("")
    tunnel = edges["tunnel"].fillna(False).to_numpy(bool) & highway.isin(
        PEDESTRIAN_HIGHWAYS
    ).to_numpy(bool)
    footpath = highway.isin(FOOTPATH_HIGHWAYS).to_numpy(bool) & (cls != "lit")
    school_path = np.zeros(len(edges), dtype=bool)
    if schools_xy is not None and len(schools_xy) and footpath.any():
        near = shapely.MultiPoint(schools_xy).buffer(SCHOOL_PATH_M)
        school_path = footpath & shapely.intersects(edges.geometry.to_numpy(), near)
    length = edges["length"].to_numpy(float)
    per_100 = length / 100.0
    # A tunnel counts once however many stretches its way is cut into: share by length.
    tunnel_len = pd.Series(np.where(tunnel, length, 0.0)).groupby(edges["osmid"].to_numpy())
    share = np.where(tunnel, length / np.maximum(tunnel_len.transform("sum").to_numpy(), 1e-9), 0)
    prize = (
        per_100 * (unlit * weights.get("unlit", 0.0))
        + per_100 * (unknown * weights.get("unknown_lit", 0.0))
        + per_100 * (footpath * weights.get("footpath", 0.0))
        + per_100 * (school_path * weights.get("school_path", 0.0))
        + share * weights.get("tunnel", 0.0)
    )
    if incident_prize is not None:
        prize = prize + incident_prize
    return {
        "unlit": unlit,
        "unknown": unknown,
        "tunnel": tunnel,
        "footpath": footpath,
        "school_path": school_path,
        "incident": incident_prize if incident_prize is not None else np.zeros(len(edges)),
        "prize": prize,
    }


def _build_graph(network: Network, node_prize: np.ndarray, edge_prize: np.ndarray) -> _Graph:
    length = np.maximum(network.edges["length"].to_numpy(float), 0.01)
    # Prize edges look shorter to Dijkstra so legs run along them; the discount is capped so
    # a leg never detours more than about twice its length for prize.
    density = edge_prize / (length / 100.0)
    discounted = length * np.clip(1.0 - 0.2 * density, 0.5, 1.0)
    return _Graph(
        network=network,
        node_ids=network.nodes.index.to_numpy(),
        xy=network.nodes[["x", "y"]].to_numpy(float),
        arcs=to_csgraph(network, discounted),
        length=length,
        edge_prize=edge_prize,
        node_prize=node_prize,
    )


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as an object array, all None when the frame lacks it."""
    if name in frame:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def _places(
    features: gpd.GeoDataFrame | None,
    points: gpd.GeoDataFrame | None,
    weights: Mapping[str, float],
    crs: Any,
) -> gpd.GeoDataFrame:
    """Priority places with a positive weight: kind, name, weight, label; geometry in ``crs``."""
    frames = []
    if features is not None and len(features):
        f = features.to_crs(crs)
        w = f["kind"].map(lambda k: weights.get(k, 0.0)).astype(float)
        f = f[w > 0]
        frames.append(
            gpd.GeoDataFrame(
                {
                    "kind": f["kind"].to_numpy(),
                    "name": f["name"].to_numpy(),
                    "weight": w[w > 0].to_numpy(),
                    "label": f["kind"].map(KIND_LABELS).fillna(f["kind"]).to_numpy(),
                    "addr_street": _column(f, "addr:street"),
                    "housenumber": _column(f, "addr:housenumber"),
                },
                geometry=f.geometry.to_numpy(),
                crs=crs,
            )
        )
    if points is not None and len(points):
        p = points.to_crs(crs)
        base = weights.get("point", 0.0)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "kind": "point",
                    "name": p["name"].to_numpy(),
                    "weight": p["weight"].fillna(base).to_numpy(float),
                    "label": p["label"].fillna(KIND_LABELS["point"]).to_numpy(),
                },
                geometry=p.geometry.to_numpy(),
                crs=crs,
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {"kind": [], "name": [], "weight": [], "label": []}, geometry=[], crs=crs
        )
    out = pd.concat(frames, ignore_index=True)
    return out[out["weight"] > 0].reset_index(drop=True)


def priority_graph(
    network: Network,
    features: gpd.GeoDataFrame | None,
    weights: Mapping[str, float] | None = None,
    points: gpd.GeoDataFrame | None = None,
    notices: pd.DataFrame | None = None,
) -> tuple[_Graph, gpd.GeoDataFrame, dict[str, np.ndarray]]:
    """The network with prizes on nodes (snapped places) and edges (lighting, tunnels).

    Parameters
    ----------
    weights
        Priority per kind; missing kinds weigh 0 (pass a preset's weights).
    notices
        Polisen's notices placed on streets (:func:`incidents.place_notices`).

    Returns the solver graph, the snapped places (column ``node`` = node position) and the
    per-edge masks/prizes. Benchmarks score other routes with :func:`route_priority` on it.
    """
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    crs = network.edges.crs
    graph_xy = network.nodes[["x", "y"]].to_numpy(float)
    places = _places(features, points, weights, crs)
    incident_prize = None
    if notices is not None and len(notices) and weights.get("incident", 0.0) > 0:
        incident_prize, squares = incident_prizes(
            network.edges, features, notices, weights["incident"]
        )
        if len(squares):
            places = pd.concat([places, squares.to_crs(crs)], ignore_index=True)
    schools_xy = None
    if features is not None and len(features) and weights.get("school_path", 0.0) > 0:
        schools = features[features["kind"] == "school"].to_crs(crs)
        schools_xy = shapely.get_coordinates(shapely.point_on_surface(schools.geometry.to_numpy()))
    if len(places):
        place_xy = shapely.get_coordinates(shapely.point_on_surface(places.geometry.to_numpy()))
        place_node, place_dist = nearest_nodes(network, place_xy)
        near = place_dist <= MAX_PLACE_SNAP_M
        places = places[near].reset_index(drop=True).assign(node=place_node[near])
    else:
        places = places.assign(node=np.zeros(0, dtype=np.int64))
    node_prize = np.bincount(
        places["node"].to_numpy(np.int64), weights=places["weight"], minlength=len(graph_xy)
    )
    eprize = _edge_prizes(network.edges, weights, schools_xy, incident_prize)
    return _build_graph(network, node_prize, eprize["prize"]), places, eprize


def route_priority(graph: _Graph, nodes: np.ndarray) -> tuple[float, float]:
    """``(priority, length_m)`` of a walk given as consecutive node positions.

    Each place and each edge counts once however often the walk passes it.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) < 2:
        return 0.0, 0.0
    rows = graph.rows_between(nodes[:-1], nodes[1:])
    distinct = np.unique(rows)
    prize = graph.edge_prize[distinct].sum() + graph.node_prize[np.unique(nodes)].sum()
    return float(prize), float(graph.length[rows].sum())
