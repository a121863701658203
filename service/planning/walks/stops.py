"""Stops people can use: merged, named by street or square, at most about 12 for 2.5 km.

Also the meeting point's name and the walk's title ("Trygghetsvandring i Norrmalm, 2,5 km,
start Sergels torg").
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geodata import WGS84
from geodata.osm.tags import KIND_NAMES, kind_name

#: Places closer than this along the route are one stop (m).
STOP_MERGE_M = 75.0
#: Stops per km of walk (12 for 2.5 km).
STOPS_PER_KM = 4.8
#: A square, station or park this close to a stop (m) names it.
NAME_BY_PLACE_M = 60.0
#: A meeting point is named by a square or station this close (m), else a bus stop.
MEETING_PLACE_M = 120.0
MEETING_BUS_STOP_M = 60.0
_SQUARE_NAME = re.compile(r"(torg|torget|platsen|plan|plaza|aukio|tori)$", re.IGNORECASE)
_NAMING_KINDS = ("square", "station", "park", "school", "playground", "youth_centre")
#: Kinds counted on a stop ("3 utskänkningsställen vid Kungsgatan 20–30").
_COUNTED_KINDS = ("venue", "bus_stop", "shop", "crossing", "taxi")


def max_stops(length_km: float) -> int:
    """How many stops a walk of ``length_km`` gets at most (12 for 2.5 km, at least 3)."""
    return max(3, round(STOPS_PER_KM * length_km))


def fmt_km(km: float) -> str:
    """``2.46`` -> ``"2,5"`` (Swedish decimal comma, one decimal)."""
    return f"{km:.1f}".replace(".", ",")


def _housenumber(text: Any) -> int | None:
    match = re.match(r"\s*(\d+)", str(text)) if isinstance(text, str) else None
    return int(match.group(1)) if match else None


def _street_of(group: list[dict[str, Any]]) -> str | None:
    streets = [r.get("addr_street") for r in group if isinstance(r.get("addr_street"), str)]
    if streets:
        return Counter(streets).most_common(1)[0][0]
    walked = [r.get("street") for r in group if r.get("street")]
    return walked[0] if walked else None


def stop_name(group: list[dict[str, Any]], place_names: list[tuple[str, str]]) -> str:
    """Name of a merged stop: a place nearby, a count of venues on a block, or the street.

    Parameters
    ----------
    group
        Records merged into the stop (``kind``, ``name``, ``street``, ``addr_street``,
        ``housenumber``).
    place_names
        ``(kind, name)`` of named squares, stations and parks near the stop, nearest first.
    """
    street = _street_of(group)
    counts = Counter(r["kind"] for r in group)
    for kind in _COUNTED_KINDS:
        many = kind_name(kind, plural=True)
        n = counts.get(kind, 0)
        if n >= 2 and n * 2 >= len(group):
            where = street or (place_names[0][1] if place_names else None)
            numbers = sorted(
                {
                    h
                    for r in group
                    if r["kind"] == kind and r.get("addr_street") == where
                    for h in [_housenumber(r.get("housenumber"))]
                    if h is not None
                }
            )
            span = ""
            if len(numbers) >= 2:
                span = f" {numbers[0]}–{numbers[-1]}"
            elif len(numbers) == 1:
                span = f" {numbers[0]}"
            return f"{n} {many} vid {where}{span}" if where else f"{n} {many}"
    for kind in _NAMING_KINDS:
        named = [r["name"] for r in group if r["kind"] == kind and isinstance(r["name"], str)]
        if named:
            return named[0]
    if place_names:
        return place_names[0][1]
    lead = max(group, key=lambda r: r["priority"])
    if street:
        label = kind_name(lead["kind"]) if lead["kind"] in KIND_NAMES else None
        if lead["kind"] in ("unlit", "unknown_lit", "tunnel", "incident"):
            return street
        name = lead["name"] if isinstance(lead["name"], str) and lead["name"] else label
        return f"{street} ({name})" if name and name != street else street
    return str(lead["name"])


def merge_stops(records: list[dict[str, Any]], gap_m: float = STOP_MERGE_M) -> list[list[dict]]:
    """Group records (sorted by ``distance_m``) that follow each other within ``gap_m``."""
    groups: list[list[dict[str, Any]]] = []
    for rec in records:
        if groups and rec["distance_m"] - groups[-1][0]["distance_m"] <= gap_m:
            groups[-1].append(rec)
        else:
            groups.append([rec])
    return groups


def cap_stops(groups: list[list[dict]], limit: int) -> list[list[dict]]:
    """The ``limit`` groups with the most priority, kept in route order."""
    if len(groups) <= limit:
        return groups
    score = np.asarray([sum(r["priority"] for r in g) for g in groups])
    keep = np.sort(np.argsort(-score, kind="stable")[:limit])
    return [groups[i] for i in keep]


def named_places(features: gpd.GeoDataFrame | None, crs: Any) -> gpd.GeoDataFrame:
    """Named squares, stations, parks and bus stops as points in ``crs``."""
    if features is None or not len(features):
        return gpd.GeoDataFrame({"kind": [], "name": []}, geometry=[], crs=crs)
    sub = features[
        features["kind"].isin(["square", "station", "park", "bus_stop"]) & features["name"].notna()
    ].to_crs(crs)
    return gpd.GeoDataFrame(
        {"kind": sub["kind"].to_numpy(), "name": sub["name"].to_numpy()},
        geometry=shapely.point_on_surface(sub.geometry.to_numpy()),
        crs=crs,
    ).reset_index(drop=True)


def places_near(
    places: gpd.GeoDataFrame, xy: np.ndarray, radius_m: float, kinds: tuple[str, ...]
) -> list[tuple[str, str]]:
    """``(kind, name)`` of places of ``kinds`` within ``radius_m`` of ``xy``, nearest first."""
    if not len(places):
        return []
    kind = places["kind"].to_numpy()
    name = places["name"].to_numpy()
    pts = shapely.get_coordinates(places.geometry.to_numpy())
    d = np.hypot(pts[:, 0] - xy[0], pts[:, 1] - xy[1])
    hit = np.flatnonzero(np.isin(kind, kinds) & (d <= radius_m))
    hit = hit[np.lexsort((name[hit].astype(str), d[hit]))]
    return [(str(kind[i]), str(name[i])) for i in hit]


def meeting_point_name(
    xy: np.ndarray,
    places: gpd.GeoDataFrame,
    streets_here: list[str],
    streets_near: list[tuple[float, str]],
) -> str:
    """The meeting point named by the nearest square or station, bus stop or street corner.

    Parameters
    ----------
    xy
        The meeting point (metric CRS).
    places
        :func:`named_places`.
    streets_here
        Names of the streets meeting at the start node.
    streets_near
        ``(distance, name)`` of named streets near the start, nearest first.
    """
    squares = [n for _d, n in streets_near if _SQUARE_NAME.search(n) and _d <= MEETING_PLACE_M]
    near = places_near(places, xy, MEETING_PLACE_M, ("square", "station"))
    if near:
        return near[0][1]
    if squares:
        return squares[0]
    stops = places_near(places, xy, MEETING_BUS_STOP_M, ("bus_stop",))
    if stops:
        return f"hållplats {stops[0][1]}"
    here = list(dict.fromkeys(streets_here))
    if len(here) >= 2:
        return f"hörnet {here[0]}/{here[1]}"
    names = list(dict.fromkeys(n for _d, n in streets_near))
    if here and len(names) >= 2:
        other = next(n for n in names if n != here[0])
        return f"{here[0]} vid {other}"
    if names:
        return names[0]
    return ""


def walk_title(district: str | None, length_km: float, meeting: str) -> str:
    """``"Trygghetsvandring i Norrmalm, 2,5 km, start Sergels torg"``."""
    parts = [f"Trygghetsvandring i {district}" if district else "Trygghetsvandring"]
    parts.append(f"{fmt_km(length_km)} km")
    if meeting:
        parts.append(f"start {meeting}")
    return ", ".join(parts)


@cache
def _lantmateriet(name: str, columns: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    from geodata.settings import get_settings

    path = get_settings().lantmateriet_path(name)
    if path is None:
        return None
    return gpd.read_file(f"zip://{path}")[[*columns, "geometry"]]


def _polygon_at(name: str, column: str, lat: float, lon: float) -> str | None:
    polygons = _lantmateriet(name, (column,))
    if polygons is None:
        return None
    point = gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84).to_crs(polygons.crs).iloc[0]
    hit = polygons[polygons.contains(point)]
    return str(hit[column].iloc[0]) if len(hit) else None


def municipality_at(lat: float, lon: float) -> str | None:
    """The kommun code at a point (Lantmäteriet's boundaries), or None outside Sweden."""
    return _polygon_at("ak_riks.zip", "KOM_KOD", lat, lon)


def district_name(
    features: gpd.GeoDataFrame | None, centre_xy: np.ndarray, crs: Any, lat: float, lon: float
) -> str | None:
    """The part of town the walk is in.

    The nearest OSM suburb, quarter or neighbourhood within 1.5 km, else Lantmäteriet's
    settlement (tätort) at the centre.
    """
    if features is not None and len(features) and "place" in features:
        sub = features[
            (features["kind"] == "place")
            & features["place"].isin(["suburb", "quarter", "neighbourhood"])
            & features["name"].notna()
        ].to_crs(crs)
        if len(sub):
            d = sub.geometry.distance(shapely.Point(*centre_xy)).to_numpy()
            if d.min() <= 1500.0:
                return str(sub["name"].iloc[int(np.argmin(d))])
    return _polygon_at("mb_riks.zip", "NAMN1", lat, lon)
