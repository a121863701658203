"""Every municipality's record from Polisen's notices: the compact national aggregate.

The aggregate holds, for each of the 290 municipalities, the count of notices per notice type
and quarter, and for traffic checks (``Trafikkontroll``) the settlements reached per quarter
and the spread figures per year (:mod:`service.followup.spread`, straight-line 5 km). It is
built from an archive of notices by :func:`build_aggregate` (``scripts/build_polisen_aggregate.py``
or ``loftesplan data import polisen``), written gzipped (tens of kilobytes) and read by the
public pages. The package ships one built from the shared 2022–2026 archive, so a fresh
install shows real figures with no file and no internet; an import or the live poll writes a
newer one into the data directory, which supersedes it.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from geodata import POLISEN_ATTRIBUTION
from geodata.events import EventSet, PoliceEvent, read_archive
from geodata.files import atomic_write
from geodata.municipalities import all_municipalities, settlements
from geodata.settings import get_settings
from service.followup.polisen import POLISEN_EVENT_KINDS, place_notices
from service.followup.spread import DEFAULT_RADIUS_M, executed_spread, population_by_code

log = logging.getLogger(__name__)

AGGREGATE_NAME = "polisen_aggregate.json.gz"
TRAFFIC = "Trafikkontroll"
FORMAT_VERSION = 1


def quarter_of(moment: datetime) -> str:
    """The quarter key of a notice's own (Swedish) date: "2023Q2"."""
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"


def municipality_code_of(event: PoliceEvent, codes_by_name: dict[str, str]) -> str | None:
    """The municipality a notice belongs to (as :func:`geodata.events.in_municipality`).

    ``location_name`` is the kommun, or the län for notices filed at county level, whose title
    then ends with the kommun ("…, Strömsund"). None for notices of a whole county.
    """
    if event.location_name in codes_by_name:
        return codes_by_name[event.location_name]
    if event.location_name.endswith(" län"):
        return codes_by_name.get(event.name.rsplit(",", 1)[-1].strip())
    return None


def _spread_block(xy: np.ndarray, towns: Any, population: int | None) -> dict[str, Any]:
    spread = executed_spread(xy, towns, population, DEFAULT_RADIUS_M)
    data = spread.to_dict()
    far = spread.farthest_unreached
    return {
        "checks": data["checks"],
        "reached": {r.name: r.checks for r in spread.settlements if r.reached},
        "settlements_reached": data["settlements_reached"],
        "settlements_total": data["settlements_total"],
        "population_share": data["population_share"],
        "farthest_unreached": None if far is None else far.name,
        "farthest_unreached_km": data["farthest_unreached_km"],
    }


def _add_traffic(record: dict[str, Any], code: str, events: list[PoliceEvent]) -> list[Any]:
    """Add traffic-check notices to a municipality's record; returns the exact points added.

    The record keeps each placed check's point rounded to a metre (``points`` per year) so a
    later poll can recompute the year's spread without the archive.
    """
    placed = place_notices(events, code)
    quarters = record.setdefault("quarters", {})
    points = record.setdefault("points", {})
    exact = []
    for notice in placed:
        key = quarter_of(notice.event.datetime)
        entry = quarters.setdefault(key, {"checks": 0, "unplaced": 0, "settlements": {}})
        entry["checks"] += 1
        if not notice.record.placed:
            entry["unplaced"] += 1
        if notice.record.settlement:
            name = notice.record.settlement
            entry["settlements"][name] = entry["settlements"].get(name, 0) + 1
        if notice.x is not None and notice.y is not None:
            points.setdefault(key[:4], []).append([round(notice.x), round(notice.y)])
            exact.append((key[:4], notice.x, notice.y))
    record["quarters"] = dict(sorted(quarters.items()))
    return exact


