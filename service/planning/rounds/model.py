"""A planned round and its stops, with their JSON and GPX shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geodata import WGS84, transformer
from geodata.network import (
    Provenance,
)

# --------------------------------------------------------------------------- round


@dataclass
class RoundStop:
    """One visit of the round."""

    order: int
    place_id: str
    name: str
    lon: float
    lat: float
    arrival: datetime
    departure: datetime
    opening_hours: str | None
    hours_state: str  # "taggade", "saknas", "ogiltiga"
    snap_m: float
    node: int  # OSM node id of the network point the visit is routed to

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of one stop."""
        return {
            "order": self.order,
            "place_id": self.place_id,
            "name": self.name,
            "lat": round(self.lat, 7),
            "lon": round(self.lon, 7),
            "arrival": self.arrival.isoformat(timespec="minutes"),
            "departure": self.departure.isoformat(timespec="minutes"),
            "opening_hours": self.opening_hours,
            "hours_state": self.hours_state,
        }


@dataclass
class Round:
    """A planned visit round.

    Attributes
    ----------
    node_ids
        OSM node ids of the closed route, first == last; consecutive ids are joined by an
        edge of the network that may be used in that direction.
    stops
        Visits in order with arrival and departure times.
    skipped
        Places not visited (``place_id``, ``name``, ``reason`` in Swedish).
    """

    node_ids: list[int]
    geometry: shapely.LineString
    crs: Any
    length_m: float
    travel_s: float
    start: tuple[float, float]  # lon, lat
    start_time: datetime
    end_time: datetime
    stops: list[RoundStop]
    skipped: pd.DataFrame
    mode: str
    provenance: Provenance
    title: str = "Tillsynsrunda"
    notes: list[str] = field(default_factory=list)

    @property
    def length_km(self) -> float:
        """Route length in km."""
        return self.length_m / 1000.0

    @property
    def attribution(self) -> str:
        """Source line for every output."""
        return self.provenance.label

    @property
    def coords_wgs84(self) -> np.ndarray:
        """``(n, 2)`` lon/lat of the route."""
        xy = shapely.get_coordinates(self.geometry)
        if not len(xy):
            return np.zeros((0, 2))
        lon, lat = transformer(self.crs, WGS84).transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def to_json(self) -> dict[str, Any]:
        """The object ``loftesplan round --json`` prints."""
        return {
            "title": self.title,
            "mode": self.mode,
            "length_km": round(self.length_km, 3),
            "travel_min": round(self.travel_s / 60.0, 1),
            "start": {"lat": round(self.start[1], 7), "lon": round(self.start[0], 7)},
            "start_time": self.start_time.isoformat(timespec="minutes"),
            "end_time": self.end_time.isoformat(timespec="minutes"),
            "stops": [s.to_dict() for s in self.stops],
            "skipped": self.skipped.to_dict(orient="records"),
            "route": [[round(x, 7), round(y, 7)] for x, y in self.coords_wgs84.tolist()],
            "attribution": self.attribution,
            "notes": self.notes,
        }

    def to_gpx(self) -> str:
        """GPX 1.1: the route as a track, the stops as numbered waypoints with arrival times."""
        import gpxpy.gpx

        from service.render.gpx import route_gpx

        return route_gpx(
            self.title,
            f"{self.length_km:.2f} km. {self.attribution}",
            self.coords_wgs84,
            self.start,
            "0 Start och mål",
            (
                gpxpy.gpx.GPXWaypoint(
                    latitude=s.lat,
                    longitude=s.lon,
                    name=f"{s.order} {s.name}"[:60],
                    time=s.arrival,
                    description=f"Ankomst {s.arrival:%H:%M}, öppettider: "
                    f"{s.opening_hours or 'okänt'}",
                )
                for s in self.stops
            ),
        )
