"""Medborgarlöften: the promise model and a rule-based Swedish promise parser.

A promise page, pasted as text with its page chrome, becomes a draft :class:`Promise` that a
planner reviews: who promised what, how many, how often, where, and for which period. Every
:class:`Activity` keeps the exact slice of the input it was read from (``source``) and an
:class:`Explanation` naming the lexicon entry or rule behind its kind, count and party.

Modules: :mod:`.model` (the data model), :mod:`.lexicon` (``lexicon.toml`` compiled, Snowball
stems), :mod:`.segment` (page structure), :mod:`.classify` (kinds, commitment, party,
places), :mod:`.counts` (counts and frequencies), :mod:`.meta` (period, municipality,
language) and :mod:`.parser` (the parser).

Choices for bad input: an empty, binary or oversized text, a text too short to read, or a
text that is not Swedish raises :class:`~geodata.errors.InvalidInputError`; a Swedish text
with no recognisable activities gives an empty draft with a warning in ``Promise.warnings``;
an unknown ``kommun=`` override raises :class:`~geodata.errors.UnknownMunicipalityError`.
"""

from service.followup.promises.lexicon import LEXICON_PATH, Lexicon, focus_label, load_lexicon
from service.followup.promises.model import (
    KIND_LABELS_SV,
    PER_LABELS_SV,
    RESPONSIBLE_LABELS_SV,
    Activity,
    ActivityKind,
    Explanation,
    FollowUp,
    Partners,
    Per,
    Promise,
    Responsible,
)
from service.followup.promises.parser import parse_promise, parse_promise_file

__all__ = [
    "KIND_LABELS_SV",
    "LEXICON_PATH",
    "PER_LABELS_SV",
    "RESPONSIBLE_LABELS_SV",
    "Activity",
    "ActivityKind",
    "Explanation",
    "FollowUp",
    "Lexicon",
    "Partners",
    "Per",
    "Promise",
    "Responsible",
    "focus_label",
    "load_lexicon",
    "parse_promise",
    "parse_promise_file",
]
