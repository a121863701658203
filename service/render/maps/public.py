"""The public coverage map: executed work per settlement or hexagon, never planned sites."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd

from geodata import WGS84
from geodata.area import Area
from service.followup.promises import KIND_LABELS_SV


def public_map(
    boundary: Area,
    areas: Sequence[dict[str, object]],
    settlements: gpd.GeoDataFrame | None = None,
    tiles: str | None = None,
) -> folium.Map:
    """Boundary, then one circle per settlement and one polygon per hexagon with counts.

    Parameters
    ----------
    boundary
        The municipality.
    areas
        Output of :func:`service.followup.progress.public_aggregate`.
    settlements
        Settlement polygons or points (EPSG:3006) to place settlement-level counts.
    tiles
        Optional base map tiles (e.g. ``"OpenStreetMap"``); none by default so the map works
        offline.
    """
    shape = boundary.wgs84
    minx, miny, maxx, maxy = shape.bounds
    fmap = folium.Map(tiles=tiles, control_scale=True)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        shape.__geo_interface__,
        name="Kommungräns",
        style_function=lambda _f: {"color": "#0b3d6e", "weight": 2, "fillOpacity": 0.03},
        tooltip=f"{boundary.name} ({boundary.attribution or boundary.source})",
    ).add_to(fmap)
    layer = folium.FeatureGroup(name="Utfört arbete").add_to(fmap)
    places = {}
    if settlements is not None and not settlements.empty:
        points = settlements.to_crs(WGS84).representative_point()
        places = dict(zip(settlements["name"], points, strict=True))
    for area in areas:
        label = KIND_LABELS_SV.get(str(area["kind"]), str(area["kind"]))
        text = f"{label}: {area['count']} (senast {area['latest_month']})"
        if area["level"] == "hexagon":
            ring = [[lat, lon] for lon, lat in area["boundary"]]  # type: ignore[union-attr]
            folium.Polygon(
                ring, color="#1b7f3b", fill=True, fill_opacity=0.35, tooltip=text
            ).add_to(layer)
        elif area["level"] == "tätort" and area["area"] in places:
            point = places[area["area"]]
            folium.CircleMarker(
                [point.y, point.x],
                radius=6 + min(int(area["count"]), 30),  # type: ignore[call-overload]
                color="#1b7f3b",
                fill=True,
                tooltip=f"{area['area']}: {text}",
            ).add_to(layer)
    folium.LayerControl(collapsed=False).add_to(fmap)
    attribution = boundary.attribution or boundary.source
    fmap.get_root().html.add_child(
        folium.Element(
            "<div style='position:fixed;bottom:6px;left:6px;z-index:999;background:#fff;"
            f"padding:2px 6px;font-size:11px'>Gräns: {attribution}. Utfört arbete: Källa: "
            "Polisen och kommunen. Visas sammanräknat och fördröjt.</div>"
        )
    )
    return fmap
