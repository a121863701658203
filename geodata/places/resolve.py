"""Resolving a place phrase to a point inside the municipality, most specific first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata import METRIC_CRS, OSM_ATTRIBUTION
from geodata.network import Network
from geodata.places.gazetteer import Gazetteer, gazetteer
from geodata.places.model import (
    _GENERIC,
    _KIND_LABEL,
    _SQUARE_RE,
    _TO_WGS84,
    JUNCTION_M,
    LEVEL_RANK,
    NEAR_SETTLEMENT_M,
    GeocodeResult,
    Level,
    _variants,
    normalise,
)
from geodata.places.phrases import _parse

# --- resolution ---------------------------------------------------------------------------


def _lonlat(point: BaseGeometry) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(point.x, point.y)
    return float(lat), float(lon)


def _point_in(geom: BaseGeometry, boundary: BaseGeometry) -> BaseGeometry | None:
    """A point of ``geom`` inside ``boundary`` (its representative point when possible)."""
    inside = shapely.intersection(geom, boundary)
    if inside.is_empty:
        return None
    if inside.geom_type in ("LineString", "MultiLineString"):
        merged = shapely.line_merge(inside) if inside.geom_type == "MultiLineString" else inside
        parts = shapely.get_parts(merged)
        longest = parts[np.argmax(shapely.length(parts))]
        point = shapely.line_interpolate_point(longest, 0.5, normalized=True)
    else:
        point = shapely.point_on_surface(inside)
    return point if boundary.covers(point) else None


def _to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return (
        gdf if gdf.crs is not None and gdf.crs.to_string() == METRIC_CRS else gdf.to_crs(METRIC_CRS)
    )


def _edges_named(network: Network | None, key: str) -> gpd.GeoDataFrame | None:
    if network is None or network.edges.empty or "name" not in network.edges:
        return None
    names = network.edges["name"].astype("string").str.casefold().str.replace("-", " ")
    hit = network.edges[(names == key).fillna(False).to_numpy()]
    return _to_metric(hit) if not hit.empty else None


def _edges_ref(network: Network | None, ref: str) -> gpd.GeoDataFrame | None:
    if network is None or network.edges.empty or "ref" not in network.edges:
        return None
    refs = (
        network.edges["ref"].astype("string").str.upper().str.replace(r"\s*;\s*", ";", regex=True)
    )
    wanted = ref.upper()
    pattern = rf"(?:^|;){re.escape(wanted)}(?:;|$)"
    # "E45" without space also occurs in OSM
    alt = rf"(?:^|;){re.escape(wanted.replace(' ', ''))}(?:;|$)"
    mask = (refs.str.contains(pattern, regex=True) | refs.str.contains(alt, regex=True)).fillna(
        False
    )
    hit = network.edges[mask.to_numpy()]
    return _to_metric(hit) if not hit.empty else None


def _features_named(features: gpd.GeoDataFrame | None, key: str) -> gpd.GeoDataFrame | None:
    if features is None or features.empty or "name" not in features:
        return None
    names = features["name"].astype("string").str.casefold().str.replace("-", " ")
    hit = features[(names == key).fillna(False).to_numpy()]
    if "kind" in hit:
        # Bus stops and stations borrow the name of the square they stand on.
        places = hit[hit["kind"].isin(("square", "place"))]
        hit = places if not places.empty else hit
    return _to_metric(hit) if not hit.empty else None


def _near(
    geoms: gpd.GeoDataFrame, around: BaseGeometry | None, boundary: BaseGeometry
) -> BaseGeometry | None:
    """Union of ``geoms`` inside the boundary (and near ``around`` when given)."""
    arr = geoms.geometry.to_numpy()
    keep = shapely.intersects(boundary, arr)
    if around is not None:
        keep &= shapely.dwithin(arr, around, NEAR_SETTLEMENT_M)
    if not keep.any():
        return None
    return shapely.intersection(shapely.union_all(arr[keep]), boundary)


def geocode(
    phrase: str,
    municipality: str,
    osm_file: str | Path | None = None,
    features: gpd.GeoDataFrame | None = None,
    network: Network | None = None,
) -> GeocodeResult:
    """Place ``phrase`` inside ``municipality``.

    Parameters
    ----------
    phrase
        A Swedish place phrase: "Hoting", "centrala Åre by", "Järnvägsgatan i Strömsund",
        "E45", "länsväg 342", "Vattudalstorget", "skolor", "i hela kommunen".
    municipality
        Name or code of a kommun ("Strömsund", "2313").
    osm_file
        An OSM extract to read streets, road numbers and features from (when ``network`` or
        ``features`` are not given).
    features, network
        Already loaded OSM features and network (any metric CRS), to geocode many phrases.

    Returns
    -------
    GeocodeResult
        Never a point outside the municipality; ``unresolved`` with a reason otherwise.

    Raises
    ------
    UnknownMunicipalityError
        If ``municipality`` names no kommun.
    """
    from geodata import municipalities

    muni = municipalities.find_municipality(str(municipality))
    gaz = gazetteer(muni.code)
    if osm_file is not None:
        from geodata import osm

        # The file's whole extent: a gazetteer may use an extract that covers only part of
        # the municipality (the planners refuse that; every hit is clipped to the boundary).
        if network is None:
            network = osm.load_network(None, kind="walk", osm_file=osm_file)
        if features is None:
            features = osm.load_features(None, osm_file=osm_file)
    return _resolve(phrase, gaz, network, features)


def _result(phrase: str, gaz: Gazetteer, level: Level, **kw: Any) -> GeocodeResult:
    point = kw.pop("point", None)
    if point is not None:
        kw["lat"], kw["lon"] = _lonlat(point)
    return GeocodeResult(phrase=phrase, level=level, municipality=gaz.code, **kw)


def _resolve(
    phrase: str,
    gaz: Gazetteer,
    network: Network | None,
    features: gpd.GeoDataFrame | None,
) -> GeocodeResult:
    boundary = gaz.boundary.geometry
    if not phrase or not phrase.strip():
        return _result(phrase, gaz, "unresolved", reason="Tom platsbeskrivning.")
    parts = _parse(phrase, gaz)
    has_osm = network is not None or features is not None

    settlement = None  # best settlement row
    if parts.settlements:
        hits = parts.settlements[0][2]
        settlement = hits.iloc[0]
    around = settlement.geometry if settlement is not None else None

    # Named ways and features: streets, squares, numbered roads.
    lines: list[tuple[str, BaseGeometry, Level]] = []  # (label, geometry, level)
    missing: list[str] = []
    for ref, label in parts.roads:
        hit = _edges_ref(network, ref)
        geom = _near(hit, around, boundary) if hit is not None else None
        if geom is None and hit is not None and around is not None:
            geom = _near(hit, None, boundary)
        if geom is not None:
            lines.append((label, geom, "road"))
        else:
            missing.append(label)
    for spellings in parts.streets:
        geom = None
        for street in spellings:
            key = normalise(street)
            lookups = [_edges_named, _features_named]
            if _SQUARE_RE.search(key):  # a square is a feature first, its paving second
                lookups.reverse()
            for lookup in lookups:
                hit = lookup(network if lookup is _edges_named else features, key)
                if hit is not None and (geom := _near(hit, around, boundary)) is not None:
                    break
            if geom is not None:
                break
        street = spellings[0] if geom is None else street
        if geom is not None:
            linear = geom.geom_type in ("LineString", "MultiLineString")
            level: Level = "street" if linear else "point"
            lines.append((street, geom, level))
        else:
            missing.append(street)
    if not lines and not parts.settlements:
        # Named places that are neither streets nor settlements ("Östermalmstorg").
        for name in parts.names:
            hit = _features_named(features, normalise(name))
            if hit is not None and (geom := _near(hit, None, boundary)) is not None:
                lines.append((name, geom, "point"))
                break

    if lines:
        src = "osm"
        if len(lines) >= 2:
            a, b = lines[0][1], lines[1][1]
            if shapely.distance(a, b) <= JUNCTION_M:
                pa, pb = _nearest(a, b)
                point = shapely.centroid(shapely.multipoints([pa, pb]))
                if boundary.covers(point):
                    return _result(
                        phrase,
                        gaz,
                        "point",
                        point=point,
                        name=f"{lines[0][0]} / {lines[1][0]}",
                        source=src,
                        confidence=0.9,
                        geometry=point,
                    )
        label, geom, level = min(lines, key=lambda item: -LEVEL_RANK[item[2]])
        if around is not None:
            point = _nearest(geom, around.centroid)[0]
            conf = 0.8 if level != "road" else 0.7
        else:
            point = _point_in(geom, boundary)
            conf = {"point": 0.85, "street": 0.6, "road": 0.45}[level]
        if point is not None and boundary.covers(point):
            name = label if settlement is None else f"{label}, {settlement['name']}"
            return _result(
                phrase,
                gaz,
                level,
                point=point,
                name=name,
                source=src,
                confidence=conf,
                geometry=geom,
            )

    if parts.kinds:
        kind = parts.kinds[0]
        label = _KIND_LABEL.get(kind, kind)
        if features is not None:
            sel = _features_of_kind(features, kind)
            if sel is not None:
                arr = _to_metric(sel).geometry.to_numpy()
                pts = shapely.point_on_surface(arr)
                keep = shapely.covers(boundary, pts)
                if around is not None:
                    keep &= shapely.dwithin(pts, around, NEAR_SETTLEMENT_M)
                if keep.any():
                    where = "" if settlement is None else f" i {settlement['name']}"
                    return _result(
                        phrase,
                        gaz,
                        "features",
                        name=f"{label}{where}",
                        source="osm",
                        confidence=0.8,
                        geometry=shapely.multipoints(pts[keep]),
                        count=int(keep.sum()),
                    )
        if settlement is None:
            why = (
                f"Inga {label} i OSM-datan inom {gaz.boundary.name}."
                if has_osm
                else f"Platstypen {label!r} kräver OSM-data (ange en OSM-fil)."
            )
            return _result(phrase, gaz, "unresolved", reason=why)
        missing.append(label)

    if settlement is not None:
        point = _settlement_point(gaz, settlement, boundary)
        if point is not None:
            namesake = settlement["key"] == normalise(gaz.name)
            conf = 0.9 if settlement["rank"] == 0 else 0.8
            if namesake and not re.search(r"\bcentr", phrase, re.IGNORECASE):
                conf -= 0.15  # "Strömsund" may mean the town or the whole kommun
            if namesake and parts.municipality:
                conf -= 0.2
            reason = None
            if missing:
                conf = min(conf, 0.5)
                what = ", ".join(missing)
                reason = (
                    f"{what} hittades inte i OSM-datan; orten används i stället."
                    if has_osm
                    else f"{what} kan inte läggas ut utan OSM-data; orten används i stället."
                )
            return _result(
                phrase,
                gaz,
                "settlement",
                point=point,
                name=str(settlement["name"]),
                source=str(settlement["source"]),
                confidence=conf,
                geometry=settlement.geometry,
                reason=reason,
            )

    if (parts.municipality and not missing) or _names_municipality(phrase, gaz):
        return _result(
            phrase,
            gaz,
            "municipality",
            name=gaz.boundary.name,
            source=gaz.boundary.source,
            confidence=0.9,
            geometry=boundary,
        )

    if missing:
        reason = (
            f"{', '.join(missing)} finns inte i OSM-datan inom {gaz.boundary.name}."
            if has_osm
            else f"{', '.join(missing)} kan inte läggas ut utan OSM-data (ange en OSM-fil)."
        )
    else:
        reason = (
            f"Hittade ingen ort, gata, väg eller platstyp för {phrase.strip()!r} "
            f"i {gaz.boundary.name}."
        )
    return _result(phrase, gaz, "unresolved", reason=reason)


def _settlement_point(
    gaz: Gazetteer, settlement: pd.Series, boundary: BaseGeometry
) -> BaseGeometry | None:
    """The centre of a settlement: GeoNames' point inside the polygon, else its centroid.

    Long valley settlements (Åre–Duved) have centroids far from the village centre or even
    outside the polygon; then a point on the surface is used.
    """
    geom = settlement.geometry
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        named = gaz.places[(gaz.places["key"] == settlement["key"]) & (gaz.places["rank"] == 1)]
        inside = named[shapely.covers(geom, named.geometry.to_numpy())]
        if not inside.empty:
            return inside.geometry.iloc[0]
        centroid = geom.centroid
        if geom.covers(centroid) and boundary.covers(centroid):
            return centroid
    return _point_in(geom, boundary)


def _names_municipality(phrase: str, gaz: Gazetteer) -> bool:
    """Whether the phrase is just the municipality's name ("Strömsund", "Strömsunds")."""
    key = normalise(re.sub(r"[^\wåäö\s-]", " ", phrase))
    key = " ".join(w for w in key.split() if w not in _GENERIC)
    return (
        any(v == normalise(gaz.name) for v in _variants(key))
        and gaz.lookup(normalise(gaz.name)).empty
    )


def _nearest(a: BaseGeometry, b: BaseGeometry) -> tuple[BaseGeometry, BaseGeometry]:
    from shapely.ops import nearest_points

    pa, pb = nearest_points(a, b)
    return pa, pb


def _features_of_kind(features: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame | None:
    if "kind" not in features:
        return None
    if kind == "school:upper":
        sel = features[features["kind"] == "school"]
        if "isced:level" in sel:
            levels = sel["isced:level"].astype("string").fillna("")
            upper = levels.str.contains("2")
            # Without isced tags every school may host grades 7–9: keep all rather than none.
            sel = sel[upper.to_numpy()] if upper.any() else sel
    else:
        sel = features[features["kind"] == kind]
    return sel if not sel.empty else None


ATTRIBUTION = f"Orter: Lantmäteriet, GeoNames (CC BY 4.0); gator och vägar: {OSM_ATTRIBUTION}"
