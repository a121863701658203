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
   budget, bounded by a number of route evaluations (not the clock: deterministic);
5. padding with waypoints when the loop falls short of the ±10% window.

Everything is deterministic: ties go to the lowest index, sources are sorted by node id.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
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
from geodata.errors import (
    AreaNotCoveredError,
    DataUnavailableError,
    InfeasibleError,
    InvalidInputError,
)
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
from service.planning.walkparts.describe import describe_route
from service.planning.walkparts.directions import Leg, lighting_summary, lit_class, round_m
from service.planning.walkparts.incidents import (
    DEFAULT_SPAN_DAYS,
    incident_events,
    incident_prizes,
    place_notices,
    street_names,
)
from service.planning.walkparts.presets import DEFAULT_PURPOSE, all_kinds, get_purpose
from service.planning.walkparts.stops import (
    cap_stops,
    district_name,
    max_stops,
    merge_stops,
    municipality_at,
)

#: Assumed stops per km and minutes per stop when a walk is given in minutes.
STOPS_PER_KM = 2.0
STOP_MINUTES = 3.0
#: Allowed deviation from the target length.
LENGTH_TOLERANCE = 0.10
#: A start point further than this from the walkable network is an input error (m).
MAX_START_OFFSET_M = 500.0
#: Places further than this from the network are not reachable on a walk (m).
MAX_PLACE_SNAP_M = 150.0
#: Local-search budget in route evaluations (deterministic, unlike a wall-clock limit).
WORK_BUDGET = 1500
#: Exactly evaluated insertions per padding step.
PAD_TRIALS = 24
#: Grid cell for place targets (m): one target per cell, the richest node; the others are
#: collected in passing. Keeps the number of Dijkstra sources down in dense centres.
PLACE_CELL_M = 50.0
#: Grid cell for waypoints on prize-rich streets (m).
WAYPOINT_CELL_M = 120.0
#: Penalty per 100 m walked twice, in priority units: keeps the loop a loop.
REPEAT_PENALTY_PER_100M = 4.0
#: Highway classes counted as footpaths (``footpath`` weight) when not tagged lit=yes.
FOOTPATH_HIGHWAYS = frozenset({"footway", "path", "cycleway", "track", "steps"})
#: Footpaths this close to a school (m) are ``school_path``.
SCHOOL_PATH_M = 300.0
#: Highway classes whose tunnels are pedestrian tunnels or underpasses.
PEDESTRIAN_HIGHWAYS = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "living_street", "corridor", "track"}
)

#: Default priority per kind (the ``allmän`` preset): places count once, stretch kinds
#: (``unlit``, ``unknown_lit``, ``footpath``, ``school_path``) per 100 m, ``tunnel`` per
#: tunnel, ``incident`` per Polisen notice on a street, ``point`` per user-given point.
DEFAULT_WEIGHTS: dict[str, float] = get_purpose(DEFAULT_PURPOSE).weights
#: Walks shorter or longer than this are refused (km).
MIN_LENGTH_KM = 0.5
MAX_LENGTH_KM = 15.0

#: Swedish labels for stop kinds (protocol, maps, JSON ``reason``): the feature kinds' names
#: from ``geodata.osm.tags.KIND_NAMES``, and the walk's own kinds.
KIND_LABELS: dict[str, str] = {
    **{kind: names.singular.capitalize() for kind, names in KIND_NAMES.items()},
    "incident": "Polisens händelser",
    "tunnel": "Gångtunnel/undergång",
    "point": "Anmäld plats",
    "unlit": "Obelyst sträcka",
    "unknown_lit": "Belysning okänd",
    "footpath": "Gång- och cykelväg",
    "school_path": "Gångväg nära skola",
    "start": "Samlingsplats",
}


# --------------------------------------------------------------------------- inputs


def parse_weights(text: str | None, purpose: str | None = None) -> dict[str, float]:
    """``"venue=3,unlit=1"`` -> the purpose preset's weights with those overrides.

    Kinds the preset leaves out weigh 0 unless ``text`` names them.

    Raises
    ------
    InvalidInputError
        On an unknown purpose, a malformed pair, an unknown kind or a negative weight.
    """
    weights = dict(get_purpose(purpose).weights)
    if not text:
        return weights
    known = (set(DEFAULT_WEIGHTS) | set(KIND_LABELS) | all_kinds()) - {"start"}
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


