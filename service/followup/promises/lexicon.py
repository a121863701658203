"""The parser's lexicon: ``lexicon.toml`` compiled, and the stemmed kind terms.

Every Swedish word the parser knows is kept in ``lexicon.toml``; this module only compiles
it. Kind terms are matched on word stems from the Snowball Swedish stemmer, so one entry
covers inflections ("trafikkontrollerna") and compounds ("fordonskontroller").
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer

from service.followup.promises.model import ActivityKind

LEXICON_PATH = Path(__file__).with_name("lexicon.toml")

_FLAGS = re.IGNORECASE
#: Endings that make an inflected form of a word ("insats" -> "insatser", "insatserna").
INFLECTIONS = frozenset(
    [
        "",
        "en",
        "n",
        "et",
        "t",
        "er",
        "erna",
        "ers",
        "ar",
        "arna",
        "or",
        "orna",
        "na",
        "a",
        "e",
        "es",
        "s",
        "ens",
        "ets",
        "ade",
        "ad",
        "at",
        "ande",
        "ar",
        "ats",
    ]
)
_TOKEN = re.compile(r"[\wåäöÅÄÖéü]+(?:-[\wåäöÅÄÖéü]+)*")
_STEMMER = snowballstemmer.stemmer("swedish")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball Swedish stem of a word ("trafikkontrollerna" -> "trafikkontroll")."""
    return str(_STEMMER.stemWord(word.lower()))


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stem) of every word in ``text``."""
    return [(m.start(), m.end(), stem(m.group())) for m in _TOKEN.finditer(text)]


def words(text: str) -> list[str]:
    """The words of ``text`` as written (lower case), in the order of :func:`tokens`."""
    return [m.group().lower() for m in _TOKEN.finditer(text)]


@dataclass(frozen=True)
class Term:
    """One lexicon term: its words as stems and as written, its kind and its strength."""

    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    text: str
    kind: ActivityKind
    weak: bool = False

    def matches_word(self, i: int, word_stem: str, word: str) -> int:
        """How well word ``i`` of the term matches a word: 0 none, else the match length."""
        s, lemma = self.words[i], self.lemmas[i]
        if word_stem == s or word == lemma:
            return len(lemma) + 1
        if len(lemma) >= 4 and word.startswith(lemma) and word[len(lemma) :] in INFLECTIONS:
            return len(lemma)  # an inflection: "insatser" for "insats"
        last = i == len(self.words) - 1
        if not last:
            if min(len(s), len(word_stem)) >= 4 and (
                word_stem.startswith(s) or s.startswith(word_stem)
            ):
                return min(len(s), len(word_stem))  # "samplanerade" / "samplanerad"
            return 0
        if len(self.words) > 1:
            return 0  # "gemensam insats" is not "gemensamma informationsinsatser"
        if len(s) >= 5 and word_stem.endswith(s):
            return len(s)  # compound with the term as its head: "fordonskontroll"
        if len(lemma) >= 6 and lemma in word:
            return len(lemma)  # compound with the term inside: "trafikövervakningsinsatser"
        return 0


def pair_key(word: str) -> str:
    """How a pair word is matched: "stem|word", or "=word" when the stem is short."""
    s = stem(word)
    return f"{s}|{word.lower()}" if len(s) >= 4 else "=" + word.lower()


def key_matches(key: str, word: str, word_stem: str) -> bool:
    """Whether a pair word (see :func:`pair_key`) matches a word of the text."""
    if key.startswith("="):
        return word.lower() == key[1:]
    s, lemma = key.split("|")
    return (
        word_stem == s
        or (word.startswith(lemma) and word[len(lemma) :] in INFLECTIONS)
        or word_stem.endswith(s)
        or (len(lemma) >= 7 and lemma in word)
    )


@dataclass(frozen=True)
class Pair:
    """An action word and an object word that together name a kind, within a few words."""

    kind: ActivityKind
    actions: tuple[str, ...]
    objects: tuple[str, ...]
    text: str


def candidates(
    word: str, word_stem: str, parts: tuple[frozenset[str], tuple[int, ...]] | None = None
) -> set[str]:
    """Every string a lexicon word could be, for :class:`Term` or pair word ``word``.

    Used as keys into the lexicon's index so that only a few terms are tried per word: the
    word and its stem, the word less an inflection ending, the stem's suffixes (compound
    heads) and the lexicon words of six letters or more inside it (``parts``: compounds).
    """
    out = {word, word_stem, "=" + word}
    out.update(word[: -len(e)] for e in INFLECTIONS if e and word.endswith(e))
    out.update(word_stem[k:] for k in range(len(word_stem) - 4))
    if parts is not None:
        keys, lengths = parts
        n = len(word)
        out.update(
            word[i : i + k] for k in lengths for i in range(n - k + 1) if word[i : i + k] in keys
        )
    return out


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


def _whole(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(rf"^(?:{p})$", _FLAGS) for p in patterns]


def any_match(patterns: list[re.Pattern[str]], text: str) -> bool:
    """Whether any of ``patterns`` occurs in ``text``."""
    return any(p.search(text) for p in patterns)


@dataclass(frozen=True)
class Lexicon:
    """The compiled contents of ``lexicon.toml``."""

    terms: list[Term]
    pairs: list[Pair]
    index: dict[str, list[Term]]
    pair_index: dict[str, list[str]]
    heads: frozenset[str]
    goal_kinds: frozenset[ActivityKind]
    parts: tuple[frozenset[str], tuple[int, ...]]
    suppress: dict[ActivityKind, frozenset[ActivityKind]]
    generic_nouns: frozenset[str]
    presupposed: frozenset[str]
    third_parties: list[re.Pattern[str]]
    generic_activity: list[re.Pattern[str]]
    not_inherited: frozenset[ActivityKind]
    focus: dict[str, list[re.Pattern[str]]]
    numbers: dict[str, int]
    number: str
    count_minimum: list[re.Pattern[str]]
    count_repetition: list[re.Pattern[str]]
    count_before_trigger: re.Pattern[str]
    not_count: list[re.Pattern[str]]
    not_count_after_article: re.Pattern[str]
    article_after_verb: re.Pattern[str]
    once_a_year: list[re.Pattern[str]]
    rates: dict[str, list[re.Pattern[str]]]
    rates_per_year: dict[str, int]
    per: dict[str, list[re.Pattern[str]]]
    police_prefix: re.Pattern[str]
    municipality_prefix: re.Pattern[str]
    parenthesis: re.Pattern[str]
    joint_promise: list[re.Pattern[str]]
    police_only_promise: list[re.Pattern[str]]
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
    commitment_sections: list[re.Pattern[str]]
    prose_sections: list[re.Pattern[str]]
    goal: list[re.Pattern[str]]
    heading_items: list[re.Pattern[str]]
    past: list[re.Pattern[str]]
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


def _kind_terms(raw: dict[str, Any]) -> tuple[list[Term], list[Pair]]:
    terms: list[Term] = []
    pairs: list[Pair] = []
    for name, entry in raw["kinds"].items():
        kind = ActivityKind(name)
        for weak, key in ((False, "terms"), (True, "weak")):
            for text in entry.get(key, []):
                words = tuple(stem(w) for w in text.split())
                lemmas = tuple(w.lower() for w in text.split())
                terms.append(Term(words, lemmas, text, kind, weak))
        for pair in entry.get("pairs", []):
            actions = tuple(sorted({pair_key(w) for w in pair["action"]}))
            objects = tuple(sorted({pair_key(w) for w in pair["object"]}))
            label = f"{'/'.join(pair['action'][:2])} + {'/'.join(pair['object'][:2])}"
            pairs.append(Pair(kind, actions, objects, label))
    return terms, pairs


def _parts(keys: set[str]) -> tuple[frozenset[str], tuple[int, ...]]:
    """The index keys of six letters or more, and their lengths (compound parts)."""
    long = frozenset(k for k in keys if len(k) >= 6 and not k.startswith("="))
    return long, tuple(sorted({len(k) for k in long}))


@lru_cache(maxsize=4)
def load_lexicon(path: Path | str | None = None) -> Lexicon:
    """Read and compile the parser lexicon.

    Parameters
    ----------
    path
        A lexicon TOML file; defaults to the ``lexicon.toml`` beside this module.

    Returns
    -------
    Lexicon
    """
    raw = tomllib.loads(Path(path or LEXICON_PATH).read_text(encoding="utf-8"))
    numbers = {k.lower(): int(v) for k, v in raw["numbers"].items()}
    # Longest words first so "tjugo" is not read as a prefix match of something shorter.
    number = r"(?P<n>\d{1,4}|" + "|".join(sorted(numbers, key=len, reverse=True)) + r")"
    terms, pairs = _kind_terms(raw)
    counts, places, structure = raw["counts"], raw["places"], raw["structure"]
    resp, periods = raw["responsibility"], raw["periods"]
    name = places["name"]
    months = {m: i + 1 for i, m in enumerate(periods["months"])}
    month_alt = "|".join(months)
    area = "|".join(places["area_kinds"])
    preps = "|".join(places["prepositions"])
    index: dict[str, list[Term]] = {}
    for term in terms:
        for key in {term.words[0], term.lemmas[0]}:
            index.setdefault(key, []).append(term)
    pair_index: dict[str, list[str]] = {}
    for pair in pairs:
        for key in (*pair.actions, *pair.objects):
            for part in key.split("|"):
                pair_index.setdefault(part, []).append(key)
    return Lexicon(
        terms=terms,
        pairs=pairs,
        index=index,
        pair_index=pair_index,
        heads=frozenset(
            {t.lemmas[-1] for t in terms} | {t.words[-1] for t in terms} | set(pair_index)
        )
        - {""},
        goal_kinds=frozenset(ActivityKind(k) for k in structure["goal_overrides_kinds"]),
        parts=_parts(set(index) | set(pair_index)),
        suppress={
            ActivityKind(k): frozenset(ActivityKind(x) for x in v)
            for k, v in raw["suppress"].items()
        },
        generic_nouns=frozenset(stem(w) for w in raw["generic"]["nouns"]),
        presupposed=frozenset(stem(w) for w in raw["generic"]["presupposed_before"]),
        third_parties=_compile(resp["third_parties"]),
        generic_activity=_compile(raw["generic"]["generic_activity"]),
        not_inherited=frozenset(ActivityKind(k) for k in raw["not_inherited_from_heading"]),
        focus={k: _compile(v) for k, v in raw["focus"].items()},
        numbers=numbers,
        number=number,
        count_minimum=_compile(counts["minimum"], n=number),
        count_repetition=_compile(counts["repetition"], n=number),
        count_before_trigger=_compile(counts["before_trigger"], n=number)[0],
        not_count=_compile(counts["not_count"]),
        not_count_after_article=_compile(counts["not_count_after_article"])[0],
        article_after_verb=_compile(raw["counts_extra"]["article_after_verb"])[0],
        once_a_year=_compile(raw["counts_extra"]["once_a_year"]),
        rates={k: _compile(v) for k, v in raw["rates"].items()},
        rates_per_year={k: int(v) for k, v in raw["rates_per_year"].items()},
        per={k: _compile(v) for k, v in raw["per"].items()},
        police_prefix=_compile(resp["police_prefix"])[0],
        municipality_prefix=_compile(resp["municipality_prefix"])[0],
        parenthesis=_compile(resp["parenthesis"])[0],
        joint_promise=_compile(resp["joint_promise"]),
        police_only_promise=_compile(resp["police_only_promise"]),
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
        not_names=_whole(places["not_names"]),
        area_kinds=re.compile(rf"\b(?:{area})(?:/(?:{area}))*\b", _FLAGS),
        chrome_lines=_whole(structure["chrome_lines"]),
        footer_start=_whole(structure["footer_start"]),
        bullet=re.compile(structure["bullet"]),
        weak_bullet=re.compile(structure["weak_bullet"]),
        numbered=re.compile(structure["numbered"]),
        structural_headings=_whole(structure["structural_headings"]),
        background_intro=_compile(structure["background_intro"]),
        meta_item=_compile(structure["meta_item"]),
        follow_up_headings=_compile(structure["follow_up_headings"]),
        promise_headings=_compile(structure["promise_headings"]),
        done=_compile(structure["done"]),
        not_done=_compile(structure["not_done"]),
        future=_compile(structure["future"]),
        commitment=_compile(structure["commitment"]),
        commitment_sections=_compile(structure["commitment_sections"]),
        prose_sections=_compile(structure["prose_sections"]),
        goal=_compile(structure["goal"]),
        heading_items=_compile(structure["heading_items"]),
        past=_compile(structure["past"]),
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
