"""Trygghetsvandring: a closed walking loop past the places people find unsafe.

The route is an orienteering problem on the walkable network: start and end at a meeting
point, stay within ±10% of a target length and collect as much priority as possible. Prizes
sit on nodes (licensed venues, stops, parks, schools, user points snapped to the network) and
on edges (unlit or unknown-lit stretches by length, pedestrian tunnels).

Solver (hand-written because no maintained library solves orienteering with edge prizes on a
road graph; OR-Tools' routing would need the full distance matrix and knows no edge prizes):

1. one multi-source ``scipy.sparse.csgraph.dijkstra`` from the start, the snapped places and
   a grid of waypoints on prize-rich streets, on a length discounted along prize edges so
   the legs prefer unlit streets;
2. true leg lengths and leg prizes from the shortest-path trees by pointer jumping (numpy);
3. prize-per-metre cheapest insertion of sources into the tour, vectorised over candidates
   and positions, every insertion checked on the realised route (distinct edges and places,
   repeated length penalised);
4. local search: 2-opt, remove-and-reinsert (which covers swaps) and re-insertion into freed
   budget, bounded by a number of route evaluations (not the clock: deterministic);
5. padding with waypoints when the loop falls short of the ±10% window;
6. where the walk still repeats more than ``REPEAT_SOFT_SHARE`` of its length (a start at the
   end of a long dead end), exact best-improvement descents over every insertion, removal
   and replacement in the window, from the tour and from the best out-and-back tours, then
   detours: each leg routed again off the other legs' edges, directly or through a via
   node where the trees from both ends meet by different edges (both bounded by counts).

Everything is deterministic: ties go to the lowest index, sources are sorted by node id.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import WGS84, transformer
from geodata.area import Area
from geodata.errors import (
    AreaNotCoveredError,
    DataUnavailableError,
    InvalidInputError,
)
from geodata.network import (
    Network,
    nearest_nodes,
)
from service.planning.walks.describe import describe_route
from service.planning.walks.incidents import (
    DEFAULT_SPAN_DAYS,
    incident_events,
    place_notices,
    street_names,
)
from service.planning.walks.inputs import (
    MAX_START_OFFSET_M,
    REPEAT_PENALTY_PER_100M,
    STRETCH_KINDS,
    WORK_BUDGET,
    check_length,
)
from service.planning.walks.presets import get_purpose
from service.planning.walks.prizes import (
    priority_graph,
)
from service.planning.walks.realise import (
    _realise,
)
from service.planning.walks.route import (
    WalkRoute,
)
from service.planning.walks.solver import (
    _Solver,
)
from service.planning.walks.stops import (
    district_name,
    municipality_at,
)


def _default_start(
    network: Network, features: gpd.GeoDataFrame | None, centre_xy: np.ndarray, reach_m: float
) -> np.ndarray:
    """A central public place: the square or station nearest the centre, else the centre."""
    if features is not None and len(features):
        f = features.to_crs(network.edges.crs)
        for kind in ("square", "station"):
            sub = f[f["kind"] == kind]
            if len(sub):
                pts = shapely.get_coordinates(shapely.point_on_surface(sub.geometry.to_numpy()))
                d = np.hypot(*(pts - centre_xy).T)
                if d.min() <= reach_m:
                    return pts[int(np.argmin(d))]
    return centre_xy


def plan_walk(
    network: Network,
    features: gpd.GeoDataFrame | None = None,
    *,
    length_km: float = 2.5,
    start: tuple[float, float] | None = None,
    centre: tuple[float, float] | None = None,
    weights: Mapping[str, float] | None = None,
    points: gpd.GeoDataFrame | None = None,
    work: int = WORK_BUDGET,
    repeat_penalty: float = REPEAT_PENALTY_PER_100M,
    area_name: str = "",
    purpose: str | None = None,
    notices: pd.DataFrame | None = None,
    district: str | None = None,
) -> WalkRoute:
    """Plan a closed safety-walk loop that collects as much priority as it can.

    Parameters
    ----------
    network
        The walkable network (``load_network(area, "walk", ...)``).
    features
        Feature layers (``load_features``); kinds with a positive weight become places.
    length_km
        Target length; the result lies within ±10%.
    start
        ``(lat, lon)`` meeting point; default a square or station near ``centre``, else the
        centre, snapped to the network.
    centre
        ``(lat, lon)`` of the area's centre; default the network's centre.
    weights
        Priority per kind overriding the purpose preset's (``presets.toml``).
    points
        User points (``read_points``), kind ``point``.
    purpose
        ``allmän`` (default), ``belysning``, ``krogmiljö``, ``skolväg`` or ``centrum``.
    notices
        Polisen's incident notices placed on streets of the area
        (:func:`incidents.place_notices`); they weigh ``incident`` each.
    district
        Part of town for the title; default the nearest OSM suburb or the tätort.
    work
        Local-search budget in route evaluations (the same walk on any machine).
    repeat_penalty
        Priority lost per 100 m walked a second time (fewer repeats against more places); at
        least the heaviest stretch weight of the purpose.
    area_name
        Shown in titles.

    Raises
    ------
    AreaNotCoveredError
        If the network has no walkable ways.
    InvalidInputError
        If the start lies more than 500 m from the network or the length is not positive.
    InfeasibleError
        If no loop fits the length (too short to leave the start, or too long for the area).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    check_length(length_km)
    if network.edges.empty:
        raise AreaNotCoveredError(
            f"Det finns inga gångbara vägar i {area_name or 'området'}; välj ett annat område."
        )
    preset = get_purpose(purpose)
    weights = {**preset.weights, **(weights or {})}
    target = 1000.0 * float(length_km)
    crs = network.edges.crs
    to_metric = transformer(WGS84, crs)
    net = network.largest_component()
    if features is not None and len(features) and features.crs != crs:
        # Once here: every later step (places, prizes, stops, names) then works in the
        # network's CRS, where reprojecting again is a copy.
        features = features.to_crs(crs)

    # Meeting point.
    if centre is not None:
        centre_xy = np.array(to_metric.transform(centre[1], centre[0]))
    else:
        centre_xy = net.nodes[["x", "y"]].to_numpy(float).mean(axis=0)
    if start is not None:
        start_xy = np.array(to_metric.transform(start[1], start[0]))
    else:
        start_xy = _default_start(net, features, centre_xy, reach_m=min(400.0, target / 4))
    start_node, start_dist = nearest_nodes(net, start_xy[None, :])
    if start_dist[0] > MAX_START_OFFSET_M:
        raise InvalidInputError(
            f"Startpunkten ligger {start_dist[0]:.0f} m från närmaste gångväg; den får ligga "
            f"högst {MAX_START_OFFSET_M:.0f} m bort. Välj en punkt närmare vägnätet."
        )
    start_pos = int(start_node[0])

    graph, places, eprize = priority_graph(net, features, weights, points, notices)
    timings["prepare"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    # Walking a metre twice costs half of what a new metre of the richest stretch kind earns.
    stretch = max(weights.get(k, 0.0) for k in STRETCH_KINDS)
    solver = _Solver(graph, start_pos, target, max(repeat_penalty, stretch / 2.0))
    nodes = solver.solve(work)
    timings["solve"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    route = _realise(graph, nodes, places, eprize, target, weights, area_name)
    if district is None and centre is not None:
        district = district_name(features, centre_xy, crs, centre[0], centre[1])
    describe_route(route, graph, features, notices, preset.name, district)
    timings["realise"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    route.timings_s = timings
    route.weights = dict(weights)
    return route


def plan_walk_in_area(
    area: Area,
    osm_file: str | Path | None = None,
    *,
    kommun: str | None = None,
    incidents_since: date | None = None,
    incidents_until: date | None = None,
    **kwargs: Any,
) -> WalkRoute:
    """Load the walkable network and features of ``area`` and plan a walk there.

    Polisen's incident notices of the municipality (``kommun``, else the area's, else the
    one at the centre by Lantmäteriet's boundaries) on the area's streets and squares become
    places; outside Sweden or without an archive the walk is planned without them.
    Other keyword arguments go to :func:`plan_walk`; the area's centre is the default centre.
    """
    from geodata.osm import load_features, load_network

    t0 = time.perf_counter()
    network = load_network(area, "walk", osm_file)
    if network.edges.empty:
        raise AreaNotCoveredError(f"Det finns inga gångbara vägar i {area.name}.")
    features = load_features(area, osm_file)
    if kwargs.get("centre") is None:
        if "center" in area.extra:
            kwargs["centre"] = area.extra["center"]
        else:
            c = area.wgs84.centroid
            kwargs["centre"] = (c.y, c.x)
    code = kommun or area.code or municipality_at(*kwargs["centre"])
    notices, span = None, None
    if code and kwargs.get("notices") is None:
        until = incidents_until or date.today()
        since = incidents_since or until - timedelta(days=DEFAULT_SPAN_DAYS)
        if since >= until:
            raise InvalidInputError("Händelsernas startdatum måste ligga före slutdatumet.")
        try:
            events = incident_events(code, since, until)
        except DataUnavailableError:
            events = None
        if events is not None:
            names = set(street_names(network.edges).dropna())
            if len(features):
                squares = features[features["kind"].isin(["square", "station"])]
                names |= set(squares["name"].dropna())
            notices = place_notices(events, names)
            kwargs["notices"] = notices
            span = (since.isoformat(), until.isoformat())
    loaded = time.perf_counter() - t0
    kwargs.setdefault("area_name", area.name)
    route = plan_walk(network, features, **kwargs)
    if route.incidents is not None:
        route.incident_span = span
    total = loaded + route.timings_s["total"]
    route.timings_s = {"load": loaded, **route.timings_s, "total": total}
    return route
