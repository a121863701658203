"""Kinds of place a promise names (utskänkningsställen, skolor...) and their OSM places."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geodata import OSM_ATTRIBUTION
from geodata.area import Area
from geodata.errors import InvalidInputError
from geodata.municipalities import name_key
from geodata.osm.tags import kind_name

log = logging.getLogger(__name__)


#: Register kinds: our name -> accepted aliases (the Swedish names come from
#: ``geodata.osm.tags.KIND_NAMES``).
KINDS: dict[str, tuple[str, ...]] = {
    "venue": (
        "venues", "utskankningsstallen", "serveringsställen", "serveringsstallen",
        "serveringar", "krogar", "restauranger", "barer",
    ),
    "school": ("schools", "skola"),
    "parcel_locker": ("parcel_lockers", "paketskåp", "paketskap", "ombud", "parcel", "parcels"),
    "marina": ("marinas", "batehamnar", "bathamnar", "hamnar", "gästhamnar"),
    "youth_centre": ("youth_centres", "fritidsgardar", "fritidsgård"),
    "park": ("parks", "park"),
}  # fmt: skip

VENUE_TYPES = {
    "restaurant": "restaurang", "bar": "bar", "pub": "pub", "nightclub": "nattklubb",
    "biergarten": "ölträdgård",
}  # fmt: skip

LICENCE_NOTE = (
    "OSM anger inte serveringstillstånd: listan är alla restauranger, barer, pubar och "
    "nattklubbar. Kommunens register över serveringstillstånd är facit."
)

#: Largest distance (m) between a register address and an OSM place for them to be one venue.
MATCH_DISTANCE_M = 75.0
#: Smallest name similarity (0-100, rapidfuzz WRatio) for a match.
MATCH_SCORE = 70.0


def resolve_kind(kind: str) -> str:
    """Our kind name for ``kind`` in English or Swedish ("skolor" -> "school").

    Raises
    ------
    InvalidInputError
        If the kind is unknown; the message lists the known kinds.
    """
    key = name_key(kind).replace(" ", "_")
    for name, aliases in KINDS.items():
        label = kind_name(name, plural=True)
        keys = {name, name_key(label), *(name_key(a).replace(" ", "_") for a in aliases)}
        if key in keys or name_key(key, ascii_fold=True) in {
            name_key(k, ascii_fold=True) for k in keys
        }:
            return name
    known = ", ".join(f"{kind_name(name, plural=True)} ({name})" for name in KINDS)
    raise InvalidInputError(f"Okänd platstyp {kind!r}. Kända typer: {known}.")


def kind_label(kind: str) -> str:
    """Swedish plural label of a kind."""
    return kind_name(resolve_kind(kind), plural=True)


# --------------------------------------------------------------------------- OSM places


def _school_level(frame: pd.DataFrame) -> pd.Series:
    """Swedish school level from ``isced:level`` (and the name where untagged)."""
    isced = frame.get("isced:level", pd.Series(None, index=frame.index)).fillna("").astype(str)
    name = frame["name"].fillna("").astype(str).str.casefold()
    levels = isced.str.replace(",", ";").str.split(";")
    has = {n: levels.map(lambda parts, n=n: str(n) in {p.strip() for p in parts}) for n in range(4)}
    level = pd.Series(None, index=frame.index, dtype=object)
    level[has[0]] = "förskola"
    level[has[1]] = "grundskola"
    level[has[2]] = "grundskola med högstadium"
    level[has[2] & ~has[1]] = "högstadium"
    level[has[3]] = "gymnasium"
    level[has[3] & (has[1] | has[2])] = "grundskola och gymnasium"
    untagged = isced == ""
    level[untagged & name.str.contains("gymnasi")] = "gymnasium"
    level[untagged & name.str.contains("förskola")] = "förskola"
    return level


def places_of_kind(
    kind: str,
    area: Area | None = None,
    osm_file: str | Path | None = None,
    features: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The OSM places of one kind inside ``area``, one point each.

    Parameters
    ----------
    kind
        ``venue`` (utskänkningsställen), ``school``, ``parcel_locker``, ``marina``,
        ``youth_centre``, ``park``, or a Swedish name of one of them.
    area
        Where; ``None`` with ``osm_file`` means the file's extent.
    osm_file
        A local OSM file (else cache or Overpass, see :func:`geodata.osm.load_features`).
    features
        Already loaded feature layers (skips loading).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``place_id`` ("node/123"), ``kind``, ``name``, ``osm_type``, ``osm_id``,
        ``type_label`` (Swedish: restaurang, bar...; school level for schools),
        ``opening_hours``, ``addr:street``, ``addr:housenumber``, ``addr:city``; geometry
        a representative point in the features' metric CRS. ``attrs`` holds
        ``provenance``, ``attribution`` and ``note`` (the licence caveat for venues).

    Raises
    ------
    InvalidInputError
        If the kind is unknown.
    """
    kind = resolve_kind(kind)
    if features is None:
        from geodata.osm import load_features

        features = load_features(area, osm_file=osm_file)
    provenance = dict(features.attrs.get("provenance") or {})
    picked = features[features["kind"] == kind].copy()
    if kind == "venue":
        picked["type_label"] = picked["amenity"].map(VENUE_TYPES)
    elif kind == "school":
        picked["type_label"] = _school_level(picked)
    elif kind == "parcel_locker":
        picked["type_label"] = picked["amenity"].map(
            {"parcel_locker": "paketskåp", "post_office": "post- och paketombud"}
        )
    else:
        picked["type_label"] = KINDS[kind][0]
    picked["place_id"] = picked["osm_type"].astype(str) + "/" + picked["osm_id"].astype(str)
    columns = [
        "place_id", "kind", "name", "osm_type", "osm_id", "type_label", "opening_hours",
        "addr:street", "addr:housenumber", "addr:city",
    ]  # fmt: skip
    picked = picked.reindex(columns=[*columns, "geometry"])
    points = shapely.point_on_surface(picked.geometry.to_numpy())
    out = gpd.GeoDataFrame(
        picked[columns].reset_index(drop=True), geometry=points, crs=features.crs
    )
    date = provenance.get("data_date")
    out.attrs.update(
        provenance=provenance,
        attribution=OSM_ATTRIBUTION + (f", data {date}" if date else ""),
        note=LICENCE_NOTE if kind == "venue" else "",
        kind=kind,
    )
    return out
