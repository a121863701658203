"""Polisen's public event notices ("händelser") as the record of what the police did where.

The archive (``polisen-events-2022-2026.jsonl.gz``, one JSON object a line) and the live
polisen.se API give each event a ``lat``/``lon`` that is only Polisen's fixed point for the
municipality or county. The real place is in the text: "trafikkontroll på E45/Järnvägsgatan
i Strömsund", "vid Vattudalstorget", "länsväg 342", "Näsviken". :func:`geocode_events` reads
it with :func:`geodata.places.geocode`; :func:`executed_checkpoints` turns the traffic
checkpoints (``Trafikkontroll``) into points for the spread metrics.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

import geopandas as gpd
import pandas as pd

from geodata import METRIC_CRS, POLISEN_ATTRIBUTION
from geodata.errors import DataUnavailableError, InvalidInputError
from geodata.network import Network
from geodata.online import offline_error, reachable
from geodata.places import LEVEL_RANK, GeocodeResult, _resolve, gazetteer
from geodata.settings import get_settings

log = logging.getLogger(__name__)

ARCHIVE_NAME = "polisen-events-2022-2026.jsonl.gz"
CHECKPOINT_TYPES = ("Trafikkontroll",)
#: Levels precise enough to count as where a checkpoint stood.
CHECKPOINT_LEVELS = ("point", "street", "road", "settlement")


@dataclass
class PoliceEvent:
    """One event notice."""

    id: int
    datetime: datetime
    type: str
    name: str
    summary: str
    location_name: str
    lat: float | None = None  # Polisen's fixed point for the area, not the incident place
    lon: float | None = None
    url: str | None = None
    body: str | None = None

    @property
    def text(self) -> str:
        """Summary and body, the texts that name the place."""
        return f"{self.summary}\n{self.body or ''}".strip()

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON (ISO datetime)."""
        out = asdict(self)
        out["datetime"] = self.datetime.isoformat()
        return out


@dataclass
class EventSet:
    """Events read from one source, with the count of lines that could not be read."""

    events: list[PoliceEvent]
    source: str
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    attribution: str = POLISEN_ATTRIBUTION

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[PoliceEvent]:
        return iter(self.events)


def default_archive() -> Path | None:
    """The imported archive (``loftesplan data import polisen``), else the shared one."""
    from geodata import imported

    if (path := imported.archive()) is not None:
        return path
    shared = get_settings().shared_dir
    if shared is None:
        return None
    path = Path(shared) / "geodata" / "polisen" / ARCHIVE_NAME
    return path if path.is_file() else None


def parse_datetime(text: str) -> datetime:
    """Polisen's "2023-03-23 16:32:20 +01:00" (hour may lack its leading zero)."""
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S"):
        with suppress(ValueError):
            return datetime.strptime(text, fmt)
    return datetime.fromisoformat(text)


def _event_from(obj: Any) -> PoliceEvent:
    """An event from an archive or API record; KeyError/TypeError/ValueError when malformed."""
    if not isinstance(obj, dict):
        raise TypeError("not an object")
    location = obj.get("location_name")
    lat, lon = obj.get("lat"), obj.get("lon")
    if location is None and isinstance(obj.get("location"), dict):  # the live API's shape
        location = obj["location"].get("name")
        gps = str(obj["location"].get("gps") or "")
        if "," in gps:
            lat, lon = (float(v) for v in gps.split(",", 1))
    return PoliceEvent(
        id=int(obj["id"]),
        datetime=parse_datetime(str(obj["datetime"])),
        type=str(obj["type"]),
        name=str(obj.get("name") or ""),
        summary=str(obj.get("summary") or ""),
        location_name=str(location or ""),
        lat=None if lat is None else float(lat),
        lon=None if lon is None else float(lon),
        url=obj.get("url"),
        body=obj.get("body"),
    )


def parse_events(payload: Any) -> tuple[list[PoliceEvent], int]:
    """polisen.se's JSON records as notices, oldest first, and the count of malformed ones."""
    events, skipped = [], 0
    for record in payload if isinstance(payload, list) else []:
        try:
            events.append(_event_from(record))
        except (ValueError, KeyError, TypeError):
            skipped += 1
    return sorted(events, key=lambda e: e.datetime), skipped


def in_municipality(event: PoliceEvent, name: str) -> bool:
    """Whether an event belongs to municipality ``name``.

    ``location_name`` is the kommun ("Strömsund") or, for notices filed at county level,
    the län ("Jämtlands län"); those end their title with the kommun ("…, Strömsund").
    """
    if event.location_name == name:
        return True
    return event.location_name.endswith(" län") and event.name.rsplit(",", 1)[-1].strip() == name


def _wanted(
    event: PoliceEvent,
    name: str | None,
    types: set[str] | None,
    lo: date | None,
    hi: date | None,
) -> bool:
    """Whether an archived event passes the kommun, type and date filters."""
    if name is not None and not in_municipality(event, name):
        return False
    if types is not None and event.type not in types:
        return False
    return _within(event.datetime, lo, hi)