def check_length(length_km: float | None) -> float:
    """The walk length in km, or a Swedish error outside 0,5–15 km."""
    if length_km is None or not np.isfinite(length_km):
        raise InvalidInputError("Vandringens längd ska vara ett tal mellan 0,5 och 15 km.")
    if not MIN_LENGTH_KM <= length_km <= MAX_LENGTH_KM:
        raise InvalidInputError(
            f"Vandringen ska vara mellan 0,5 och 15 km lång (fick "
            f"{f'{length_km:g}'.replace('.', ',')} km)."
        )
    return float(length_km)


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
    members: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list, repr=False)

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
    lighting_edges: gpd.GeoDataFrame  # distinct route edges, kind lit/unlit/unknown_lit, WGS 84
    provenance: Provenance
    timings_s: dict[str, float] = field(default_factory=dict)
    area_name: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    lighting: dict[str, float] = field(default_factory=dict)
    purpose: str = DEFAULT_PURPOSE
    title: str = ""
    meeting_point: str = ""
    district: str | None = None
    directions: list[Leg] = field(default_factory=list)
    #: Polisen's notices on the streets walked: street, count, types.
    incidents: pd.DataFrame | None = None
    incident_span: tuple[str, str] | None = None
    #: Walkable ways around the loop (network CRS): the static map's base layer.
    base: gpd.GeoDataFrame | None = None

    @property
    def unlit(self) -> gpd.GeoDataFrame:
        """Route edges not known to be lit (``unlit`` and ``unknown_lit``), WGS 84."""
        return self.lighting_edges[self.lighting_edges["kind"] != "lit"]

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
            "purpose": self.purpose,
            "title": self.title,
            "meeting_point": self.meeting_point,
            "lighting": {k: round(v, 3) for k, v in self.lighting.items()},
            "directions": [leg.to_dict() for leg in self.directions],
            "incidents": (
                None
                if self.incidents is None
                else [
                    {"street": r.street, "count": int(r.count), "types": r.types}
                    for r in self.incidents.itertuples(index=False)
                ]
            ),
        }

    def to_geojson(self) -> dict[str, Any]:
        """FeatureCollection: the loop, the numbered stops and the unlit stretches (WGS 84)."""
        route = {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": self.coords_wgs84.tolist()},
            "properties": {
                "kind": "route",
                "name": self.title or f"Trygghetsvandring {self.area_name}".strip(),
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

        name = self.title or f"Trygghetsvandring {self.area_name}".strip()
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
    work: int = WORK_BUDGET,
    repeat_penalty: float = REPEAT_PENALTY_PER_100M,
    area_name: str = "",
    purpose: str | None = None,
    notices: pd.DataFrame | None = None,
    district: str | None = None,
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
        Priority per kind overriding the purpose preset's (``presets.toml``).
    points
        User points (``read_points``), kind ``point``.
    purpose
        ``allmän`` (default), ``belysning``, ``krogmiljö``, ``skolväg`` or ``centrum``.
    notices
        Polisen's incident notices placed on streets of the area
        (:func:`walkparts.incidents.place_notices`); they weigh ``incident`` each.
    district
        Part of town for the title; default the nearest OSM suburb or the tätort.
    work
        Local-search budget in route evaluations (the same walk on any machine).
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
    check_length(length_km)
    if network.edges.empty:
        raise AreaNotCoveredError(
            f"Det finns inga gångbara vägar i {area_name or 'området'}; välj ett annat område."
        )
    preset = get_purpose(purpose)
    weights = {**preset.weights, **(weights or {})}
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
    start_node, start_dist = nearest_nodes(net, start_xy[None, :])
    if start_dist[0] > MAX_START_OFFSET_M:
        raise InvalidInputError(
            f"Startpunkten ligger {start_dist[0]:.0f} m från närmaste gångväg; den får ligga "
            f"högst {MAX_START_OFFSET_M:.0f} m bort. Välj en punkt närmare vägnätet."
        )
    start_pos = int(start_node[0])

    graph, places, eprize = priority_graph(net, features, weights, points, notices)
    timings["prepare"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    solver = _Solver(graph, start_pos, target, repeat_penalty)
    tour = solver.solve(work)
    timings["solve"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    route = _realise(graph, solver, tour, places, eprize, target, weights, area_name)
    if district is None and centre is not None:
        district = district_name(features, centre_xy, crs, centre[0], centre[1])
    describe_route(route, graph, features, notices, preset.name, district)
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
    notices: pd.DataFrame | None = None,
) -> tuple[_Graph, gpd.GeoDataFrame, dict[str, np.ndarray]]:
    """The network with prizes on nodes (snapped places) and edges (lighting, tunnels).

    Parameters
    ----------
    weights
        Priority per kind; missing kinds weigh 0 (pass a preset's weights).
    notices
        Polisen's notices placed on streets (:func:`walkparts.incidents.place_notices`).

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
    names = street_names(net.edges).to_numpy(dtype=object)

    # Stop candidates: places at visited nodes, tunnels, and runs of dark stretches.
    first_visit = pd.Series(along[:-1], index=a).groupby(level=0).min()
    first_visit[nodes[-1]] = first_visit.get(nodes[-1], 0.0)
    step_of = pd.Series(np.arange(len(a)), index=a).groupby(level=0).min()
    records: list[dict[str, Any]] = []
    visited = places[places["node"].isin(first_visit.index)]
    for place in visited.itertuples(index=False):
        node = int(place.node)
        step = int(step_of.get(node, len(rows) - 1))
        records.append(
            {
                "kind": place.kind,
                "name": place.name if isinstance(place.name, str) else None,
                "label": str(place.label),
                "xy": graph.xy[node],
                "distance_m": float(first_visit[node]),
                "street": names[rows[min(step, len(rows) - 1)]],
                "addr_street": getattr(place, "addr_street", None),
                "housenumber": getattr(place, "housenumber", None),
                "priority": float(place.weight),
            }
        )
    mids = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    mid_xy = shapely.get_coordinates(mids)
    seen: set[int] = set()
    for idx in np.flatnonzero(eprize["tunnel"][rows]):
        row = int(rows[idx])
        if row not in seen:
            seen.add(row)
            records.append(_stretch_record("tunnel", idx, idx + 1, rows, names, along, mid_xy,
                                           graph.edge_prize))  # fmt: skip
    dark_kinds = [("unlit", eprize["unlit"])]
    if weights.get("unknown_lit", 0.0) >= 1.0:
        dark_kinds.append(("unknown_lit", eprize["unknown"]))
    for kind, mask in dark_kinds:
        for lo, hi in _runs(mask[rows] & ~eprize["tunnel"][rows]):
            if along[hi] - along[lo] >= (DARK_RUN_M if kind == "unknown_lit" else 1.0):
                mid = lo + int(np.searchsorted(along[lo + 1 : hi + 1] - along[lo],
                                               (along[hi] - along[lo]) / 2))  # fmt: skip
                records.append(_stretch_record(kind, lo, hi, rows, names, along, mid_xy,
                                               graph.edge_prize, mid=min(mid, hi - 1)))  # fmt: skip
    records.sort(key=lambda r: (r["distance_m"], r["kind"], str(r["name"])))
    groups = cap_stops(merge_stops(records), max_stops(total / 1000.0))
    stops = _numbered_stops(groups, net.edges.crs)

    cls = lit_class(net.edges["lit"])
    lighting_edges = gpd.GeoDataFrame(
        {
            "kind": pd.Series(cls[distinct])
            .map({"lit": "lit", "unlit": "unlit", "unknown": "unknown_lit"})
            .to_numpy(),
            "name": names[distinct],
            "highway": net.edges["highway"].to_numpy()[distinct],
            "length_m": graph.length[distinct].round(1),
        },
        geometry=net.edges.geometry.to_numpy()[distinct],
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
        lighting_edges=lighting_edges,
        provenance=net.provenance,
        area_name=area_name,
        weights=dict(weights),
        lighting=lighting_summary(net.edges["lit"].iloc[rows], lengths),
        base=net.edges.iloc[net.edges.sindex.query(line.buffer(250.0), predicate="intersects")][
            ["geometry"]
        ],
    )


#: Runs of unknown lighting at least this long (m) are stop candidates when the purpose
#: weighs unknown lighting (``belysning``).
DARK_RUN_M = 120.0


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[lo, hi)`` index ranges where ``mask`` is True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _stretch_record(
    kind: str,
    lo: int,
    hi: int,
    rows: np.ndarray,
    names: np.ndarray,
    along: np.ndarray,
    mid_xy: np.ndarray,
    edge_prize: np.ndarray,
    mid: int | None = None,
) -> dict[str, Any]:
    """A stop candidate for walked edges ``lo:hi`` (a tunnel, an unlit or unknown-lit run)."""
    mid = lo if mid is None else mid
    length = float(along[hi] - along[lo])
    street = next((names[r] for r in rows[lo:hi] if names[r]), None)
    return {
        "kind": kind,
        "name": street,
        "label": f"{KIND_LABELS[kind]} ({round_m(length)} m)",
        "xy": mid_xy[mid],
        "distance_m": float(along[mid] + (along[mid + 1] - along[mid]) / 2.0),
        "street": street,
        "addr_street": None,
        "housenumber": None,
        "priority": float(edge_prize[np.unique(rows[lo:hi])].sum()),
    }


def _numbered_stops(groups: list[list[dict[str, Any]]], crs: Any) -> list[WalkStop]:
    """Numbered stops from merged groups; names are set later by :func:`describe_route`."""
    if not groups:
        return []
    to_wgs = Transformer.from_crs(crs, WGS84, always_xy=True)
    stops = []
    for i, group in enumerate(groups):
        lead = max(group, key=lambda r: r["priority"])
        lon, lat = to_wgs.transform(*lead["xy"])
        labels = pd.Series([r["label"] for r in group]).value_counts(sort=False)
        reason = ", ".join(f"{k} ({c})" if c > 1 else str(k) for k, c in labels.items())
        members = list(dict.fromkeys(str(r["name"]) for r in group if r["name"]))
        stops.append(
            WalkStop(
                order=i + 1,
                lon=float(lon),
                lat=float(lat),
                kind=lead["kind"],
                name=str(lead["name"] or lead["street"] or KIND_LABELS.get(lead["kind"], "")),
                reason=reason,
                distance_m=float(lead["distance_m"]),
                priority=float(sum(r["priority"] for r in group)),
                members=members,
                records=group,
            )
        )
    return stops


def plan_walk_in_area(
    area: Area,
    osm_file: str | Path | None = None,
    *,
    kommun: str | None = None,
    incidents_since: date | None = None,
    incidents_until: date | None = None,
    **kwargs: Any,
) -> WalkRoute:
    """Load the walkable network and features of ``area`` and plan a walk there.

    Polisen's incident notices of the municipality (``kommun``, else the area's, else the
    one at the centre by Lantmäteriet's boundaries) on the area's streets and squares become
    places; outside Sweden or without an archive the walk is planned without them.
    Other keyword arguments go to :func:`plan_walk`; the area's centre is the default centre.
    """
    from geodata.osm import load_features, load_network

    t0 = time.perf_counter()
    network = load_network(area, "walk", osm_file)
    if network.edges.empty:
        raise AreaNotCoveredError(f"Det finns inga gångbara vägar i {area.name}.")
    features = load_features(area, osm_file)
    if kwargs.get("centre") is None:
        if "center" in area.extra:
            kwargs["centre"] = area.extra["center"]
        else:
            c = area.wgs84.centroid
            kwargs["centre"] = (c.y, c.x)
    code = kommun or area.code or municipality_at(*kwargs["centre"])
    notices, span = None, None
    if code and kwargs.get("notices") is None:
        until = incidents_until or date.today()
        since = incidents_since or until - timedelta(days=DEFAULT_SPAN_DAYS)
        if since >= until:
            raise InvalidInputError("Händelsernas startdatum måste ligga före slutdatumet.")
        try:
            events = incident_events(code, since, until)
        except DataUnavailableError:
            events = None
        if events is not None:
            names = set(street_names(network.edges).dropna())
            if len(features):
                squares = features[features["kind"].isin(["square", "station"])]
                names |= set(squares["name"].dropna())
            notices = place_notices(events, names)
            kwargs["notices"] = notices
            span = (since.isoformat(), until.isoformat())
    loaded = time.perf_counter() - t0
    kwargs.setdefault("area_name", area.name)
    route = plan_walk(network, features, **kwargs)
    if route.incidents is not None:
        route.incident_span = span
    total = loaded + route.timings_s["total"]
    route.timings_s = {"load": loaded, **route.timings_s, "total": total}
    return route
