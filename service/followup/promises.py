"""Medborgarlöften: the promise model and a rule-based Swedish promise parser.

A promise page, pasted as text with its page chrome, becomes a draft :class:`Promise` that a
planner reviews: who promised what, how many, how often, where, and for which period. Every
:class:`Activity` keeps the exact slice of the input it was read from (``source``), so the
review can always go back to the words.

The parser is rule-based: a small, explicit grammar of list items, headings and sections, with
every Swedish word it knows kept in one data file, ``service/lexicon.toml``. No statistical
model exists for this genre of text, and a planner must be able to see why a line was read as
it was; a lexicon edit is the fix for a missed word.

Choices for bad input: an empty text, a text too short to read, or a text that is not Swedish
raises :class:`~geodata.errors.InvalidInputError`; a Swedish text with no recognisable
activities gives an empty draft with a warning in ``Promise.warnings``; an unknown
``kommun=`` override raises :class:`~geodata.errors.UnknownMunicipalityError`.
"""

from __future__ import annotations

import itertools
import logging
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from geodata.errors import InvalidInputError, LoftesplanError

log = logging.getLogger(__name__)

LEXICON_PATH = Path(__file__).with_name("lexicon.toml")

Per = Literal["period", "year", "term", "month", "week", "day"]
Responsible = Literal["police", "municipality", "both"]


class ActivityKind(StrEnum):
    """What kind of work an activity is (the vocabulary of issue 5)."""

    traffic_control = "traffic_control"
    joint_operation = "joint_operation"
    terrain_surveillance = "terrain_surveillance"
    safety_walk = "safety_walk"
    licensed_premises_inspection = "licensed_premises_inspection"
    training = "training"
    school_visit = "school_visit"
    parent_meeting = "parent_meeting"
    collaboration_meeting = "collaboration_meeting"
    drug_dog_search = "drug_dog_search"
    neighbourhood_watch = "neighbourhood_watch"
    information_campaign = "information_campaign"
    workplace_crime_control = "workplace_crime_control"
    security_patrol = "security_patrol"
    survey_or_analysis = "survey_or_analysis"
    other = "other"


KIND_LABELS_SV: dict[ActivityKind, str] = {
    ActivityKind.traffic_control: "Trafikkontroll",
    ActivityKind.joint_operation: "Samplanerad insats",
    ActivityKind.terrain_surveillance: "Terräng-/skoterövervakning",
    ActivityKind.safety_walk: "Trygghetsvandring",
    ActivityKind.licensed_premises_inspection: "Tillsyn av utskänkningsställen",
    ActivityKind.training: "Utbildning",
    ActivityKind.school_visit: "Skolbesök",
    ActivityKind.parent_meeting: "Föräldramöte",
    ActivityKind.collaboration_meeting: "Samverkan/möte",
    ActivityKind.drug_dog_search: "Narkotikahundsök",
    ActivityKind.neighbourhood_watch: "Grannsamverkan",
    ActivityKind.information_campaign: "Informationsinsats",
    ActivityKind.workplace_crime_control: "Kontroll mot arbetslivskriminalitet",
    ActivityKind.security_patrol: "Närvaro/bevakning",
    ActivityKind.survey_or_analysis: "Kartläggning/analys",
    ActivityKind.other: "Övrigt",
}
RESPONSIBLE_LABELS_SV: dict[str, str] = {
    "police": "Polisen",
    "municipality": "Kommunen",
    "both": "Polisen och kommunen",
}
PER_LABELS_SV: dict[str, str] = {
    "period": "under perioden",
    "year": "per år",
    "term": "per termin",
    "month": "per månad",
    "week": "per vecka",
    "day": "per dag",
}