def _refresh_spread(
    record: dict[str, Any], code: str, exact: list[Any] | None = None
) -> dict[str, Any]:
    """Recompute the year and whole-record spread blocks of one municipality.

    ``exact`` (year, x, y) points are used when given (a full build); otherwise the stored
    metre-rounded points (an update from the live poll).
    """
    towns = settlements(code)
    population = population_by_code().get(code)
    by_year: dict[str, list[tuple[float, float]]] = {}
    if exact is not None:
        for year, x, y in exact:
            by_year.setdefault(year, []).append((x, y))
    else:
        for year, pts in record.get("points", {}).items():
            by_year[year] = [(float(x), float(y)) for x, y in pts]
    years = sorted({k[:4] for k in record.get("quarters", {})})
    record["years"] = {
        year: _spread_block(np.array(by_year.get(year, []), dtype=float), towns, population)
        for year in years
    }
    every = [p for pts in by_year.values() for p in pts]
    record["all"] = _spread_block(np.array(every, dtype=float), towns, population)
    record["settlements_total"] = len(towns)
    return record


def _traffic_record(code: str, events: list[PoliceEvent]) -> dict[str, Any]:
    """Quarterly and yearly traffic-check figures of one municipality."""
    record: dict[str, Any] = {}
    exact = _add_traffic(record, code, events)
    return _refresh_spread(record, code, exact)


RECENT_DAYS = 3


def _count(aggregate: dict[str, Any], events: list[PoliceEvent]) -> dict[str, list[PoliceEvent]]:
    """Add notices to the per-type quarterly counts; the traffic checks per municipality."""
    codes_by_name = {m.name: m.code for m in all_municipalities()}
    traffic: dict[str, list[PoliceEvent]] = {}
    for event in events:
        code = municipality_code_of(event, codes_by_name)
        if code is None:
            aggregate["county_level_notices"] = aggregate.get("county_level_notices", 0) + 1
            continue
        entry = aggregate["municipalities"].setdefault(code, {"counts": {}, "traffic": {}})
        per_type = entry["counts"].setdefault(event.type, {})
        key = quarter_of(event.datetime)
        per_type[key] = per_type.get(key, 0) + 1
        if event.type in POLISEN_EVENT_KINDS:
            traffic.setdefault(code, []).append(event)
    return traffic


def _dates(aggregate: dict[str, Any], events: list[PoliceEvent], source: str) -> None:
    """Update the record's first and last dates, notice count and recently seen ids."""
    if not events:
        return
    last = max(e.datetime for e in events)
    if aggregate.get("last_datetime"):
        last = max(last, datetime.fromisoformat(aggregate["last_datetime"]))
    first = min(e.datetime for e in events).date().isoformat()
    aggregate["first_date"] = min(filter(None, [aggregate.get("first_date"), first]))
    aggregate["data_date"] = last.date().isoformat()
    aggregate["last_datetime"] = last.isoformat()
    aggregate["notices"] = aggregate.get("notices", 0) + len(events)
    since = last - timedelta(days=RECENT_DAYS)
    recent = dict(aggregate.get("recent", {}))
    recent.update({str(e.id): e.datetime.isoformat() for e in events})
    aggregate["recent"] = {
        k: v for k, v in sorted(recent.items()) if datetime.fromisoformat(v) >= since
    }
    aggregate["built"] = datetime.now(UTC).date().isoformat()
    aggregate["archive"] = source


def build_aggregate(
    archive: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    events: EventSet | None = None,
) -> dict[str, Any]:
    """Build the national aggregate from an archive of notices (default the shared one).

    Parameters
    ----------
    archive
        JSON Lines (optionally gzipped), one notice a line, as the shared archive.
    progress
        Called with a short Swedish line per municipality.
    events
        The archive already read (then ``archive`` is not read again).

    Returns
    -------
    dict
        JSON-ready; write it with :func:`write_aggregate`.
    """
    loaded = events if events is not None else read_archive(archive)
    aggregate: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "attribution": POLISEN_ATTRIBUTION,
        "first_date": None,
        "county_level_notices": 0,
        "radius_km": DEFAULT_RADIUS_M / 1000,
        "settlements_source": settlements("2321").attrs.get("attribution", ""),
        "population_source": "Källa: SCB, folkmängd 31 december 2025",
        "municipalities": {m.code: {"counts": {}, "traffic": {}} for m in all_municipalities()},
    }
    traffic = _count(aggregate, loaded.events)
    for m in all_municipalities():
        if progress is not None:
            progress(f"{m.code} {m.name}: {len(traffic.get(m.code, []))} trafikkontroller")
        aggregate["municipalities"][m.code]["traffic"] = _traffic_record(
            m.code, traffic.get(m.code, [])
        )
    _dates(aggregate, loaded.events, Path(loaded.source).name)
    return aggregate


