"""Register rows paired with OSM places: same venue = similar name nearby."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from geodata import OSM_ATTRIBUTION, WGS84
from geodata.municipalities import name_key
from geodata.registers.kinds import MATCH_DISTANCE_M, MATCH_SCORE
from geodata.registers.table import Register

log = logging.getLogger(__name__)

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
