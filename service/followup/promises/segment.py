"""Page structure: lines into list items, headings, intros and paragraphs; sentences; clauses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from service.followup.promises.lexicon import Lexicon
from service.followup.promises.model import Responsible

BlockType = Literal["item", "heading", "intro", "para"]


@dataclass
class Block:
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


def collapse(text: str) -> str:
    """``text`` with every run of whitespace made one space."""
    return " ".join(text.split())


def blocks(text: str, lex: Lexicon) -> list[Block]:
    """Split ``text`` into list items, headings, intros and paragraphs, dropping page chrome."""
    blocks: list[Block] = []
    offset = 0
    prev_blank = True
    for line_no, line in enumerate(text.splitlines(keepends=True)):
        line_start, offset = offset, offset + len(line)
        body = line.rstrip("\r\n")
        stripped = body.strip()
        bare = lex.bullet.sub("", stripped).strip()
        if not stripped or any(p.match(stripped) or p.match(bare) for p in lex.chrome_lines):
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
            previous.text = collapse(text[previous.start : end])
            continue
        if marker is not None or nested:
            start = line_start + (marker.end() if marker else indent)
            content = collapse(text[start:end])
            block = Block("item", start, end, content, indent, weak, line_no, child=nested)
            if nested and anchor is not None:
                anchor.has_children = True
            blocks.append(block)
            continue
        start = line_start + indent
        content = collapse(stripped)
        prefix = lex.police_prefix.match(content) or lex.municipality_prefix.match(content)
        if prefix and content[prefix.end() :].strip():
            blocks.append(Block("item", start, end, content, indent, False, line_no))
        elif content.endswith((":", "..", "…")) or re.search(r"\s(att|om)$", content):
            is_intro = (
                lex.verbs.search(content) is not None
                or content.lower().endswith("att:")
                or len(content) > 80
            )
            btype: BlockType = "intro" if is_intro else "heading"
            blocks.append(Block(btype, start, end, content.rstrip(":.…").strip(), indent))
        elif content[-1] not in ".?" and len(content) <= 120:
            blocks.append(Block("heading", start, end, content, indent))
        else:
            blocks.append(Block("para", start, end, content, indent))
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
_SENTENCE_END = re.compile(r"[.!?]+\s+(?=[A-ZÅÄÖ0-9\"”“•])")


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
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


_CLAUSE_SPLIT = re.compile(
    r"\s*(?:;|\bsamt att\b|\boch att\b|\bsamt\b|,\s+(?=\w+a\b))\s*", re.IGNORECASE
)


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the coordinated clauses of one segment ("... i Laxå samt att genomföra ...")."""
    spans, s = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if m.start() > s:
            spans.append((s, m.start()))
        s = m.end()
    if s < len(text):
        spans.append((s, len(text)))
    return spans
