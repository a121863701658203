"""A user's own register (CSV or Excel): read, columns recognised, rows geocoded."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import WGS84
from geodata.errors import DataUnavailableError, InvalidInputError
from geodata.municipalities import name_key
from geodata.online import reachable
from geodata.registers.addresses import (
    _feature_addresses,
    _number_key,
    read_addresses,
    split_address,
)
from geodata.settings import get_settings

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- registers


#: Accepted header spellings (after ``name_key``) -> our column.
HEADER_ALIASES = {
    "name": ("namn", "name", "serveringsställe", "verksamhet", "verksamhetsnamn", "företag"),
    "address": ("adress", "address", "gatuadress", "besöksadress", "street", "gata"),
    "postcode": ("postnummer", "postnr", "postcode", "post code", "zip"),
    "city": ("ort", "postort", "city", "stad"),
}
REQUIRED = ("name", "address")
_SWEDISH_HEADER = {"name": "namn", "address": "adress", "postcode": "postnummer", "city": "ort"}


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252: what Excel exports on Swedish Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            return pd.read_excel(path, dtype=str)
        except ImportError as exc:
            raise DataUnavailableError(
                "Excel-filer kräver paketet openpyxl; spara registret som CSV eller installera "
                "openpyxl."
            ) from exc
        except ValueError as exc:
            raise InvalidInputError(f"{path.name} går inte att läsa som Excel: {exc}") from exc
    text = _decode(path.read_bytes())
    if not text.strip():
        raise InvalidInputError(f"{path.name} är tom.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ";" if text.split("\n", 1)[0].count(";") else ","
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise InvalidInputError(f"{path.name} går inte att läsa som CSV: {exc}") from exc


@dataclass
class Register:
    """A user's register of places (e.g. the kommun's serveringstillstånd), geocoded.

    Attributes
    ----------
    rows
        One row per register line: ``row`` (line in the file, the header being line 1),
        ``name``, ``address``, ``postcode``, ``city``, ``street``, ``housenumber``,
        ``placed`` (bool), ``geocoder`` (``osm-adress``, ``nominatim`` or None),
        ``reason`` (Swedish, why a row could not be placed); WGS 84 point geometry
        (empty where not placed).
    source
        The file it was read from.
    """

    rows: gpd.GeoDataFrame
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def placed(self) -> gpd.GeoDataFrame:
        """Rows with a position."""
        return self.rows[self.rows["placed"]]

    @property
    def unplaced(self) -> pd.DataFrame:
        """Rows that could not be placed, with the reason."""
        columns = ["row", "name", "address", "reason"]
        return pd.DataFrame(self.rows.loc[~self.rows["placed"], columns])


def import_register(
    path: str | Path,
    *,
    osm_file: str | Path | None = None,
    features: gpd.GeoDataFrame | None = None,
    addresses: gpd.GeoDataFrame | None = None,
    online: bool | None = None,
) -> Register:
    """Read a register (CSV or Excel with name and address columns) and geocode each row.

    Parameters
    ----------
    path
        ``.csv`` (``;`` or ``,`` separated, UTF-8 or cp1252) or ``.xlsx``. Headers in
        Swedish or English: namn/name, adress/address/gatuadress, postnummer, ort.
    osm_file
        OSM file whose ``addr:*`` objects are the offline geocoder.
    features
        Feature layers whose ``addr:*`` tags are used too (the only offline source when the
        data came from Overpass or the cache).
    addresses
        Already read addresses (:func:`read_addresses`).
    online
        Ask Nominatim for rows OSM addresses cannot place; default: unless
        ``LOFTESPLAN_OFFLINE`` is set.

    Raises
    ------
    InvalidInputError
        If the file is missing, unreadable, or lacks the name or address column.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Hittar inte registerfilen {path}.")
    table = _read_table(path)
    lookup = {name_key(str(c)): c for c in table.columns}
    chosen: dict[str, Any] = {}
    for column, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if name_key(alias) in lookup:
                chosen[column] = lookup[name_key(alias)]
                break
    missing = [c for c in REQUIRED if c not in chosen]
    if missing:
        wanted = " och ".join(f"'{_SWEDISH_HEADER[c]}'" for c in missing)
        found = ", ".join(map(str, table.columns)) or "inga"
        raise InvalidInputError(
            f"{path.name} saknar kolumn {wanted} (kolumner i filen: {found}). "
            "Registret behöver minst namn och adress."
        )
    frame = pd.DataFrame({c: table[chosen[c]] if c in chosen else None for c in HEADER_ALIASES})
    frame = frame.astype(object).where(frame.notna(), None)
    frame.insert(0, "row", frame.index + 2)  # the line in the file; the header is line 1
    frame = frame[frame["name"].notna() | frame["address"].notna()].reset_index(drop=True)
    if addresses is None:
        parts = [read_addresses(osm_file)] if osm_file is not None else []
        parts.append(_feature_addresses(features))
        addresses = pd.concat(parts, ignore_index=True) if parts else None
    if online is None:
        online = reachable(get_settings().nominatim_url)
    rows = geocode_addresses(frame, addresses, online=online)
    return Register(rows=rows, source=str(path))


