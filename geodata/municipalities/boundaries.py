"""Municipality boundaries from the best available source, with land area beside."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import shapely

from geodata import LANTMATERIET_ATTRIBUTION, METRIC_CRS, OSM_ATTRIBUTION, SCB_ATTRIBUTION
from geodata.area import Area
from geodata.errors import DataUnavailableError, InvalidInputError
from geodata.imported import zip_date
from geodata.municipalities.readers import _lantmateriet_boundaries, _scb_boundaries, _scb_version
from geodata.municipalities.registry import Municipality, find_municipality
from geodata.online import offline_error, reachable
from geodata.settings import get_settings

if TYPE_CHECKING:
    pass


log = logging.getLogger(__name__)

BOUNDARY_SOURCES = ("osm", "lantmateriet", "scb")
_OSM_TIMEOUT_S = 15  # an unreachable Nominatim should cost seconds, not the 180 s default
_OSM_BACKOFF_S = 300.0  # after a connection failure, skip OSM for a while instead of retrying
_osm_unreachable_until = 0.0
_osm_boundary_cache: dict[str, Area] = {}


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
    # Offline means offline: a boundary remembered from an earlier online call is not used.
    if not reachable(get_settings().nominatim_url):
        raise offline_error(
            f"{m.label}s gräns från OpenStreetMap",
            "Lantmäteriets eller SCB:s gräns används i stället.",
            field="boundary",
        )
    if m.code in _osm_boundary_cache:
        return _osm_boundary_cache[m.code]
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
