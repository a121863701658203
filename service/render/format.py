"""Swedish presentation of numbers, dates and municipality names: the one place for it.

Every page, report, map and CLI line formats through these helpers, so "3 430", "99,5 %",
"1 januari 2017" and "Strömsunds kommun" look the same everywhere.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the geographic libraries load only when a name is looked up
    from geodata.municipalities import Municipality

#: Narrow no-break space would be typographically best; a no-break space survives every font.
THOUSANDS = "\u00a0"
MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def _missing(value: object) -> bool:
    """None, NaN or pandas' NA."""
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def number(value: float | int | None, decimals: int = 0, empty: str = "–") -> str:
    """A number the Swedish way: space between thousands, decimal comma.

    Parameters
    ----------
    value
        The number; None gives ``empty``.
    decimals
        Digits after the decimal comma.
    empty
        What to show for a missing value.

    Returns
    -------
    str
        E.g. ``number(3430)`` → "3 430", ``number(99.46, 1)`` → "99,5".
    """
    if _missing(value):
        return empty
    text = f"{value:,.{decimals}f}"
    return text.replace(",", THOUSANDS).replace(".", ",")


def percent(share: float | None, decimals: int = 1, empty: str = "–") -> str:
    """A share (0–1) as a Swedish percentage: ``percent(0.995)`` → "99,5 %"."""
    if share is None or _missing(share):
        return empty
    return f"{number(100 * share, decimals)}{THOUSANDS}%"


def km(metres: float | None, decimals: int = 1, empty: str = "–") -> str:
    """Metres as kilometres: ``km(12345)`` → "12,3 km"."""
    if metres is None or _missing(metres):
        return empty
    return f"{number(metres / 1000, decimals)}{THOUSANDS}km"


def date_sv(value: date | datetime | str | None, empty: str = "–") -> str:
    """A date in running Swedish text: "1 januari 2017" (ISO strings accepted)."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def period_sv(start: date | str | None, end: date | str | None) -> str:
    """A promise period: "1 januari 2017 – 31 december 2017", or "period saknas"."""
    if start is None and end is None:
        return "period saknas"
    return f"{date_sv(start, '?')} – {date_sv(end, '?')}"


def quarter_sv(key: str) -> str:
    """A quarter key "2023Q2" as "kv. 2 2023"."""
    year, quarter = key.split("Q")
    return f"kv. {quarter} {year}"


#: Official names that are not "<name>[s] kommun" beyond those geodata knows (Falu kommun).
_OFFICIAL_NAMES = {"0980": "Region Gotland"}


def municipality_name(m: Municipality | str) -> str:
    """The municipality as it names itself: "Strömsunds kommun", "Åre kommun", "Region Gotland".

    Gotland is a region with municipal responsibility; Falun writes "Falu kommun"; otherwise
    Swedish adds a genitive s unless the name ends in a vowel or s, x, z
    (:attr:`geodata.municipalities.Municipality.label`).
    """
    from geodata.municipalities import Municipality, find_municipality

    found = m if isinstance(m, Municipality) else find_municipality(m)
    return _OFFICIAL_NAMES.get(found.code, found.label)


_SORT = str.maketrans({"å": "z\x01", "ä": "z\x02", "ö": "z\x03", "é": "e", "ü": "y"})


def sort_key(name: str) -> str:
    """Swedish alphabetical order: å, ä, ö after z ("Örebro" after "Ystad")."""
    return name.casefold().translate(_SORT)
