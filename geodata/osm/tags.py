"""Which OSM ways belong to which network, and which OSM objects form which feature layer.

Plain data and small predicates so that every backend (file, Overpass, cache) agrees.
The rules follow OSMnx's network filters, adapted to Swedish tagging: a ``highway=cycleway``
with ``foot=designated`` (gång- och cykelväg) is walkable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

DRIVE_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
WALK_EXCLUDED_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "abandoned",
        "bus_guideway",
        "construction",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "corridor",
        "elevator",
        "escalator",
        "bridleway",
        "busway",
    }
)
EXCLUDED_SERVICE = frozenset(
    {
        "parking_aisle",
        "driveway",
        "private",
        "emergency_access",
        "alley",
        "parking",
        "drive-through",
    }
)
NO_ACCESS = frozenset({"no", "private"})
FOOT_OK = frozenset({"yes", "designated", "permissive", "official"})

WAY_KEYS = (
    "highway",
    "name",
    "ref",
    "maxspeed",
    "oneway",
    "lit",
    "tunnel",
    "bridge",
    "access",
    "service",
    "motor_vehicle",
    "motorcar",
    "foot",
    "snowmobile",
    "junction",
    "surface",
    "layer",
    "covered",
)


def is_network_way(kind: str, tags: Mapping[str, str]) -> bool:
    """Whether a way with ``tags`` belongs to the ``kind`` network."""
    highway = tags.get("highway")
    if tags.get("area") == "yes":
        return False
    if kind == "drive":
        if highway not in DRIVE_HIGHWAYS:
            return False
        if tags.get("service") in EXCLUDED_SERVICE:
            return False
        if tags.get("motor_vehicle") in NO_ACCESS or tags.get("motorcar") in NO_ACCESS:
            return False
        return not (tags.get("access") in NO_ACCESS and tags.get("motor_vehicle") not in FOOT_OK)
    if kind == "walk":
        if not highway or highway in WALK_EXCLUDED_HIGHWAYS:
            return False
        if tags.get("foot") in NO_ACCESS or tags.get("service") == "private":
            return False
        if highway == "cycleway" and tags.get("foot") not in FOOT_OK:
            # Swedish gång- och cykelväg is usually tagged foot=designated; plain cycleways
            # are still legal to walk on unless foot=no, so keep them.
            return True
        if tags.get("motorroad") == "yes":
            return False
        return not (tags.get("access") in NO_ACCESS and tags.get("foot") not in FOOT_OK)
    if kind == "snowmobile":
        return tags.get("snowmobile") in {"yes", "designated", "permissive"} or (
            tags.get("route") == "snowmobile"
        )
    if kind == "track":
        return highway == "track" and tags.get("access") not in NO_ACCESS
    raise ValueError(f"unknown network kind {kind!r}")


_SPEED = re.compile(r"(\d+(?:\.\d+)?)\s*(mph)?")


def parse_maxspeed(value: object) -> float:
    """``"70"`` -> 70.0, ``"30 mph"`` -> 48.3, ``"SE:urban"`` -> 50; NaN when unknown."""
    if not isinstance(value, str) or not value:
        return float("nan")
    value = value.split(";")[0].strip()
    zones = {"SE:urban": 50.0, "SE:rural": 70.0, "SE:motorway": 110.0, "walk": 7.0}
    if value in zones:
        return zones[value]
    match = _SPEED.match(value)
    if not match:
        return float("nan")
    speed = float(match.group(1))
    return speed * 1.609 if match.group(2) else speed


#: Feature layers: name -> predicate on tags. Order matters: the first match names the kind.
FEATURE_RULES: dict[str, dict[str, frozenset[str] | None]] = {
    "venue": {"amenity": frozenset({"bar", "pub", "nightclub", "restaurant", "biergarten"})},
    "school": {"amenity": frozenset({"school"})},
    "station": {
        "railway": frozenset({"station", "halt"}),
        "amenity": frozenset({"bus_station"}),
        "public_transport": frozenset({"station"}),
    },
    "bus_stop": {"highway": frozenset({"bus_stop"})},
    "rest_area": {"highway": frozenset({"rest_area", "services"})},
    "fuel": {"amenity": frozenset({"fuel"})},
    "parking": {"amenity": frozenset({"parking"})},
    "park": {"leisure": frozenset({"park"})},
    "playground": {"leisure": frozenset({"playground"})},
    "parcel_locker": {"amenity": frozenset({"parcel_locker", "post_office"})},
    "marina": {"leisure": frozenset({"marina"}), "harbour": None},
    "youth_centre": {"community_centre": frozenset({"youth_centre"})},
    "square": {"place": frozenset({"square"})},
    "taxi": {"amenity": frozenset({"taxi"})},
    "crossing": {"highway": frozenset({"crossing"})},
    "shop": {"shop": None},
    "place": {
        "place": frozenset(
            {"city", "town", "village", "hamlet", "suburb", "neighbourhood", "quarter", "locality"}
        )
    },
}


class KindName(NamedTuple):
    """Swedish names of a feature kind: singular and plural, lower case."""

    singular: str
    plural: str


#: The one feature-kind vocabulary: every map, table, register and message names kinds
#: from here. ``parcel_locker`` covers parcel lockers and post offices, hence "paketombud".
KIND_NAMES: dict[str, KindName] = {
    "venue": KindName("utskänkningsställe", "utskänkningsställen"),
    "school": KindName("skola", "skolor"),
    "station": KindName("station", "stationer"),
    "bus_stop": KindName("busshållplats", "busshållplatser"),
    "rest_area": KindName("rastplats", "rastplatser"),
    "fuel": KindName("bensinstation", "bensinstationer"),
    "parking": KindName("parkering", "parkeringar"),
    "park": KindName("park", "parker"),
    "playground": KindName("lekplats", "lekplatser"),
    "parcel_locker": KindName("paketombud", "paketombud"),
    "marina": KindName("båthamn", "båthamnar"),
    "youth_centre": KindName("fritidsgård", "fritidsgårdar"),
    "square": KindName("torg", "torg"),
    "taxi": KindName("taxiplats", "taxiplatser"),
    "crossing": KindName("övergångsställe", "övergångsställen"),
    "shop": KindName("butik", "butiker"),
    "place": KindName("ort", "orter"),
}


def kind_name(kind: str, plural: bool = False) -> str:
    """Swedish name of a feature kind (the kind itself when it has none)."""
    names = KIND_NAMES.get(kind)
    if names is None:
        return kind
    return names.plural if plural else names.singular


FEATURE_KEYS = tuple(sorted({k for rule in FEATURE_RULES.values() for k in rule}))
FEATURE_KINDS = tuple(FEATURE_RULES)


def feature_kind(tags: Mapping[str, str]) -> str | None:
    """The first feature layer whose rule matches ``tags``, else None."""
    for kind, rule in FEATURE_RULES.items():
        for key, values in rule.items():
            value = tags.get(key)
            if value is not None and (values is None or value in values):
                return kind
    if tags.get("public_transport") == "platform" and tags.get("bus") == "yes":
        return "bus_stop"
    return None


FEATURE_TAGS = (
    "name",
    "amenity",
    "leisure",
    "highway",
    "railway",
    "public_transport",
    "place",
    "opening_hours",
    "isced:level",
    "school",
    "addr:street",
    "addr:housenumber",
    "addr:postcode",
    "addr:city",
    "cuisine",
    "lit",
    "ref",
    "operator",
    "population",
)
