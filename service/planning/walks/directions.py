"""Directions street by street and the lighting summary of a walk.

Both read the walked edges in order (``rows`` into ``network.edges``, repeats included):
directions group consecutive edges of the same street ("Gå Drottninggatan norrut 300 m till
stopp 2"); the lighting summary adds up walked length by the ``lit`` tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: ``lit`` values meaning no lighting.
LIT_NO = frozenset({"no", "disused", "none", "0", "false", "off"})
#: Unnamed stretches shorter than this (m) join the street before them.
MIN_LEG_M = 40.0
#: Any stretch shorter than this (m), such as crossing a street, joins the leg before it.
MIN_CROSSING_M = 25.0
_COMPASS = ("österut", "nordost", "norrut", "nordväst", "västerut", "sydväst", "söderut", "sydost")
_UNNAMED = {
    "footway": "gångvägen",
    "path": "stigen",
    "cycleway": "gång- och cykelvägen",
    "pedestrian": "gågatan",
    "steps": "trappan",
    "track": "skogsvägen",
    "service": "servicevägen",
    "living_street": "gångfartsgatan",
}


def lit_class(lit: pd.Series) -> np.ndarray:
    """Per edge ``"lit"``, ``"unlit"`` or ``"unknown"`` from the OSM ``lit`` tag."""
    text = lit.astype("string").str.strip().str.lower()
    out = np.where(text.isin(LIT_NO).fillna(False).to_numpy(bool), "unlit", "lit")
    unknown = text.isna().to_numpy(bool) | (text == "").fillna(False).to_numpy(bool)
    return np.where(unknown, "unknown", out)


def lighting_summary(lit: pd.Series, lengths: np.ndarray) -> dict[str, float]:
    """Walked metres ``lit_m``, ``unlit_m``, ``unknown_m`` and ``not_known_lit_share``."""
    cls = lit_class(lit)
    lit_m = float(lengths[cls == "lit"].sum())
    unlit_m = float(lengths[cls == "unlit"].sum())
    unknown_m = float(lengths[cls == "unknown"].sum())
    total = lit_m + unlit_m + unknown_m
    return {
        "lit_m": lit_m,
        "unlit_m": unlit_m,
        "unknown_m": unknown_m,
        "not_known_lit_share": (unlit_m + unknown_m) / total if total else 0.0,
    }


def compass(dx: float, dy: float) -> str:
    """Eight-point heading in Swedish for a step ``(dx, dy)`` in a metric CRS (y north)."""
    angle = np.degrees(np.arctan2(dy, dx)) % 360.0
    return _COMPASS[int(((angle + 22.5) % 360.0) // 45.0)]


def round_m(metres: float) -> int:
    """Walking distances as people say them: 10 m steps below 200 m, else 50 m."""
    step = 10 if metres < 200 else 50
    if metres <= 0:
        return 0
    return int(max(step, step * round(metres / step)))


@dataclass
class Leg:
    """One line of the directions: a street walked in one heading."""

    street: str
    named: bool
    heading: str
    length_m: float
    start_m: float
    stops: list[int]

    def text(self) -> str:
        """``"Gå Drottninggatan norrut 300 m till stopp 2"``."""
        where = self.street if self.named else f"längs {self.street}"
        line = f"Gå {where} {self.heading} {round_m(self.length_m)} m"
        if self.stops:
            line += " till stopp " + " och ".join(str(s) for s in self.stops)
        return line

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "street": self.street,
            "heading": self.heading,
            "length_m": round(self.length_m),
            "stops": self.stops,
            "text": self.text(),
        }


def directions(
    names: Sequence[str | None],
    highways: Sequence[str | None],
    lengths: np.ndarray,
    starts_xy: np.ndarray,
    ends_xy: np.ndarray,
    stop_distances: Sequence[tuple[int, float]],
) -> list[Leg]:
    """Directions for walked edges in order.

    Parameters
    ----------
    names, highways
        Street name (None when unnamed) and ``highway`` class of each walked edge.
    lengths
        Walked length of each edge (m).
    starts_xy, ends_xy
        Where each edge is entered and left (walking order), metric CRS.
    stop_distances
        ``(order, distance along the route)`` of each numbered stop.
    """
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    runs: list[list[int]] = []
    keys: list[str] = []
    for i, name in enumerate(names):
        key = name or _UNNAMED.get(str(highways[i]), "vägen")
        if runs and keys[-1] == key:
            runs[-1].append(i)
        else:
            runs.append([i])
            keys.append(key)
    # Short unnamed pieces (a crossing, a bit of pavement) join the leg before them.
    merged_runs: list[list[int]] = []
    merged_keys: list[str] = []
    for run, key in zip(runs, keys, strict=True):
        leg_m = float(lengths[run].sum())
        short = leg_m < MIN_CROSSING_M or (leg_m < MIN_LEG_M and names[run[0]] is None)
        if (merged_runs and short) or (merged_runs and merged_keys[-1] == key):
            merged_runs[-1].extend(run)
        else:
            merged_runs.append(list(run))
            merged_keys.append(key)
    legs = []
    for run, key in zip(merged_runs, merged_keys, strict=True):
        first, last = run[0], run[-1]
        dx, dy = ends_xy[last] - starts_xy[first]
        legs.append(
            Leg(
                street=key,
                named=names[first] is not None,
                heading=compass(float(dx), float(dy)),
                length_m=float(lengths[run].sum()),
                start_m=float(along[first]),
                stops=[],
            )
        )
    ends = np.asarray([leg.start_m + leg.length_m for leg in legs])
    for order, dist in stop_distances:
        k = int(np.searchsorted(ends, dist - 1e-6))
        legs[min(k, len(legs) - 1)].stops.append(order)
    return legs
