"""Geocoding results and the words of Swedish place phrases (levels, road kinds)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from shapely.geometry.base import BaseGeometry

from geodata import METRIC_CRS, WGS84, transformer
from geodata.osm.tags import KIND_NAMES

Level = Literal["point", "street", "road", "settlement", "features", "municipality", "unresolved"]
LEVEL_RANK: dict[str, int] = {
    "point": 6,
    "street": 5,
    "road": 4,
    "settlement": 3,
    "features": 3,
    "municipality": 1,
    "unresolved": 0,
}

_TO_WGS84 = transformer(METRIC_CRS, WGS84)
_TO_METRIC = transformer(WGS84, METRIC_CRS)

#: How far (m) a street or road may lie from the settlement named with it.
NEAR_SETTLEMENT_M = 3000.0
#: Two named ways closer than this (m) count as meeting at a junction.
JUNCTION_M = 60.0


@dataclass
class GeocodeResult:
    """Where a place phrase lies, how sure we are, and from which gazetteer.

    Attributes
    ----------
    phrase
        The phrase as given.
    level
        ``point``, ``street``, ``road``, ``settlement``, ``features``, ``municipality`` or
        ``unresolved``.
    lat, lon
        WGS 84 position inside the municipality; ``None`` at municipality, features and
        unresolved level.
    name
        The gazetteer name that matched ("Hoting", "E 45 / Järnvägsgatan").
    source
        ``lantmateriet``, ``geonames``, ``osm`` or ``boundary``.
    confidence
        0–1: how likely the place meant lies at (or, for lines, along) the answer.
    geometry
        The matched geometry in EPSG:3006 (settlement polygon, street line, feature points,
        municipality boundary).
    reason
        Why the phrase is unresolved, or which fallback was taken.
    municipality
        Code of the municipality searched.
    """

    phrase: str
    level: Level
    lat: float | None = None
    lon: float | None = None
    name: str | None = None
    source: str | None = None
    confidence: float = 0.0
    geometry: BaseGeometry | None = field(default=None, repr=False)
    reason: str | None = None
    municipality: str | None = None
    count: int | None = None

    @property
    def resolved(self) -> bool:
        """Whether the phrase was placed at all (any level but ``unresolved``)."""
        return self.level != "unresolved"

    def to_dict(self) -> dict[str, Any]:
        """The JSON fields of the CLI and API (``reason``/``count`` only when set)."""
        out: dict[str, Any] = {
            "level": self.level,
            "lat": None if self.lat is None else round(self.lat, 6),
            "lon": None if self.lon is None else round(self.lon, 6),
            "name": self.name,
            "source": self.source,
            "confidence": round(self.confidence, 2),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.count is not None:
            out["count"] = self.count
        return out


# --- text normalisation ---------------------------------------------------------------------

_WORD = r"[A-Za-zÅÄÖÉÜåäöéüæøÆØ][\wÅÄÖÉÜåäöéü:.\-]*"
_ROAD_RE = re.compile(
    r"\b(?P<kind>E|europaväg|riksväg|rv|länsväg|lv|väg)\s*\.?\s*(?P<num>\d{1,4})\b",
    re.IGNORECASE,
)
_STREET_SUFFIX = (
    "gatan|vägen|leden|torget|torg|gränd|gränden|backen|stigen|allén|allé|plan|platsen|"
    "kajen|bron|esplanaden|strand|stranden|gata|väg|parken|rondellen|korsningen"
)
#: A street name, optionally with one capitalised word before it ("Birger Jarlsgatan",
#: "Stora Torget"); the lookup tries the long form first, then the last word alone.
_STREET_RE = re.compile(
    rf"\b(?:(?P<pre>[A-ZÅÄÖ][a-zåäöéü]+)\s+)?(?P<main>[A-ZÅÄÖ][a-zåäöéü\-]*(?:{_STREET_SUFFIX}))\b"
)
_SQUARE_RE = re.compile(r"(torg|torget|platsen|plan)$")
_MUNICIPALITY_WORDS = re.compile(
    r"\b(?:i\s+)?(?:hela\s+)?(?:kommunen|kommunens?\b[\w\s]*?(?=[,.]|$))", re.IGNORECASE
)
_GENERIC = {
    "centrala", "centrum", "centret", "by", "byn", "tätort", "tätorten", "området", "orten",
    "samhället", "i", "på", "vid", "utanför", "mellan", "och", "norr", "söder", "öster",
    "väster", "om", "trakten", "av", "kring", "nära", "höjd", "med", "till", "från", "mot",
}  # fmt: skip
#: Capitalised words that start sentences in notices and are never places.
_STOPWORDS = {
    "polisen", "polis", "polispatrull", "under", "en", "ett", "de", "det", "den", "resultat",
    "larm", "samtal", "trafikkontroll", "trafikolycka", "kommun", "kommunen", "centrum",
    "fjällräddning", "enligt", "alla", "inga", "två", "tre", "misstänkt", "han", "hon",
    "sos", "lob", "lso", "e", "vid", "i", "på", "norra", "södra", "östra", "västra", "stora",
    "lilla", "nya", "gamla", "by",
}  # fmt: skip


def normalise(text: str) -> str:
    """Casefolded, NFC, single-spaced form used as gazetteer key."""
    text = unicodedata.normalize("NFC", text).casefold().replace("-", " ")
    return " ".join(text.split())


def _variants(key: str) -> list[str]:
    """Light Swedish inflection: the key itself, then without genitive -s and -en/-et."""
    out = [key]
    if len(key) > 4 and key.endswith("s") and not key.endswith("ss"):
        out.append(key[:-1])  # Hammerdals, Hotings centrum
    return out


def road_ref(kind: str, number: str) -> str:
    """OSM Sweden's ``ref`` for a written road number: "E45" → "E 45", "väg 342" → "342"."""
    return f"E {int(number)}" if kind.casefold() in ("e", "europaväg") else str(int(number))


