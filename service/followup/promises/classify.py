"""Reading one segment: commitment or prose, its kinds, party, places and spread.

Kinds come from the lexicon's stemmed terms and action-object pairs (see ``lexicon.toml``);
every decision returns the entry or rule that made it, for the activity's explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from service.followup.promises.lexicon import (
    Lexicon,
    Term,
    any_match,
    candidates,
    key_matches,
    stem,
    tokens,
    words,
)
from service.followup.promises.model import ActivityKind, Responsible
from service.followup.promises.segment import clauses, collapse

K = ActivityKind


@dataclass(frozen=True)
class Found:
    """A kind found in a segment: where, which kind, why, and whether only weakly."""

    pos: int
    kind: ActivityKind
    why: str
    weak: bool = False


_COORDINATED = re.compile(r"(\w+)-\s+(?:och|samt|eller)\s+(\w+)", re.IGNORECASE)


def _stems(text: str, lex: Lexicon) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Word stems and words, "trafik- och informationsinsatser" read as "trafikinsatser och ..."."""
    toks = tokens(text)
    raw = words(text)
    for m in _COORDINATED.finditer(text):
        i = next((k for k, t in enumerate(toks) if t[0] == m.start(1)), None)
        j = next((k for k, t in enumerate(toks) if t[0] == m.start(2)), None)
        if i is None or j is None:
            continue
        second = raw[j]
        head = max(
            (h for h in lex.heads if len(h) >= 4 and second.endswith(h) and h != second),
            key=len,
            default=None,
        )
        if head:
            word = raw[i] + second[len(second) - len(head) :]
            raw[i] = word
            toks[i] = (toks[i][0], toks[i][1], stem(word))
    return toks, raw


def _term_at(toks: list[tuple[int, int, str]], raw: list[str], i: int, term: Term) -> int:
    if i + len(term.words) > len(toks):
        return 0
    score = 0
    for j in range(len(term.words)):
        got = term.matches_word(j, toks[i + j][2], raw[i + j])
        if not got:
            return 0
        score += got
    return score


PAIR_WINDOW = 12  # words between an action and its object ("besöka ... skolor")


@lru_cache(maxsize=16384)
def _best_single(word: str, word_stem: str, lexicon_id: int) -> tuple[int, Term] | None:
    lex = _LEXICONS[lexicon_id]
    best: tuple[int, Term] | None = None
    keys = candidates(word, word_stem, lex.parts)
    terms = {id(t): t for k in keys for t in lex.index.get(k, ())}
    for term in terms.values():
        score = term.matches_word(0, word_stem, word) if len(term.words) == 1 else 0
        if score and (best is None or score > best[0]):
            best = (score, term)
    return best


_LEXICONS: dict[int, Lexicon] = {}


def find_kinds(text: str, lex: Lexicon) -> list[Found]:
    """Every kind named in ``text``: the best term at each word, and action-object pairs."""
    return list(_find_kinds(text, id(lex), lex))


@lru_cache(maxsize=4096)
def _find_kinds_cached(text: str, lexicon_id: int) -> tuple[Found, ...]:
    return _find_kinds_uncached(text, _LEXICONS[lexicon_id])


def _find_kinds(text: str, lexicon_id: int, lex: Lexicon) -> tuple[Found, ...]:
    _LEXICONS.setdefault(lexicon_id, lex)
    return _find_kinds_cached(text, lexicon_id)


@lru_cache(maxsize=16384)
def _word_info(
    word: str, word_stem: str, lexicon_id: int
) -> tuple[frozenset[str], tuple[Term, ...]]:
    """The pair keys a word matches, and the several-word terms it can start."""
    lex = _LEXICONS[lexicon_id]
    near = candidates(word, word_stem, lex.parts)
    pair_keys = {k for c in near for k in lex.pair_index.get(c, ())}
    keys = frozenset(k for k in pair_keys if key_matches(k, word, word_stem))
    terms = {id(t): t for c in near for t in lex.index.get(c, ())}
    starts = tuple(
        t for t in terms.values() if len(t.words) > 1 and t.matches_word(0, word_stem, word)
    )
    return keys, starts


