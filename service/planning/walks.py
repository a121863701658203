"""Trygghetsvandring: a closed walking loop past the places people find unsafe.

The route is an orienteering problem on the walkable network: start and end at a meeting
point, stay within ±10% of a target length and collect as much priority as possible. Prizes
sit on nodes (licensed venues, stops, parks, schools, user points snapped to the network) and
on edges (unlit or unknown-lit stretches by length, pedestrian tunnels).

Solver (hand-written because no maintained library solves orienteering with edge prizes on a
road graph; OR-Tools' routing would need the full distance matrix and knows no edge prizes):

1. one multi-source ``scipy.sparse.csgraph.dijkstra`` from the start, the snapped places and
   a grid of waypoints on prize-rich streets, on a length discounted along prize edges so
   the legs prefer unlit streets;
2. true leg lengths and leg prizes from the shortest-path trees by pointer jumping (numpy);
3. prize-per-metre cheapest insertion of sources into the tour, vectorised over candidates
   and positions, every insertion checked on the realised route (distinct edges and places,
   repeated length penalised);
4. local search: 2-opt, remove-and-reinsert (which covers swaps) and re-insertion into freed
   budget, under a time limit;
5. padding with waypoints when the loop falls short of the ±10% window.

Everything is deterministic: ties go to the lowest index, sources are sorted by node id.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy import sparse
from scipy.sparse import csgraph

from geodata import LANTMATERIET_ATTRIBUTION, METRIC_CRS, WGS84
from geodata.area import Area
from geodata.errors import AreaNotCoveredError, InfeasibleError, InvalidInputError
from geodata.network import (
    WALK_SPEED_KMH,
    CsGraph,
    Network,
    Provenance,
    nearest_nodes,
    to_csgraph,
    tree_path,
    tree_path_sums,
)
from geodata.osm.tags import KIND_NAMES

#: Assumed stops per km and minutes per stop when a walk is given in minutes.
STOPS_PER_KM = 2.0
STOP_MINUTES = 3.0
#: Allowed deviation from the target length.
LENGTH_TOLERANCE = 0.10
#: A start point further than this from the walkable network is an input error (m).
MAX_START_OFFSET_M = 500.0
#: Places further than this from the network are not reachable on a walk (m).
MAX_PLACE_SNAP_M = 150.0
#: Exactly evaluated insertions per padding step.
PAD_TRIALS = 24
#: Grid cell for place targets (m): one target per cell, the richest node; the others are
#: collected in passing. Keeps the number of Dijkstra sources down in dense centres.
PLACE_CELL_M = 50.0
#: Grid cell for waypoints on prize-rich streets (m).
WAYPOINT_CELL_M = 120.0
#: Penalty per 100 m walked twice, in priority units: keeps the loop a loop.
REPEAT_PENALTY_PER_100M = 4.0
#: Stops closer than this along the route are merged into one (m): a protocol stop is a spot
#: the group stands at, not every door it passes.
STOP_MERGE_M = 60.0
#: Highway classes whose tunnels are pedestrian tunnels or underpasses.
PEDESTRIAN_HIGHWAYS = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "living_street", "corridor", "track"}
)

#: Default priority per kind: places count once, ``unlit``/``unknown_lit`` per 100 m,
#: ``tunnel`` per tunnel stretch, ``point`` per user-given point.
DEFAULT_WEIGHTS: dict[str, float] = {
    "venue": 3.0,
    "station": 2.0,
    "bus_stop": 1.0,
    "park": 2.0,
    "playground": 2.0,
    "school": 2.0,
    "youth_centre": 2.0,
    "square": 1.0,
    "tunnel": 3.0,
    "point": 4.0,
    "unlit": 2.0,
    "unknown_lit": 0.5,
}

#: Swedish labels for stop kinds (protocol, maps, JSON ``reason``): the feature kinds' names
#: from ``geodata.osm.tags.KIND_NAMES``, and the walk's own kinds.
KIND_LABELS: dict[str, str] = {
    **{kind: names.singular.capitalize() for kind, names in KIND_NAMES.items()},
    "tunnel": "Gångtunnel/undergång",
    "point": "Anmäld plats",
    "unlit": "Obelyst sträcka",
    "unknown_lit": "Belysning okänd",
    "start": "Samlingsplats",
}

_LIT_NO = frozenset({"no", "disused", "none", "0", "false", "off"})


# --------------------------------------------------------------------------- inputs


def parse_weights(text: str | None) -> dict[str, float]:
    """``"venue=3,unlit=1"`` -> the default weights with those overrides.

    Raises
    ------
    InvalidInputError
        On a malformed pair, an unknown kind or a negative weight.
    """
    weights = dict(DEFAULT_WEIGHTS)
    if not text:
        return weights
    known = set(DEFAULT_WEIGHTS) | set(KIND_LABELS) - {"start"}
    for pair in text.split(","):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            raise InvalidInputError(f"Vikten {pair!r} ska skrivas som typ=vikt, t.ex. venue=3.")
        if key not in known:
            raise InvalidInputError(
                f"Okänd typ {key!r} bland vikterna; välj bland {', '.join(sorted(known))}.",
                field="weights",
            )
        try:
            weight = float(value)
        except ValueError as exc:
            raise InvalidInputError(
                f"Vikten för {key} måste vara ett tal, inte {value!r}."
            ) from exc
        if not np.isfinite(weight) or weight < 0:
            raise InvalidInputError(f"Vikten för {key} måste vara 0 eller större.")
        weights[key] = weight
    return weights


def length_for_minutes(minutes: float) -> float:
    """Target length (km) of a walk of ``minutes`` at ``WALK_SPEED_KMH`` with stops on the way.

    Each km takes 12 minutes of walking at 5 km/h plus ``STOPS_PER_KM`` stops of
    ``STOP_MINUTES``.
    """
    if minutes <= 0:
        raise InvalidInputError("Vandringens tid måste vara större än 0 minuter.")
    minutes_per_km = 60.0 / WALK_SPEED_KMH + STOPS_PER_KM * STOP_MINUTES
    return float(minutes) / minutes_per_km


def parse_latlon(text: str, label: str = "punkten") -> tuple[float, float]:
    """``"59.33,18.06"`` -> ``(lat, lon)``, validated."""
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError as exc:
        raise InvalidInputError(
            f"Ange {label} som LAT,LON i decimalgrader, t.ex. 59.3376,18.0632 (fick {text!r})."
        ) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInputError(f"{label}: {text} är inte en giltig WGS 84-koordinat.")
    return lat, lon


def read_points(path: str | Path) -> gpd.GeoDataFrame:
    """User points (citizen reports, earlier findings, police events) from a GeoJSON file.

    Any geometry is reduced to a representative point. Optional properties: ``name``,
    ``weight`` (overrides the ``point`` weight), ``kind`` (shown as the reason).
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Hittar inte punktfilen {path}.")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        features = obj["features"] if obj.get("type") == "FeatureCollection" else [obj]
        geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
        props = [f.get("properties") or {} for f in features]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InvalidInputError(f"{path.name} är inte giltig GeoJSON med punkter: {exc}") from exc
    if not geoms:
        raise InvalidInputError(f"{path.name} innehåller inga punkter.")
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    xy = shapely.get_coordinates(points)
    if not ((np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()):
        raise InvalidInputError(f"{path.name}: koordinaterna ska vara WGS 84 (longitud, latitud).")
    frame = pd.DataFrame(
        {
            "name": [p.get("name") or p.get("title") for p in props],
            "weight": pd.to_numeric([p.get("weight") for p in props], errors="coerce"),
            "label": [p.get("kind") or p.get("category") for p in props],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=points, crs=WGS84)


def walk_area(
    settlement: str | None = None,
    kommun: str | None = None,
    center: tuple[float, float] | None = None,
    radius_km: float | None = None,
    length_km: float = 2.5,
) -> Area:
    """The area to plan a walk in: a settlement in a municipality, or a circle.

    Parameters
    ----------
    settlement, kommun
        A settlement (tätort) name and the municipality (name or code) it lies in.
    center
        ``(lat, lon)`` of the circle's centre.
    radius_km
        Circle radius; defaults to half the walk length (a loop never goes further), at
        least 0.5 km. Also used around a settlement given only as a point.
    length_km
        The walk's target length (for the default radius).

    Raises
    ------
    InvalidInputError
        If neither or both of settlement and centre are given, or the settlement is not in
        the municipality.
    """
    radius_m = 1000.0 * (radius_km if radius_km is not None else max(0.5, length_km / 2.0))
    if radius_m <= 0:
        raise InvalidInputError("Radien måste vara större än 0 km.")
    if (settlement is None) == (center is None):
        raise InvalidInputError(
            "Ange antingen en tätort och dess kommun, eller en mittpunkt.", field="settlement"
        )
    if center is not None:
        lat, lon = center
        x, y = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True).transform(lon, lat)
        return Area(
            name=f"{radius_m / 1000:.1f} km runt {lat:.5f}, {lon:.5f}",
            geometry=shapely.Point(x, y).buffer(radius_m, quad_segs=32),
            source="center",
            extra={"center": (lat, lon)},
        )
    if not kommun:
        raise InvalidInputError("Ange kommunen tätorten ligger i.", field="kommun")
    from geodata import municipalities

    muni = municipalities.find_municipality(kommun)
    row = municipalities.find_settlement(muni, str(settlement))
    geometry = row.geometry
    if geometry.geom_type == "Point" or geometry.area <= 0:
        geometry = geometry.buffer(radius_m, quad_segs=32)
    source = str(row.get("source", "settlement"))
    return Area(
        name=f"{row['name']}, {muni.name} kommun",
        geometry=geometry,
        source=source,
        code=muni.code,
        attribution=LANTMATERIET_ATTRIBUTION if source == "lantmateriet" else "",
    )


# --------------------------------------------------------------------------- results


@dataclass
class WalkStop:
    """A numbered stop on the walk: a priority place, a tunnel or an unlit stretch."""

    order: int
    lon: float
    lat: float
    kind: str
    name: str
    reason: str
    distance_m: float
    node: int | None = None
    priority: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the CLI's ``stops`` list."""
        return {
            "order": self.order,
            "lat": round(self.lat, 7),
            "lon": round(self.lon, 7),
            "kind": self.kind,
            "name": self.name,
            "reason": self.reason,
        }


@dataclass
class WalkRoute:
    """A planned safety walk.

    Attributes
    ----------
    node_ids
        OSM node ids along the loop, first == last.
    edge_rows
        Rows of ``network.edges`` in walking order (repeats included).
    geometry
        The loop as one LineString in the network's CRS.
    """

    node_ids: list[int]
    edge_rows: np.ndarray
    geometry: shapely.LineString
    crs: Any
    length_m: float
    target_m: float
    repeated_edge_share: float
    priority_collected: float
    start: tuple[float, float]  # (lon, lat)
    stops: list[WalkStop]
    unlit: gpd.GeoDataFrame  # lit=no / unknown edges on the route, WGS 84
    provenance: Provenance
    timings_s: dict[str, float] = field(default_factory=dict)
    area_name: str = ""
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def length_km(self) -> float:
        """Loop length in km."""
        return self.length_m / 1000.0

    @property
    def coords_wgs84(self) -> np.ndarray:
        """``(n, 2)`` lon/lat of the loop."""
        xy = shapely.get_coordinates(self.geometry)
        lon, lat = Transformer.from_crs(self.crs, WGS84, always_xy=True).transform(
            xy[:, 0], xy[:, 1]
        )
        return np.column_stack([lon, lat])

    @property
    def attribution(self) -> str:
        """Source line for every output."""
        return self.provenance.label

    def to_json(self) -> dict[str, Any]:
        """The object ``loftesplan walk --json`` prints."""
        return {
            "length_km": round(self.length_km, 3),
            "repeated_edge_share": round(self.repeated_edge_share, 4),
            "start": {"lat": round(self.start[1], 7), "lon": round(self.start[0], 7)},
            "stops": [s.to_dict() for s in self.stops],
            "route": [[round(x, 7), round(y, 7)] for x, y in self.coords_wgs84.tolist()],
            "priority_collected": round(self.priority_collected, 3),
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }

    def to_geojson(self) -> dict[str, Any]:
        """FeatureCollection: the loop, the numbered stops and the unlit stretches (WGS 84)."""
        route = {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": self.coords_wgs84.tolist()},
            "properties": {
                "kind": "route",
                "name": f"Trygghetsvandring {self.area_name}".strip(),
                "length_km": round(self.length_km, 3),
                "repeated_edge_share": round(self.repeated_edge_share, 4),
                "priority_collected": round(self.priority_collected, 3),
                "attribution": self.attribution,
                "data_date": self.provenance.data_date,
            },
        }
        start = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(self.start)},
            "properties": {"kind": "start", "order": 0, "name": KIND_LABELS["start"]},
        }
        stops = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {**s.to_dict(), "distance_m": round(s.distance_m, 1)},
            }
            for s in self.stops
        ]
        unlit = json.loads(self.unlit.to_json()) if len(self.unlit) else {"features": []}
        for feature in unlit["features"]:
            feature.pop("id", None)
        return {
            "type": "FeatureCollection",
            "features": [route, start, *stops, *unlit["features"]],
            "attribution": self.attribution,
        }

    def to_gpx(self) -> str:
        """GPX 1.1 with the loop as a track and the stops as numbered waypoints."""
        import gpxpy.gpx

        from service.render.gpx import route_gpx

        name = f"Trygghetsvandring {self.area_name}".strip()
        return route_gpx(
            name,
            f"{self.length_km:.2f} km. {self.attribution}",
            self.coords_wgs84,
            self.start,
            "0 Samlingsplats",
            (
                gpxpy.gpx.GPXWaypoint(
                    latitude=s.lat,
                    longitude=s.lon,
                    name=f"{s.order} {s.name}"[:60],
                    description=s.reason,
                    type=s.kind,
                )
                for s in self.stops
            ),
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


def _edge_prizes(edges: gpd.GeoDataFrame, weights: Mapping[str, float]) -> dict[str, np.ndarray]:
    lit = edges["lit"].astype("string").str.strip().str.lower()
    unlit = lit.isin(_LIT_NO).fillna(False).to_numpy(bool)
    unknown = lit.isna().to_numpy(bool) | (lit == "").fillna(False).to_numpy(bool)
    tunnel = edges["tunnel"].fillna(False).to_numpy(bool) & edges["highway"].isin(
        PEDESTRIAN_HIGHWAYS
    ).to_numpy(bool)
    length = edges["length"].to_numpy(float)
    per_100 = length / 100.0
    # A tunnel counts once however many stretches its way is cut into: share by length.
    tunnel_len = pd.Series(np.where(tunnel, length, 0.0)).groupby(edges["osmid"].to_numpy())
    share = np.where(tunnel, length / np.maximum(tunnel_len.transform("sum").to_numpy(), 1e-9), 0)
    return {
        "unlit": unlit,
        "unknown": unknown,
        "tunnel": tunnel,
        "prize": per_100 * (unlit * weights.get("unlit", 0.0))
        + per_100 * (unknown * weights.get("unknown_lit", 0.0))
        + share * weights.get("tunnel", 0.0),
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


def _default_start(
    network: Network, features: gpd.GeoDataFrame | None, centre_xy: np.ndarray, reach_m: float
) -> np.ndarray:
    """A central public place: the square or station nearest the centre, else the centre."""
    if features is not None and len(features):
        f = features.to_crs(network.edges.crs)
        for kind in ("square", "station"):
            sub = f[f["kind"] == kind]
            if len(sub):
                pts = shapely.get_coordinates(shapely.point_on_surface(sub.geometry.to_numpy()))
                d = np.hypot(*(pts - centre_xy).T)
                if d.min() <= reach_m:
                    return pts[int(np.argmin(d))]
    return centre_xy


def plan_walk(
    network: Network,
    features: gpd.GeoDataFrame | None = None,
    *,
    length_km: float = 2.5,
    start: tuple[float, float] | None = None,
    centre: tuple[float, float] | None = None,
    weights: Mapping[str, float] | None = None,
    points: gpd.GeoDataFrame | None = None,
    time_limit_s: float = 1.0,
    repeat_penalty: float = REPEAT_PENALTY_PER_100M,
    area_name: str = "",
) -> WalkRoute:
    """Plan a closed safety-walk loop that collects as much priority as it can.

    Parameters
    ----------
    network
        The walkable network (``load_network(area, "walk", ...)``).
    features
        Feature layers (``load_features``); kinds with a positive weight become places.
    length_km
        Target length; the result lies within ±10%.
    start
        ``(lat, lon)`` meeting point; default a square or station near ``centre``, else the
        centre, snapped to the network.
    centre
        ``(lat, lon)`` of the area's centre; default the network's centre.
    weights
        Priority per kind (see ``DEFAULT_WEIGHTS``); missing kinds use the defaults.
    points
        User points (``read_points``), kind ``point``.
    time_limit_s
        Wall-clock budget for the local search.
    repeat_penalty
        Priority lost per 100 m walked a second time (fewer repeats against more places).
    area_name
        Shown in titles.

    Raises
    ------
    AreaNotCoveredError
        If the network has no walkable ways.
    InvalidInputError
        If the start lies more than 500 m from the network or the length is not positive.
    InfeasibleError
        If no loop fits the length (too short to leave the start, or too long for the area).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if not length_km or length_km <= 0:
        raise InvalidInputError("Vandringens längd måste vara större än 0 km.")
    if network.edges.empty:
        raise AreaNotCoveredError(
            f"Det finns inga gångbara vägar i {area_name or 'området'}; välj ett annat område."
        )
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    target = 1000.0 * float(length_km)
    crs = network.edges.crs
    to_metric = Transformer.from_crs(WGS84, crs, always_xy=True)
    net = network.largest_component()

    # Meeting point.
    if centre is not None:
        centre_xy = np.array(to_metric.transform(centre[1], centre[0]))
    else:
        centre_xy = net.nodes[["x", "y"]].to_numpy(float).mean(axis=0)
    if start is not None:
        start_xy = np.array(to_metric.transform(start[1], start[0]))
    else:
        start_xy = _default_start(net, features, centre_xy, reach_m=min(400.0, target / 4))
    start_pos, start_dist = nearest_nodes(net, start_xy[None, :])
    if start_dist[0] > MAX_START_OFFSET_M:
        raise InvalidInputError(
            f"Startpunkten ligger {start_dist[0]:.0f} m från närmaste gångväg; den får ligga "
            f"högst {MAX_START_OFFSET_M:.0f} m bort. Välj en punkt närmare vägnätet."
        )
    start_pos = int(start_pos[0])

    graph, places, eprize = priority_graph(net, features, weights, points)
    timings["prepare"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    solver = _Solver(graph, start_pos, target, repeat_penalty)
    tour = solver.solve(time_limit_s)
    timings["solve"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    route = _realise(graph, solver, tour, places, eprize, target, weights, area_name)
    timings["realise"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    route.timings_s = timings
    route.weights = dict(weights)
    return route


def priority_graph(
    network: Network,
    features: gpd.GeoDataFrame | None,
    weights: Mapping[str, float] | None = None,
    points: gpd.GeoDataFrame | None = None,
) -> tuple[_Graph, gpd.GeoDataFrame, dict[str, np.ndarray]]:
    """The network with prizes on nodes (snapped places) and edges (lighting, tunnels).

    Returns the solver graph, the snapped places (column ``node`` = node position) and the
    per-edge masks/prizes. Benchmarks score other routes with :func:`route_priority` on it.
    """
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    crs = network.edges.crs
    graph_xy = network.nodes[["x", "y"]].to_numpy(float)
    places = _places(features, points, weights, crs)
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
    eprize = _edge_prizes(network.edges, weights)
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
        nodes = self.nodes_of(tour)
        if len(nodes) < 2:
            return 0.0, 0.0, 0.0
        rows = self.g.rows_between(nodes[:-1], nodes[1:])
        lengths = self.g.length[rows]
        distinct = np.unique(rows)
        repeated = lengths.sum() - self.g.length[distinct].sum()
        prize = self.g.edge_prize[distinct].sum() + self.g.node_prize[np.unique(nodes)].sum()
        value = prize - self.repeat_penalty * repeated / 100.0
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
                self.L[t[i], t[j]] + self.L[t[i + 1], t[j + 1]]
                - self.L[t[i], t[i + 1]] - self.L[t[j], t[j + 1]]
            )  # fmt: skip
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

    def solve(self, time_limit_s: float) -> list[int]:
        """Build, improve and pad the tour (indices into ``sources``; 0 is the start)."""
        deadline = time.perf_counter() + time_limit_s
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
        while time.perf_counter() < deadline:
            tour = self.two_opt(best[1])
            tour = self.insert_greedy(tour, self.target)
            improved = self.evaluate(tour)[0] > best[0] + 1e-9
            if improved:
                best = (self.evaluate(tour)[0], tour)
            # Remove-and-reinsert each visited source (a swap when another takes its place).
            for pos in range(1, len(best[1]) - 1):
                if time.perf_counter() >= deadline:
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


def _realise(
    graph: _Graph,
    solver: _Solver,
    tour: list[int],
    places: gpd.GeoDataFrame,
    eprize: dict[str, np.ndarray],
    target: float,
    weights: Mapping[str, float],
    area_name: str,
) -> WalkRoute:
    """Turn the tour into geometry, numbered stops and metrics."""
    net = graph.network
    nodes = solver.nodes_of(tour)
    a, b = nodes[:-1], nodes[1:]
    rows = graph.rows_between(a, b)
    lengths = graph.length[rows]
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    total = float(along[-1])
    distinct = np.unique(rows)
    repeated = total - float(graph.length[distinct].sum())

    # Orient each edge's geometry in walking order and chain them.
    pos = net.node_positions()
    forward = pos.loc[net.edges["u"].to_numpy()[rows]].to_numpy() == a
    geoms = net.edges.geometry.to_numpy()[rows]
    geoms = np.where(forward, geoms, shapely.reverse(geoms))
    coords = shapely.get_coordinates(geoms)
    keep = np.concatenate([[True], np.any(np.abs(np.diff(coords, axis=0)) > 1e-6, axis=1)])
    line = shapely.LineString(coords[keep])

    to_wgs = Transformer.from_crs(net.edges.crs, WGS84, always_xy=True)
    start_lon, start_lat = to_wgs.transform(*graph.xy[nodes[0]])

    # Stops: places at visited nodes (merged per node), tunnels and lit=no stretches.
    first_visit = pd.Series(along[:-1], index=a).groupby(level=0).min()
    first_visit[nodes[-1]] = first_visit.get(nodes[-1], 0.0)
    records: list[dict[str, Any]] = []
    visited = places[places["node"].isin(first_visit.index)]
    if len(visited):
        visited = visited.sort_values("weight", ascending=False, kind="stable")
        for node, group in visited.groupby("node", sort=True):
            names = [str(n) for n in group["name"].dropna().unique()]
            labels = group["label"].value_counts(sort=False)
            reason = ", ".join(f"{k} ({c})" if c > 1 else str(k) for k, c in labels.items())
            records.append(
                {
                    "kind": group["kind"].iloc[0],
                    "name": "; ".join(names[:4]) or str(group["label"].iloc[0]),
                    "reason": reason,
                    "xy": graph.xy[node],
                    "distance_m": float(first_visit[node]),
                    "node": int(graph.node_ids[node]),
                    "priority": float(group["weight"].sum()),
                }
            )
    seen_edge: set[int] = set()
    mids = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    mid_xy = shapely.get_coordinates(mids)
    for idx in np.flatnonzero(eprize["tunnel"][rows] | eprize["unlit"][rows]):
        row = int(rows[idx])
        if row in seen_edge:
            continue
        seen_edge.add(row)
        kind = "tunnel" if eprize["tunnel"][row] else "unlit"
        name = net.edges["name"].iloc[row]
        records.append(
            {
                "kind": kind,
                "name": str(name) if isinstance(name, str) else KIND_LABELS[kind],
                "reason": f"{KIND_LABELS[kind]} ({lengths[idx]:.0f} m)",
                "xy": mid_xy[idx],
                "distance_m": float(along[idx] + lengths[idx] / 2.0),
                "node": None,
                "priority": float(graph.edge_prize[row]),
            }
        )
    records.sort(key=lambda r: (r["distance_m"], r["kind"], r["name"]))
    records = _merge_close(records, STOP_MERGE_M)
    stops = []
    if records:
        xy = np.asarray([r["xy"] for r in records])
        lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
        stops = [
            WalkStop(
                order=i + 1,
                lon=float(lon[i]),
                lat=float(lat[i]),
                kind=r["kind"],
                name=r["name"],
                reason=r["reason"],
                distance_m=r["distance_m"],
                node=r["node"],
                priority=r["priority"],
            )
            for i, r in enumerate(records)
        ]

    dark = distinct[eprize["unlit"][distinct] | eprize["unknown"][distinct]]
    unlit = gpd.GeoDataFrame(
        {
            "kind": np.where(eprize["unlit"][dark], "unlit", "unknown_lit"),
            "name": net.edges["name"].to_numpy()[dark],
            "highway": net.edges["highway"].to_numpy()[dark],
            "length_m": graph.length[dark].round(1),
        },
        geometry=net.edges.geometry.to_numpy()[dark],
        crs=net.edges.crs,
    ).to_crs(WGS84)
    prize = float(graph.edge_prize[distinct].sum() + graph.node_prize[np.unique(nodes)].sum())
    return WalkRoute(
        node_ids=[int(x) for x in graph.node_ids[nodes]],
        edge_rows=rows,
        geometry=line,
        crs=net.edges.crs,
        length_m=total,
        target_m=target,
        repeated_edge_share=repeated / total if total > 0 else 0.0,
        priority_collected=prize,
        start=(float(start_lon), float(start_lat)),
        stops=stops,
        unlit=unlit,
        provenance=net.provenance,
        area_name=area_name,
        weights=dict(weights),
    )


def _merge_close(records: list[dict[str, Any]], gap_m: float) -> list[dict[str, Any]]:
    """Merge stops that follow each other within ``gap_m`` along the route.

    The merged stop stands where its highest-priority member is and lists every member.
    """
    groups: list[list[dict[str, Any]]] = []
    for rec in records:
        if groups and rec["distance_m"] - groups[-1][0]["distance_m"] <= gap_m:
            groups[-1].append(rec)
        else:
            groups.append([rec])
    merged = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        lead = max(group, key=lambda r: r["priority"])
        names = list(dict.fromkeys(r["name"] for r in group))
        reasons = list(dict.fromkeys(r["reason"] for r in group))
        merged.append(
            {
                **lead,
                "name": "; ".join(names[:4]) + (f" m.fl. ({len(names)})" if len(names) > 4 else ""),
                "reason": ", ".join(reasons),
                "priority": float(sum(r["priority"] for r in group)),
            }
        )
    return merged


def plan_walk_in_area(
    area: Area,
    osm_file: str | Path | None = None,
    **kwargs: Any,
) -> WalkRoute:
    """Load the walkable network and features of ``area`` and plan a walk there.

    Keyword arguments go to :func:`plan_walk`; the area's centre is the default centre.
    """
    from geodata.osm import load_features, load_network

    t0 = time.perf_counter()
    network = load_network(area, "walk", osm_file)
    if network.edges.empty:
        raise AreaNotCoveredError(f"Det finns inga gångbara vägar i {area.name}.")
    features = load_features(area, osm_file)
    loaded = time.perf_counter() - t0
    if kwargs.get("centre") is None:
        if "center" in area.extra:
            kwargs["centre"] = area.extra["center"]
        else:
            c = area.wgs84.centroid
            kwargs["centre"] = (c.y, c.x)
    kwargs.setdefault("area_name", area.name)
    route = plan_walk(network, features, **kwargs)
    total = loaded + route.timings_s["total"]
    route.timings_s = {"load": loaded, **route.timings_s, "total": total}
    return route


def render_protocol(route: WalkRoute, title: str | None = None) -> str:
    """The printable A4 walk protocol (HTML with print CSS): overview and a checklist per stop.

    Print it from a browser, or turn it into PDF with any HTML-to-PDF tool.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from service.followup.findings import CHECKLIST

    env = Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parents[1] / "render" / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    kinds = route.unlit["kind"] if len(route.unlit) else pd.Series(dtype=str)
    lengths = route.unlit["length_m"] if len(route.unlit) else pd.Series(dtype=float)
    walking_min = route.length_km * 60.0 / WALK_SPEED_KMH
    return env.get_template("protocol.html.j2").render(
        title=title or f"Trygghetsvandring {route.area_name}".strip(),
        start_text=f"{route.start[1]:.5f}, {route.start[0]:.5f}",
        length_km=route.length_km,
        minutes=round(walking_min + STOP_MINUTES * len(route.stops)),
        stops=route.stops,
        checklist=CHECKLIST,
        unlit_m=float(lengths.sum()),
        unknown_m=float(lengths[kinds == "unknown_lit"].sum()),
        repeated_share=route.repeated_edge_share,
        attribution=route.attribution,
    )
