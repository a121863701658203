"""A planned walk and its numbered stops, with their JSON, GeoJSON and GPX shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import WGS84, transformer
from geodata.network import (
    Provenance,
)
from service.planning.walks.directions import Leg
from service.planning.walks.inputs import (
    KIND_LABELS,
)
from service.planning.walks.presets import DEFAULT_PURPOSE

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
        lon, lat = transformer(self.crs, WGS84).transform(xy[:, 0], xy[:, 1])
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
