"""Counts: numbers in digits and words, frequencies, and their annualisation.

``count_min`` is taken only from numerals, number words, "en"/"ett" before the activity's
noun, or an explicit frequency ("två gånger per år", "den årliga trygghetsvandringen").
Sub-year rates ("minst en trafikkontroll varje dygn") are annualised only when the promise
runs one calendar year; over longer periods the number is kept as written.
"""

from __future__ import annotations

import re

from service.followup.promises.lexicon import Lexicon, any_match
from service.followup.promises.model import Per

_UNIT_SV = {"day": "dygn", "week": "vecka", "month": "månad", "term": "termin"}
_PREPOSITION = re.compile(r"\b(för|mot|av|om|till|med|under|i|på|vid|inom)\s+$", re.IGNORECASE)


def _value(m: re.Match[str], text: str, lex: Lexicon) -> int | None:
    raw = m.group("n")
    after, before = text[m.end("n") :], text[: m.start("n")]
    if any_match(lex.not_count[:1], after) or any_match(lex.not_count[1:], before):
        return None
    if raw.lower() in ("en", "ett") and (
        lex.not_count_after_article.match(after) or _PREPOSITION.search(before)
    ):
        return None  # "ett antal insatser", "arbeta för en ökad vuxennärvaro"
    if before.endswith("-") or after.startswith("-"):
        return None  # "2-årigt", "1-3": parts of words, not counts
    value = int(raw) if raw.isdigit() else lex.numbers.get(raw.lower())
    if value is None or (raw.isdigit() and 1900 <= value <= 2100):  # a year, not a count
        return None
    return value


def _first(patterns: list[re.Pattern[str]], text: str, lex: Lexicon) -> tuple[int, str] | None:
    best: tuple[int, int, str] | None = None
    for p in patterns:
        for m in p.finditer(text):
            value = _value(m, text, lex)
            if value is not None and (best is None or m.start() < best[0]):
                best = (m.start(), value, m.group().strip())
                break
    return (best[1], best[2]) if best else None


def rate(text: str, lex: Lexicon) -> str | None:
    """The sub-year or yearly unit a number is promised per ("week" for "1 kontakt/vecka")."""
    for unit, patterns in lex.rates.items():
        if any_match(patterns, text):
            return unit
    return None


def count(
    text: str, trigger: int | None, lex: Lexicon, one_year: bool, strict: bool = False
) -> tuple[int | None, Per | None, str]:
    """The promised minimum in one segment, its unit, and the rule that gave it.

    Parameters
    ----------
    text
        The segment (whitespace collapsed).
    trigger
        Where the word naming the activity starts, or None.
    lex
        The lexicon.
    one_year
        Whether the promise runs exactly one calendar year (sub-year rates are annualised).
    strict
        Only explicit counts of occasions ("minst två", "två gånger"): for sentences that
        elaborate an activity rather than name it.

    Returns
    -------
    tuple
        ``(count_min, per, explanation)``; ``count_min`` is None when no number is promised.
    """
    found: tuple[int, str] | None = None
    rule = ""
    for rule_name, patterns in (
        ("minst + tal", lex.count_minimum),
        ("tal + gånger/tillfällen", lex.count_repetition),
    ):
        if found := _first(patterns, text, lex):
            rule = rule_name
            break
    if found is None and strict:
        return None, None, "inget tal i texten"
    if found is None and trigger is not None:
        head = text[:trigger]
        m = lex.count_before_trigger.search(head)
        if m and (value := _value(m, head, lex)) is not None:
            found, rule = (value, m.group().strip()), "tal före aktivitetens ord"
    if found is None:
        # A number word or digits before a noun: "fem våldsutsatta kvinnor", "fyra dialogmöten".
        pattern = re.compile(rf"\b{lex.number}\s+(?=[a-zåäö])", re.IGNORECASE)
        for m in pattern.finditer(text):
            if m.group("n").lower() in ("en", "ett"):
                continue
            if (value := _value(m, text, lex)) is not None:
                found, rule = (value, m.group().strip()), "tal före substantiv"
                break
    if found is None and (m := lex.article_after_verb.search(text)):
        found, rule = (1, m.group().strip()), "en/ett efter verb"
    if found is None:
        for p in lex.once_a_year:
            if m := p.search(text):
                found, rule = (1, m.group()), "årligen"
                break
    if found is None:
        unit = rate(text, lex)
        return None, unit, "inget tal i texten"  # type: ignore[return-value]
    value, words = found
    unit = rate(text, lex)
    per: Per = "year" if unit == "year" else "period"
    explanation = f"{rule}: '{words}'"
    if unit in ("day", "week", "month", "term"):
        label = _UNIT_SV[unit]
        if one_year:
            value *= lex.rates_per_year[unit]
            explanation += (
                f", per {label} × {lex.rates_per_year[unit]} (löftet gäller ett kalenderår)"
            )
            per = "period"
        else:
            per = unit  # type: ignore[assignment]
            explanation += f" per {label} (inte omräknat: löftet gäller inte ett kalenderår)"
    return value, per, explanation
