"""Checkpoints as the field sees them: numbered, named sites and their scheduled events.

A site is found in the field by the name printed beside its number on every export: "Rv 94
vid Vidsel". The road comes from the plan's network (OSM ``ref`` and ``name`` of the edge the
site was snapped to), the settlement from :func:`geodata.nearby.nearest_settlements`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from geodata.nearby import nearest_settlements

_E_ROAD = re.compile(r"^E\s*(\d+)$", re.IGNORECASE)


def road_designation(ref: str | None) -> str:
    """A Swedish road designation of an OSM ``ref``: "E 45" → "E45", "94" → "Rv 94".

    Several refs ("E 6;4") are joined with "/". Numbers below 100 are riksvägar, the others
    länsvägar (the Swedish numbering); anything else is kept as written.
    """
    if not ref:
        return ""
    parts = []
    for raw in re.split(r"[;,]", ref):
        part = raw.strip()
        if not part:
            continue
        e_road = _E_ROAD.match(part)
        if e_road:
            parts.append(f"E{int(e_road.group(1))}")
        elif part.isdigit():
            parts.append(f"{'Rv' if int(part) < 100 else 'Lv'} {int(part)}")
        else:
            parts.append(part)
    return "/".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class FieldSite:
    """A numbered checkpoint site as the field sees it.

    Attributes
    ----------
    number
        1..K, the same on the map, in the table and in every export.
    lat, lon
        WGS 84.
    road_ref
        Road designation ("Rv 94"), empty when the road has no number.
    road_name
        Street or road name, empty when unnamed.
    settlement
        Nearest settlement, ``None`` when none is near.
    reason, road_km_covered
        Why the planner chose the site and how much road it reaches.
    """

    number: int
    lat: float
    lon: float
    road_ref: str = ""
    road_name: str = ""
    settlement: str | None = None
    reason: str = ""
    road_km_covered: float = 0.0

    @property
    def road(self) -> str:
        """Designation and name ("Rv 94 Storgatan"), or "namnlös väg"."""
        return " ".join(p for p in (self.road_ref, self.road_name) if p) or "namnlös väg"

    @property
    def label(self) -> str:
        """The short field name: "Rv 94 vid Vidsel"."""
        road = self.road_ref or self.road_name or "namnlös väg"
        return f"{road} vid {self.settlement}" if self.settlement else road

    @property
    def location(self) -> str:
        """Road and settlement for a calendar's LOCATION: "Rv 94 Storgatan, Vidsel"."""
        return f"{self.road}, {self.settlement}" if self.settlement else self.road

    @property
    def geo_uri(self) -> str:
        """An RFC 5870 ``geo:`` link that phones open in their map app."""
        return f"geo:{self.lat:.6f},{self.lon:.6f}"


def name_sites(
    lonlat: Sequence[tuple[float, float]],
    refs: Sequence[str | None],
    names: Sequence[str | None],
) -> list[tuple[str, str, str | None]]:
    """``(road designation, road name, nearest settlement)`` for each site, in order."""
    towns = nearest_settlements(lonlat)
    return [
        (road_designation(ref), (name or "").strip(), town)
        for ref, name, town in zip(refs, names, towns, strict=True)
    ]


#: Swedish words for an event's status.
STATUS_SV = {
    "planned": "planerad",
    "done": "utförd",
    "cancelled": "inställd",
    "moved": "flyttad",
}


@dataclass(frozen=True)
class FieldEvent:
    """A scheduled checkpoint at a numbered site.

    Attributes
    ----------
    event_id
        The stored event's id (stable across exports; used in calendar UIDs).
    site
        Where.
    start, end
        Swedish local time.
    block
        Time block label ("kväll").
    joint
        A joint operation with the municipality.
    status
        ``planned``, ``done``, ``cancelled`` or ``moved``.
    """

    event_id: int
    site: FieldSite
    start: datetime
    end: datetime
    block: str = ""
    joint: bool = False
    status: str = "planned"

    @property
    def title(self) -> str:
        """The calendar title, e.g. "Trafikkontroll 7 – Rv 94 vid Vidsel"."""
        joint = " (gemensam insats)" if self.joint else ""
        return f"Trafikkontroll {self.site.number} – {self.site.label}{joint}"
