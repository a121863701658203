"""Map of an inspection round: the route, numbered stops with arrival times, skipped places."""

from __future__ import annotations

from typing import Any

import folium
import shapely

from service.render import escape
from service.render.maps._base import add_attribution, add_legend, number_icon
from service.render.maps.base_layer import base_for_extent

ROUTE = "#08519c"
STOP = "#d94801"


def round_map(
    plan: Any, extra_attribution: list[str] | None = None, tiles: str | None = "OpenStreetMap"
) -> folium.Map:
    """Folium map of a :class:`service.planning.rounds.Round` with Swedish labels and sources.

    Parameters
    ----------
    plan
        The round.
    extra_attribution
        Further source lines (e.g. the user's register).
    tiles
        None for the offline base layer only; otherwise OpenStreetMap tiles are offered as an
        optional layer over it (off by default).
    """
    coords = plan.coords_wgs84
    points = [tuple(plan.start), *map(tuple, coords.tolist())]
    base = base_for_extent(shapely.MultiPoint(points), osm_tiles=tiles is not None)
    fmap = base.fmap
    route = folium.FeatureGroup(name="Rutt", show=True)
    if len(coords) >= 2:
        folium.PolyLine(
            [(lat, lon) for lon, lat in coords.tolist()],
            color=ROUTE,
            weight=4,
            opacity=0.8,
            tooltip=escape.tooltip(f"{plan.title}: {plan.length_km:.2f} km"),
        ).add_to(route)
    folium.Marker(
        [plan.start[1], plan.start[0]],
        tooltip=escape.tooltip("Start och mål"),
        icon=folium.Icon(color="darkblue", icon="flag"),
    ).add_to(route)
    route.add_to(fmap)
    stops = folium.FeatureGroup(name="Besök", show=True)
    for stop in plan.stops:
        popup = (
            f"<b>{stop.order}. {escape.text(stop.name)}</b><br>"
            f"Ankomst {stop.arrival:%H:%M}, avfärd {stop.departure:%H:%M}<br>"
            f"Öppettider: {escape.text(stop.opening_hours or 'saknas i OSM')}"
        )
        folium.Marker(
            [stop.lat, stop.lon],
            icon=number_icon(stop.order, STOP),
            tooltip=escape.tooltip(f"{stop.order}. {stop.name} ({stop.arrival:%H:%M})"),
            popup=escape.popup(popup, max_width=280),
        ).add_to(stops)
    stops.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    mode = "bil, enkelriktning följs" if plan.mode == "drive" else "till fots"
    add_legend(
        fmap,
        f"{plan.title} {plan.start_time:%Y-%m-%d %H:%M}–{plan.end_time:%H:%M}",
        [
            (ROUTE, f"Rutt, {plan.length_km:.2f} km ({mode})"),
            (STOP, f"{len(plan.stops)} numrerade besök"),
        ]
        + ([("#999999", f"{len(plan.skipped)} platser ej med")] if len(plan.skipped) else [])
        + base.legend_entries(),
    )
    add_attribution(fmap, [plan.attribution, *base.attributions, *(extra_attribution or [])])
    if len(coords):
        fmap.fit_bounds(
            [[coords[:, 1].min(), coords[:, 0].min()], [coords[:, 1].max(), coords[:, 0].max()]]
        )
    return fmap
