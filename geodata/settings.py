"""Paths and URLs for the data layer, from ``LOFTESPLAN_*`` environment variables."""

from __future__ import annotations

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
    """Where geographic data comes from and where it is cached."""

    model_config = SettingsConfigDict(env_prefix="LOFTESPLAN_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("loftesplan")))
    cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("loftesplan")))
    shared_dir: Path | None = Field(default_factory=_default_shared_dir)
    lantmateriet_dir: Path | None = None
    offline: bool = False
    overpass_url: str = "https://overpass-api.de/api/interpreter"
    nominatim_url: str = "https://nominatim.openstreetmap.org/"
    http_timeout_s: int = 180

    def lantmateriet_path(self, name: str) -> Path | None:
        """Path to a Lantmäteriet zip (``ak_riks.zip``, ``mb_riks.zip``) if one is available."""
        candidates = []
        if self.lantmateriet_dir is not None:
            candidates.append(self.lantmateriet_dir / name)
        if self.shared_dir is not None:
            candidates.append(self.shared_dir / "geodata" / "lantmateriet" / name)
        return next((p for p in candidates if p.is_file()), None)


@lru_cache
def get_settings() -> GeodataSettings:
    """Settings read once from the environment (tests clear the cache to change them)."""
    return GeodataSettings()