def apply_notices(
    aggregate: dict[str, Any], events: list[PoliceEvent], source: str = "polisen.se"
) -> int:
    """Add newly polled notices to the aggregate in place; returns how many were new.

    A notice counts as seen when it is older than the record's last days or its id is among
    the ids of those days (``recent``), so polling the same notices twice adds nothing.
    Only the municipalities that got a traffic check have their spread recomputed.
    """
    last = aggregate.get("last_datetime")
    horizon = datetime.fromisoformat(last) - timedelta(days=RECENT_DAYS) if last else None
    seen = {int(k) for k in aggregate.get("recent", {})}
    fresh = [e for e in events if e.id not in seen and (horizon is None or e.datetime >= horizon)]
    if not fresh:
        return 0
    traffic = _count(aggregate, fresh)
    for code, notices in traffic.items():
        record = aggregate["municipalities"][code]["traffic"]
        _add_traffic(record, code, notices)
        _refresh_spread(record, code)
    _dates(aggregate, fresh, source)
    return len(fresh)


def write_aggregate(aggregate: dict[str, Any], path: str | Path) -> Path:
    """Write the aggregate gzipped and compact (atomically: a temp file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(aggregate, ensure_ascii=False, separators=(",", ":")).encode()

    def write(tmp: Path) -> None:
        with gzip.GzipFile(tmp, "wb", mtime=0) as fh:
            fh.write(payload)

    atomic_write(path, write)
    return path


def imported_aggregate_path() -> Path:
    """Where an import or the live poll writes the aggregate (the user data directory)."""
    return Path(get_settings().data_dir) / AGGREGATE_NAME


def load_aggregate() -> dict[str, Any]:
    """The newest aggregate: an imported one in the data directory, else the shipped one."""
    imported = imported_aggregate_path()
    if imported.is_file():
        try:
            return _read_imported(str(imported), imported.stat().st_mtime_ns)
        except (OSError, ValueError) as exc:
            log.warning("importerat aggregat %s kunde inte läsas: %s", imported, exc)
    return _read_shipped()


@lru_cache(maxsize=2)
def _read_imported(path: str, _mtime_ns: int) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    data["origin"] = "importerad"
    return data


@lru_cache(maxsize=1)
def _read_shipped() -> dict[str, Any]:
    shipped = files("service.followup") / "data" / AGGREGATE_NAME
    with shipped.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    data["origin"] = "medföljande"
    return data


def import_archive(archive: str | Path) -> dict[str, Any]:
    """``loftesplan data import polisen ARCHIVE``: rebuild the aggregate into the data dir.

    Idempotent: the aggregate is rebuilt from the whole archive each time, except that an
    archive holding exactly the notices the shipped aggregate was built from (same count,
    first and last moment) reuses it instead of spending minutes on the same result.
    """
    loaded = read_archive(archive)
    shipped = _read_shipped()
    dates = [e.datetime for e in loaded.events]
    same = (
        dates
        and shipped.get("notices") == len(loaded.events)
        and shipped.get("first_date") == min(dates).date().isoformat()
        and shipped.get("last_datetime") == max(dates).isoformat()
    )
    aggregate = (
        {k: v for k, v in shipped.items() if k != "origin"}
        if same
        else build_aggregate(archive, events=loaded)
    )
    write_aggregate(aggregate, imported_aggregate_path())
    return aggregate


@dataclass(frozen=True)
class MunicipalityRecord:
    """One row of the national table (one municipality, one year or all years)."""

    code: str
    name: str
    county: str
    checks: int
    population: int | None
    settlements_reached: int
    settlements_total: int
    population_share: float | None
    farthest_unreached: str | None
    farthest_unreached_km: float | None
    reached: tuple[str, ...]

    @property
    def per_10000(self) -> float | None:
        """Traffic checks per 10 000 inhabitants."""
        return None if not self.population else 10_000 * self.checks / self.population


def years_of(aggregate: dict[str, Any]) -> list[str]:
    """The calendar years the aggregate covers, oldest first."""
    first, last = aggregate.get("first_date"), aggregate.get("data_date")
    if not first or not last:
        return []
    return [str(y) for y in range(int(first[:4]), int(last[:4]) + 1)]


def national_record(aggregate: dict[str, Any], year: str | None = None) -> list[MunicipalityRecord]:
    """Every municipality's traffic-check record for ``year`` (None: the whole archive)."""
    from service.render.format import municipality_name  # presentation of the name only

    population = population_by_code()
    rows = []
    for m in all_municipalities():
        entry = aggregate["municipalities"].get(m.code, {})
        traffic = entry.get("traffic", {})
        block = traffic.get("all") if year is None else traffic.get("years", {}).get(year)
        total = traffic.get("settlements_total", 0)
        block = block or {"checks": 0, "reached": [], "population_share": 0.0}
        rows.append(
            MunicipalityRecord(
                code=m.code,
                name=municipality_name(m),
                county=m.county,
                checks=_checks(entry, year),
                population=population.get(m.code),
                # Stored count: two settlements may share a name in the reached mapping.
                settlements_reached=int(block.get("settlements_reached", len(block["reached"]))),
                settlements_total=int(block.get("settlements_total", total)),
                population_share=block.get("population_share"),
                farthest_unreached=block.get("farthest_unreached"),
                farthest_unreached_km=block.get("farthest_unreached_km"),
                reached=tuple(block.get("reached", [])),
            )
        )
    return rows


