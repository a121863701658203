"""The promise parser: a page of text into a draft :class:`Promise`.

The page is cut into list items, headings, intros and paragraphs (:mod:`.segment`); each
heading or intro opens a section that is a commitment ("Polisen ska:", "Det här ska vi
göra"), prose (background, problem lists, aims, "Så här följer vi upp"), a follow-up report
("Så gick det") or an earlier promise ("Medborgarlöften 2018" on a 2020 page). Items of a
commitment section, and the sentences of paragraphs that commit to a named activity, become
segments; each segment is read for its kinds (one activity per kind it joins), its count,
its responsible party, places and spread (:mod:`.classify`, :mod:`.counts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from geodata.errors import InvalidInputError
from service.followup.promises import classify as cl
from service.followup.promises import meta
from service.followup.promises.counts import count as read_count
from service.followup.promises.lexicon import Lexicon, any_match, load_lexicon
from service.followup.promises.model import (
    Activity,
    ActivityKind,
    Explanation,
    FollowUp,
    Partners,
    Promise,
    Responsible,
)
from service.followup.promises.segment import Block, blocks, collapse, sentences

Section = Literal["neutral", "commitment", "prose", "follow_up", "earlier"]
MAX_CHARS = 200_000
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
#: "i kommunen": a place, not the municipality as a party.
_LOCATIVE = re.compile(r"\b(i|inom|över|runt om i) (hela )?kommunen\b", re.IGNORECASE)


@dataclass
class _Context:
    """What the parser knows while walking down the page."""

    lex: Lexicon
    text: str
    page: Responsible
    one_year: bool
    start_year: int | None
    section: Section = "neutral"
    heading: str | None = None
    sub: str | None = None
    party: Responsible | None = None
    activities: list[Activity] = field(default_factory=list)
    follow_up: list[FollowUp] = field(default_factory=list)


def _section_of(text: str, ctx: _Context, is_heading: bool) -> Section | None:
    """The section a heading or intro opens, or None when it opens none."""
    lex = ctx.lex
    if any_match(lex.follow_up_headings, text):
        return "follow_up"
    years = [int(y) for y in _YEAR.findall(text)]
    if is_heading and years and ctx.start_year and max(years) < ctx.start_year:
        return "earlier"
    if any_match(lex.prose_sections, text) or any_match(lex.background_intro, text):
        return "prose"
    if any_match(lex.promise_headings, text) or any_match(lex.commitment_sections, text):
        return "commitment"
    return None


Need = Literal["any", "kind", "specific"]


def _activities(
    source: str,
    text: str,
    ctx: _Context,
    prefix: Responsible | None,
    need: Need,
    whole: str | None = None,
    lone: bool = False,
) -> list[Activity]:
    """The activities of one segment (one per kind it names), or [] for prose.

    ``need`` is what the segment must name to count: "any" (in a commitment section even an
    unnamed action is an activity of kind other), "kind" (some kind, if only weakly) or
    "specific" (a kind named strongly: outside commitment sections and in paragraphs).
    ``whole`` is the list item a sentence belongs to; its focus tags are read from all of it.
    ``lone`` marks the only item of its list: an aim there is the promise itself ("Polisen
    och kommunen lovar att arbeta för ökad trafiksäkerhet ..." under "Trafik"), not one of
    a list of aims beside the activities.
    """
    lex = ctx.lex
    body = text
    for p in (lex.police_prefix, lex.municipality_prefix):
        body = p.sub("", body, count=1)
    if cl.is_past(body, lex) or any_match(lex.meta_item, body) or cl.third_party(body, lex):
        return []
    kinds = cl.segment_kinds(body, lex)
    headings = [h for h in (ctx.sub, ctx.heading) if h]
    generic = [m.start() for p in lex.generic_activity if (m := p.search(body))]
    if not kinds or (generic and min(generic) < kinds[0].pos):
        for heading in headings:
            inherited = cl.suppress(cl.resolve(cl.find_kinds(heading, lex)), lex)
            if cl.specific(inherited) and inherited[0].kind not in lex.not_inherited:
                kinds = [cl.Found(0, inherited[0].kind, f"rubriken: {inherited[0].why}")]
                break
    if need == "specific" and not cl.specific(kinds):
        return []
    if need == "kind" and not any(f.kind != ActivityKind.other for f in kinds):
        return []
    if not kinds:
        kinds = [cl.Found(0, ActivityKind.other, "ingen aktivitet i lexikonet: övrigt")]
    first_count = read_count(body, kinds[0].pos, lex, ctx.one_year)
    if not lone and cl.is_goal(body, kinds, first_count[0] is not None, lex):
        return []
    who, why_who = cl.responsible(body, prefix, ctx.party, ctx.page, lex)
    out = []
    for found in kinds:
        n, per, why_n = read_count(body, found.pos, lex, ctx.one_year)
        out.append(
            Activity(
                kind=found.kind,
                count_min=n,
                per=per,
                responsible=who,
                places=cl.places(whole or body, lex),
                spread_municipality=cl.spread(body, lex),
                focus=cl.focus(whole or body, headings, lex),
                heading=headings[0] if headings else None,
                source=source,
                explanation=Explanation(kind=found.why, count=why_n, responsible=why_who),
            )
        )
    return out


def _item(block: Block, ctx: _Context, children: list[Block], lone: bool) -> None:
    """The activities of one list item: its first sentence, and later ones naming new kinds."""
    text = ctx.text
    spans = sentences(text, block.start, block.end) or [(block.start, block.end)]
    # An item commits when its section does or when it says so itself ("Polisen lovar att").
    own = cl.commitment_at(block.text, ctx.lex) is not None
    first: Need = "any" if ctx.section == "commitment" or own else "specific"
    found: list[Activity] = []
    quiet: list[str] = []  # later sentences that name no new kind
    for i, (s, e) in enumerate(spans):
        sentence = collapse(text[s:e])
        source = text[s:e] if len(spans) > 1 else text[block.start : block.end]
        # A later sentence names a new activity only strongly, or weakly as the means of the
        # item ("Det gör vi genom att informera"): "Mötena riktas till ..." elaborates.
        framed = cl.commitment_at(sentence, ctx.lex) is not None or " genom " in sentence
        need = first if i == 0 else ("kind" if framed else "specific")
        acts = _activities(
            source, sentence, ctx, block.prefix, need, whole=block.text, lone=lone and i == 0
        )
        new = [a for a in acts if all(a.kind != f.kind for f in found)]
        if i > 0 and new and all(f.kind == ActivityKind.other for f in found):
            found = []  # "Vi arbetar ... med ungdomar. Det betyder att vi besöker skolor."
        if i > 0 and not new:
            quiet.append(sentence)
        found.extend(new)
    # A count stated in a later sentence: "Riktade insatser mot ... Insatser minst två gånger."
    for a in found:
        if a.count_min is None:
            for sentence in quiet:
                n, per, why = read_count(sentence, None, ctx.lex, ctx.one_year, strict=True)
                if n is not None:
                    a.count_min, a.per = n, per
                    if a.explanation:
                        a.explanation.count = f"{why} (senare mening i punkten)"
                    break
    # Elaborating sub-items: their spread belongs to the activity above them.
    for child in children:
        if cl.spread(child.text, ctx.lex):
            for a in found:
                a.spread_municipality = True
    ctx.activities.extend(found)


def _paragraph(block: Block, ctx: _Context) -> None:
    """Sentences of a paragraph that commit to a named activity ("Polisen ska genomföra ...")."""
    if block.weak:
        return  # a quotation in a news article ("- Både kommunen och polisen ...")
    text = ctx.text
    for s, e in sentences(text, block.start, block.end):
        sentence = collapse(text[s:e])
        at = cl.commitment_at(sentence, ctx.lex)
        if at is None or sentence.endswith("?"):
            continue
        named = cl.find_kinds(sentence, ctx.lex)
        if not any(f.pos >= at and not f.weak for f in named):
            continue  # "... den polisiära närvaron ... ska öka": an aim, not an action
        for a in _activities(text[s:e], sentence, ctx, None, "specific"):
            if not any(a.kind == o.kind and _similar(a.source, o.source) for o in ctx.activities):
                ctx.activities.append(a)


def _similar(a: str, b: str) -> bool:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa & wb) >= 0.5 * min(len(wa), len(wb))


def _is_parent(block: Block, kids: list[Block], ctx: _Context) -> bool:
    """Whether an item with sub-items is itself an activity (else it heads them)."""
    if not kids:
        return True
    bare = block.text[-1:] not in ".!?" and not ctx.lex.verbs.search(block.text)
    if bare and block.prefix is None:
        return False  # "• Förebyggande arbete i skolan" heads its "Polis:" lines
    kinds = cl.segment_kinds(block.text, ctx.lex)
    n = read_count(block.text, None, ctx.lex, ctx.one_year)[0]
    if any_match(ctx.lex.heading_items, cl.core(block.text)):
        return False
    return cl.specific(kinds) or n is not None


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
        A draft for a planner to review; ``warnings`` says what was guessed. Every activity
        carries its source segment and an :class:`Explanation` of its kind, count and party.

    Raises
    ------
    InvalidInputError
        If the text is empty, too short, too long, binary, or not Swedish.
    UnknownMunicipalityError
        If ``kommun`` matches none of the 290 kommuner.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("Texten är tom. Klistra in medborgarlöftets text.")
    if "\x00" in text[:10_000]:
        raise InvalidInputError("Filen är inte en text (den ser ut som en binär fil, t.ex. PDF).")
    if len(text) > MAX_CHARS:
        raise InvalidInputError(
            f"Texten är för lång ({len(text):,} tecken; högst {MAX_CHARS:,}). "
            "Klistra in bara medborgarlöftet.".replace(",", " ")
        )
    lex = load_lexicon()
    page_blocks = blocks(text, lex)
    meta.check_language(" ".join(b.text for b in page_blocks), lex)
    warnings: list[str] = []
    all_texts = [b.text for b in page_blocks]
    in_follow_up = False
    promise_texts: list[str] = []
    for b in page_blocks:
        if b.type == "heading":
            if any_match(lex.follow_up_headings, b.text):
                in_follow_up = True
            elif any_match(lex.promise_headings, b.text):
                in_follow_up = False
        if not in_follow_up:
            promise_texts.append(b.text)
    period_start, period_end = meta.period(all_texts, promise_texts, lex, warnings)
    one_year = bool(
        period_start
        and period_end
        and period_start.year == period_end.year
        and (period_start.month, period_start.day, period_end.month, period_end.day)
        == (1, 1, 12, 31)
    )
    joint = any(any_match(lex.joint_promise, t) for t in all_texts)
    ctx = _Context(
        lex=lex,
        text=text,
        page="police"
        if not joint and any(any_match(lex.police_only_promise, t) for t in all_texts)
        else "both",
        one_year=one_year,
        start_year=period_start.year if period_start else None,
    )
    title: str | None = None
    consumed: set[int] = set()
    for i, block in enumerate(page_blocks):
        if block.type != "item":
            ctx.sub = None
        if block.type in ("heading", "intro"):
            is_heading = block.type == "heading"
            if is_heading:
                title = title or block.text
            section = _section_of(block.text, ctx, is_heading)
            sticky = not is_heading and ctx.section in ("earlier", "follow_up")
            if section is not None and not sticky:
                ctx.section = section
            elif (
                is_heading
                and ctx.section in ("prose", "earlier")
                and not any(p.match(block.text) for p in lex.structural_headings)
            ):
                ctx.section = "neutral"
            if is_heading and not any(p.match(block.text) for p in lex.structural_headings):
                ctx.heading = block.text
            party = _party_of(block.text, ctx)
            ctx.party = party if is_heading else (party or ctx.party)
            if not is_heading and ctx.section == "commitment":
                _paragraph(block, ctx)
            continue
        if ctx.section == "follow_up":
            _follow_up(block, ctx)
            continue
        if ctx.section in ("prose", "earlier") or i in consumed:
            continue
        if block.type == "para":
            _paragraph(block, ctx)
            continue
        kids = _children(page_blocks, i)
        if not _is_parent(block, kids, ctx):
            ctx.sub = block.text
            ctx.party = cl.parties(_LOCATIVE.sub("", block.text), lex) or ctx.party
            continue
        consumed.update(range(i + 1, i + 1 + len(kids)))
        _item(block, ctx, kids, lone=_lone(page_blocks, i, len(kids)))
        # A sub-item naming a kind of its own is an activity too ("Åtgärd: Trafikkontroller").
        named = {a.kind for a in ctx.activities}
        for kid in kids:
            if cl.specific(cl.segment_kinds(kid.text, lex)):
                before = len(ctx.activities)
                _item(kid, ctx, [], lone=False)
                ctx.activities[before:] = [
                    a for a in ctx.activities[before:] if a.kind not in named
                ]

    if kommun is None and not ctx.activities:
        code, name, label = None, None, None  # nothing to plan: no registry look-up
    elif kommun is not None:
        m = meta.find_municipality(kommun)
        code, name, label = m.code, m.name, meta.kommun_label(m.name)
        found_code, found_name, _ = meta.detect_municipality(all_texts, lex, [])
        if found_code and found_code != code:
            warnings.append(f"Texten nämner {found_name} men kommunen är angiven som {name}.")
    else:
        code, name, label = meta.detect_municipality(all_texts, lex, warnings)
        if name is None:
            warnings.append("Ingen kommun hittades i texten; ange kommun.")
    area = lex.police_area.search(" ".join(all_texts))
    if not ctx.activities:
        warnings.append("Inga aktiviteter hittades i texten; lägg till dem för hand.")
    if period_start is None and period_end is None:
        warnings.append("Ingen period hittades i texten; ange start och slut.")
    return Promise(
        municipality_code=code,
        municipality_name=name,
        period_start=period_start,
        period_end=period_end,
        partners=Partners(lokalpolisomrade=area.group(1) if area else None, kommun=label),
        activities=ctx.activities,
        follow_up=ctx.follow_up,
        title=title,
        warnings=warnings,
    )


def _children(page_blocks: list[Block], i: int) -> list[Block]:
    out = []
    for b in page_blocks[i + 1 :]:
        if b.type != "item" or not b.child:
            break
        out.append(b)
    return out if page_blocks[i].has_children else []


def _lone(page_blocks: list[Block], i: int, n_kids: int) -> bool:
    """Whether item ``i`` is the only item of its list."""
    before = page_blocks[i - 1] if i > 0 else None
    after = page_blocks[i + 1 + n_kids] if i + 1 + n_kids < len(page_blocks) else None
    return not any(b is not None and b.type == "item" for b in (before, after))


def _party_of(text: str, ctx: _Context) -> Responsible | None:
    """The party a heading or intro names; "vi" is the page's parties."""
    who = cl.parties(text, ctx.lex)
    bare = re.sub(r"\bvi\b", "", text, flags=re.IGNORECASE)
    if re.search(r"\bvi\b", text, re.IGNORECASE) and not cl.parties(bare, ctx.lex):
        return ctx.page
    return who


def _follow_up(block: Block, ctx: _Context) -> None:
    """Reported outcomes in a follow-up section."""
    lex, text = ctx.lex, ctx.text
    spans = (
        sentences(text, block.start, block.end)
        if block.type == "para"
        else [(block.start, block.end)]
    )
    for s, e in spans:
        sentence = collapse(text[s:e])
        not_done = any_match(lex.not_done, sentence)
        if not (not_done or any_match(lex.done, sentence)):
            continue
        kinds = cl.resolve(cl.find_kinds(sentence, lex))
        if block.type == "para" and not (kinds or not_done):
            continue
        ctx.follow_up.append(
            FollowUp(
                text=text[s:e],
                heading=ctx.heading,
                kind=kinds[0].kind if kinds else None,
                places=cl.places(sentence, lex),
                achieved=not not_done,
            )
        )


def parse_promise_file(path: str | Path, kommun: str | None = None) -> Promise:
    """Read a promise text file (UTF-8) with :func:`parse_promise`.

    Raises
    ------
    InvalidInputError
        If the file cannot be read as UTF-8 text, is binary (a PDF) or is too long.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Filen {path} finns inte (eller är en mapp).")
    try:
        size = path.stat().st_size
        if size > 4 * MAX_CHARS:
            raise InvalidInputError(
                f"Filen {path.name} är för stor ({size // 1000} kB) för ett medborgarlöfte."
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"Kan inte läsa filen {path}: {exc.strerror}") from exc
    if raw.startswith(b"%PDF") or b"\x00" in raw[:10_000]:
        raise InvalidInputError(
            f"Filen {path.name} är inte en textfil (den ser ut som en PDF eller binär fil). "
            "Spara löftet som text (UTF-8) först."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"Kan inte läsa filen {path.name} som UTF-8-text. Spara den som UTF-8."
        ) from exc
    return parse_promise(text, kommun=kommun)


__all__ = ["date", "parse_promise", "parse_promise_file"]
