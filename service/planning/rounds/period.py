"""Visits over a period: every place at least once, and which are still waiting."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.errors import InvalidInputError

# --------------------------------------------------------------------------- period


def _last_visits(places: pd.DataFrame, history: pd.DataFrame | None) -> pd.Series:
    """Latest visit date per place (NaT when never visited); history has place_id, date."""
    if history is None or history.empty:
        return pd.Series(pd.NaT, index=places["place_id"], dtype="datetime64[ns]")
    missing = {"place_id", "date"} - set(history.columns)
    if missing:
        raise InvalidInputError(f"Besökshistoriken saknar kolumnerna {', '.join(sorted(missing))}.")
    dates = pd.to_datetime(history["date"], errors="coerce")
    last = dates.groupby(history["place_id"].astype(str)).max()
    return last.reindex(places["place_id"].astype(str)).astype("datetime64[ns]")


def not_yet_visited(
    places: gpd.GeoDataFrame, history: pd.DataFrame | None, since: date | None = None
) -> gpd.GeoDataFrame:
    """Places with no visit in ``history`` (since ``since``, when given)."""
    hist = history
    if history is not None and since is not None and not history.empty:
        hist = history[pd.to_datetime(history["date"]) >= pd.Timestamp(since)]
    last = _last_visits(places, hist)
    return places[last.isna().to_numpy()]


def least_recently_visited(
    places: gpd.GeoDataFrame, history: pd.DataFrame | None, count: int
) -> gpd.GeoDataFrame:
    """The ``count`` places not visited longest (never visited first)."""
    last = _last_visits(places, history).to_numpy()
    order = np.argsort(np.where(pd.isna(last), np.datetime64("1900-01-01"), last), kind="stable")
    return places.iloc[order[:count]]


def plan_visits(
    places: gpd.GeoDataFrame,
    history: pd.DataFrame | None,
    period: tuple[date, date],
    count: int,
    per_visit: int | None = None,
) -> pd.DataFrame:
    """Spread ``count`` visit days over ``period`` so every place is visited at least once.

    Places not visited in the period come first, then the least recently visited; places
    are grouped by direction from their centre so one day's places lie together.

    Returns
    -------
    pandas.DataFrame
        Columns ``visit`` (1..count), ``date``, ``place_id``, ``name``, ``last_visit``.
        ``attrs["unassigned"]`` lists place ids that did not fit (``per_visit`` too small).

    Raises
    ------
    InvalidInputError
        If the period is reversed or ``count`` is not positive.
    """
    first, last_day = period
    if last_day < first:
        raise InvalidInputError("Perioden slutar före den börjar.")
    if count < 1:
        raise InvalidInputError("Antalet besökstillfällen måste vara minst 1.")
    n = len(places)
    capacity = per_visit or int(np.ceil(n / count)) if n else 0
    hist = history
    if history is not None and not history.empty:
        when = pd.to_datetime(history["date"])
        hist = history[(when >= pd.Timestamp(first)) & (when <= pd.Timestamp(last_day))]
    last = _last_visits(places, history).to_numpy()
    visited_in_period = ~_last_visits(places, hist).isna().to_numpy()
    # Priority: not visited in the period, then oldest visit first.
    age = np.where(pd.isna(last), np.datetime64("1900-01-01"), last).astype("datetime64[ns]")
    priority = np.lexsort((age, visited_in_period))
    chosen = priority[: count * capacity]
    unassigned = places["place_id"].to_numpy()[priority[count * capacity :]].tolist()
    points = places.geometry.to_numpy()[chosen]
    xy = shapely.get_coordinates(points)
    angle = np.arctan2(*(xy - xy.mean(axis=0)).T[::-1]) if len(xy) else np.zeros(0)
    chosen = chosen[np.argsort(angle, kind="stable")]
    visit = np.arange(len(chosen)) // max(capacity, 1) + 1
    span = (last_day - first).days
    days = [first + timedelta(days=round(span * (k + 0.5) / count)) for k in range(count)]
    out = pd.DataFrame(
        {
            "visit": visit,
            "date": [days[v - 1] for v in visit],
            "place_id": places["place_id"].to_numpy()[chosen],
            "name": places["name"].to_numpy()[chosen],
            "last_visit": last[chosen],
        }
    ).sort_values(["visit", "name"], ignore_index=True)
    out.attrs["unassigned"] = unassigned
    return out
