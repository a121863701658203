"""Walk inputs: constants, weights per purpose, length, points and the walk area."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import LANTMATERIET_ATTRIBUTION, METRIC_CRS, WGS84, transformer
from geodata.area import Area
from geodata.errors import (
    InvalidInputError,
)
from geodata.network import (
    WALK_SPEED_KMH,
)
from geodata.osm.tags import KIND_NAMES
from service.planning.walks.presets import DEFAULT_PURPOSE, all_kinds, get_purpose

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
PAD_TRIALS = 48
#: Grid cell for place targets (m): one target per cell, the richest node; the others are
#: collected in passing. Keeps the number of Dijkstra sources down in dense centres.
PLACE_CELL_M = 50.0
#: Grid cell for waypoints on prize-rich streets (m).
WAYPOINT_CELL_M = 120.0
#: Penalty per 100 m walked twice, in priority units: keeps the loop a loop.
REPEAT_PENALTY_PER_100M = 4.0
#: Repeated length beyond this share of the target costs ``REPEAT_EXCESS_PENALTY`` more per
#: 100 m.
REPEAT_SOFT_SHARE = 0.22
REPEAT_EXCESS_PENALTY = 40.0
#: Evaluations the exact descent may spend on a walk that repeats more than the soft share.
REPAIR_WORK = 3000
#: Out-and-back tours the exact descent also starts from.
REPAIR_SEEDS = 8
#: When legs are routed again off the walk's other legs, those legs' edges look this many
#: times longer; at most this many passes over the legs.
REROUTE_COST = 3.0
REROUTE_PASSES = 3
#: Detours through a via node tried per leg and pass.
VIA_TRIALS = 12
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
#: Kinds weighed per 100 m walked.
STRETCH_KINDS = ("unlit", "unknown_lit", "footpath", "school_path")
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
        x, y = transformer(WGS84, METRIC_CRS).transform(lon, lat)
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
