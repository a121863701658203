"""On-disk cache of OSM networks and feature layers per area.

One directory per area under ``get_settings().cache_dir / "osm"``; in it, per layer, GeoParquet
files (``network-drive.nodes.parquet``, ``network-drive.edges.parquet``,
``features.parquet``) and a JSON sidecar with provenance, counts and the source stamp.
The JSON is written last, so a directory without it is an interrupted write and is ignored.

What invalidates an entry:

* a different area geometry (the directory name holds a hash of it);
* when the caller names an OSM file: a different path, size or modification time;
* a different cache format version.

Without a file, any complete entry for the area is used whatever its source: that is how a
``loftesplan data fetch`` done online (or from a file) serves later offline planning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from geodata.area import Area
from geodata.files import atomic_write
from geodata.network import Network, Provenance
from geodata.settings import get_settings

log = logging.getLogger(__name__)

#: Bumped when the cached layers change (2: taxi ranks, crossings and shops as features).
CACHE_VERSION = 2


@dataclass(frozen=True)
class CacheKey:
    """Where an area's layers live in the cache."""

    name: str
    code: str | None
    geometry_hash: str

    @property
    def dirname(self) -> str:
        """``2321-are-kommun-1a2b3c4d5e6f``: readable, unique per geometry."""
        parts = [self.code] if self.code else []
        parts.append(_slug(self.name))
        return "-".join([*parts, self.geometry_hash[:12]])


def cache_root() -> Path:
    """The directory holding all cached areas."""
    return Path(get_settings().cache_dir) / "osm"


def area_key(area: Area | None, osm_file: str | Path | None = None) -> CacheKey:
    """The cache key of ``area``; with no area, the whole extent of ``osm_file``."""
    if area is None:
        if osm_file is None:
            raise ValueError("area_key needs an area or an OSM file")
        path = Path(osm_file).resolve()
        digest = hashlib.sha256(f"whole-file:{path}".encode()).hexdigest()
        return CacheKey(name=path.name, code=None, geometry_hash=digest)
    # normalize() orders rings and parts, so the same boundary always hashes the same.
    wkb = shapely.to_wkb(shapely.normalize(area.geometry), output_dimension=2)
    return CacheKey(name=area.name, code=area.code, geometry_hash=hashlib.sha256(wkb).hexdigest())


