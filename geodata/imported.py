"""Real data imported into the user data directory, with provenance, for installed use.

``loftesplan data import`` copies Lantmäteriet's zips, Polisen's event archive and OSM
extracts into ``DATA_DIR`` (one folder each) and writes ``provenance.json`` beside them:
where each file came from, when it was imported, its size, data date and licence. The data
layer finds them there without ``../shared``: Lantmäteriet boundaries and settlements, the
event archive, and OSM extracts. An imported OSM file may be a whole county or all of
Sweden: each municipality is then cut from it on demand (:func:`osm_extract_for`) and cached.
"""

from __future__ import annotations

import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geodata.area import Area
from geodata.errors import InvalidInputError
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
    tmp = target.with_name(f".{name}.part")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
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


def import_lantmateriet(source: str | Path) -> list[Path]:
    """Copy ``ak_riks.zip``/``mb_riks.zip``/``an_riks.zip`` from a folder, or the zips named."""
    from geodata.municipalities import _zip_date

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
        if _zip_date(path) is None:
            raise InvalidInputError(f"{path.name} är ingen läsbar zip-fil.", field="source")
        copied.append(_copy(path, "lantmateriet", path.name, _zip_date(path)))
    return copied


def import_polisen(source: str | Path) -> Path:
    """Copy an event archive (JSON Lines, optionally gzipped) after checking its first event."""
    from geodata.events import read_archive

    source = Path(source)
    if not source.is_file() or not source.name.endswith((".jsonl", ".jsonl.gz")):
        raise InvalidInputError(
            f"{source} är inget händelsearkiv (.jsonl eller .jsonl.gz).", field="source"
        )
    events = read_archive(source)
    if not len(events):
        raise InvalidInputError(f"{source.name} innehåller inga läsbara händelser.", field="source")
    last = events.events[-1].datetime.date().isoformat()
    return _copy(source, "polisen", "events" + "".join(source.suffixes[-2:]), last)


def import_osm(source: str | Path, name: str | None = None) -> Path:
    """Copy an OSM extract (a municipality, a county or all of Sweden) under ``name``."""
    from geodata.osm._file import check_osm_file, file_extent

    source = check_osm_file(source)
    suffix = next(s for s in OSM_SUFFIXES if source.name.lower().endswith(s))
    stem = name or source.name[: -len(suffix)]
    if not stem.replace("-", "").replace("_", "").isalnum():
        raise InvalidInputError(f"Ogiltigt namn {stem!r}: använd bokstäver, siffror, - och _.")
    if file_extent(source) is None:
        log.info("%s declares no bounding box; it is read whole when used", source)
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


def osm_extract_for(area: Area) -> Path | None:
    """An OSM file for ``area`` cut from an imported extract that covers it, or None.

    The cut (ways with a node inside the area, their nodes, tagged nodes inside and the
    relations of kept ways) is made once per area and source file and kept in the cache.
    """
    from geodata.osm._file import file_extent

    box = area.wgs84.bounds
    for source in osm_files():
        extent = file_extent(source)
        if extent is not None and not (
            extent[0] <= box[0]
            and extent[1] <= box[1]
            and extent[2] >= box[2]
            and extent[3] >= box[3]
        ):
            continue
        stamp = f"{source.stat().st_size}-{int(source.stat().st_mtime)}"
        key = (area.code or area.name).replace("/", "_").replace(" ", "_")
        target = (
            get_settings().cache_dir
            / "osm-extracts"
            / f"{source.name.split('.')[0]}-{key}-{stamp}.osm.pbf"
        )
        if not target.is_file():
            cut_extract(source, area, target)
        return target
    return None


def cut_extract(source: Path, area: Area, target: Path) -> Path:
    """Write the part of ``source`` inside ``area`` (plus 1 km) to ``target`` with pyosmium."""
    import osmium
    import shapely

    polygon = area.to_gdf().buffer(1000).to_crs("EPSG:4326").iloc[0]
    shapely.prepare(polygon)
    west, south, east, north = polygon.bounds
    kept_ways: set[int] = set()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part.osm.pbf")
    tmp.unlink(missing_ok=True)

    def inside(lon: float, lat: float) -> bool:
        return (
            west <= lon <= east and south <= lat <= north and shapely.contains_xy(polygon, lon, lat)
        )

    with osmium.BackReferenceWriter(str(tmp), ref_src=str(source), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(source)).with_locations():
            if obj.is_node():
                if obj.tags and obj.location.valid() and inside(obj.location.lon, obj.location.lat):
                    writer.add_node(obj)
            elif obj.is_way():
                if any(n.location.valid() and inside(n.lon, n.lat) for n in obj.nodes):
                    kept_ways.add(obj.id)
                    writer.add_way(obj)
            elif obj.is_relation() and any(
                m.type == "w" and m.ref in kept_ways for m in obj.members
            ):
                writer.add_relation(obj)
    tmp.replace(target)
    log.info("Cut %s to %s (%d ways)", source.name, target.name, len(kept_ways))
    return target