def geocode_addresses(
    frame: pd.DataFrame, addresses: gpd.GeoDataFrame | None, *, online: bool = False
) -> gpd.GeoDataFrame:
    """Place each row's ``address`` from OSM addresses, then (optionally) Nominatim.

    An exact street + house number hit wins; a street spelt differently (rapidfuzz score
    ≥ 90) with the same number is accepted too; ``23 B`` falls back to ``23``.
    """
    from rapidfuzz import process
    from rapidfuzz.fuzz import ratio

    frame = frame.copy()
    split = frame["address"].map(split_address)
    frame["street"] = split.str[0]
    frame["housenumber"] = split.str[1]
    lon = np.full(len(frame), np.nan)
    lat = np.full(len(frame), np.nan)
    geocoder = np.full(len(frame), None, dtype=object)
    reason = np.full(len(frame), None, dtype=object)
    reason[frame["address"].isna().to_numpy()] = "adress saknas"
    reason[frame["address"].notna().to_numpy() & (frame["housenumber"] == "").to_numpy()] = (
        "adressen saknar husnummer"
    )
    if addresses is not None and len(addresses):
        addr = addresses.to_crs(WGS84)
        keyed = pd.DataFrame(
            {
                "street": addr["street"].map(lambda s: name_key(str(s))).to_numpy(),
                "number": addr["housenumber"].map(_number_key).to_numpy(),
                "lon": addr.geometry.x.to_numpy(),
                "lat": addr.geometry.y.to_numpy(),
            }
        )
        # One point per address: objects sharing one (entrance and building) are averaged.
        table = keyed.groupby(["street", "number"])[["lon", "lat"]].mean()
        streets = keyed["street"].unique().tolist()
        street_key = frame["street"].map(name_key)
        # Misspelt street names: the closest OSM street if the spelling is close enough.
        fixed = {}
        for s in street_key.unique():
            hit = process.extractOne(s, streets, scorer=ratio, score_cutoff=90) if s else None
            fixed[s] = hit[0] if hit else None
        street_osm = street_key.map(fixed)
        number = frame["housenumber"]
        plain = number.str.extract(r"^(\d+)", expand=False)
        for candidate in (number, plain):
            index = pd.MultiIndex.from_arrays([street_osm.fillna(""), candidate.fillna("")])
            hit = table.reindex(index)
            found = hit["lon"].notna().to_numpy() & np.isnan(lon) & (reason == None)  # noqa: E711
            lon[found] = hit["lon"].to_numpy()[found]
            lat[found] = hit["lat"].to_numpy()[found]
            geocoder[found] = "osm-adress"
        todo = np.isnan(lon) & (reason == None)  # noqa: E711
        reason[todo & street_osm.isna().to_numpy()] = "gatan finns inte i OSM-adresserna"
        reason[todo & street_osm.notna().to_numpy()] = "husnumret finns inte i OSM-adresserna"
    else:
        reason[np.isnan(lon) & (reason == None)] = "inga OSM-adresser i området"  # noqa: E711
    if online:
        todo = np.flatnonzero(np.isnan(lon) & frame["address"].notna().to_numpy())
        for i in todo:  # one request per address: Nominatim has no batch API
            query = (
                ", ".join(str(v) for v in frame.loc[i, ["address", "postcode", "city"]] if v)
                + ", Sverige"
            )
            point = _nominatim(query)
            if point is not None:
                lat[i], lon[i] = point
                geocoder[i], reason[i] = "nominatim", None
    frame["placed"] = ~np.isnan(lon)
    frame["geocoder"] = geocoder
    placed = frame["placed"].to_numpy(bool)
    frame["reason"] = [None if ok else why for ok, why in zip(placed, reason, strict=True)]
    points = shapely.points(lon, lat)
    points[~frame["placed"].to_numpy()] = None
    return gpd.GeoDataFrame(frame, geometry=points, crs=WGS84)


def _nominatim(query: str) -> tuple[float, float] | None:
    """(lat, lon) from Nominatim via osmnx, or None if it finds nothing or is unreachable."""
    from geodata.osm._overpass import osmnx_session

    with osmnx_session(timeout_s=15) as ox:
        try:
            return ox.geocode(query)
        except Exception as exc:  # osmnx raises several kinds; all mean "not placed"
            log.info("Nominatim found nothing for %r: %s", query, exc)
            return None
