"""The public map: settlements reached by executed checks, on the offline base layer.

Never planned sites: only executed work, aggregated by settlement (or H3 hexagon for
registered work without a settlement) and delayed. Details open on click, not hover, so the
map works on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd

from geodata import WGS84
from geodata.network import Network
from service.followup.promises import KIND_LABELS_SV, ActivityKind
from service.render import escape
from service.render import format as fmt
from service.render.maps._base import add_attribution, add_legend
from service.render.maps.base_layer import base_map

_KINDS = {k.value for k in ActivityKind}
REACHED = "#1b7f3b"
NOT_REACHED = "#8a8f96"
REGISTERED = "#6a3d9a"


LEGEND = [
    (REACHED, "Ort med kontroll inom 5 km (antal kontroller)"),
    (NOT_REACHED, "Ort utan kontroll inom 5 km: inga kontroller"),
    (REGISTERED, "Registrerat utfört arbete (område)"),
    ("#0b3d6e", "Kommungräns"),
    ("#b9d3ea", "Vatten (sjöar och hav inom kommunen)"),
    ("#e6e3da", "Grannkommun"),
]


@dataclass(frozen=True)
class PublicMap:
    """The rendered map's parts: the folium map, its legend and attribution lines.

    The page shows legend and attribution as HTML beside the map (readable, printable and
    reachable by screen readers); standalone HTML files get them as map panels.
    """

    fmap: folium.Map
    attributions: list[str]
    legend: list[tuple[str, str]]

    def standalone(self) -> folium.Map:
        """The map with legend and attribution drawn on it (for a file of its own)."""
        add_legend(self.fmap, "Teckenförklaring", self.legend)
        add_attribution(self.fmap, self.attributions)
        return self.fmap


def _popup(text: str) -> folium.Popup:
    return escape.text_popup(text)


def public_map(
    code: str,
    towns: gpd.GeoDataFrame,
    reach: dict[str, int],
    areas: Sequence[dict[str, object]] = (),
    caption: str = "",
    sources: Sequence[str] = (),
    network: Network | None = None,
) -> PublicMap:
    """Settlements green with their count of checks within reach, grey with "inga kontroller".

    Parameters
    ----------
    code
        Municipality code.
    towns
        Its settlements (EPSG:3006).
    reach
        Settlement name → executed checks within reach (from the national record).
    areas
        Registered executed work (:func:`service.followup.progress.public_aggregate` areas).
    caption
        What ``reach`` covers ("Polisens trafikkontroller 2025").
    sources
        Further attribution lines (Polisen with its data date).
    network
        The cached road network, drawn faintly when there is one.
    """
    base = base_map(code, towns, network=network)
    fmap = base.fmap
    layer = folium.FeatureGroup(name=caption or "Utfört arbete").add_to(fmap)
    if not towns.empty:
        wgs = towns.to_crs(WGS84)
        for (_, town), geom in zip(towns.iterrows(), wgs.geometry, strict=True):
            name = str(town["name"])
            checks = reach.get(name, 0)
            text = (
                f"{name}: {fmt.number(checks)} kontroller inom 5 km"
                if checks
                else f"{name}: inga kontroller"
            )
            colour = REACHED if checks else NOT_REACHED
            folium.GeoJson(
                geom.__geo_interface__,
                style_function=lambda _f, c=colour: {
                    "color": c,
                    "weight": 2,
                    "fillColor": c,
                    "fillOpacity": 0.55,
                },
                popup=_popup(text),
            ).add_to(layer)
            if checks:
                point = geom.representative_point()
                folium.CircleMarker(
                    [point.y, point.x],
                    radius=7 + min(checks, 20) / 2,
                    color="#fff",
                    weight=2,
                    fill=True,
                    fill_color=REACHED,
                    fill_opacity=1,
                    popup=_popup(text),
                ).add_to(layer)
    registered = folium.FeatureGroup(name="Registrerat utfört arbete").add_to(fmap)
    for area in areas:
        kind = str(area["kind"])
        label = KIND_LABELS_SV.get(ActivityKind(kind), kind) if kind in _KINDS else kind
        count = area["count"]
        text = f"{label}: {fmt.number(count if isinstance(count, int) else None)}"
        text += f" (senast {area['latest_month']})"
        boundary = area.get("boundary")
        if area["level"] == "hexagon" and isinstance(boundary, list):
            ring = [[lat, lon] for lon, lat in boundary]
            folium.Polygon(
                ring, color=REGISTERED, fill=True, fill_opacity=0.35, popup=_popup(text)
            ).add_to(registered)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return PublicMap(fmap, [*base.attributions, *sources], LEGEND)
