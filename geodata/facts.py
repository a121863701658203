"""Quick facts about a kommun, remembered in the cache so a look-up answers in well under 1 s.

The first look-up of a kommun reads the boundaries and settlements (GeoParquet-backed
readers in :mod:`geodata.municipalities`); its summary (code, names, county, boundary source
and area, land area, settlements) is then kept in ``CACHE_DIR/municipalities/facts.json``,
stamped with the data files it came from. Later look-ups read that file with the standard
library only. Summaries that came from OpenStreetMap (online) are never kept: they depend on
the network and its day.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from geodata.files import atomic_write
from geodata.names import key_candidates, name_key
from geodata.settings import get_settings

log = logging.getLogger(__name__)


def _path() -> Path:
    return get_settings().cache_dir / "municipalities" / "facts.json"


def _stamp() -> list[Any]:
    """What the summaries depend on: the Lantmäteriet files in use (path, size, time)."""
    settings = get_settings()
    parts: list[Any] = [2]  # format version
    for name in ("ak_riks.zip", "mb_riks.zip"):
        path = settings.lantmateriet_path(name)
        if path is None:
            parts.append(None)
        else:
            stat = path.stat()
            parts.append([str(path), stat.st_size, int(stat.st_mtime)])
    return parts


def _load() -> dict[str, Any]:
    path = _path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if data.get("stamp") == _stamp() else {}


def _code_of(data: dict[str, Any], name_or_code: str) -> str | None:
    text = str(name_or_code).strip()
    if text.isdigit():
        return text.zfill(4)
    keys: dict[str, str] = data.get("keys", {})
    folded: dict[str, str] = data.get("folded", {})
    for candidate in key_candidates(text):
        if candidate in keys:
            return keys[candidate]
    for candidate in key_candidates(text):
        code = folded.get(name_key(candidate, ascii_fold=True))
        if code is not None:
            return code
    return None


def cached_summary(name_or_code: str) -> dict[str, Any] | None:
    """The remembered summary of a kommun, or None (unknown here, stale or never looked up)."""
    data = _load()
    code = _code_of(data, name_or_code) if data else None
    summary = data.get("summaries", {}).get(code) if code else None
    return dict(summary) if summary is not None else None


def remember(summary: dict[str, Any], registry: list[tuple[str, str]]) -> None:
    """Keep ``summary`` (skipped when any part came from OSM); ``registry`` is (code, name)."""
    if summary["boundary"]["source"] == "osm" or summary["settlements"]["source"] == "osm":
        return
    data = _load() or {"stamp": _stamp(), "summaries": {}}
    if "keys" not in data:
        folded: dict[str, list[str]] = {}
        for code, name in registry:
            folded.setdefault(name_key(name, ascii_fold=True), []).append(code)
        data["keys"] = {name_key(name): code for code, name in registry}
        data["folded"] = {k: v[0] for k, v in folded.items() if len(v) == 1}
    data["summaries"][summary["code"]] = summary
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, ensure_ascii=False)
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:  # a read-only cache only costs speed
        log.info("Could not write %s: %s", path, exc)