def _checks(entry: dict[str, Any], year: str | None) -> int:
    """Traffic-check notices (placed or not) in ``year`` or overall."""
    per_quarter = entry.get("counts", {}).get(TRAFFIC, {})
    return sum(n for q, n in per_quarter.items() if year is None or q.startswith(year))


def quarterly(aggregate: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """A municipality's traffic checks per quarter: count, unplaced, settlements reached."""
    entry = aggregate["municipalities"].get(code, {})
    traffic = entry.get("traffic", {}).get("quarters", {})
    counts = entry.get("counts", {}).get(TRAFFIC, {})
    keys = _all_quarters(aggregate)
    return [
        {
            "quarter": key,
            "checks": counts.get(key, 0),
            "unplaced": traffic.get(key, {}).get("unplaced", 0),
            "settlements": traffic.get(key, {}).get("settlements", {}),
        }
        for key in keys
    ]


def _all_quarters(aggregate: dict[str, Any]) -> list[str]:
    first, last = aggregate.get("first_date"), aggregate.get("data_date")
    if not first or not last:
        return []
    out = []
    year, quarter = int(first[:4]), (int(first[5:7]) - 1) // 3 + 1
    end = (int(last[:4]), (int(last[5:7]) - 1) // 3 + 1)
    while (year, quarter) <= end:
        out.append(f"{year}Q{quarter}")
        year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return out


def notice_types(aggregate: dict[str, Any], code: str) -> list[tuple[str, int]]:
    """Notice types of a municipality with their total counts, most frequent first."""
    counts = aggregate["municipalities"].get(code, {}).get("counts", {})
    totals = [(t, sum(q.values())) for t, q in counts.items()]
    return sorted(totals, key=lambda item: (-item[1], item[0]))