def _find_kinds_uncached(text: str, lex: Lexicon) -> tuple[Found, ...]:
    toks, raw = _stems(text, lex)
    info = [_word_info(raw[i], t[2], id(lex)) for i, t in enumerate(toks)]
    found: list[Found] = []
    for i, (start, _, word_stem) in enumerate(toks):
        best = _best_single(raw[i], word_stem, id(lex))
        for term in info[i][1]:
            score = _term_at(toks, raw, i, term)
            if score and (best is None or score > best[0]):
                best = (score, term)
        if best is None:
            continue
        term = best[1]
        before = toks[i - 1][2] if i > 0 else ""
        if term.weak and before == "i":
            continue  # "i samverkan med", "i dialog med": how, not what
        if before in lex.presupposed:
            continue  # "vid varje genomförd trygghetsvandring": presupposed, not promised
        found.append(Found(start, term.kind, f"lexikon: {term.text}", term.weak))
    keys = [k for k, _ in info]
    for pair in lex.pairs:
        hit = _pair_at(set(pair.actions), set(pair.objects), toks, raw, keys)
        if hit is not None:
            found.append(Found(hit, pair.kind, f"par: {pair.text}"))
    return tuple(sorted(found, key=lambda f: f.pos))


def _pair_at(
    actions: set[str],
    objects: set[str],
    toks: list[tuple[int, int, str]],
    raw: list[str],
    keys: list[frozenset[str]],
) -> int | None:
    """Where an action word with an object word near it (another word) starts, or None."""
    for i, (start, _, _) in enumerate(toks):
        if not actions & keys[i]:
            continue
        if i > 0 and raw[i - 1] == "i":
            continue  # "i samverkan med andra myndigheter": how, not what
        lo, hi = max(0, i - PAIR_WINDOW), min(len(toks), i + PAIR_WINDOW + 1)
        if any(j != i and objects & keys[j] for j in range(lo, hi)):
            return start
    return None


def resolve(found: list[Found]) -> list[Found]:
    """One entry per kind, in text order: weak kinds only when nothing strong is named."""
    strong = [f for f in found if not f.weak]
    chosen = strong or found[:1]
    out: list[Found] = []
    for f in chosen:
        if all(o.kind != f.kind for o in out):
            out.append(f)
    return out


def suppress(found: list[Found], lex: Lexicon) -> list[Found]:
    """Drop kinds that a more specific kind in the segment covers (see ``[suppress]``)."""
    covered: set[str] = set()
    for f in found:
        covered |= lex.suppress.get(f.kind, frozenset())
    return [f for f in found if f.kind not in covered] or found[:1]


_MEANS = re.compile(r"\bgenom\b", re.IGNORECASE)


def segment_kinds(text: str, lex: Lexicon) -> list[Found]:
    """The kinds of one segment; a clause naming an unspecified action adds "other"."""
    named = find_kinds(text, lex)
    # "X genom Y": where the means Y names a kind, it is the activity ("Öka sin närvaro genom
    # utökade fordonskontroller" is a traffic control).
    means = [m.end() for m in _MEANS.finditer(text)]
    if means and any(f.pos >= means[0] and not f.weak for f in named):
        named = [f for f in named if f.pos >= means[0]]
    kinds = suppress(resolve(named), lex)
    if not kinds:
        return []
    for s, e in clauses(text):
        if any(s <= f.pos < e for f in kinds):
            continue
        piece = text[s:e]
        if any(stem in lex.generic_nouns for _, _, stem in tokens(piece)) and not find_kinds(
            piece, lex
        ):
            kinds.append(Found(s, K.other, f"ospecificerad åtgärd: '{piece.strip()[:40]}'"))
    return sorted(kinds, key=lambda f: f.pos)


def specific(kinds: list[Found]) -> bool:
    """Whether the kinds name a specific activity (not only "other", not only weakly)."""
    return any(f.kind != K.other and not f.weak for f in kinds)


# --- commitment or prose ----------------------------------------------------------------------

_LEAD = re.compile(
    r"^(?:att\s+)?(?:.{0,80}?\b(?:ska|skall|lovar att|kommer att|ansvarar för att|"
    r"förbinder sig att|åtar sig att)\s+)?(?:att\s+)?(?:även\s+|också\s+|tillsammans\s+)?",
    re.IGNORECASE,
)


_TOPIC = re.compile(r"^[^.:;]{1,40}?\s[-–]\s+")


def core(text: str) -> str:
    """The segment from its main verb: "Polisen ska genomföra ..." -> "genomföra ...".

    A topic label before a dash goes too: "Trafik - Sänka hastigheter" -> "Sänka hastigheter".
    """
    text = _TOPIC.sub("", text, count=1)
    m = _LEAD.match(text)
    return text[m.end() :] if m else text


def is_goal(text: str, kinds: list[Found], has_count: bool, lex: Lexicon) -> bool:
    """An aim without an instrument: "Arbeta för ett tryggt centrum", "verka för att ...".

    Kinds that name no instrument of their own (``goal_overrides_kinds``: "utveckla
    samverkansformer", "öka informationen") do not make an aim an activity; a count does.
    """
    if has_count or any(not f.weak and f.kind not in lex.goal_kinds for f in kinds):
        return False
    return any_match(lex.goal, core(text))


