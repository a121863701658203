"""Field exports of a checkpoint plan and its schedule: ICS, CSV, GPX, GeoPackage, map sketch.

Every export numbers the sites the same way (:class:`~service.planning.field.FieldSite`
``number``), so "Trafikkontroll 7" in the calendar is marker 7 on the map and row 7 in the
table. Times are Swedish local time (Europe/Stockholm).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import gpxpy.gpx
import numpy as np
import shapely
from icalendar import Calendar, Event

from geodata import WGS84, metric_crs_for
from service.planning.field import STATUS_SV, FieldEvent, FieldSite
from service.planning.schedule import LOCAL_TIME
from service.render.gpx import route_gpx


def _comma(value: float, digits: int = 6) -> str:
    """Swedish decimal comma."""
    return f"{value:.{digits}f}".replace(".", ",")


def schedule_ics(events: Sequence[FieldEvent], name: str, plan_id: int) -> bytes:
    """The schedule as an iCalendar file (RFC 5545) with a VTIMEZONE for Europe/Stockholm.

    Each event: SUMMARY "Trafikkontroll 7 – Rv 94 vid Vidsel", LOCATION (road and
    settlement), GEO, a DESCRIPTION with a ``geo:`` link and a UID stable across downloads.
    Cancelled events carry ``STATUS:CANCELLED``.
    """
    cal = Calendar()
    cal.add("prodid", "-//Löftesplan//loftesplan//SV")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(LOCAL_TIME))
    stamp = datetime.now(UTC).replace(microsecond=0)
    for e in events:
        site = e.site
        item = Event()
        item.add("uid", f"loftesplan-plan{plan_id}-event{e.event_id}@loftesplan")
        item.add("dtstamp", stamp)
        item.add("dtstart", e.start.astimezone(LOCAL_TIME))
        item.add("dtend", e.end.astimezone(LOCAL_TIME))
        item.add("summary", e.title)
        item.add("location", site.location)
        item.add("geo", (site.lat, site.lon))
        lines = [
            f"Plats {site.number}: {site.label}",
            f"Väg: {site.road}",
            f"Karta: {site.geo_uri}",
            f"Tidsblock: {e.block}",
        ]
        if site.reason:
            lines.append(f"Varför vald: {site.reason}")
        item.add("description", "\n".join(lines))
        if e.status == "cancelled":
            item.add("status", "CANCELLED")
        cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()


#: CSV headers, in Swedish.
CSV_HEADERS = [
    "Nr",
    "Plats nr",
    "Kontroll",
    "Väg",
    "Vägnamn",
    "Ort",
    "Datum",
    "Start",
    "Slut",
    "Tidsblock",
    "Gemensam insats",
    "Status",
    "Latitud",
    "Longitud",
]


def schedule_csv(events: Sequence[FieldEvent]) -> bytes:
    """The schedule for Swedish Excel: UTF-8 with BOM, ``;``-separated, decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for i, e in enumerate(events, start=1):
        site = e.site
        start, end = e.start.astimezone(LOCAL_TIME), e.end.astimezone(LOCAL_TIME)
        writer.writerow(
            [
                i,
                site.number,
                e.title,
                site.road_ref,
                site.road_name,
                site.settlement or "",
                start.date().isoformat(),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                e.block,
                "ja" if e.joint else "nej",
                STATUS_SV.get(e.status, e.status),
                _comma(site.lat),
                _comma(site.lon),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sites_gpx(sites: Sequence[FieldSite], name: str, description: str) -> str:
    """GPX 1.1 with one numbered waypoint per site ("7 Rv 94 vid Vidsel")."""
    waypoints = [
        gpxpy.gpx.GPXWaypoint(
            latitude=s.lat,
            longitude=s.lon,
            name=f"{s.number} {s.label}",
            description=s.location,
            symbol="Flag",
        )
        for s in sites
    ]
    return route_gpx(name, description, None, None, None, waypoints)


def _sites_frame(sites: Sequence[FieldSite]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "nr": [s.number for s in sites],
            "namn": [s.label for s in sites],
            "vag": [s.road_ref for s in sites],
            "vagnamn": [s.road_name for s in sites],
            "ort": [s.settlement or "" for s in sites],
            "skal": [s.reason for s in sites],
            "vag_km_inom_rackhall": [s.road_km_covered for s in sites],
        },
        geometry=gpd.points_from_xy([s.lon for s in sites], [s.lat for s in sites]),
        crs=WGS84,
    )


def plan_geopackage(
    sites: Sequence[FieldSite], covered: Any | None, uncovered: Any | None
) -> bytes:
    """A GeoPackage for QGIS: layer ``kontrollplatser`` and, when known, ``vagar`` (roads).

    Road rows carry ``inom_rackhall`` (1 within reach of a site, 0 beyond).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.gpkg"
        _sites_frame(sites).to_file(path, layer="kontrollplatser", driver="GPKG")
        if covered is not None and uncovered is not None:
            roads = gpd.GeoDataFrame(
                {"inom_rackhall": [1, 0]}, geometry=[covered, uncovered], crs=WGS84
            )
            roads = roads[~roads.geometry.is_empty]
            roads.to_file(path, layer="vagar", driver="GPKG")
        return path.read_bytes()


def overview_sketch(
    sites: Sequence[FieldSite],
    covered: Any | None,
    uncovered: Any | None,
    width: float = 180.0,
    height: float = 150.0,
) -> dict[str, Any]:
    """Projected shapes for a printable SVG overview (units: mm of the ``width × height`` box).

    Returns ``{"width", "height", "covered": [points], "uncovered": [points], "sites":
    [(number, x, y)], "scale_km", "scale_mm"}`` where each ``points`` is an SVG
    ``points`` string; the template draws them, so no markup is built here.
    """
    if not sites:
        return {"width": width, "height": height, "covered": [], "uncovered": [], "sites": []}
    lon = np.array([s.lon for s in sites])
    lat = np.array([s.lat for s in sites])
    crs = metric_crs_for(float(lon.mean()), float(lat.mean()))
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=WGS84).to_crs(crs)
    layers: dict[str, Any] = {}
    for key, geom in (("covered", covered), ("uncovered", uncovered)):
        if geom is None or shapely.is_empty(geom):
            layers[key] = []
            continue
        metric = gpd.GeoSeries([geom], crs=WGS84).to_crs(crs).iloc[0]
        layers[key] = list(shapely.get_parts(shapely.simplify(metric, 30.0)))
    every = [*pts.to_numpy(), *layers["covered"], *layers["uncovered"]]
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(every, dtype=object))
    span = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    margin = 6.0
    scale = min((width - 2 * margin) / span[0], (height - 2 * margin) / span[1])

    def xy(x: float, y: float) -> tuple[float, float]:
        return margin + (x - minx) * scale, height - margin - (y - miny) * scale

    def points(line: Any) -> str:
        return " ".join(
            f"{px:.1f},{py:.1f}" for px, py in (xy(x, y) for x, y in shapely.get_coordinates(line))
        )

    scale_km = _round_length(span[0] / 4000.0)
    return {
        "width": width,
        "height": height,
        "covered": [points(g) for g in layers["covered"]],
        "uncovered": [points(g) for g in layers["uncovered"]],
        "sites": [(s.number, *xy(p.x, p.y)) for s, p in zip(sites, pts.to_numpy(), strict=True)],
        "scale_km": scale_km,
        "scale_mm": scale_km * 1000.0 * scale,
    }


def _round_length(km: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k km) not above ``km``."""
    if km <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(km))
    return float(max(m for m in (1, 2, 5) if m * power <= km) * power)