def _may_be_in(record: object, name: str) -> bool:
    """False only for a well-formed record that clearly belongs to another kommun."""
    if not isinstance(record, dict):
        return True
    location, title = record.get("location_name"), record.get("name")
    if not isinstance(location, str) or not isinstance(title, str):
        return True  # malformed or the live API's shape: let _event_from decide
    if location == name:
        return True
    return location.endswith(" län") and title.rsplit(",", 1)[-1].strip() == name


def _open_lines(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def read_archive(
    path: str | Path | None = None,
    municipality: str | None = None,
    types: Iterable[str] | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> EventSet:
    """Stream the archive, keeping events that pass the filters.

    Parameters
    ----------
    path
        A ``.jsonl`` or ``.jsonl.gz`` file; default the shared archive.
    municipality
        A kommun name or code; events of the kommun (and county notices naming it).
    types
        Event types to keep ("Trafikkontroll", "Rattfylleri"...), exact match.
    since, until
        Keep events on or after ``since`` and before ``until`` (dates compare by day).

    Returns
    -------
    EventSet
        Events oldest first; ``skipped`` counts lines that were not valid events.

    Raises
    ------
    DataUnavailableError
        If there is no archive or it cannot be opened at all.
    UnknownMunicipalityError
        If ``municipality`` names no kommun.
    """
    if path is None:
        path = default_archive()
        if path is None:
            raise DataUnavailableError(
                "Hittar inget arkiv med Polisens händelser. Ange en arkivfil "
                "(JSON Lines, en händelse per rad) eller hämta händelserna online.",
                field="archive",
            )
    path = Path(path)
    if not path.is_file():
        raise DataUnavailableError(f"Hittar inte händelsearkivet {path}.")
    name = None
    if municipality is not None:
        from geodata.municipalities import find_municipality

        name = find_municipality(str(municipality)).name
    wanted_types = set(types) if types else None
    lo, hi = _bound(since), _bound(until)

    events: list[PoliceEvent] = []
    skipped_lines: list[int] = []
    lineno = 0
    try:
        with _open_lines(path) as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if name is not None and not _may_be_in(record, name):
                        continue  # another kommun: skip the costly date parsing
                    event = _event_from(record)
                except (ValueError, KeyError, TypeError):
                    skipped_lines.append(lineno)
                    continue
                if _wanted(event, name, wanted_types, lo, hi):
                    events.append(event)
    except (OSError, EOFError) as exc:
        if lineno == 0:
            raise DataUnavailableError(f"Kan inte läsa händelsearkivet {path.name}: {exc}") from exc
        # A truncated download: keep what was read, say so.
        log.warning("händelsearkivet %s slutar oväntat efter rad %d: %s", path.name, lineno, exc)
        skipped_lines.append(lineno + 1)
    if skipped_lines:
        log.warning("%d rader i %s kunde inte läsas och hoppades över", len(skipped_lines), path)
    events.sort(key=lambda e: e.datetime)
    return EventSet(
        events, source=str(path), skipped=len(skipped_lines), skipped_lines=skipped_lines
    )


def _bound(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError as exc:
            raise InvalidInputError(f"Ogiltigt datum {value!r}; skriv ÅÅÅÅ-MM-DD.") from exc
    return value.date() if isinstance(value, datetime) else value


def _within(when: datetime, lo: date | None, hi: date | None) -> bool:
    day = when.date()
    return (lo is None or day >= lo) and (hi is None or day < hi)


def fetch_events(municipality: str, timeout_s: float = 20.0) -> EventSet:
    """The latest events of a municipality from the public polisen.se API (about 500 max).

    Raises
    ------
    DataUnavailableError
        Offline (``LOFTESPLAN_OFFLINE``) or when the API cannot be reached.
    """
    from geodata.municipalities import find_municipality

    name = find_municipality(str(municipality)).name
    url = get_settings().polisen_url
    if not reachable(url):
        raise offline_error(
            "Polisens senaste händelser",
            "Använd ett arkiv med händelser (Polisens öppna data, sparad som JSONL).",
            field="archive",
        )
    import httpx

    try:
        response = httpx.get(
            url,
            params={"locationname": name},
            timeout=timeout_s,
            headers={"User-Agent": "loftesplan (medborgarloften; open source)"},
        )
        response.raise_for_status()
        events, skipped = parse_events(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        log.info("polisen.se events request failed: %r", exc)
        reason = (
            "tjänsten svarade inte i tid"
            if isinstance(exc, httpx.TimeoutException)
            else "tjänsten gick inte att nå eller gav ett oväntat svar"
        )
        raise DataUnavailableError(
            f"Kunde inte hämta Polisens händelser: {reason}.", field="archive"
        ) from exc
    return EventSet(events, source=url, skipped=skipped)


def load_events(
    municipality: str,
    types: Iterable[str] | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    archive: str | Path | None = None,
    online: bool = False,
) -> EventSet:
    """Events of a municipality from the archive, or from polisen.se when ``online``."""
    if online:
        fetched = fetch_events(municipality)
        lo, hi = _bound(since), _bound(until)
        wanted = set(types) if types else None
        fetched.events = [
            e
            for e in fetched.events
            if (wanted is None or e.type in wanted) and _within(e.datetime, lo, hi)
        ]
        return fetched
    return read_archive(archive, municipality, types, _bound(since), _bound(until))


# --- where did it happen? -----------------------------------------------------------------

_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def place_phrases(event: PoliceEvent) -> list[str]:
    """Candidate place phrases, most telling first: the summary, then body sentences."""
    phrases = [event.summary] if event.summary.strip() else []
    if event.body:
        phrases += [s for s in _SPLIT_RE.split(event.body) if s.strip()]
    return phrases


def geocode_event(
    event: PoliceEvent,
    municipality: str,
    network: Network | None = None,
    features: gpd.GeoDataFrame | None = None,
) -> GeocodeResult:
    """Where an event happened, read from its text; municipality level when the text is vague.

    Each phrase (summary first, then body sentences) is geocoded; the most specific answer
    wins, the summary breaking ties. Never Polisen's fixed point.
    """
    gaz = gazetteer(_code(municipality))
    best: GeocodeResult | None = None
    best_score: tuple[int, ...] = ()
    for index, phrase in enumerate(place_phrases(event)):
        result = _resolve(phrase, gaz, network, features)
        if result.level in ("unresolved", "features"):
            continue
        # Most specific level first; a village beats the kommun's namesake town ("Strömsund,
        # resultat … I Näsviken kontrollerades"); then the earliest phrase.
        namesake = result.name == gaz.name
        score = (LEVEL_RANK[result.level], int(not namesake), -index)
        if best is None or score > best_score:
            best, best_score = result, score
    if best is None or best.level == "municipality":
        return GeocodeResult(
            phrase=event.summary,
            level="municipality",
            name=gaz.boundary.name,
            source=gaz.boundary.source,
            confidence=0.9,
            geometry=gaz.boundary.geometry,
            municipality=gaz.code,
            reason=None if best else "Texten nämner ingen plats som kunde hittas.",
        )
    return best


def _code(municipality: str) -> str:
    from geodata.municipalities import find_municipality

    return find_municipality(str(municipality)).code


def geocode_events(
    events: Iterable[PoliceEvent],
    municipality: str,
    network: Network | None = None,
    features: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """One row per event with the geocode fields and a point geometry in EPSG:3006.

    The geometry is None when only the municipality is known.
    """
    rows, geoms = [], []
    for event in events:
        result = geocode_event(event, municipality, network, features)
        row = {
            "id": event.id,
            "datetime": event.datetime,
            "type": event.type,
            "summary": event.summary,
            "url": event.url,
            **result.to_dict(),
        }
        row.setdefault("reason", None)
        rows.append(row)
        geoms.append(_metric_point(result))
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "datetime",
            "type",
            "summary",
            "url",
            "level",
            "lat",
            "lon",
            "name",
            "source",
            "confidence",
            "reason",
        ],
    )
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=METRIC_CRS), crs=METRIC_CRS)
    gdf.attrs["attribution"] = POLISEN_ATTRIBUTION
    return gdf


def _metric_point(result: GeocodeResult) -> Any:
    if result.lat is None or result.lon is None:
        return None
    import shapely

    from geodata.places import _TO_METRIC

    x, y = _TO_METRIC.transform(result.lon, result.lat)
    return shapely.Point(x, y)


def executed_checkpoints(
    events: Iterable[PoliceEvent] | gpd.GeoDataFrame,
    municipality: str | None = None,
    network: Network | None = None,
    features: gpd.GeoDataFrame | None = None,
    min_confidence: float = 0.0,
) -> gpd.GeoDataFrame:
    """Traffic checkpoints Polisen reported, as points in EPSG:3006.

    Parameters
    ----------
    events
        Events (then ``municipality`` is required) or the output of :func:`geocode_events`.
    min_confidence
        Drop checkpoints placed with less confidence.

    Returns
    -------
    GeoDataFrame
        Columns of :func:`geocode_events`; only ``Trafikkontroll`` events placed at
        settlement level or better. ``attrs["attribution"]`` is "Källa: Polisen".
    """
    if not isinstance(events, gpd.GeoDataFrame):
        if municipality is None:
            raise InvalidInputError("Ange kommunen som händelserna gäller.")
        chosen = [e for e in events if e.type in CHECKPOINT_TYPES]
        events = geocode_events(chosen, municipality, network, features)
    keep = (
        events["type"].isin(CHECKPOINT_TYPES)
        & events["level"].isin(CHECKPOINT_LEVELS)
        & (events["confidence"] >= min_confidence)
        & events.geometry.notna()
    )
    out = events[keep.to_numpy()].reset_index(drop=True)
    out.attrs["attribution"] = POLISEN_ATTRIBUTION
    return out
