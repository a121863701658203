"""Parsing a Swedish place phrase into street, road, settlement and feature parts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd

from geodata.places.gazetteer import Gazetteer
from geodata.places.model import (
    _GENERIC,
    _ROAD_RE,
    _STOPWORDS,
    _STREET_RE,
    _WORD,
    _kind_of,
    _road_label,
    _variants,
    normalise,
    road_ref,
)

# --- phrase parsing -----------------------------------------------------------------------


@dataclass
class _Parts:
    roads: list[tuple[str, str]]  # (osm ref, label)
    streets: list[tuple[str, ...]]  # spellings to try, longest first
    settlements: list[tuple[int, str, gpd.GeoDataFrame]]  # (position, written, hits)
    names: list[str]  # capitalised n-grams that matched no settlement
    kinds: list[str]
    municipality: bool


def _parse(phrase: str, gaz: Gazetteer) -> _Parts:
    text = unicodedata.normalize("NFC", phrase).replace("/", " / ")
    muni_key = normalise(gaz.name)
    municipality = False
    # "Strömsunds kommun", "Åre kommun", "i hela kommunen": the municipality, not its town.
    muni_re = re.compile(
        rf"\b{re.escape(gaz.name)}s?\s+kommuns?\b|\bhela\s+kommunen\b|\bkommunen\b",
        re.IGNORECASE,
    )
    if muni_re.search(text):
        municipality = True
        text = muni_re.sub(" , ", text)

    roads = []
    for m in _ROAD_RE.finditer(text):
        kind = m.group("kind")
        roads.append((road_ref(kind, m.group("num")), _road_label(kind, m.group("num"))))
    text_wo_roads = _ROAD_RE.sub(" , ", text)

    streets: list[tuple[str, ...]] = []
    for m in _STREET_RE.finditer(text_wo_roads):
        pre, main = m.group("pre"), m.group("main")
        if pre and normalise(pre) not in _STOPWORDS | _GENERIC:
            streets.append((f"{pre} {main}", main))
        else:
            streets.append((main,))

    # Settlements: longest capitalised n-grams first; short phrases may be lower case.
    tokens = [(m.start(), m.group(0)) for m in re.finditer(_WORD, text_wo_roads)]
    short = len(tokens) <= 4
    settlements: list[tuple[int, str, gpd.GeoDataFrame]] = []
    names: list[str] = []
    used: set[int] = set()
    for n in (3, 2, 1):
        for i in range(len(tokens) - n + 1):
            span = range(i, i + n)
            if used.intersection(span):
                continue
            words = [tokens[j][1].strip(".:") for j in span]
            if not short and not words[0][:1].isupper():
                continue
            if normalise(words[0]) in _GENERIC or normalise(words[-1]) in _GENERIC:
                continue
            written = " ".join(words)
            key = normalise(written)
            if n == 1 and key in _STOPWORDS:
                continue
            for variant in _variants(key):
                hits = gaz.lookup(variant)
                if not hits.empty:
                    settlements.append((tokens[i][0], written, hits))
                    used.update(span)
                    break
    for _, w in tokens:
        if w[:1].isupper() and normalise(w) not in _STOPWORDS | _GENERIC:
            names.append(w.strip(".:"))
    settlements.sort(key=lambda s: s[0])
    # The municipality's namesake town is the least specific settlement in a phrase.
    if len(settlements) > 1:
        settlements.sort(key=lambda s: (s[2]["key"].iloc[0] == muni_key, s[0]))

    kinds = []
    for _, w in tokens:
        if w[:1].islower():
            kind = _kind_of(w)
            if kind and kind not in kinds:
                kinds.append(kind)
    return _Parts(roads, streets, settlements, names, kinds, municipality)