def source_stamp(osm_file: str | Path | None) -> dict[str, Any]:
    """What identifies the data's origin: a file's path, size and mtime, or the Overpass URL."""
    if osm_file is None:
        return {"source": "overpass", "url": get_settings().overpass_url}
    path = Path(osm_file).resolve()
    stat = path.stat()
    return {"source": "file", "path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40] or "area"


def _meta_path(directory: Path, layer: str) -> Path:
    return directory / f"{layer}.json"


def _read_meta(
    key: CacheKey, layer: str, osm_file: str | Path | None
) -> tuple[Path, dict[str, Any]] | None:
    directory = cache_root() / key.dirname
    meta_path = _meta_path(directory, layer)
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("Ignoring unreadable cache entry %s", meta_path)
        return None
    if meta.get("version") != CACHE_VERSION:
        return None
    if osm_file is not None and meta.get("stamp") != source_stamp(osm_file):
        return None  # the file changed (or another file was named): re-read it
    return directory, meta


def _cached_provenance(meta: dict[str, Any]) -> Provenance:
    original = meta["provenance"]
    return Provenance(
        source="cache",
        detail=f"{original['source']}: {original['detail']}",
        data_date=original.get("data_date"),
        retrieved=original.get("retrieved", meta.get("created", "")),
        crs=original.get("crs", ""),
        attribution=original.get("attribution", ""),
    )


def _write_meta(directory: Path, layer: str, meta: dict[str, Any]) -> None:
    text = json.dumps(meta, ensure_ascii=False, indent=2)
    atomic_write(_meta_path(directory, layer), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _write_parquet(frame: gpd.GeoDataFrame, path: Path) -> None:
    atomic_write(path, frame.to_parquet)


def _base_meta(key: CacheKey, layer: str, osm_file: str | Path | None) -> dict[str, Any]:
    return {
        "version": CACHE_VERSION,
        "layer": layer,
        "area": {"name": key.name, "code": key.code, "geometry_hash": key.geometry_hash},
        "stamp": source_stamp(osm_file),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def load_network(
    area: Area | None, kind: str, osm_file: str | Path | None = None
) -> Network | None:
    """The cached ``kind`` network of ``area``, or None on a miss.

    The result's provenance has ``source == "cache"``; its detail names the original source.
    """
    found = _read_meta(area_key(area, osm_file), f"network-{kind}", osm_file)
    if found is None:
        return None
    directory, meta = found
    try:
        nodes = gpd.read_parquet(directory / f"network-{kind}.nodes.parquet")
        edges = gpd.read_parquet(directory / f"network-{kind}.edges.parquet")
    except (OSError, ValueError) as exc:
        log.warning("Ignoring broken cache entry %s: %s", directory, exc)
        return None
    return Network(nodes=nodes, edges=edges, kind=kind, provenance=_cached_provenance(meta))


def save_network(area: Area | None, network: Network, osm_file: str | Path | None = None) -> Path:
    """Store ``network`` for ``area``; returns the entry's directory."""
    key = area_key(area, osm_file)
    directory = cache_root() / key.dirname
    directory.mkdir(parents=True, exist_ok=True)
    layer = f"network-{network.kind}"
    _write_parquet(network.nodes, directory / f"{layer}.nodes.parquet")
    _write_parquet(network.edges, directory / f"{layer}.edges.parquet")
    meta = _base_meta(key, layer, osm_file)
    meta.update(
        kind=network.kind,
        provenance=network.provenance.to_dict(),
        crs=str(network.edges.crs),
        counts={"nodes": len(network.nodes), "edges": len(network.edges)},
        length_km=round(network.total_length_km, 3),
    )
    _write_meta(directory, layer, meta)
    return directory


def load_features(area: Area | None, osm_file: str | Path | None = None) -> gpd.GeoDataFrame | None:
    """The cached feature layers of ``area`` (provenance in ``.attrs``), or None on a miss."""
    found = _read_meta(area_key(area, osm_file), "features", osm_file)
    if found is None:
        return None
    directory, meta = found
    try:
        features = gpd.read_parquet(directory / "features.parquet")
    except (OSError, ValueError) as exc:
        log.warning("Ignoring broken cache entry %s: %s", directory, exc)
        return None
    features.attrs["provenance"] = _cached_provenance(meta).to_dict()
    return features


def save_features(
    area: Area | None,
    features: gpd.GeoDataFrame,
    provenance: Provenance,
    osm_file: str | Path | None = None,
) -> Path:
    """Store feature layers for ``area``; returns the entry's directory."""
    key = area_key(area, osm_file)
    directory = cache_root() / key.dirname
    directory.mkdir(parents=True, exist_ok=True)
    stored = features.copy()
    stored.attrs = {}  # provenance lives in the JSON sidecar
    _write_parquet(stored, directory / "features.parquet")
    meta = _base_meta(key, "features", osm_file)
    meta.update(
        provenance=provenance.to_dict(),
        crs=str(features.crs),
        counts={"features": len(features)},
        by_kind={str(k): int(n) for k, n in features["kind"].value_counts().items()},
    )
    _write_meta(directory, "features", meta)
    return directory


def entries(name_or_code: str | None = None) -> list[dict[str, Any]]:
    """Metadata of every cached layer, optionally only for one area name or code.

    Each item is the layer's JSON sidecar plus ``directory``.
    """
    root = cache_root()
    if not root.is_dir():
        return []
    wanted = _slug(name_or_code) if name_or_code else None
    found = []
    for meta_path in sorted(root.glob("*/*.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        area = meta.get("area", {})
        if wanted is not None and wanted not in {
            _slug(area.get("name") or ""),
            _slug(area.get("code") or ""),
            _slug((area.get("name") or "").removesuffix(" kommun")),
        }:
            continue
        meta["directory"] = str(meta_path.parent)
        found.append(meta)
    return found
