"""Inspection rounds: one evening's or day's visit route through places of a kind.

``hours`` (date, time, opening hours), ``solver`` (time-window TSP heuristic), ``model``
(:class:`Round`, :class:`RoundStop`), ``planner`` (:func:`plan_round`) and ``period``
(:func:`plan_visits` and the places still waiting). The public names are re-exported here.
"""

from service.planning.rounds.hours import (
    MAX_HOURS,
    MAX_SNAP_M,
    MAX_WAIT_MIN,
    MODES,
    SERVICE_MIN,
    opening_windows,
    parse_date_time,
)
from service.planning.rounds.model import Round, RoundStop
from service.planning.rounds.period import (
    least_recently_visited,
    not_yet_visited,
    plan_visits,
)
from service.planning.rounds.planner import plan_round
from service.planning.rounds.solver import RoundSolver

__all__ = [
    "MAX_HOURS",
    "MAX_SNAP_M",
    "MAX_WAIT_MIN",
    "MODES",
    "SERVICE_MIN",
    "Round",
    "RoundSolver",
    "RoundStop",
    "least_recently_visited",
    "not_yet_visited",
    "opening_windows",
    "parse_date_time",
    "plan_round",
    "plan_visits",
]
