"""Maps for a trygghetsvandring: the planned loop, and the follow-up of its findings."""

from __future__ import annotations

from typing import Any

import folium
import shapely

from geodata import OSM_ATTRIBUTION
from service.render import escape
from service.render.maps._base import add_attribution, add_legend, number_icon
from service.render.maps.base_layer import base_for_extent
from service.render.static_map import LIT, UNLIT
from service.render.static_map import UNKNOWN as UNKNOWN_LIT

ROUTE = "#2c7fb8"

START = "#238b45"
STATUS_COLOURS = {"öppen": "#d7301f", "planerad": "#fe9929", "åtgärdad": "#1a9850"}


def walk_map(route: Any, tiles: str | None = "OpenStreetMap") -> folium.Map:
    """The loop with numbered stops and the unlit and unknown-lit stretches highlighted.

    Parameters
    ----------
    route
        A :class:`service.planning.walks.WalkRoute`.
    tiles
        ``None`` for the offline base layer only; otherwise OpenStreetMap tiles are offered
        as an optional layer over it (off by default).
    """
    coords = route.coords_wgs84
    base = base_for_extent(shapely.MultiPoint(coords), osm_tiles=tiles is not None)
    fmap = base.fmap
    folium.PolyLine(
        [(lat, lon) for lon, lat in coords.tolist()],
        color=ROUTE,
        weight=5,
        opacity=0.8,
        tooltip=escape.tooltip(f"Vandringsslinga, {route.length_km:.1f} km".replace(".", ",")),
    ).add_to(fmap)
    dark = folium.FeatureGroup(name="Belysning", show=True)
    for kind, colour, label in (
        ("lit", LIT, "Belyst (lit=yes)"),
        ("unlit", UNLIT, "Obelyst (lit=no)"),
        ("unknown_lit", UNKNOWN_LIT, "Belysning okänd – kontrollera"),
    ):
        sub = route.lighting_edges[route.lighting_edges["kind"] == kind]
        if len(sub):
            folium.GeoJson(
                sub[["kind", "length_m", "geometry"]].to_json(),
                name=label,
                style_function=lambda _f, c=colour: {"color": c, "weight": 7, "opacity": 0.9},
                tooltip=escape.tooltip(label),
            ).add_to(dark)
    dark.add_to(fmap)
    folium.Marker(
        [route.start[1], route.start[0]],
        icon=number_icon("S", START),
        tooltip=escape.tooltip("Samlingsplats (start och mål)"),
    ).add_to(fmap)
    for stop in route.stops:
        popup = (
            f"<b>{stop.order}. {escape.text(stop.name)}</b><br>{escape.text(stop.reason)}"
            f"<br>{stop.distance_m:.0f} m från start"
        )
        folium.Marker(
            [stop.lat, stop.lon],
            icon=number_icon(stop.order),
            tooltip=escape.tooltip(f"{stop.order}. {stop.name}"),
            popup=escape.popup(popup),
        ).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    add_legend(
        fmap,
        route.title or f"Trygghetsvandring, {len(route.stops)} stopp",
        [
            (LIT, "Belyst sträcka"),
            (UNLIT, "Obelyst sträcka"),
            (UNKNOWN_LIT, "Belysning okänd i OSM – kontrollera"),
            (START, "Samlingsplats"),
            *base.legend_entries(),
        ],
    )
    add_attribution(fmap, [route.attribution, *base.attributions])
    fmap.fit_bounds(
        [
            [float(coords[:, 1].min()), float(coords[:, 0].min())],
            [float(coords[:, 1].max()), float(coords[:, 0].max())],
        ]
    )
    return fmap


def findings_map(
    findings: Any,
    route: Any | None = None,
    attribution: list[str] | None = None,
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """Follow-up map: findings coloured by status (öppen, planerad, åtgärdad).

    Parameters
    ----------
    findings
        A :class:`service.followup.findings.FindingCollection` (or any iterable of findings).
    route
        The walk they were made on, drawn faintly for context.
    attribution
        Source lines to show besides OpenStreetMap.
    """
    from service.followup.findings import STATUS_LABELS, Status

    items = list(findings)
    if items:
        lat = sum(f.lat for f in items) / len(items)
        lon = sum(f.lon for f in items) / len(items)
    elif route is not None:
        lon, lat = route.start
    else:
        lat, lon = 62.0, 15.0
    fmap = folium.Map(location=[lat, lon], zoom_start=16 if items else 5, tiles=tiles)
    if route is not None:
        folium.PolyLine(
            [(y, x) for x, y in route.coords_wgs84.tolist()], color="#777", weight=3, opacity=0.6
        ).add_to(fmap)
    groups = {
        s: folium.FeatureGroup(name=f"{STATUS_LABELS[s]} ({sum(f.status == s for f in items)})")
        for s in Status
    }
    for f in items:
        deadline = f.deadline.isoformat() if f.deadline else "saknas"
        popup = (
            f"<b>{escape.text(f.category.value.capitalize())}</b> (allvarlighet {f.severity})<br>"
            f"{escape.text(f.description)}<br>Ansvarig: {escape.text(f.responsible.value)}<br>"
            f"Åtgärd: {escape.text(f.action or '–')}<br>Klart senast: {deadline}<br>"
            f"Status: {STATUS_LABELS[f.status]} (uppdaterad {f.updated.isoformat()})"
        )
        folium.CircleMarker(
            [f.lat, f.lon],
            radius=6 + f.severity,
            color="#222",
            weight=1,
            fill=True,
            fill_color=STATUS_COLOURS[f.status.value],
            fill_opacity=0.9,
            tooltip=escape.tooltip(f"{STATUS_LABELS[f.status]}: {f.description[:60]}"),
            popup=escape.popup(popup, max_width=280),
        ).add_to(groups[f.status])
    for group in groups.values():
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    add_legend(
        fmap,
        "Uppföljning av fynd",
        [(STATUS_COLOURS[s.value], STATUS_LABELS[s]) for s in Status],
    )
    labels = [route.attribution] if route is not None else [OSM_ATTRIBUTION]
    add_attribution(fmap, [*labels, *(attribution or [])])
    # Frame the findings together with the walk; a lone finding alone would zoom to the max.
    lats = [f.lat for f in items]
    lons = [f.lon for f in items]
    if route is not None:
        lons += route.coords_wgs84[:, 0].tolist()
        lats += route.coords_wgs84[:, 1].tolist()
    if lats:
        pad = 0.001  # about 100 m, so single points keep some surroundings
        fmap.fit_bounds([[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]])
    return fmap
