"""Inspection rounds: one evening's or day's visit route through places of a kind.

A round starts and ends at one point (the police station, or the centre of the places),
visits each chosen place once, spends ``service_min`` minutes there, and arrives only while
the place is open where OSM tags ``opening_hours`` (parsed with ``opening-hours-py``).

Routing modes
-------------
``drive`` (default) respects ``oneway``: an inspection round is ordinary driving, not an
emergency call, so a police car follows one-way streets. In a dense centre such as central
Stockholm 60% of the drivable stretches are one-way and the legs get long; ``walk`` (a
foot patrol, one-way ignored, at ``geodata.network.WALK_SPEED_KMH``) is then often the better plan.

The solver is a time-window TSP heuristic: nearest feasible insertion (the place that adds
least length where the schedule stays feasible), then 2-opt and or-opt moves that keep
every arrival inside the opening hours, until no move shortens the route. The objective is
route length; arrival times follow the driving (or walking) time along the chosen paths.

Over a period, :func:`plan_visits` spreads visits so every place is visited at least once,
and :func:`not_yet_visited` lists those still waiting.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import WGS84
from geodata.errors import InfeasibleError, InvalidInputError
from geodata.network import (
    Network,
    nearest_nodes,
    tree_path,
)
from service.planning.rounds.hours import (
    MAX_HOURS,
    MAX_SNAP_M,
    MODES,
    SERVICE_MIN,
    opening_windows,
    parse_date_time,
)
from service.planning.rounds.model import (
    Round,
    RoundStop,
)
from service.planning.rounds.solver import (
    RoundSolver,
    _leg_matrices,
    _Routing,
    _routing,
)


def _skipped(places: gpd.GeoDataFrame, index: np.ndarray, reason: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_id": places["place_id"].to_numpy()[index],
            "name": places["name"].to_numpy()[index],
            "reason": reason,
        }
    )


def plan_round(
    places: gpd.GeoDataFrame,
    network: Network,
    *,
    start: tuple[float, float] | None = None,
    start_time: datetime | None = None,
    max_places: int | None = None,
    service_min: float = SERVICE_MIN,
    max_hours: float = MAX_HOURS,
    mode: str = "drive",
    title: str = "Tillsynsrunda",
) -> Round:
    """Plan one closed visit round through ``places``.

    Parameters
    ----------
    places
        Output of :func:`geodata.registers.places_of_kind` (or register places): columns
        ``place_id``, ``name``, ``opening_hours``; point geometry.
    network
        The ``drive`` or ``walk`` network of the area (its own metric CRS).
    start
        ``(lat, lon)`` of the start and end (police station); default: the network point
        nearest the centre of the places.
    start_time
        When the round starts; default today 18:00.
    max_places
        Visit at most this many (the insertion picks the cheapest to add); default all
        that fit in ``max_hours``.
    service_min
        Minutes spent at each place.
    max_hours
        The round must be back within this many hours.
    mode
        ``drive`` (respects one-way streets) or ``walk``.

    Raises
    ------
    InvalidInputError
        On an unknown mode or an empty place list.
    InfeasibleError
        If no place can be visited (all closed, or all out of reach).
    """
    if mode not in MODES:
        raise InvalidInputError(
            f"Okänt färdsätt {mode!r}; välj drive (bil) eller walk (till fots)."
        )
    if places.empty:
        raise InvalidInputError("Inga platser att besöka.")
    if network.edges.empty:
        raise InfeasibleError("Vägnätet är tomt; ingen runda kan planeras.")
    start_time = start_time or parse_date_time(None, None)
    horizon = max_hours * 3600.0
    routing = _routing(network, mode)
    crs = network.edges.crs
    points = places.to_crs(crs).geometry.to_numpy()
    node_pos, snap_m = nearest_nodes(network, points, among=routing.usable)
    if start is not None:
        lat, lon = start
        xy = gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84).to_crs(crs).to_numpy()
    else:
        xy = np.array([shapely.centroid(shapely.multipoints(points))])
    depot, depot_m = nearest_nodes(network, xy, among=routing.usable)
    if depot_m[0] > MAX_SNAP_M:
        raise InvalidInputError(
            f"Startpunkten ligger {depot_m[0]:.0f} m från vägnätet; välj en punkt i området."
        )
    windows, hours_state = opening_windows(places["opening_hours"], start_time, horizon)
    skipped = [_skipped(places, np.flatnonzero(snap_m > MAX_SNAP_M), "för långt från vägnätet")]
    closed = np.array([w is not None and not len(w) for w in windows], dtype=bool)
    skipped.append(_skipped(places, np.flatnonzero(closed & (snap_m <= MAX_SNAP_M)), "stängt"))
    ok = np.flatnonzero((snap_m <= MAX_SNAP_M) & ~closed)
    stop_nodes = np.concatenate([depot, node_pos[ok]])
    length, seconds, pred = _leg_matrices(routing, stop_nodes)
    solver = RoundSolver(length, seconds, [windows[i] for i in ok], service_min * 60.0, horizon)
    limit = len(ok) if max_places is None else max(0, int(max_places))
    tour, left = solver.insert(list(range(1, len(ok) + 1)), limit)
    if not tour:
        raise InfeasibleError(
            "Ingen plats kan besökas: alla är stängda eller utom räckhåll under "
            f"{start_time:%Y-%m-%d} från {start_time:%H:%M} ({max_hours:g} timmar)."
        )
    tour = solver.improve(tour)
    if left and max_places is not None and len(tour) >= limit:
        reason = f"fick inte plats (högst {limit} besök)"
    else:
        reason = f"hinns inte med inom {max_hours:g} timmar eller öppettiderna"
    skipped.append(_skipped(places, ok[np.array(left, dtype=int) - 1], reason))
    arrivals = solver.schedule(tour)
    if arrivals is None:  # insert() and improve() only ever keep feasible tours
        raise InfeasibleError("Rundan kunde inte schemaläggas inom öppettiderna.")
    return _realise(
        routing,
        places,
        ok,
        tour,
        arrivals,
        stop_nodes,
        pred,
        length,
        seconds,
        start_time,
        service_min,
        hours_state,
        snap_m,
        pd.concat(skipped, ignore_index=True),
        mode,
        title,
    )


def _realise(
    routing: _Routing,
    places: gpd.GeoDataFrame,
    ok: np.ndarray,
    tour: list[int],
    arrivals: np.ndarray,
    stop_nodes: np.ndarray,
    pred: np.ndarray,
    length: np.ndarray,
    seconds: np.ndarray,
    start_time: datetime,
    service_min: float,
    hours_state: np.ndarray,
    snap_m: np.ndarray,
    skipped: pd.DataFrame,
    mode: str,
    title: str,
) -> Round:
    network = routing.network
    seq = [0, *tour, 0]
    path: list[int] = [int(stop_nodes[0])]
    for a, b in itertools.pairwise(seq):
        path.extend(tree_path(pred[a], int(stop_nodes[a]), int(stop_nodes[b]))[1:].tolist())
    path_arr = np.asarray(path)
    rows = routing.graph.rows_between(path_arr[:-1], path_arr[1:])
    flip = routing.graph.reversed_between(path_arr[:-1], path_arr[1:])
    lines = network.edges.geometry.to_numpy()[rows] if len(rows) else np.array([])
    if len(lines):
        lines[flip] = shapely.reverse(lines[flip])
        xy = shapely.get_coordinates(lines)
        xy = xy[np.concatenate([[True], np.any(np.diff(xy, axis=0) != 0, axis=1)])]
        geometry = shapely.LineString(xy) if len(xy) >= 2 else shapely.LineString()
    else:
        geometry = shapely.LineString()
    seq_arr = np.asarray(seq)
    travel = float(seconds[seq_arr[:-1], seq_arr[1:]].sum())
    wgs = places.to_crs(WGS84)
    lon, lat = wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy()
    node_index = network.nodes.index.to_numpy()
    stops = []
    for order, (stop, arrival) in enumerate(zip(tour, arrivals, strict=True), start=1):
        i = ok[stop - 1]
        when = start_time + timedelta(seconds=float(arrival))
        stops.append(
            RoundStop(
                order=order,
                place_id=str(places["place_id"].iloc[i]),
                name=str(places["name"].iloc[i] or "(namnlös)"),
                lon=float(lon[i]),
                lat=float(lat[i]),
                arrival=when,
                departure=when + timedelta(minutes=service_min),
                opening_hours=places["opening_hours"].iloc[i]
                if isinstance(places["opening_hours"].iloc[i], str)
                else None,
                hours_state=str(hours_state[i]),
                snap_m=float(snap_m[i]),
                node=int(node_index[stop_nodes[stop]]),
            )
        )
    end = stops[-1].departure + timedelta(seconds=float(seconds[tour[-1], 0]))
    depot = network.nodes.iloc[int(stop_nodes[0])]
    node_ids = node_index[path_arr].tolist()
    notes = []
    if mode == "drive":
        notes.append("Bilrunda: enkelriktade gator följs.")
    unknown = int(sum(s.hours_state != "taggade" for s in stops))
    if unknown:
        notes.append(f"{unknown} besök saknar öppettider i OSM; kontrollera dem på plats.")
    return Round(
        node_ids=node_ids,
        geometry=geometry,
        crs=network.edges.crs,
        length_m=float(length[seq_arr[:-1], seq_arr[1:]].sum()),
        travel_s=travel,
        start=(float(depot["lon"]), float(depot["lat"])),
        start_time=start_time,
        end_time=end,
        stops=stops,
        skipped=skipped,
        mode=mode,
        provenance=network.provenance,
        title=title,
        notes=notes,
    )
