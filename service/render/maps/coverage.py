"""Coverage map of a checkpoint plan: roads within reach, sites, candidates, settlements."""

from __future__ import annotations

import json
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from geodata import WGS84
from service.planning.coverage import EXPLANATIONS
from service.render import escape
from service.render.maps._base import add_attribution, add_legend, add_panel, number_icon
from service.render.maps.base_layer import base_for_extent, base_map

COVERED = "#1a9850"
NOT_COVERED = "#d73027"
SITE = "#08306b"
#: Road geometry is simplified by this much (m) and rounded to ~1 m so a whole
#: municipality's map stays well under 5 MB of HTML.
SIMPLIFY_M = 15.0
_DECIMALS = 5


def road_layers(plan: Any) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Covered and uncovered roads as two merged, simplified WGS 84 multilines.

    Edges whose pieces all agree are drawn whole; only mixed edges are drawn piece by piece.
    """
    covered = np.zeros(len(plan.pieces), dtype=bool)
    covered[plan.coverage[plan.solution.selected].indices] = True
    edge = plan.pieces.edge
    n_edges = len(plan.network.edges)
    share = np.bincount(edge, weights=covered, minlength=n_edges) / np.maximum(
        np.bincount(edge, minlength=n_edges), 1
    )
    lines = plan.network.edges.geometry.to_numpy()
    mixed = (share > 0) & (share < 1)
    piece_lines = plan.pieces.lines(plan.network, vertices=3)
    piece_mixed = mixed[edge]
    out = []
    for state, whole in ((True, share == 1), (False, share == 0)):
        parts = np.concatenate([lines[whole], piece_lines[piece_mixed & (covered == state)]])
        merged = shapely.line_merge(shapely.multilinestrings(parts)) if len(parts) else None
        if merged is None:
            out.append(shapely.MultiLineString())
            continue
        # Per part and without topology preservation: on one huge multiline GEOS's
        # topology-preserving simplify is superlinear (minutes on a large municipality).
        simple = shapely.simplify(shapely.get_parts(merged), SIMPLIFY_M, preserve_topology=False)
        merged = shapely.multilinestrings(simple[~shapely.is_empty(simple)])
        wgs = gpd.GeoSeries([merged], crs=plan.network.edges.crs).to_crs(WGS84).iloc[0]
        out.append(shapely.set_precision(wgs, 10.0**-_DECIMALS))
    return out[0], out[1]


def _geojson(geom: shapely.Geometry, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        ],
    }


def _road_label(row: Any) -> str:
    parts = [str(v) for v in (row.get("ref"), row.get("name")) if isinstance(v, str) and v]
    return " ".join(parts) or str(row.get("highway") or "okänd väg")


def _fmt(value: Any, digits: int = 1, pct: bool = False) -> str:
    if value is None:
        return "–"
    if pct:
        return f"{100 * value:.{digits}f} %".replace(".", ",")
    return f"{value:.{digits}f}".replace(".", ",")


def _towns(code: str) -> gpd.GeoDataFrame | None:
    from geodata.municipalities import settlements

    towns = settlements(code)
    return None if towns.empty else towns


def coverage_map(
    plan: Any,
    metrics: dict[str, Any],
    show_candidates: bool = True,
    tiles: str | None = "OpenStreetMap",
    layers: tuple[shapely.Geometry, shapely.Geometry] | None = None,
) -> folium.Map:
    """A folium map of ``plan`` (:class:`~service.planning.checkpoints.CheckpointPlan`) in Swedish.

    Layers: Kommungräns/Område, Vägar inom räckhåll, Vägar utom räckhåll, Kontroller,
    Kandidatplatser (hidden by default), Tätorter; plus a metrics panel, legend and sources.
    ``layers`` are the plan's :func:`road_layers` when the caller already has them (a plan
    job stores them too; merging a large network's roads takes seconds).
    """
    # Terrain plans run on trails, not roads: say "led" where the map would say "väg".
    way, ways = ("väg", "vägar") if plan.network.kind == "drive" else ("led", "leder")
    sites = plan.sites.to_crs(WGS84)
    bounds = plan.network.edges.to_crs(WGS84).total_bounds
    labels = [plan.network.provenance.label]
    if plan.area is not None and plan.area.code:
        # The shared offline base layer: land, water, neighbours, labelled settlements; OSM
        # tiles only as an optional layer, off by default on the police side.
        base = base_map(
            plan.area.code,
            _towns(plan.area.code),
            osm_tiles=tiles is not None,
            prefer_canvas=True,
        )
    else:
        # No municipality: the base of wherever the network lies (its extent abroad).
        base = base_for_extent(
            shapely.box(*bounds), osm_tiles=tiles is not None, prefer_canvas=True
        )
    fmap = base.fmap
    labels += base.attributions
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])

    area = plan.area
    if area is not None:
        boundary = folium.FeatureGroup(name="Kommungräns" if area.code else "Område")
        folium.GeoJson(
            # No name in the data: the tooltip carries it, escaped (a place name typed by a
            # user would otherwise reach the page raw, and branca compiles the rendered script).
            _geojson(area.wgs84, {}),
            style_function=lambda _: {
                "color": "#444",
                "weight": 2,
                "fill": False,
                "dashArray": "6",
            },
            tooltip=escape.tooltip(area.name),
        ).add_to(boundary)
        boundary.add_to(fmap)
        labels.append(area.attribution)

    covered, uncovered = layers if layers is not None else road_layers(plan)
    radius_txt = (
        f"{plan.radius / 1000:.1f} km".replace(".", ",")
        if plan.mode == "length"
        else f"{plan.radius / 60:.0f} min"
    )
    for geom, name, colour in (
        (covered, f"{ways.capitalize()} inom {radius_txt} (täckt)", COVERED),
        (uncovered, f"{ways.capitalize()} utom räckhåll (inte täckt)", NOT_COVERED),
    ):
        group = folium.FeatureGroup(name=name)
        folium.GeoJson(
            _geojson(geom, {"status": name}),
            style_function=lambda _, c=colour: {"color": c, "weight": 2, "opacity": 0.8},
            smooth_factor=1.5,
        ).add_to(group)
        group.add_to(fmap)

    if show_candidates and len(plan.candidates):
        cands = plan.candidates.to_crs(WGS84)[["reason", "geometry"]].copy()
        cands["geometry"] = shapely.set_precision(cands.geometry.to_numpy(), 10.0**-_DECIMALS)
        group = folium.FeatureGroup(name="Kandidatplatser", show=False)
        folium.GeoJson(
            escape.geojson_text(cands.rename(columns={"reason": "varför"}), ["varför"]).to_json(),
            marker=folium.CircleMarker(radius=3, color="#777", fill=True, fill_opacity=0.6),
            tooltip=folium.GeoJsonTooltip(fields=["varför"], aliases=["Kandidat:"]),
        ).add_to(group)
        group.add_to(fmap)

    if plan.settlements is not None and len(plan.settlements):
        sett = plan.settlements.to_crs(WGS84)[["name", "population", "geometry"]].copy()
        sett["population"] = sett["population"].fillna(0).astype(int)
        group = folium.FeatureGroup(name="Tätorter och bebyggelse")
        folium.GeoJson(
            escape.geojson_text(
                sett.rename(columns={"name": "namn", "population": "invånare"}), ["namn"]
            ).to_json(),
            style_function=lambda _: {"color": "#6a3d9a", "weight": 1, "fillOpacity": 0.15},
            marker=folium.CircleMarker(radius=5, color="#6a3d9a", fill=True),
            tooltip=folium.GeoJsonTooltip(fields=["namn", "invånare"], aliases=["Ort:", "Inv.:"]),
        ).add_to(group)
        group.add_to(fmap)

    group = folium.FeatureGroup(name="Kontroller")
    src = plan.sites
    # Numbered 1..K in plan order: the same numbers as every field export.
    for number, ((_, row), pt) in enumerate(
        zip(src.iterrows(), sites.geometry, strict=True), start=1
    ):
        popup = (
            f"<b>Kontroll {number}</b><br>"
            f"Varför vald: {escape.text(row['reason'])}<br>"
            f"{way.capitalize()}: {escape.text(_road_label(row))}<br>"
            f"Täcker {_fmt(row['road_km_covered'])} km {way} inom {radius_txt}"
        )
        folium.Marker(
            [pt.y, pt.x],
            icon=number_icon(number, SITE),
            popup=escape.popup(popup),
            tooltip=escape.tooltip(f"Kontroll {number}"),
        ).add_to(group)
    group.add_to(fmap)

    m = metrics
    per_site = " / ".join(_fmt(m.get(f"road_km_per_site_{k}")) for k in ("min", "median", "max"))
    rows: list[tuple[str, str, str | None]] = [
        ("Kontroller", str(len(plan.sites)), "sites_used"),
        ("Räckvidd", radius_txt + " längs vägnätet", None),
        ("Väg totalt", f"{_fmt(m['road_km_total'], 0)} km", "road_km_total"),
        ("Väg inom räckhåll", f"{_fmt(m['road_km_covered'], 0)} km", "road_km_covered"),
        ("Andel väg täckt", _fmt(m["share_road_km_covered"], 1, pct=True), "share_road_km_covered"),
        (
            "Andel invånare i tätorter nådda",
            _fmt(m["share_population_covered"], 1, pct=True),
            "share_population_covered",
        ),
        (
            "Orter nådda",
            "–"
            if m["settlements_total"] is None
            else f"{m['settlements_reached']} av {m['settlements_total']}",
            "settlements_reached",
        ),
        ("Största lucka", f"{_fmt(m['largest_gap_km'])} km", "largest_gap_km"),
        ("Vägkm per kontroll: minst / median / störst", f"{per_site} km", "road_km_per_site"),
        (
            "Medelavstånd till kontroll",
            f"{_fmt(m.get('mean_distance_km'), 2)} km",
            "mean_distance_km",
        ),
        ("Spridning (CV)", _fmt(m.get("road_km_per_site_cv"), 2), "road_km_per_site_cv"),
    ]
    cert = getattr(getattr(plan, "solution", None), "certificate", None)
    if cert is not None:
        rows.append(("Från bästa möjliga", f"högst {_fmt(cert.gap, 1, pct=True)}", "gap"))
    if getattr(plan, "risk", None) is not None:
        rows.append(
            (plan.risk.label.capitalize(), _fmt(plan.risk_share, 1, pct=True), "risk_share")
        )
    table = "".join(
        f"<tr><td>{escape.text(k)}"
        + (
            f"<br><span style='font-size:10px;color:#555'>{escape.text(EXPLANATIONS[key])}</span>"
            if key
            else ""
        )
        + f"</td><td style='text-align:right;vertical-align:top'><b>{escape.text(v)}</b></td></tr>"
        for k, v, key in rows
    )
    add_panel(
        fmap,
        f"<b>Trafikkontroller – utspritt över hela området</b><table>{table}</table>",
        "topleft",
        "lp-metrics",
    )
    add_legend(
        fmap,
        "Teckenförklaring",
        [
            (COVERED, f"{way} inom räckhåll"),
            (NOT_COVERED, f"{way} utom räckhåll"),
            (SITE, "kontroll"),
            *base.legend_entries(),
        ],
    )
    add_attribution(fmap, labels)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap
