"""Reported incidents as walk places: Polisen's notices on the streets and squares of the area.

Polisen's archive (``geodata.events``) gives each notice only the municipality's fixed point;
the place is in the text. A notice of an incident kind (misshandel, rån, ordningslagen,
skadegörelse, stöld, fylleri/LOB ...) within the span is placed on a street or square of the
walk area when its summary names one (else its body): the first name mentioned wins, names
matched as whole words, longest name first ("Birger Jarlsgatan" before "Jarlsgatan").
Nothing personal is kept: type, date, street and the notice's address on polisen.se.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.errors import DataUnavailableError
from geodata.events import EventSet, PoliceEvent, load_events

#: Event types counted as incidents (a type counts when it starts with one of these).
INCIDENT_TYPES: tuple[str, ...] = (
    "Misshandel",
    "Rån",
    "Ordningslagen",
    "Skadegörelse",
    "Stöld",
    "Fylleri/LOB",
    "Bråk",
    "Ofredande/förargelse",
    "Olaga hot",
    "Knivlagen",
    "Våldtäkt",
    "Sexualbrott",
    "Larm Överfall",
    "Narkotikabrott",
)
#: Default span: notices of the last two years.
DEFAULT_SPAN_DAYS = 730
#: At most this many notices per street count towards its priority (a busy street should
#: not pull the whole walk).
MAX_NOTICES_PER_STREET = 5
_LETTER = "A-Za-zÅÄÖÉÜåäöéü0-9"


def is_incident(event_type: str) -> bool:
    """Whether a notice type is one of :data:`INCIDENT_TYPES`."""
    return event_type.startswith(INCIDENT_TYPES)


@cache
def _municipality_events(code: str, since: date, until: date) -> EventSet:
    return load_events(code, since=since, until=until)


def incident_events(
    municipality: str, since: date | None = None, until: date | None = None
) -> list[PoliceEvent]:
    """Incident notices of a municipality between ``since`` and ``until`` (archive, cached)."""
    from geodata.municipalities import find_municipality

    until = until or date.today()
    since = since or until - timedelta(days=DEFAULT_SPAN_DAYS)
    code = find_municipality(municipality).code
    events = _municipality_events(code, since, until).events
    return [e for e in events if is_incident(e.type)]


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted({n for n in names if len(n) >= 4}, key=lambda n: (-len(n), n))
    if not ordered:
        return None
    alternatives = "|".join(re.escape(n) for n in ordered)
    return re.compile(rf"(?<![{_LETTER}])({alternatives})(?![{_LETTER}])")


def place_notices(events: Iterable[PoliceEvent], names: Iterable[str]) -> pd.DataFrame:
    """One row per notice that names one of ``names``: ``id, datetime, type, street, url``.

    The summary is read first, then the body; the earliest name in the text wins.
    """
    pattern = _name_pattern(names)
    rows: list[dict[str, Any]] = []
    if pattern is not None:
        for event in events:
            for text in (event.summary, event.body or ""):
                match = pattern.search(text)
                if match:
                    rows.append(
                        {
                            "id": event.id,
                            "datetime": event.datetime,
                            "type": event.type,
                            "street": match.group(1),
                            "url": event.url,
                        }
                    )
                    break
    return pd.DataFrame(rows, columns=["id", "datetime", "type", "street", "url"])


def street_names(edges: gpd.GeoDataFrame) -> pd.Series:
    """One name per edge (first of a list or ``a;b``), None where unnamed."""

    def first(value: Any) -> str | None:
        if isinstance(value, list | tuple | np.ndarray):
            value = value[0] if len(value) else None
        if not isinstance(value, str) or not value.strip():
            return None
        return value.split(";")[0].strip()

    return pd.Series([first(v) for v in edges["name"].tolist()], index=edges.index, dtype=object)


def incident_prizes(
    edges: gpd.GeoDataFrame,
    features: gpd.GeoDataFrame | None,
    notices: pd.DataFrame,
    weight: float,
) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """Edge prizes for notices on named streets, and places for notices on squares.

    A street's priority (``weight`` per notice, at most :data:`MAX_NOTICES_PER_STREET`) is
    spread over its edges by length, so walking the whole street collects all of it. A
    square named only by a feature (no way of that name) becomes one place.
    """
    names = street_names(edges)
    length = edges["length"].to_numpy(float)
    counts = notices["street"].value_counts() if len(notices) else pd.Series(dtype=int)
    capped = counts.clip(upper=MAX_NOTICES_PER_STREET) * weight
    street_len = pd.Series(length).groupby(names.to_numpy()).sum()
    per_edge = names.map(capped).fillna(0.0).to_numpy(float)
    share = length / np.maximum(names.map(street_len).fillna(1.0).to_numpy(float), 1e-9)
    prize = per_edge * share
    crs = edges.crs
    rows, geoms = [], []
    if features is not None and len(features) and len(counts):
        squares = features[features["kind"].isin(["square", "station"])].to_crs(crs)
        on_edges = set(names.dropna())
        for name, count in counts.items():
            if name in on_edges:
                continue
            hit = squares[squares["name"] == name]
            if len(hit):
                rows.append({"kind": "incident", "name": name, "count": int(count)})
                geoms.append(shapely.point_on_surface(hit.geometry.iloc[0]))
    places = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["kind", "name", "count"]), geometry=geoms, crs=crs
    )
    places["weight"] = places["count"].clip(upper=MAX_NOTICES_PER_STREET) * weight
    places["label"] = [f"Polisens händelser ({c})" for c in places["count"]]
    return prize, places


def passed_notices(notices: pd.DataFrame, streets_walked: Iterable[str]) -> pd.DataFrame:
    """Count, notice ids and types per street, for the notices on the streets walked."""
    walked = set(streets_walked)
    sub = notices[notices["street"].isin(walked)]
    if sub.empty:
        return pd.DataFrame(columns=["street", "count", "ids", "types"])
    grouped = sub.groupby("street", sort=False)
    out = pd.DataFrame(
        {
            "count": grouped.size(),
            "ids": grouped["id"].agg(lambda ids: sorted(int(i) for i in ids)),
            "types": grouped["type"].agg(
                lambda t: ", ".join(f"{k} {v}" for k, v in t.value_counts().items())
            ),
        }
    ).reset_index()
    return out.sort_values(["count", "street"], ascending=[False, True]).reset_index(drop=True)


def archive_missing_message(exc: DataUnavailableError) -> str:
    """A Swedish note for the protocol when the archive cannot be read."""
    return f"Polisens händelser kunde inte läsas: {exc}"