class Activity(BaseModel):
    """One promised activity, as drafted from one list item of the promise text.

    Attributes
    ----------
    kind
        What is done, from :class:`ActivityKind`.
    count_min
        The promised minimum ("minst 100", "två gånger"), or None when no number is promised.
    per
        The unit ``count_min`` is promised for: "year" for "två gånger per år", "period" for a
        count over the whole promise; None when the text gives neither.
    responsible
        Who carries it out: "police", "municipality" or "both".
    places
        Place phrases as written ("centrala Åre by", "Bymiljövägen (Karlstadsvägen)",
        "skolor/fritidsgårdar"); geocoding is a separate step.
    spread_municipality
        True where the text asks for spread over the municipality ("utspritt över hela
        kommunen", "geografiskt spridda", "olika platser i kommunen").
    focus
        Focus tags (speed, behaviour, alcohol, drugs, ...), from the item or else its heading.
    heading
        The heading (focus area) the item stands under, as written, or None.
    source
        The source sentence: the exact slice of the input text the activity was read from.
    """

    kind: ActivityKind
    count_min: int | None = Field(default=None, ge=0)
    per: Per | None = None
    responsible: Responsible = "both"
    places: list[str] = Field(default_factory=list)
    spread_municipality: bool = False
    focus: list[str] = Field(default_factory=list)
    heading: str | None = None
    source: str


class FollowUp(BaseModel):
    """One reported outcome from a follow-up section ("Så gick det", "Uppföljning").

    Attributes
    ----------
    text
        The report as written (an exact slice of the input).
    heading
        The heading it stands under, or None.
    kind
        The kind of activity reported, or None when the report names none.
    places
        Place phrases as written.
    achieved
        False for reports of what was not done ("har inte genomförts").
    """

    text: str
    heading: str | None = None
    kind: ActivityKind | None = None
    places: list[str] = Field(default_factory=list)
    achieved: bool = True


class Partners(BaseModel):
    """The parties to a promise, as named in the text."""

    lokalpolisomrade: str | None = None
    kommun: str | None = None


class Promise(BaseModel):
    """A draft medborgarlöfte: municipality, period, partners, activities and follow-up.

    Attributes
    ----------
    municipality_code, municipality_name
        The kommun (code "2321", name "Åre"), from the ``kommun`` override or the text; the
        code is None when the name could not be checked against the registry.
    period_start, period_end
        The period the promise runs for; None where the text does not say.
    partners
        Lokalpolisområde and kommun.
    activities
        The promised activities, in text order.
    follow_up
        Reported outcomes of earlier promises; never counted as activities.
    title
        The page's title (its first heading).
    warnings
        Notes for the reviewing planner (Swedish): guessed periods, unchecked municipality, no
        activities found.
    """

    municipality_code: str | None = None
    municipality_name: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    partners: Partners = Field(default_factory=Partners)
    activities: list[Activity] = Field(default_factory=list)
    follow_up: list[FollowUp] = Field(default_factory=list)
    title: str | None = None
    warnings: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------------------------

_FLAGS = re.IGNORECASE


def _compile(patterns: list[str] | str, **subs: str) -> list[re.Pattern[str]]:
    if isinstance(patterns, str):
        patterns = [patterns]
    out = []
    for pattern in patterns:
        expanded = pattern
        for key, value in subs.items():
            expanded = expanded.replace("{" + key + "}", value)
        out.append(re.compile(expanded, _FLAGS))
    return out