def _road_label(kind: str, number: str) -> str:
    k = kind.casefold()
    if k in ("e", "europaväg"):
        return f"E{int(number)}"
    if k in ("rv", "riksväg"):
        return f"riksväg {int(number)}"
    if k in ("lv", "länsväg"):
        return f"länsväg {int(number)}"
    return f"väg {int(number)}"


# --- kinds of place -----------------------------------------------------------------------

#: Word stems of kinds of place, mapped to feature kinds in ``geodata.osm.tags.FEATURE_RULES``.
#: A stem matches a word that starts with it ("skol" → skolor, skolorna, skolan).
KIND_STEMS: dict[str, str] = {
    "högstadieskol": "school:upper",
    "grundskol": "school",
    "skol": "school",
    "båthamn": "marina",
    "småbåtshamn": "marina",
    "gästhamn": "marina",
    "hamn": "marina",
    "marin": "marina",
    "utskänkningsställ": "venue",
    "serveringsställ": "venue",
    "restaurang": "venue",
    "krog": "venue",
    "pub": "venue",
    "nattklubb": "venue",
    "barer": "venue",
    "fritidsgård": "youth_centre",
    "ungdomsgård": "youth_centre",
    "busshållplats": "bus_stop",
    "hållplats": "bus_stop",
    "parkering": "parking",
    "lekplats": "playground",
    "parker": "park",
    "parkerna": "park",
    "rastplats": "rest_area",
    "bensinstation": "fuel",
    "mack": "fuel",
    "paketautomat": "parcel_locker",
    "paketskåp": "parcel_locker",
    "resecentrum": "station",
    "station": "station",
    "torg": "square",
}
#: Plural names of the kinds phrases resolve to (``geodata.osm.tags.KIND_NAMES``) and the
#: one sub-kind only phrases know.
_KIND_LABEL = {
    **{kind: names.plural for kind, names in KIND_NAMES.items()},
    "school:upper": "högstadieskolor",
}


def _kind_of(word: str) -> str | None:
    w = word.casefold()
    for stem in sorted(KIND_STEMS, key=len, reverse=True):
        if w.startswith(stem):
            # "torget"/"Vattudalstorget" are names, not the kind "torg": kinds are lower case
            return KIND_STEMS[stem]
    return None
