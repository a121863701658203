"""Name keys for Swedish place names: one normalisation for look-ups everywhere.

Light on purpose (standard library only): the CLI's quick look-ups use it before any
geographic library is imported.
"""

from __future__ import annotations

import unicodedata

# Words around a name that do not identify the kommun: "Strömsunds kommun", "Malmö stad",
# "Region Gotland", "Hammarö municipality".
_SUFFIXES = ("kommun", "kommune", "stad", "municipality")
_PREFIXES = ("region",)


def name_key(text: str, *, ascii_fold: bool = False) -> str:
    """Normalise a place name for comparison.

    NFC, case-folded, hyphens read as spaces, whitespace collapsed; with ``ascii_fold`` the
    diacritics are dropped too ("Älvsbyn" → "alvsbyn").

    Parameters
    ----------
    text
        Any spelling of a name.
    ascii_fold
        Also drop diacritics (å, ä, ö, é → a, a, o, e).

    Returns
    -------
    str
    """
    text = unicodedata.normalize("NFC", str(text)).casefold()
    if ascii_fold:
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return " ".join(text.replace("-", " ").replace("_", " ").split())


def strip_affixes(key: str) -> str:
    """'strömsunds kommun' -> 'strömsunds', 'region gotland' -> 'gotland'."""
    words = key.split()
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    while len(words) > 1 and words[0] in _PREFIXES:
        words.pop(0)
    return " ".join(words)


def key_candidates(text: str) -> list[str]:
    """Keys to try for a kommun name: as written, and without a genitive s."""
    key = strip_affixes(name_key(text))
    return [key, key[:-1]] if key.endswith("s") else [key]
