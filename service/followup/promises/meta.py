"""The page around the activities: its period, its municipality, its language."""

from __future__ import annotations

import calendar
import itertools
import logging
import re
from collections import Counter
from datetime import date
from typing import Any

from geodata.errors import InvalidInputError, LoftesplanError
from service.followup.promises.lexicon import Lexicon, any_match

log = logging.getLogger(__name__)


def _dates(text: str, lex: Lexicon) -> list[tuple[int, int, date]]:
    """Full dates in ``text`` with their spans: "1 januari 2020", "2025-12-31"."""
    found = []
    for m in lex.text_date.finditer(text):
        day, month, year = int(m.group(1)), lex.months[m.group(2).lower()], int(m.group(3))
        found.append((m.start(), m.end(), day, month, year))
    for m in lex.iso_date.finditer(text):
        found.append((m.start(), m.end(), int(m.group(3)), int(m.group(2)), int(m.group(1))))
    out = []
    for start, end, day, month, year in sorted(found):
        try:
            out.append((start, end, date(year, month, day)))
        except ValueError:
            continue  # "2020-13-45": not a date
    return out


_RANGE_JOIN = re.compile(r"^\s*(till(\s+och\s+med)?|t\.?\s?o\.?\s?m\.?|[-–—])\s*$", re.IGNORECASE)


def period(
    all_texts: list[str], promise_texts: list[str], lex: Lexicon, warnings: list[str]
) -> tuple[date | None, date | None]:
    """The promise period: stated dates, else months or years of the promise part.

    Years in follow-up sections (``all_texts`` minus ``promise_texts``) only count as full
    dates; a period guessed from a mapping year adds a warning.
    """
    start: date | None = None
    end: date | None = None
    # 1. Stated dates, anywhere ("Löftet gäller till 2025-12-31" may stand under "Uppföljning").
    for text in all_texts:
        dates = _dates(text, lex)
        for (_, e1, d1), (s2, _, d2) in itertools.pairwise(dates):
            if start is None and _RANGE_JOIN.match(text[e1:s2]) and d1 <= d2:
                start, end = d1, d2
        for cue in lex.valid_until.finditer(text):
            after = [d for s, _, d in dates if s == cue.end()]
            if after and end is None:
                end = after[0]
        for cue in lex.valid_from.finditer(text):
            after = [d for s, _, d in dates if s == cue.end()]
            if after and start is None:
                start = after[0]
    if start or end:
        return start, end
    # 1b. Months of one year: "januari - december 2021", "juni till och med augusti 2021".
    months = "|".join(lex.months)
    month_range = re.compile(
        rf"\b({months})\s*(?:-|–|—|till och med|till|t\.o\.m\.)\s*({months})"
        rf"\s+((?:19|20)\d{{2}})\b",
        re.IGNORECASE,
    )
    for text in promise_texts:
        if m := month_range.search(text):
            year = int(m.group(3))
            m1, m2 = lex.months[m.group(1).lower()], lex.months[m.group(2).lower()]
            if m1 <= m2:
                return date(year, m1, 1), date(year, m2, calendar.monthrange(year, m2)[1])
    # 1c. An end month only: "sträcker sig fram till december 2021".
    for text in promise_texts:
        for m in lex.valid_until.finditer(text):
            if mm := re.match(rf"({months})\s+((?:19|20)\d{{2}})\b", text[m.end() :], re.I):
                year, month = int(mm.group(2)), lex.months[mm.group(1).lower()]
                return None, date(year, month, calendar.monthrange(year, month)[1])
    # 1d. Two years joined: "under 2018 och 2019".
    two_years = re.compile(r"\b(?:under|för)\s+((?:19|20)\d{2})\s+och\s+((?:19|20)\d{2})\b", re.I)
    for text in promise_texts:
        if m := two_years.search(text):
            y1, y2 = int(m.group(1)), int(m.group(2))
            if y1 < y2 <= y1 + 10:
                return date(y1, 1, 1), date(y2, 12, 31)
    # 2. A range of years in the promise part: "Medborgarlöften 2021–2022".
    for text in promise_texts:
        for m in lex.year_range.finditer(text):
            y1, y2 = int(m.group(1)), int(m.group(2))
            if y1 <= y2 <= y1 + 10:
                return date(y1, 1, 1), date(y2, 12, 31)
    # 3. One year in a line about the promise: "Nya överenskommelser 2017".
    for text in promise_texts:
        if lex.mapping_year.search(text) or not any_match(lex.year_line, text):
            continue
        years = set(re.findall(r"\b((?:19|20)\d{2})\b", text))
        if len(years) == 1:
            year = int(years.pop())
            return date(year, 1, 1), date(year, 12, 31)
    # 4. Only a mapping year: "kartläggning ... under hösten 2016" means a promise for 2017.
    for text in promise_texts:
        if m := lex.mapping_year.search(text):
            year = int(m.group(3)) + 1
            warnings.append(
                f"Perioden står inte i texten; antagen till {year} eftersom kartläggningen "
                f"gjordes {m.group(2)} {m.group(3)}. Kontrollera."
            )
            return date(year, 1, 1), date(year, 12, 31)
    return None, None


