"""Places of a kind (licensed venues, schools, parcel points...) and the user's own registers.

Two sources are kept side by side: OSM feature layers (``geodata.osm.load_features``) and a
register the municipality keeps (e.g. its list of serveringstillstånd) read from CSV or
Excel, geocoded from OSM ``addr:*`` data offline or Nominatim online, and matched to the OSM
places by name and distance.

OSM does not record alcohol licences: the ``venue`` layer is every bar, pub, nightclub,
restaurant and beer garden, which is a superset of the licensed venues. The municipality's
register is the authority on licences; the match shows where the two disagree.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from geodata import OSM_ATTRIBUTION, WGS84
from geodata.area import Area
from geodata.errors import DataUnavailableError, InvalidInputError
from geodata.municipalities import name_key
from geodata.online import reachable
from geodata.osm.tags import kind_name
from geodata.settings import get_settings

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


# --------------------------------------------------------------------------- addresses


_HOUSE = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d+\s*[A-Za-z]?)\b(?P<rest>.*)$")


def split_address(text: object) -> tuple[str, str]:
    """``"Birger Jarlsgatan 23 B, 111 45 Stockholm"`` -> ``("Birger Jarlsgatan", "23b")``."""
    if not isinstance(text, str):
        return "", ""
    head = text.split(",")[0].strip()
    match = _HOUSE.match(head)
    if not match:
        return head, ""
    return match.group("street").strip(" ,"), match.group("number").replace(" ", "").casefold()


def _number_key(value: object) -> str:
    return str(value).replace(" ", "").casefold() if isinstance(value, str) else ""


def read_addresses(path: str | Path) -> gpd.GeoDataFrame:
    """Every OSM object with ``addr:street`` and ``addr:housenumber`` in a file, as points.

    Nodes, building ways and multipolygons all carry addresses in Swedish OSM data; areas
    become their representative point.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``street``, ``housenumber``, ``postcode``, ``city``; WGS 84 points.
    """
    factory = osmium.geom.WKBFactory()
    rows: list[tuple[Any, ...]] = []
    geoms: list[bytes] = []
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_areas(osmium.filter.KeyFilter("addr:housenumber"))
            .with_filter(osmium.filter.KeyFilter("addr:housenumber"))
        )
        for obj in processor:
            tags = obj.tags
            if "addr:street" not in tags:
                continue
            try:
                if obj.is_node():
                    geom = factory.create_point(obj)
                elif obj.is_area():
                    geom = factory.create_multipolygon(obj)
                else:
                    continue  # closed ways arrive again as areas; open ones carry no address
            except RuntimeError:
                continue  # clipped geometry
            rows.append(
                (
                    tags.get("addr:street"),
                    tags.get("addr:housenumber"),
                    tags.get("addr:postcode"),
                    tags.get("addr:city"),
                )
            )
            geoms.append(geom)
    except RuntimeError as exc:
        raise DataUnavailableError(f"Kan inte läsa adresser ur {Path(path).name}: {exc}") from exc
    frame = pd.DataFrame(rows, columns=["street", "housenumber", "postcode", "city"])
    geometry = shapely.point_on_surface(shapely.from_wkb(np.array(geoms, dtype=object)))
    return gpd.GeoDataFrame(frame, geometry=geometry if geoms else [], crs=WGS84)


def _feature_addresses(features: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if features is None or "addr:street" not in features:
        return gpd.GeoDataFrame(
            columns=["street", "housenumber", "postcode", "city"], geometry=[], crs=WGS84
        )
    tagged = features[features["addr:street"].notna() & features["addr:housenumber"].notna()]
    frame = pd.DataFrame(
        {
            "street": tagged["addr:street"].to_numpy(),
            "housenumber": tagged["addr:housenumber"].to_numpy(),
            "postcode": tagged.get("addr:postcode", pd.Series(None, index=tagged.index)).to_numpy(),
            "city": tagged.get("addr:city", pd.Series(None, index=tagged.index)).to_numpy(),
        }
    )
    points = shapely.point_on_surface(tagged.geometry.to_numpy())
    return gpd.GeoDataFrame(frame, geometry=points, crs=features.crs).to_crs(WGS84)


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


# --------------------------------------------------------------------------- matching


def match_register(
    register: Register,
    places: gpd.GeoDataFrame,
    max_distance: float = MATCH_DISTANCE_M,
    min_score: float = MATCH_SCORE,
) -> pd.DataFrame:
    """Pair register rows with OSM places: same venue = similar name within ``max_distance``.

    Every candidate pair within the distance is scored by name similarity (rapidfuzz
    ``WRatio`` on normalised names, 0-100); the pairs are then assigned one to one
    (Hungarian method) so two register rows never claim the same OSM place.

    Returns
    -------
    pandas.DataFrame
        Columns ``status`` (``matched``, ``only_register``, ``only_osm``), ``register_row``,
        ``register_name``, ``address``, ``osm_name``, ``osm_id`` (place id, "node/123"),
        ``distance_m``, ``score``, ``reason`` (why an only_register row was not placed).
    """
    from rapidfuzz import process
    from rapidfuzz.fuzz import WRatio

    crs = places.crs
    reg = register.rows
    placed_idx = np.flatnonzero(reg["placed"].to_numpy())
    reg_points = gpd.GeoSeries(reg.geometry.to_numpy()[placed_idx], crs=WGS84).to_crs(crs)
    tree = shapely.STRtree(places.geometry.to_numpy())
    reg_geoms, osm_geoms = reg_points.to_numpy(), places.geometry.to_numpy()
    pair_reg, pair_osm = tree.query(reg_geoms, predicate="dwithin", distance=max_distance)
    distance = shapely.distance(reg_geoms[pair_reg], osm_geoms[pair_osm])
    reg_names = reg["name"].fillna("").map(name_key).to_numpy()[placed_idx]
    osm_names = places["name"].fillna("").map(name_key).to_numpy()
    scores = process.cdist(reg_names, osm_names, scorer=WRatio) if len(pair_reg) else None
    score = scores[pair_reg, pair_osm] if scores is not None else np.zeros(0)
    good = score >= min_score
    pair_reg, pair_osm, distance, score = (
        pair_reg[good],
        pair_osm[good],
        distance[good],
        score[good],
    )
    # Prefer the better name, then the nearer place; assignment keeps pairs one to one.
    cost = np.full((len(placed_idx), len(places)), 1e6)
    cost[pair_reg, pair_osm] = (100.0 - score) + distance / max_distance
    rows_a, cols_a = linear_sum_assignment(cost) if len(pair_reg) else (np.zeros(0, int),) * 2
    ok = cost[rows_a, cols_a] < 1e6
    rows_a, cols_a = rows_a[ok], cols_a[ok]
    matched_reg = placed_idx[rows_a]
    pair_distance = shapely.distance(reg_geoms[rows_a], osm_geoms[cols_a])
    pair_score = scores[rows_a, cols_a] if scores is not None else np.zeros(0)
    records = [
        _record("matched", reg.iloc[reg_i], places.iloc[c], d, s)
        for reg_i, c, d, s in zip(matched_reg, cols_a, pair_distance, pair_score, strict=True)
    ]
    for reg_i in np.setdiff1d(np.arange(len(reg)), matched_reg):
        records.append(_record("only_register", reg.iloc[reg_i], None, np.nan, np.nan))
    for c in np.setdiff1d(np.arange(len(places)), cols_a):
        records.append(_record("only_osm", None, places.iloc[c], np.nan, np.nan))
    table = pd.DataFrame.from_records(records, columns=MATCH_COLUMNS)
    table.attrs["attribution"] = places.attrs.get("attribution", OSM_ATTRIBUTION)
    return table


MATCH_COLUMNS = [
    "status", "register_row", "register_name", "address", "osm_name", "osm_id",
    "distance_m", "score", "reason",
]  # fmt: skip


def _record(
    status: str, reg: pd.Series | None, osm: pd.Series | None, distance: float, score: float
) -> dict[str, Any]:
    return {
        "status": status,
        "register_row": int(reg["row"]) if reg is not None else None,
        "register_name": reg["name"] if reg is not None else None,
        "address": reg["address"] if reg is not None else None,
        "osm_name": osm["name"] if osm is not None else None,
        "osm_id": osm["place_id"] if osm is not None else None,
        "distance_m": round(float(distance), 1) if np.isfinite(distance) else None,
        "score": round(float(score), 1) if np.isfinite(score) else None,
        "reason": (reg["reason"] or "ingen OSM-plats med liknande namn inom 75 m")
        if reg is not None and status == "only_register"
        else None,
    }


def register_places(register: Register, crs: Any) -> gpd.GeoDataFrame:
    """The placed register rows as places (same columns as :func:`places_of_kind`)."""
    placed = register.placed
    out = gpd.GeoDataFrame(
        {
            "place_id": "register/" + placed["row"].astype(str),
            "kind": "register",
            "name": placed["name"].to_numpy(),
            "osm_type": None,
            "osm_id": None,
            "type_label": "register",
            "opening_hours": None,
            "addr:street": placed["street"].to_numpy(),
            "addr:housenumber": placed["housenumber"].to_numpy(),
            "addr:city": placed["city"].to_numpy(),
        },
        geometry=placed.geometry.to_numpy(),
        crs=WGS84,
    ).to_crs(crs)
    out.attrs["attribution"] = f"Eget register: {Path(register.source).name}"
    return out
