"""Real data imported into the user data directory, with provenance, for installed use.

``loftesplan data import`` copies Lantmäteriet's zips, Polisen's event archive and OSM
extracts into ``DATA_DIR`` (one folder each) and writes ``provenance.json`` beside them:
where each file came from, when it was imported, its size, data date and licence. The data
layer finds them there without ``../shared``: Lantmäteriet boundaries and settlements, the
event archive, and OSM extracts. An imported OSM file may be a whole county or all of
Sweden: each municipality is then cut from it on demand (:func:`osm_extract_for`) and cached.
"""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import zipfile
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from geodata.errors import InvalidInputError
from geodata.files import atomic_write
from geodata.settings import get_settings

log = logging.getLogger(__name__)

LANTMATERIET_FILES = ("ak_riks.zip", "mb_riks.zip", "an_riks.zip")
#: Licence per kind, as ``data list`` shows it (attributions: ``geodata.*_ATTRIBUTION``).
LICENCES = {
    "lantmateriet": "CC0 (Lantmäteriet)",
    "polisen": "Polisens öppna data",
    "osm": "ODbL 1.0 (OpenStreetMap)",
}
OSM_SUFFIXES = (".osm.pbf", ".osm.bz2", ".osm")


def folder(kind: str) -> Path:
    """``DATA_DIR/<kind>`` (``lantmateriet``, ``polisen``, ``osm``)."""
    return get_settings().data_dir / kind


def _provenance_path(kind: str) -> Path:
    return folder(kind) / "provenance.json"


def provenance(kind: str) -> dict[str, Any]:
    """The provenance records of one kind, by file name."""
    path = _provenance_path(kind)
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _copy(source: Path, kind: str, name: str, data_date: str | None) -> Path:
    target_dir = folder(kind)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / name
    atomic_write(target, lambda tmp: shutil.copyfile(source, tmp))
    records = provenance(kind)
    records[name] = {
        "source": str(source.resolve()),
        "imported": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "bytes": target.stat().st_size,
        "data_date": data_date,
        "licence": LICENCES[kind],
    }
    _provenance_path(kind).write_text(
        json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return target


@lru_cache(maxsize=8)
def zip_date(path: Path) -> str | None:
    """Date of the newest member of a zip (Lantmäteriet's release date), or None if unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            stamp = max(info.date_time for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return None
    return datetime(*stamp).date().isoformat()


def import_lantmateriet(source: str | Path) -> list[Path]:
    """Copy ``ak_riks.zip``/``mb_riks.zip``/``an_riks.zip`` from a folder, or the zips named."""
    source = Path(source)
    if source.is_dir():
        found = [source / n for n in LANTMATERIET_FILES if (source / n).is_file()]
    else:
        found = [source] if source.is_file() and source.name in LANTMATERIET_FILES else []
    if not found:
        raise InvalidInputError(
            f"Hittar inga filer från Lantmäteriet i {source} "
            f"(väntade {', '.join(LANTMATERIET_FILES)}).",
            field="source",
        )
    copied = []
    for path in found:
        if zip_date(path) is None:
            raise InvalidInputError(f"{path.name} är ingen läsbar zip-fil.", field="source")
        copied.append(_copy(path, "lantmateriet", path.name, zip_date(path)))
    return copied


def import_polisen(source: str | Path) -> Path:
    """Copy an event archive (JSON Lines, optionally gzipped) after checking its events."""
    source = Path(source)
    if not source.is_file() or not source.name.endswith((".jsonl", ".jsonl.gz")):
        raise InvalidInputError(
            f"{source} är inget händelsearkiv (.jsonl eller .jsonl.gz).", field="source"
        )
    newest = _newest_event(source)
    if newest is None:
        raise InvalidInputError(f"{source.name} innehåller inga läsbara händelser.", field="source")
    return _copy(source, "polisen", "events" + "".join(source.suffixes[-2:]), newest)


def _newest_event(path: Path) -> str | None:
    """The newest event's date in an archive, or None if no line is an event."""
    opener = gzip.open if path.suffix == ".gz" else open
    newest = None
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                    day = str(record["datetime"])[:10] if record.get("id") is not None else None
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
                if day and (newest is None or day > newest):
                    newest = day
    except (OSError, EOFError):
        return newest
    return newest


def import_osm(source: str | Path, name: str | None = None) -> Path:
    """Copy an OSM extract (a municipality, a county or all of Sweden) under ``name``."""
    import osmium

    source = Path(source)
    suffix = next((s for s in OSM_SUFFIXES if source.name.lower().endswith(s)), None)
    if not source.is_file() or suffix is None:
        raise InvalidInputError(
            f"{source} är ingen OSM-fil (.osm, .osm.bz2 eller .osm.pbf).", field="source"
        )
    try:
        osmium.io.Reader(str(source), osmium.osm.osm_entity_bits.NOTHING).close()
    except RuntimeError as exc:
        raise InvalidInputError(f"{source.name} går inte att läsa som OSM-fil.") from exc
    stem = name or source.name[: -len(suffix)]
    if not stem.replace("-", "").replace("_", "").isalnum():
        raise InvalidInputError(f"Ogiltigt namn {stem!r}: använd bokstäver, siffror, - och _.")
    return _copy(source, "osm", stem + suffix, None)


def archive() -> Path | None:
    """The imported event archive, if any."""
    for name in ("events.jsonl.gz", "events.jsonl"):
        path = folder("polisen") / name
        if path.is_file():
            return path
    return None


def osm_files() -> list[Path]:
    """Imported OSM extracts, largest first (a country before a county)."""
    base = folder("osm")
    if not base.is_dir():
        return []
    files = [p for p in base.iterdir() if p.name.lower().endswith(OSM_SUFFIXES)]
    return sorted(files, key=lambda p: p.stat().st_size, reverse=True)


def listing() -> list[dict[str, Any]]:
    """Every imported file: kind, name, size, data date, import date, licence, source."""
    rows = []
    for kind in ("lantmateriet", "polisen", "osm"):
        records = provenance(kind)
        base = folder(kind)
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.iterdir() if p.is_file() and p.suffix != ".json"):
            if path.name.startswith("."):
                continue
            record = records.get(path.name, {})
            rows.append(
                {
                    "kind": kind,
                    "name": path.name,
                    "bytes": path.stat().st_size,
                    "data_date": record.get("data_date"),
                    "imported": record.get("imported"),
                    "licence": record.get("licence", LICENCES[kind]),
                    "source": record.get("source"),
                }
            )
    return rows
