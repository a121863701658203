"""Settlements (tätorter and smaller) of a kommun, and the kommun at a point."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from geodata import LANTMATERIET_ATTRIBUTION, METRIC_CRS, OSM_ATTRIBUTION
from geodata.errors import DataUnavailableError, InvalidInputError
from geodata.imported import zip_date
from geodata.municipalities.boundaries import _osm_errors, municipality_boundary
from geodata.municipalities.readers import (
    SETTLEMENT_COLUMNS,
    _lantmateriet_settlements,
    _scb_boundaries,
)
from geodata.municipalities.registry import Municipality, _suggestions, find_municipality
from geodata.names import name_key
from geodata.settings import get_settings

if TYPE_CHECKING:
    pass


log = logging.getLogger(__name__)

OSM_PLACE_CATEGORIES = {
    "town": "Ort (OSM place=town)",
    "village": "By (OSM place=village)",
    "hamlet": "Småby (OSM place=hamlet)",
}


def _empty_settlements(source: str, note: str) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "name": pd.Series(dtype="string"),
            "category": pd.Series(dtype="string"),
            "population": pd.Series(dtype="Int64"),
            "source": pd.Series(dtype="string"),
            "alt_name": pd.Series(dtype="string"),
        },
        geometry=gpd.GeoSeries([], crs=METRIC_CRS),
    )
    frame.attrs.update(source=source, attribution="", note=note)
    return frame


def _osm_settlements(m: Municipality) -> gpd.GeoDataFrame:
    from geodata.online import require_overpass

    require_overpass(f"Orter i {m.label} från OpenStreetMap")
    from geodata.osm._overpass import failure_text, osmnx_session

    area = municipality_boundary(m)
    with osmnx_session(timeout_s=60) as ox:
        try:
            found = ox.features_from_polygon(area.wgs84, tags={"place": list(OSM_PLACE_CATEGORIES)})
        except _osm_errors() as exc:
            raise DataUnavailableError(
                f"Kunde inte hämta orter i {m.label} från OpenStreetMap: {failure_text(exc)}."
            ) from exc
    found = found.to_crs(METRIC_CRS)
    found = found[found["place"].isin(list(OSM_PLACE_CATEGORIES)) & found["name"].notna()]
    population = found.get("population", pd.Series(index=found.index, dtype="object"))
    frame = gpd.GeoDataFrame(
        {
            "name": found["name"].astype("string"),
            "category": found["place"].map(OSM_PLACE_CATEGORIES).astype("string"),
            "population": pd.to_numeric(
                population.astype("string").str.replace(r"[\s ]", "", regex=True),
                errors="coerce",
            )
            .round()
            .astype("Int64"),
            "source": pd.Series("osm", index=found.index, dtype="string"),
            "alt_name": found.get("alt_name", pd.Series(index=found.index, dtype="object")).astype(
                "string"
            ),
        },
        geometry=found.geometry.to_numpy(),
        crs=METRIC_CRS,
    ).reset_index(drop=True)
    frame.attrs.update(
        source="osm",
        attribution=f"{OSM_ATTRIBUTION}, hämtad {datetime.now(UTC).date().isoformat()}",
    )
    return frame


def settlements(name_or_code: str | int | Municipality) -> gpd.GeoDataFrame:
    """Tätorter and smaller settlements in a kommun, most populous first.

    From Lantmäteriet's ``mb_riks.zip`` when it is found (tätorter and "annan koncentrerad
    bebyggelse" with population), else from OSM place nodes (town, village, hamlet) when
    online, else an empty frame whose ``attrs["note"]`` says why.

    Parameters
    ----------
    name_or_code
        Anything :func:`find_municipality` accepts.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name``, ``category``, ``population`` (nullable Int64; missing for
        settlements that are not tätorter), ``source``, ``alt_name`` (Sami or Finnish name
        where Lantmäteriet gives one), ``geometry`` (polygons from Lantmäteriet, points
        from OSM; EPSG:3006).
        ``attrs["source"]`` is ``"lantmateriet"``, ``"osm"`` or ``"none"``;
        ``attrs["attribution"]`` the line to show with it.
    """
    m = find_municipality(name_or_code)
    settings = get_settings()
    path = settings.lantmateriet_path("mb_riks.zip")
    if path is not None:
        every = _lantmateriet_settlements(path, settings.lantmateriet_path("ak_riks.zip"))
        frame = every.loc[every["code"] == m.code, SETTLEMENT_COLUMNS]
        date = zip_date(path)
        attribution = LANTMATERIET_ATTRIBUTION + (f", data {date}" if date else "")
        frame.attrs.update(source="lantmateriet", attribution=attribution, note="")
    else:
        try:
            frame = _osm_settlements(m)
        except DataUnavailableError as exc:
            return _empty_settlements(
                "none", f"Inga orter: Lantmäteriets ortfil (mb_riks.zip) saknas. {exc}"
            )
        frame.attrs["note"] = ""
    attrs = dict(frame.attrs)
    frame = frame.sort_values(["population", "name"], ascending=[False, True], na_position="last")
    frame = frame.reset_index(drop=True)
    frame.attrs.update(attrs)
    return frame


def find_settlement(municipality: str | int | Municipality, name: str) -> pd.Series:
    """One settlement of a kommun by name (same spelling rules as kommun names).

    Parameters
    ----------
    municipality
        Anything :func:`find_municipality` accepts.
    name
        Settlement name ("Järpen", "jarpen", "SKOGHALL").

    Returns
    -------
    pandas.Series
        The row of :func:`settlements`; the most populous one if the name occurs twice.

    Raises
    ------
    InvalidInputError
        If no settlement of that name lies in the kommun; the message lists close names.
    DataUnavailableError
        If there is no settlement data at all.
    """
    m = find_municipality(municipality)
    frame = settlements(m)
    if frame.empty:
        note = frame.attrs.get("note") or f"Inga orter kända i {m.label}."
        raise DataUnavailableError(note)
    names = frame["name"].fillna("").astype(str)
    alt_names = frame["alt_name"].fillna("").astype(str)
    key = name_key(name)
    hits = frame[(names.map(name_key) == key) | (alt_names.map(name_key) == key)]
    if hits.empty:
        folded = name_key(key, ascii_fold=True)
        hits = frame[
            (names.map(lambda n: name_key(n, ascii_fold=True)) == folded)
            | (alt_names.map(lambda n: name_key(n, ascii_fold=True)) == folded)
        ]
    if hits.empty:
        raise InvalidInputError(
            f"{name} ligger inte i {m.label}.{_suggestions(key, names.tolist())}"
        )
    return hits.iloc[0]


def municipality_at(point: shapely.Point, crs: object = METRIC_CRS) -> Municipality | None:
    """The kommun whose SCB boundary holds ``point`` (in ``crs``), None outside Sweden."""
    boundaries = _scb_boundaries()
    if crs != METRIC_CRS:
        point = gpd.GeoSeries([point], crs=crs).to_crs(METRIC_CRS).iloc[0]
    hit = boundaries.index[boundaries.covers(point)]
    return find_municipality(str(hit[0])) if len(hit) else None
