"""Trygghetsvandring: a closed walking loop past the places people find unsafe.

The package: ``inputs`` (purpose weights, length, points, area), ``presets.toml`` with
``presets`` (what each purpose counts), ``incidents`` (Polisen's notices on the area's
streets), ``prizes`` (priority on nodes and edges), ``solver`` (orienteering by insertion and
local search), ``realise`` (geometry, stops, lighting), ``stops`` and ``describe`` (names,
meeting point, title), ``directions`` and ``planner`` (:func:`plan_walk`,
:func:`plan_walk_in_area`). The public names are re-exported here.
"""

from geodata.area import Area
from service.planning.walks.directions import Leg, lighting_summary, lit_class
from service.planning.walks.incidents import (
    INCIDENT_TYPES,
    incident_events,
    passed_notices,
    place_notices,
    street_names,
)
from service.planning.walks.inputs import (
    DEFAULT_WEIGHTS,
    KIND_LABELS,
    LENGTH_TOLERANCE,
    MAX_LENGTH_KM,
    MIN_LENGTH_KM,
    STOP_MINUTES,
    WORK_BUDGET,
    check_length,
    length_for_minutes,
    parse_latlon,
    parse_weights,
    read_points,
    walk_area,
)
from service.planning.walks.planner import plan_walk, plan_walk_in_area
from service.planning.walks.presets import Purpose, get_purpose, purposes
from service.planning.walks.prizes import priority_graph, route_priority
from service.planning.walks.route import WalkRoute, WalkStop

__all__ = [
    "DEFAULT_WEIGHTS",
    "INCIDENT_TYPES",
    "KIND_LABELS",
    "LENGTH_TOLERANCE",
    "MAX_LENGTH_KM",
    "MIN_LENGTH_KM",
    "STOP_MINUTES",
    "WORK_BUDGET",
    "Area",
    "Leg",
    "Purpose",
    "WalkRoute",
    "WalkStop",
    "check_length",
    "get_purpose",
    "incident_events",
    "length_for_minutes",
    "lighting_summary",
    "lit_class",
    "parse_latlon",
    "parse_weights",
    "passed_notices",
    "place_notices",
    "plan_walk",
    "plan_walk_in_area",
    "priority_graph",
    "purposes",
    "read_points",
    "route_priority",
    "street_names",
    "walk_area",
]
