"""Purpose presets for safety walks, read from ``presets.toml`` (data, not code).

A preset says which places and stretches count and how much (``weights``), and which
checklist questions the protocol asks at each stop (``focus``).
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from geodata.errors import InvalidInputError

PRESETS_FILE = Path(__file__).with_name("presets.toml")
DEFAULT_PURPOSE = "allmän"


@dataclass(frozen=True)
class Purpose:
    """One preset: its name, Swedish label, description, weights and checklist questions."""

    name: str
    label: str
    description: str
    weights: dict[str, float]
    questions: tuple[tuple[str, str], ...]


@cache
def _data() -> dict[str, Any]:
    with PRESETS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def purposes() -> tuple[str, ...]:
    """Preset names in file order (``allmän`` first)."""
    return tuple(_data()["presets"])


def _fold(text: str) -> str:
    """``"Krogmiljo"``/``"KROGMILJÖ"`` -> ``"krogmiljo"`` for lenient matching."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def get_purpose(name: str | None) -> Purpose:
    """The preset called ``name`` (``allmän`` when None); accents and case optional.

    Raises
    ------
    InvalidInputError
        For a name that is not a preset.
    """
    data = _data()
    wanted = _fold(name) if name else DEFAULT_PURPOSE
    for key, preset in data["presets"].items():
        if _fold(key) == _fold(wanted):
            questions = tuple(
                (data["questions"][q][0], data["questions"][q][1]) for q in preset["focus"]
            )
            return Purpose(
                name=key,
                label=preset["label"],
                description=preset["description"],
                weights={k: float(v) for k, v in preset["weights"].items()},
                questions=questions,
            )
    raise InvalidInputError(f"Okänt syfte {name!r}; välj bland {', '.join(purposes())}.")


def all_kinds() -> frozenset[str]:
    """Every kind any preset weighs (the keys ``--weights`` accepts besides the defaults)."""
    return frozenset(k for p in _data()["presets"].values() for k in p["weights"])