def _any(patterns: list[re.Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)


@dataclass(frozen=True)
class Lexicon:
    """The compiled contents of ``lexicon.toml``."""

    kinds: dict[ActivityKind, list[re.Pattern[str]]]
    generic_activity: list[re.Pattern[str]]
    not_inherited: frozenset[ActivityKind]
    focus: dict[str, list[re.Pattern[str]]]
    numbers: dict[str, int]
    number: str
    count_minimum: list[re.Pattern[str]]
    count_repetition: list[re.Pattern[str]]
    count_before_trigger: re.Pattern[str]
    not_count: list[re.Pattern[str]]
    per: dict[str, list[re.Pattern[str]]]
    police_prefix: re.Pattern[str]
    municipality_prefix: re.Pattern[str]
    party_police: list[re.Pattern[str]]
    party_municipality: list[re.Pattern[str]]
    party_both: list[re.Pattern[str]]
    joint: list[re.Pattern[str]]
    verbs: re.Pattern[str]
    spread: list[re.Pattern[str]]
    place_patterns: list[re.Pattern[str]]
    place_preposition: re.Pattern[str]
    not_after: frozenset[str]
    not_before: frozenset[str]
    not_names: list[re.Pattern[str]]
    area_kinds: re.Pattern[str]
    chrome_lines: list[re.Pattern[str]]
    footer_start: list[re.Pattern[str]]
    bullet: re.Pattern[str]
    weak_bullet: re.Pattern[str]
    numbered: re.Pattern[str]
    structural_headings: list[re.Pattern[str]]
    background_intro: list[re.Pattern[str]]
    meta_item: list[re.Pattern[str]]
    follow_up_headings: list[re.Pattern[str]]
    promise_headings: list[re.Pattern[str]]
    done: list[re.Pattern[str]]
    not_done: list[re.Pattern[str]]
    future: list[re.Pattern[str]]
    commitment: list[re.Pattern[str]]
    police_area: re.Pattern[str]
    municipality_mentions: list[re.Pattern[str]]
    months: dict[str, int]
    year_range: re.Pattern[str]
    iso_date: re.Pattern[str]
    text_date: re.Pattern[str]
    valid_until: re.Pattern[str]
    valid_from: re.Pattern[str]
    year_line: list[re.Pattern[str]]
    mapping_year: re.Pattern[str]
    swedish_words: frozenset[str]
    english_words: frozenset[str]
    min_words: int
    focus_labels: dict[str, str]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@lru_cache(maxsize=4)
def load_lexicon(path: Path | str | None = None) -> Lexicon:
    """Read and compile the parser lexicon.

    Parameters
    ----------
    path
        A lexicon TOML file; defaults to ``service/lexicon.toml``.

    Returns
    -------
    Lexicon
    """
    raw = tomllib.loads(Path(path or LEXICON_PATH).read_text(encoding="utf-8"))
    numbers = {k.lower(): int(v) for k, v in raw["numbers"].items()}
    # Longest words first so "tjugo" is not read as a prefix match of something shorter.
    number = r"(?P<n>\d{1,4}|" + "|".join(sorted(numbers, key=len, reverse=True)) + r")"
    kinds = dict(raw["kinds"])
    not_inherited = frozenset(ActivityKind(k) for k in raw.get("not_inherited_from_heading", []))
    generic = kinds.pop("generic_activity", [])
    counts, places, structure = raw["counts"], raw["places"], raw["structure"]
    resp, periods = raw["responsibility"], raw["periods"]
    name = places["name"]
    months = {m: i + 1 for i, m in enumerate(periods["months"])}
    month_alt = "|".join(months)
    area = "|".join(places["area_kinds"])
    preps = "|".join(places["prepositions"])
    return Lexicon(
        kinds={ActivityKind(k): _compile(v) for k, v in kinds.items()},
        generic_activity=_compile(generic),
        not_inherited=not_inherited,
        focus={k: _compile(v) for k, v in raw["focus"].items()},
        numbers=numbers,
        number=number,
        count_minimum=_compile(counts["minimum"], n=number),
        count_repetition=_compile(counts["repetition"], n=number),
        count_before_trigger=_compile(counts["before_trigger"], n=number)[0],
        not_count=_compile(counts["not_count"]),
        per={k: _compile(v) for k, v in raw["per"].items()},
        police_prefix=_compile(resp["police_prefix"])[0],
        municipality_prefix=_compile(resp["municipality_prefix"])[0],
        party_police=_compile(resp["police"]),
        party_municipality=_compile(resp["municipality"]),
        party_both=_compile(resp["both"]),
        joint=_compile(resp["joint"]),
        verbs=re.compile(r"\b(" + "|".join(resp["verbs"]) + r")\b", _FLAGS),
        spread=_compile(raw["spread"]["patterns"]),
        place_patterns=_compile(places["patterns"], name=name),
        place_preposition=re.compile(
            rf"(?:^|(?<=\s))(?:(\S+)\s+)?({preps})\s+({name}(?:\s+{name})*)", _FLAGS
        ),
        not_after=frozenset(w.lower() for w in places["not_after"]),
        not_before=frozenset(w.lower() for w in places["not_before"]),
        not_names=[re.compile(rf"^(?:{p})$", _FLAGS) for p in places["not_names"]],
        area_kinds=re.compile(rf"\b(?:{area})(?:/(?:{area}))*\b", _FLAGS),
        chrome_lines=[re.compile(rf"^(?:{p})$", _FLAGS) for p in structure["chrome_lines"]],
        footer_start=[re.compile(rf"^(?:{p})$", _FLAGS) for p in structure["footer_start"]],
        bullet=re.compile(structure["bullet"]),
        weak_bullet=re.compile(structure["weak_bullet"]),
        numbered=re.compile(structure["numbered"]),
        structural_headings=[
            re.compile(rf"^(?:{p})$", _FLAGS) for p in structure["structural_headings"]
        ],
        background_intro=_compile(structure["background_intro"]),
        meta_item=_compile(structure["meta_item"]),
        follow_up_headings=_compile(structure["follow_up_headings"]),
        promise_headings=_compile(structure["promise_headings"]),
        done=_compile(structure["done"]),
        not_done=_compile(structure["not_done"]),
        future=_compile(structure["future"]),
        commitment=_compile(structure["commitment"]),
        police_area=_compile(raw["partners"]["police_area"])[0],
        municipality_mentions=[
            re.compile(p, _FLAGS | re.MULTILINE) for p in raw["partners"]["municipality"]
        ],
        months=months,
        year_range=_compile(periods["year_range"])[0],
        iso_date=_compile(periods["iso_date"])[0],
        text_date=re.compile(rf"\b(\d{{1,2}})\s+({month_alt})\s+((?:19|20)\d{{2}})\b", _FLAGS),
        valid_until=_compile(periods["valid_until"])[0],
        valid_from=_compile(periods["valid_from"])[0],
        year_line=_compile(periods["year_line"]),
        mapping_year=_compile(periods["mapping_year"])[0],
        swedish_words=frozenset(raw["language"]["swedish"]),
        english_words=frozenset(raw["language"]["english"]),
        min_words=int(raw["language"]["min_words"]),
        focus_labels=dict(raw.get("focus_labels", {})),
        raw=raw,
    )


def focus_label(tag: str) -> str:
    """The Swedish label of a focus tag ("speed" -> "hastighet"); the tag if it has none."""
    return load_lexicon().focus_labels.get(tag, tag)


# --------------------------------------------------------------------------------------------
# Page structure
# --------------------------------------------------------------------------------------------

BlockType = Literal["item", "heading", "intro", "para"]


@dataclass
class _Block:
    """One line (or list item) of the page, with its span in the input text."""

    type: BlockType
    start: int
    end: int
    text: str  # whitespace-collapsed content, for matching
    indent: int = 0
    weak: bool = False  # a "-", "–" or "*" item, kept only in runs
    line_no: int = 0
    child: bool = False
    has_children: bool = False
    prefix: Responsible | None = None  # "Polis:" / "Kommun:"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _blocks(text: str, lex: Lexicon) -> list[_Block]:
    """Split ``text`` into list items, headings, intros and paragraphs, dropping page chrome."""
    blocks: list[_Block] = []
    offset = 0
    prev_blank = True
    for line_no, line in enumerate(text.splitlines(keepends=True)):
        line_start, offset = offset, offset + len(line)
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if not stripped or any(p.match(stripped) for p in lex.chrome_lines):
            prev_blank = True
            continue
        if any(p.match(stripped.rstrip(":")) for p in lex.footer_start):
            break
        indent = len(body) - len(body.lstrip())
        end = line_start + len(body.rstrip())
        previous = blocks[-1] if blocks else None
        follows_item = previous is not None and previous.type == "item" and not prev_blank
        prev_blank = False
        marker = lex.bullet.match(body) or lex.numbered.match(body)
        weak = marker is None and (m := lex.weak_bullet.match(body)) is not None
        if weak:
            marker = m
        # Lines indented under a list item belong to it: "• Förebyggande arbete i skolan" with
        # "  Polis: ..." and "  Kommun: ..." beneath.
        anchor = next((b for b in reversed(blocks) if not b.child), None) if follows_item else None
        nested = anchor is not None and indent > anchor.indent
        if follows_item and previous is not None and marker is None and stripped[:1].islower():
            # A wrapped line of the item above: extend it (its source stays one slice).
            previous.end = end
            previous.text = _collapse(text[previous.start : end])
            continue
        if marker is not None or nested:
            start = line_start + (marker.end() if marker else indent)
            content = _collapse(text[start:end])
            block = _Block("item", start, end, content, indent, weak, line_no, child=nested)
            if nested and anchor is not None:
                anchor.has_children = True
            blocks.append(block)
            continue
        start = line_start + indent
        content = _collapse(stripped)
        if lex.police_prefix.match(content) or lex.municipality_prefix.match(content):
            blocks.append(_Block("item", start, end, content, indent, False, line_no))
        elif content.endswith(":"):
            is_intro = (
                lex.verbs.search(content) is not None
                or content.lower().endswith("att:")
                or len(content) > 80
            )
            btype: BlockType = "intro" if is_intro else "heading"
            blocks.append(_Block(btype, start, end, content.rstrip(":").strip(), indent))
        elif content[-1] not in ".?" and len(content) <= 120:
            blocks.append(_Block("heading", start, end, content, indent))
        else:
            blocks.append(_Block("para", start, end, content, indent))
    # A lone "-" line is a quotation in a news article, not a list.
    weak_lines = {b.line_no for b in blocks if b.type == "item" and b.weak}
    for b in blocks:
        if (
            b.type == "item"
            and b.weak
            and not b.child
            and not ({b.line_no - 1, b.line_no + 1} & weak_lines)
        ):
            b.type = "para"
    for b in blocks:
        if b.type == "item":
            if lex.police_prefix.match(b.text):
                b.prefix = "police"
            elif lex.municipality_prefix.match(b.text):
                b.prefix = "municipality"
    return blocks


_ABBREVIATIONS = frozenset(
    {"t.ex", "ex", "bl.a", "t", "st", "ca", "m.m", "resp", "kl", "nr", "jfr"}
)
_SENTENCE_END = re.compile(r"[.!?]+\s+(?=[A-ZÅÄÖ\"”“•])")


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]``, not splitting after "t.ex." and the like."""
    spans, s = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        word = text[max(start, m.start() - 6) : m.start()].split()[-1:] or [""]
        if word[0].lower().lstrip("(") in _ABBREVIATIONS:
            continue
        spans.append((s, m.start() + 1))
        s = m.end()
    if s < end:
        spans.append((s, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


# --------------------------------------------------------------------------------------------
# Reading one item
# --------------------------------------------------------------------------------------------


def _parties(text: str, lex: Lexicon) -> Responsible | None:
    if _any(lex.party_both, text):
        return "both"
    police = _any(lex.party_police, text)
    municipality = _any(lex.party_municipality, text)
    if police and municipality:
        return "both"
    if police:
        return "police"
    if municipality:
        return "municipality"
    return None


def _first_trigger(text: str, lex: Lexicon) -> tuple[int, ActivityKind] | None:
    best: tuple[int, ActivityKind] | None = None
    for kind, patterns in lex.kinds.items():
        for p in patterns:
            m = p.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), kind)
    return best


def _kind(text: str, headings: list[str], lex: Lexicon) -> ActivityKind:
    """The kind whose trigger comes first; a generic noun before it defers to the heading."""
    found = _first_trigger(text, lex)
    generic = [m.start() for p in lex.generic_activity if (m := p.search(text))]
    if found is None or (generic and min(generic) < found[0]):
        for heading in headings:
            inherited = _first_trigger(heading, lex)
            if inherited and inherited[1] not in lex.not_inherited:
                return inherited[1]
    return found[1] if found else ActivityKind.other


def _number_value(m: re.Match[str], text: str, lex: Lexicon) -> int | None:
    raw = m.group("n")
    after, before = text[m.end("n") :], text[: m.start("n")]
    if _any(lex.not_count[:1], after) or _any(lex.not_count[1:], before):
        return None
    value = int(raw) if raw.isdigit() else lex.numbers.get(raw.lower())
    if value is None or (raw.isdigit() and 1900 <= value <= 2100):  # a year, not a count
        return None
    return value


def _count(text: str, kind: ActivityKind, lex: Lexicon) -> int | None:
    for patterns in (lex.count_minimum, lex.count_repetition):
        for p in patterns:
            for m in p.finditer(text):
                if (value := _number_value(m, text, lex)) is not None:
                    return value
    for p in lex.kinds.get(kind, []):
        for trigger in p.finditer(text):
            m = lex.count_before_trigger.search(text[: trigger.start()])
            if m and (value := _number_value(m, text[: trigger.start()], lex)) is not None:
                return value
    return None


def _per(text: str, count: int | None, lex: Lexicon) -> Per | None:
    for unit, patterns in lex.per.items():
        if _any(patterns, text):
            return unit  # type: ignore[return-value]
    return "period" if count is not None else None


def _focus(text: str, headings: list[str], lex: Lexicon) -> list[str]:
    for source in (text, *headings):
        tags = [tag for tag, patterns in lex.focus.items() if _any(patterns, source)]
        if tags:
            return tags
    return []


_QUOTED = re.compile(r"[”“\"«»][^”“\"«»]*[”“\"«»]")


def _places(text: str, lex: Lexicon) -> list[str]:
    """Place phrases as written, longest first where they overlap, in text order."""
    # Names inside quotes are names of things ("nätverket ”Trygg i Åre”"), not places.
    masked = _QUOTED.sub(lambda m: " " * len(m.group()), text)
    spans: list[tuple[int, int]] = []
    for p in [*lex.place_patterns, lex.area_kinds]:
        spans.extend(m.span() for m in p.finditer(masked))
    for m in lex.place_preposition.finditer(masked):
        before = (m.group(1) or "").lower().strip(",.;:()")
        name = m.group(3)
        words = [w.lower() for w in name.split()]
        following = masked[m.end(3) :].split()[:1]
        if (
            before in lex.not_after
            or any(w in lex.not_before for w in words)
            or (following and following[0].lower().strip(",.;:") in lex.not_before)
            or any(p.match(name) for p in lex.not_names)
        ):
            continue
        spans.append(m.span(3))
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    places: list[str] = []
    for start, end in kept:
        phrase = _collapse(text[start:end]).strip(",.;:")
        if phrase and phrase not in places:
            places.append(phrase)
    return places


def _responsible(
    text: str, prefix: Responsible | None, default: Responsible | None, lex: Lexicon
) -> Responsible:
    if prefix:
        return prefix
    verb = lex.verbs.search(text)
    if verb and verb.start() <= 80 and (who := _parties(text[: verb.start()], lex)):
        return who
    if _any(lex.joint, text):
        return "both"
    return default or "both"


def _strip_prefix(text: str, lex: Lexicon) -> str:
    for p in (lex.police_prefix, lex.municipality_prefix):
        text = p.sub("", text, count=1)
    return text


def _activity(
    source: str,
    text: str,
    headings: list[str],
    prefix: Responsible | None,
    default: Responsible | None,
    lex: Lexicon,
) -> Activity:
    body = _strip_prefix(text, lex)
    kind = _kind(body, headings, lex)
    count = _count(body, kind, lex)
    return Activity(
        kind=kind,
        count_min=count,
        per=_per(body, count, lex),
        responsible=_responsible(body, prefix, default, lex),
        places=_places(body, lex),
        spread_municipality=_any(lex.spread, body),
        focus=_focus(body, headings, lex),
        heading=headings[0] if headings else None,
        source=source,
    )


def _follow_up(source: str, text: str, heading: str | None, lex: Lexicon) -> FollowUp | None:
    """A reported outcome, or None for a sentence that reports nothing done (or not done)."""
    not_done = _any(lex.not_done, text)
    if not (not_done or _any(lex.done, text)):
        return None
    found = _first_trigger(text, lex)
    return FollowUp(
        text=source,
        heading=heading,
        kind=found[1] if found else None,
        places=_places(text, lex),
        achieved=not not_done,
    )


# --------------------------------------------------------------------------------------------
# Periods, municipality, language
# --------------------------------------------------------------------------------------------


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


def _period(
    all_texts: list[str], promise_texts: list[str], lex: Lexicon, warnings: list[str]
) -> tuple[date | None, date | None]:
    start: date | None = None
    end: date | None = None
    # 1. Stated dates, anywhere ("Löftet gäller till 2025-12-31" may stand under "Uppföljning").
    for text in all_texts:
        dates = _dates(text, lex)
        for (_, e1, d1), (s2, _, d2) in itertools.pairwise(dates):
            if start is None and _RANGE_JOIN.match(text[e1:s2]) and d1 <= d2:
                start, end = d1, d2
        for m in lex.valid_until.finditer(text):
            after = [d for s, _, d in dates if s == m.end()]
            if after and end is None:
                end = after[0]
        for m in lex.valid_from.finditer(text):
            after = [d for s, _, d in dates if s == m.end()]
            if after and start is None:
                start = after[0]
    if start or end:
        return start, end
    # 2. A range of years in the promise part: "Medborgarlöften 2021–2022".
    for text in promise_texts:
        for m in lex.year_range.finditer(text):
            y1, y2 = int(m.group(1)), int(m.group(2))
            if y1 <= y2 <= y1 + 10:
                return date(y1, 1, 1), date(y2, 12, 31)
    # 3. One year in a line about the promise: "Nya överenskommelser 2017".
    for text in promise_texts:
        if lex.mapping_year.search(text) or not _any(lex.year_line, text):
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


def _find_municipality(name: str) -> Any:
    from geodata.municipalities import find_municipality

    return find_municipality(name)


def _kommun_label(name: str) -> str:
    """The kommun as written: "Strömsunds kommun", "Åre kommun", "Hagfors kommun"."""
    return f"{name}{'' if name[-1].lower() in 'aeiouyåäösxz' else 's'} kommun"


def _detect_municipality(
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
                m = _find_municipality(name)
            except LoftesplanError:
                continue
            except Exception as exc:  # the registry itself failed: keep the name unchecked
                log.warning("municipality look-up failed for %r: %s", name, exc)
                unchecked = unchecked or name
                continue
            label = written.get(candidate, "")
            label = label.split()[-2] + " kommun" if label and name != candidate else label
            return m.code, m.name, label or _kommun_label(m.name)
    if unchecked:
        warnings.append(f"Kommunen '{unchecked}' kunde inte kontrolleras mot kommunregistret.")
        return None, unchecked, _kommun_label(unchecked)
    return None, None, None


_WORD = re.compile(r"[a-zåäöéü]+")


def _check_language(content: str, lex: Lexicon) -> None:
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


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------


def parse_promise(text: str, kommun: str | None = None) -> Promise:
    """Read a Swedish promise text into a draft :class:`Promise`.

    Parameters
    ----------
    text
        The promise page as text, page chrome (menus, cookie notices, contact blocks) included.
    kommun
        A municipality name or code that overrides the one found in the text.

    Returns
    -------
    Promise
        A draft for a planner to review; ``warnings`` says what was guessed.

    Raises
    ------
    InvalidInputError
        If the text is empty, too short, or not Swedish.
    UnknownMunicipalityError
        If ``kommun`` matches none of the 290 kommuner.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("Texten är tom. Klistra in medborgarlöftets text.")
    lex = load_lexicon()
    blocks = _blocks(text, lex)
    _check_language(" ".join(b.text for b in blocks), lex)
    warnings: list[str] = []

    activities: list[Activity] = []
    follow_up: list[FollowUp] = []
    fallback: list[tuple[int, int, list[str], Responsible | None]] = []
    promise_texts: list[str] = []
    title: str | None = None
    heading: str | None = None
    sub: str | None = None
    default: Responsible | None = None
    in_follow_up = background = False
    items_seen = 0

    for block in blocks:
        if block.type != "item":
            sub = None
            background = _any(lex.background_intro, block.text)
        if block.type == "heading":
            title = title or block.text
            if _any(lex.follow_up_headings, block.text):
                in_follow_up = True
            elif _any(lex.promise_headings, block.text):
                in_follow_up = False
            if not any(p.match(block.text) for p in lex.structural_headings):
                heading = block.text
                default = _parties(block.text, lex)
        elif block.type == "intro":
            default = _parties(block.text, lex) or default
        if not in_follow_up:
            promise_texts.append(block.text)
        headings = [h for h in (sub, heading) if h]
        if block.type == "para":
            for s, e in _sentences(text, block.start, block.end):
                sentence = _collapse(text[s:e])
                if in_follow_up:
                    # A paragraph reports an outcome only if it names an activity or a miss.
                    names_one = _first_trigger(sentence, lex) or _any(lex.not_done, sentence)
                    if names_one and (report := _follow_up(text[s:e], sentence, heading, lex)):
                        follow_up.append(report)
                elif not background and _any(lex.commitment, sentence):
                    fallback.append((s, e, headings, default))
            continue
        if block.type != "item":
            continue
        if not block.child:
            sub = None
        is_subheading = (
            block.has_children
            and block.text[-1:] not in ".!?"
            and not lex.verbs.search(block.text)
            and block.prefix is None
        )
        if is_subheading:
            sub = block.text
            continue
        if background or _any(lex.meta_item, _strip_prefix(block.text, lex)):
            continue
        source = text[block.start : block.end]
        if in_follow_up:
            if report := _follow_up(source, block.text, heading, lex):
                follow_up.append(report)
            continue
        items_seen += 1
        activities.append(_activity(source, block.text, headings, block.prefix, default, lex))

    if not items_seen:
        # No list at all: read the paragraph sentences that commit to something.
        for s, e, headings, dflt in fallback:
            sentence = _collapse(text[s:e])
            if not _any(lex.meta_item, sentence):
                activities.append(_activity(text[s:e], sentence, headings, None, dflt, lex))

    all_texts = [b.text for b in blocks]
    period_start, period_end = _period(all_texts, promise_texts, lex, warnings)
    if kommun is not None:
        m = _find_municipality(kommun)
        code, name, label = m.code, m.name, _kommun_label(m.name)
        found_code, found_name, _ = _detect_municipality(all_texts, lex, [])
        if found_code and found_code != code:
            warnings.append(f"Texten nämner {found_name} men kommunen är angiven som {name}.")
    else:
        code, name, label = _detect_municipality(all_texts, lex, warnings)
        if name is None:
            warnings.append("Ingen kommun hittades i texten; ange kommun.")
    area = lex.police_area.search(" ".join(all_texts))
    partners = Partners(
        lokalpolisomrade=area.group(1) if area else None,
        kommun=label,
    )
    if not activities:
        warnings.append("Inga aktiviteter hittades i texten; lägg till dem för hand.")
    if period_start is None and period_end is None:
        warnings.append("Ingen period hittades i texten; ange start och slut.")
    return Promise(
        municipality_code=code,
        municipality_name=name,
        period_start=period_start,
        period_end=period_end,
        partners=partners,
        activities=activities,
        follow_up=follow_up,
        title=title,
        warnings=warnings,
    )


def parse_promise_file(path: str | Path, kommun: str | None = None) -> Promise:
    """Read a promise text file (UTF-8) with :func:`parse_promise`.

    Raises
    ------
    InvalidInputError
        If the file cannot be read as UTF-8 text.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Kan inte läsa filen {path}: {exc}") from exc
    return parse_promise(text, kommun=kommun)
