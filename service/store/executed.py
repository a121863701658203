"""Executed activities as planners record them: places only from the gazetteer."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


@lru_cache(maxsize=512)
def _settlement_names(municipality_code: str) -> dict[str, str]:
    """Folded name (and alternative Sami/Finnish name) -> the gazetteer's name."""
    from geodata.municipalities import settlements

    towns = settlements(municipality_code)
    names: dict[str, str] = {}
    for row in towns.itertuples():
        for variant in (row.name, getattr(row, "alt_name", None)):
            if isinstance(variant, str) and variant.strip():
                names.setdefault(_fold(variant), row.name)
    return names


def known_settlement(municipality_code: str, typed: str) -> str:
    """The gazetteer's name for a typed settlement of the municipality, else ``""``.

    A settlement the municipality does not have is stored as unplaced (``""``): it is never
    published as typed nor counted as a reached settlement.
    """
    if not typed.strip():
        return ""
    return _settlement_names(municipality_code).get(_fold(typed), "")