def find_municipality(name: str) -> Any:
    """The kommun named ``name`` (or its code) from the registry; raises if none."""
    from geodata.municipalities import find_municipality

    return find_municipality(name)


def kommun_label(name: str) -> str:
    """The kommun as written: "Strömsunds kommun", "Åre kommun", "Hagfors kommun"."""
    return f"{name}{'' if name[-1].lower() in 'aeiouyåäösxz' else 's'} kommun"


def detect_municipality(
    texts: list[str], lex: Lexicon, warnings: list[str]
) -> tuple[str | None, str | None, str | None]:
    """(code, name, written "X kommun") of the kommun the text names most often.

    The code is None when the registry could not check the name.
    """
    mentions: Counter[str] = Counter()
    written: dict[str, str] = {}
    for text in texts:
        for p in lex.municipality_mentions:
            for m in p.finditer(text):
                mentions[m.group(1)] += 1
                if m.group(0).lower().endswith(("kommun", "kommuns")):
                    written.setdefault(m.group(1), m.group(0).removesuffix("s"))
    unchecked: str | None = None
    for candidate, _ in mentions.most_common():
        words = candidate.split()
        tries = [candidate] + ([words[-1]] if len(words) > 1 else [])
        for name in tries:
            try:
                m = find_municipality(name)
            except LoftesplanError:
                continue
            except Exception as exc:  # the registry itself failed: keep the name unchecked
                log.warning("municipality look-up failed for %r: %s", name, exc)
                unchecked = unchecked or name
                continue
            label = written.get(candidate, "")
            label = label.split()[-2] + " kommun" if label and name != candidate else label
            return m.code, m.name, label or kommun_label(m.name)
    if unchecked:
        warnings.append(f"Kommunen '{unchecked}' kunde inte kontrolleras mot kommunregistret.")
        return None, unchecked, kommun_label(unchecked)
    return None, None, None


_WORD = re.compile(r"[a-zåäöéü]+")


def check_language(content: str, lex: Lexicon) -> None:
    """Raise :class:`InvalidInputError` for a text too short or not in Swedish."""
    words = _WORD.findall(content.lower())
    if len(words) < lex.min_words:
        raise InvalidInputError(
            "Texten är för kort för att läsas som ett medborgarlöfte. Klistra in hela löftet."
        )
    swedish = sum(w in lex.swedish_words for w in words)
    english = sum(w in lex.english_words for w in words)
    if swedish <= english or swedish < 0.08 * len(words):
        raise InvalidInputError(
            "Texten verkar inte vara på svenska. Tolkaren läser svenska medborgarlöften."
        )
