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


@dataclass(frozen=True)
class NoticeProposal:
    """A Polisen notice that looks like an executed checkpoint of the plan.

    Attributes
    ----------
    notice_id
        The stored executed activity made from the notice.
    site
        The plan's site it most likely was held at.
    happened_at, place
        When, and the notice's text about where.
    reason
        Swedish: why it matches ("samma väg (Rv 94) och ort (Vidsel)").
    """

    notice_id: int
    site: FieldSite
    happened_at: datetime
    place: str
    reason: str


def _road_pattern(designation: str) -> re.Pattern[str] | None:
    """How a notice writes a road: "E45"/"E 45", "Rv 94"/"riksväg 94"/"väg 94", "Lv 342"."""
    e_road = re.fullmatch(r"E(\d+)", designation)
    if e_road:
        return re.compile(rf"\bE\s?{e_road.group(1)}\b", re.IGNORECASE)
    numbered = re.fullmatch(r"(Rv|Lv) (\d+)", designation)
    if numbered:
        words = "rv|riksväg|väg" if numbered.group(1) == "Rv" else "lv|länsväg|väg"
        return re.compile(rf"\b(?:{words})\s?{numbered.group(2)}\b", re.IGNORECASE)
    return None


def _site_hits(site: FieldSite, text: str, settlement: str) -> tuple[int, str]:
    parts = []
    score = 0
    for designation in site.road_ref.split("/") if site.road_ref else []:
        pattern = _road_pattern(designation)
        if pattern and pattern.search(text):
            score += 2
            parts.append(f"samma väg ({designation})")
            break
    else:
        if site.road_name and re.search(rf"\b{re.escape(site.road_name)}\b", text, re.I):
            score += 2
            parts.append(f"samma gata ({site.road_name})")
    town = site.settlement or ""
    if town and (
        settlement.casefold() == town.casefold()
        or re.search(rf"\b{re.escape(town)}\b", text, re.IGNORECASE)
    ):
        score += 1
        parts.append(f"samma ort ({town})")
    return score, " och ".join(parts)


def propose_notice_matches(
    sites: Sequence[FieldSite],
    notices: Sequence[tuple[int, datetime, str, str]],
    start: datetime,
    end: datetime,
) -> list[NoticeProposal]:
    """Notices that are probably executed checkpoints of the plan, for the planner to confirm.

    A notice within ``start``..``end`` is proposed for the site whose road (designation or
    name) and nearest settlement its text names: the road counts twice the settlement, and
    a tie goes to the lowest site number. Notices that name neither are left out.

    Parameters
    ----------
    sites
        The plan's numbered sites.
    notices
        ``(id, happened_at, place text, settlement)`` per stored notice.
    start, end
        The period the plan's checkpoints run in.
    """
    out = []
    for notice_id, happened_at, place, settlement in notices:
        if not (start <= happened_at <= end):
            continue
        best: tuple[int, int, str] | None = None
        for site in sites:
            score, reason = _site_hits(site, place, settlement or "")
            if score and (best is None or score > best[0]):
                best = (score, site.number, reason)
        if best is not None:
            site = next(s for s in sites if s.number == best[1])
            out.append(NoticeProposal(notice_id, site, happened_at, place, best[2]))
    return sorted(out, key=lambda p: p.happened_at)
