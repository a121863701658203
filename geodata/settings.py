"""Paths, URLs and the offline flag for the data layer, injected by the caller.

The pattern (issue 10): an entry point builds the settings once and injects them for the
work it runs::

    settings = GeodataSettings(cache_dir=..., offline=True)  # or service.settings.Settings
    with use_settings(settings):
        municipality_boundary("Åre")  # every geodata call below sees these settings

``loftesplan`` (the CLI callback) and ``create_app(settings)`` (a middleware around every
request) do this; no module reads the environment itself. Only when nothing was injected
(a notebook, a benchmark script) do :func:`get_settings` fall back to settings read once
from ``LOFTESPLAN_*`` environment variables, which is the one place the environment is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_shared_dir() -> Path | None:
    """``../shared`` beside the project checkout, where CI and developers keep the real data."""
    here = Path(__file__).resolve().parent.parent
    candidate = here.parent / "shared"
    return candidate if candidate.is_dir() else None


class GeodataSettings(BaseSettings):
    """Where geographic data comes from and where it is cached.

    Every field can be set by a ``LOFTESPLAN_<FIELD>`` environment variable (for example
    ``LOFTESPLAN_OFFLINE=1``), read when the settings object is built.
    """

    model_config = SettingsConfigDict(env_prefix="LOFTESPLAN_", extra="ignore")

    #: Imported data (``loftesplan data import``), the database, downloaded extracts.
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("loftesplan")))
    #: Derived data that can be rebuilt: OSM layers, boundaries, HTTP caches.
    cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("loftesplan")))
    #: The development data folder (``../shared`` beside a checkout), when there is one.
    shared_dir: Path | None = Field(default_factory=_default_shared_dir)
    #: A folder with Lantmäteriet's ``ak_riks.zip`` and ``mb_riks.zip``.
    lantmateriet_dir: Path | None = None
    #: Never try the network: online sources are skipped at once.
    offline: bool = False
    #: Overpass API endpoint, ending in ``/interpreter``.
    overpass_url: str = "https://overpass-api.de/api/interpreter"
    #: Nominatim base URL (``search`` is appended).
    nominatim_url: str = "https://nominatim.openstreetmap.org/"
    #: polisen.se's events API (the live event poll).
    polisen_url: str = "https://polisen.se/api/events"
    http_timeout_s: int = 180
    #: Largest polygon (m²) sent to Overpass in one query; OSMnx splits larger ones into
    #: squares of this area and merges the answers (OSMnx's own default, 50 km × 50 km).
    overpass_max_query_area_m2: float = 2.5e9

    def lantmateriet_path(self, name: str) -> Path | None:
        """Path to a Lantmäteriet zip (``ak_riks.zip``, ``mb_riks.zip``) if one is available."""
        candidates = []
        if self.lantmateriet_dir is not None:
            candidates.append(self.lantmateriet_dir / name)
        candidates.append(self.data_dir / "lantmateriet" / name)
        if self.shared_dir is not None:
            candidates.append(self.shared_dir / "geodata" / "lantmateriet" / name)
        return next((p for p in candidates if p.is_file()), None)


_injected: ContextVar[GeodataSettings | None] = ContextVar("loftesplan_settings", default=None)


@contextmanager
def use_settings(settings: GeodataSettings) -> Iterator[GeodataSettings]:
    """Inject ``settings`` for everything run inside the ``with`` block (this context only)."""
    token = _injected.set(settings)
    try:
        yield settings
    finally:
        _injected.reset(token)


def injected_settings() -> GeodataSettings | None:
    """The settings an entry point injected, or None."""
    return _injected.get()


@lru_cache(maxsize=1)
def _from_environment() -> GeodataSettings:
    return GeodataSettings()


def get_settings() -> GeodataSettings:
    """The injected settings; settings read once from the environment if none were injected."""
    return _injected.get() or _from_environment()