def is_past(text: str, lex: Lexicon) -> bool:
    """A report of what was done ("har genomförts", "genomfördes"), not a plan."""
    return any_match(lex.past, text) and not any_match(lex.future, text)


def commitment_at(text: str, lex: Lexicon) -> int | None:
    """Where a sentence commits to something ("ska", "lovar att", "kommer att"), or None."""
    hits = [m.end() for p in lex.commitment if (m := p.search(text))]
    return min(hits) if hits else None


def third_party(text: str, lex: Lexicon) -> bool:
    """Whether the segment's subject is neither police nor municipality ("Kustbevakningen")."""
    return any_match(lex.third_parties, text)


# --- who --------------------------------------------------------------------------------------


def parties(text: str, lex: Lexicon) -> Responsible | None:
    """The parties named in ``text``: police, municipality, both, or None."""
    if any_match(lex.party_both, text):
        return "both"
    police = any_match(lex.party_police, text)
    municipality = any_match(lex.party_municipality, text)
    if police and municipality:
        return "both"
    if police:
        return "police"
    if municipality:
        return "municipality"
    return None


_PARTY_WORD = r"(?:polisen|polis|kommunen|kommun|lpo|lokalpolisområdet?|vi)"
_SUBJECT = re.compile(
    rf"^\s*(?:[\wåäö]+\s+){{0,2}}?{_PARTY_WORD}(?:\s+(?-i:[A-ZÅÄÖ])[\wåäö]*)?"
    rf"(?:\s*(?:,|och|samt|tillsammans med)\s+(?:[\wåäö]+\s+){{0,2}}?{_PARTY_WORD})*\b",
    re.IGNORECASE,
)
_STRONG_JOINT = re.compile(r"\b(samverkan|tillsammans)\b", re.IGNORECASE)


def responsible(
    text: str,
    prefix: Responsible | None,
    section: Responsible | None,
    page: Responsible,
    lex: Lexicon,
) -> tuple[Responsible, str]:
    """Who carries out a segment, and from where that was read.

    The order: an item prefix ("Polis:"), a party in parentheses at the end, the subject of
    the segment (a joint clause naming the other party makes it both), a joint clause, the
    section's heading, a single party named anywhere in the segment, and last the page's
    signatories ("vi" in a joint promise is both).
    """
    if prefix:
        return prefix, "prefix före punkten"
    if m := lex.parenthesis.search(text):
        who = parties(m.group(1), lex)
        if who:
            return who, f"parentes: '{m.group(0).strip()}'"
    verb = lex.verbs.search(text)
    if verb and verb.start() <= 80:
        subject = text[: verb.start()]
    elif lead := _SUBJECT.match(text):
        subject = lead.group()  # "Polisen och kommunen offentliggör ..."
    else:
        subject = " ".join(text.split()[:2])
    who = parties(subject, lex)
    if who is None and re.search(r"\bvi\b", text, re.IGNORECASE):
        return page, "'vi' = sidans parter"
    if (
        who
        and re.match(r"^\s*vi\b", subject, re.IGNORECASE)
        and not (any_match(lex.party_police, subject) or any_match(lex.party_municipality, subject))
    ):
        return page, "subjektet 'vi' = sidans parter"
    if who:
        joint = [m for p in lex.joint for m in [p.search(text)] if m]
        if who != "both" and any(_STRONG_JOINT.search(m.group()) for m in joint):
            other = parties(" ".join(m.group() for m in joint), lex)
            if other and other != who:
                return "both", f"subjekt '{subject.strip()}' + samverkan med den andra parten"
        return who, f"subjekt: '{subject.strip()}'"
    if any_match(lex.joint, text):
        return "both", "gemensam formulering (tillsammans/i samverkan med)"
    if section:
        return section, "rubriken över punkten"
    if (named := parties(text, lex)) and named != "both":
        return named, "enda part som nämns i texten"
    return page, "sidans parter"


def spread(text: str, lex: Lexicon) -> bool:
    """Whether the text asks for spread over the municipality ("olika platser i kommunen")."""
    return any_match(lex.spread, text)


def focus(text: str, headings: list[str], lex: Lexicon) -> list[str]:
    """Focus tags of the text, else of its nearest heading that has some."""
    for source in (text, *headings):
        tags = [tag for tag, patterns in lex.focus.items() if any_match(patterns, source)]
        if tags:
            return tags
    return []


_QUOTED = re.compile(r"[”“\"«»][^”“\"«»]*[”“\"«»]")


def places(text: str, lex: Lexicon) -> list[str]:
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
        phrase = collapse(text[start:end]).strip(",.;:")
        if phrase and phrase not in places:
            places.append(phrase)
    return places
