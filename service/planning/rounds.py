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
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import csgraph

from geodata import WGS84
from geodata.errors import InfeasibleError, InvalidInputError
from geodata.network import (
    CsGraph,
    Network,
    Provenance,
    edge_weights,
    nearest_nodes,
    to_csgraph,
    tree_path,
    tree_path_sums,
)

log = logging.getLogger(__name__)

SERVICE_MIN = 15.0
#: Longest round (hours) unless the caller says otherwise.
MAX_HOURS = 6.0
#: Places farther than this from the network (m) cannot be visited by the round.
MAX_SNAP_M = 400.0
MODES = ("drive", "walk")
#: Longest wait (minutes) outside a place that has not opened yet.
MAX_WAIT_MIN = 20.0


# --------------------------------------------------------------------------- opening hours


def parse_date_time(day: str | None, clock: str | None) -> datetime:
    """``"2020-12-11"``, ``"19:00"`` -> datetime; today and 18:00 where not given.

    Raises
    ------
    InvalidInputError
        On a date not written ÅÅÅÅ-MM-DD or a time not written HH:MM.
    """
    try:
        d = date.fromisoformat(day) if day else date.today()
    except ValueError as exc:
        raise InvalidInputError(
            f"Ogiltigt datum {day!r}: skriv ÅÅÅÅ-MM-DD, t.ex. 2025-03-14."
        ) from exc
    try:
        t = datetime.strptime(clock or "18:00", "%H:%M").time()
    except ValueError as exc:
        raise InvalidInputError(f"Ogiltig tid {clock!r}: skriv TT:MM, t.ex. 19:30.") from exc
    return datetime.combine(d, t)


def opening_windows(
    hours: pd.Series, start: datetime, horizon_s: float
) -> tuple[list[np.ndarray | None], np.ndarray]:
    """Open intervals (seconds after ``start``) of each place within the horizon.

    Returns
    -------
    windows
        Per place an ``(k, 2)`` array of open intervals, or None when hours are not tagged
        or cannot be parsed (the place may be visited at any time).
    state
        Per place ``"taggade"``, ``"saknas"`` or ``"ogiltiga"`` (Swedish, for output).
    """
    import opening_hours

    end = start + timedelta(seconds=horizon_s)
    windows: list[np.ndarray | None] = []
    state = []
    for text in hours.tolist():  # one parse per place: the library has no batch call
        if not isinstance(text, str) or not text.strip():
            windows.append(None)
            state.append("saknas")
            continue
        try:
            parsed = opening_hours.OpeningHours(text)
            spans = [
                ((a - start).total_seconds(), (b - start).total_seconds())
                for a, b, s, _ in parsed.intervals(start, end)
                if s == opening_hours.State.OPEN
            ]
        except (opening_hours.ParserError, ValueError) as exc:  # type: ignore[attr-defined]  # not in its stub
            log.info("unparseable opening_hours %r: %s", text, exc)
            windows.append(None)
            state.append("ogiltiga")
            continue
        windows.append(np.asarray(spans, dtype=float).reshape(-1, 2))
        state.append("taggade")
    return windows, np.asarray(state, dtype=object)


# --------------------------------------------------------------------------- network


@dataclass
class _Routing:
    """A directed graph of the mode's network (lengths) and travel seconds per edge row."""

    network: Network
    graph: CsGraph
    seconds: np.ndarray  # per row of network.edges
    usable: np.ndarray  # node positions where stops may be snapped


def _routing(network: Network, mode: str) -> _Routing:
    # A foot patrol ignores one-way streets; a car follows them.
    graph = to_csgraph(network, "length", directed=mode != "walk")
    seconds = edge_weights(network, "time", kind="walk" if mode == "walk" else None)
    # Stops go where every other stop can be reached and left: the largest strongly
    # connected part (one-way streets leaving a clipped extract are dead ends).
    n = graph.n_nodes
    _, labels = csgraph.connected_components(graph.matrix, directed=True, connection="strong")
    usable = np.flatnonzero(labels == np.bincount(labels).argmax()) if n else np.zeros(0, int)
    return _Routing(network=network, graph=graph, seconds=seconds, usable=usable)


def _leg_matrices(
    routing: _Routing, stops: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest lengths (m), their travel times (s) and predecessors between stop nodes."""
    dist, pred = csgraph.dijkstra(
        routing.graph.matrix, directed=True, indices=stops, return_predecessors=True
    )

    def step(parent: np.ndarray, node: np.ndarray) -> list[np.ndarray]:
        return [routing.seconds[routing.graph.rows_between(parent, node)]]

    (seconds,), _ = tree_path_sums(pred, stops, stops, step)
    return dist[:, stops], seconds, pred


# --------------------------------------------------------------------------- solver


class _Solver:
    """Time-window TSP on a small asymmetric matrix; index 0 is the start and end."""

    def __init__(
        self,
        length: np.ndarray,
        seconds: np.ndarray,
        windows: list[np.ndarray | None],
        service_s: float,
        horizon_s: float,
    ) -> None:
        self.D = length
        self.T = seconds
        self.windows = [None, *windows]  # the start has none
        self.service = service_s
        self.horizon = horizon_s
        self.max_wait = MAX_WAIT_MIN * 60.0

    def schedule(self, tour: list[int]) -> np.ndarray | None:
        """Arrival time (s) at each stop of ``tour`` (no 0s), None if infeasible.

        The car may wait up to ``MAX_WAIT_MIN`` outside a place that opens later; it must be
        back by the horizon.
        """
        t = 0.0
        prev = 0
        arrivals = np.empty(len(tour))
        for i, stop in enumerate(tour):
            t += self.T[prev, stop]
            window = self.windows[stop]
            if window is not None:
                later = window[window[:, 1] > t]
                if not len(later) or later[0, 0] - t > self.max_wait:
                    return None
                t = max(t, later[0, 0])
            arrivals[i] = t
            t += self.service
            prev = stop
        if t + self.T[prev, 0] > self.horizon:
            return None
        return arrivals

    def length(self, tour: list[int]) -> float:
        seq = np.array([0, *tour, 0])
        return float(self.D[seq[:-1], seq[1:]].sum())

    def insert(self, candidates: list[int], limit: int) -> tuple[list[int], list[int]]:
        """Nearest feasible insertion until ``limit`` stops or nothing fits."""
        tour: list[int] = []
        left = list(candidates)
        while left and len(tour) < limit:
            seq = np.array([0, *tour, 0])
            cand = np.array(left)
            a, b = seq[:-1], seq[1:]
            delta = self.D[a][:, cand].T + self.D[cand][:, b] - self.D[a, b][None, :]
            placed = False
            for flat in np.argsort(delta, axis=None):
                p, pos = np.unravel_index(flat, delta.shape)
                trial = [*tour[:pos], int(cand[p]), *tour[pos:]]
                if self.schedule(trial) is not None:
                    tour = trial
                    left.remove(int(cand[p]))
                    placed = True
                    break
            if not placed:
                break
        return tour, left

    def improve(self, tour: list[int]) -> list[int]:
        """2-opt and or-opt moves that keep the schedule feasible, until none shortens."""
        improved = True
        while improved:
            improved = False
            for move in (self._two_opt_moves, self._or_opt_moves):
                for trial in move(tour):
                    if self.schedule(trial) is not None:
                        tour, improved = trial, True
                        break
                if improved:
                    break
        return tour

    def _two_opt_moves(self, tour: list[int]) -> Any:
        """Reversals of tour[i..j] that shorten the asymmetric route, best first."""
        seq = np.array([0, *tour, 0])
        n = len(tour)
        if n < 2:
            return
        fwd = np.concatenate([[0.0], np.cumsum(self.D[seq[:-1], seq[1:]])])
        bwd = np.concatenate([[0.0], np.cumsum(self.D[seq[1:], seq[:-1]])])
        i, j = np.triu_indices(n + 1, k=1)
        keep = i >= 1
        i, j = i[keep], j[keep]
        old = self.D[seq[i - 1], seq[i]] + (fwd[j] - fwd[i]) + self.D[seq[j], seq[j + 1]]
        new = self.D[seq[i - 1], seq[j]] + (bwd[j] - bwd[i]) + self.D[seq[i], seq[j + 1]]
        gain = old - new
        for k in np.flatnonzero(gain > 1e-6)[np.argsort(-gain[gain > 1e-6])]:
            a, b = i[k] - 1, j[k]  # tour indices
            yield [*tour[:a], *tour[a:b][::-1], *tour[b:]]

    def _or_opt_moves(self, tour: list[int]) -> Any:
        """Moves of a run of 1-3 stops elsewhere in the tour that shorten it, best first."""
        seq = np.array([0, *tour, 0])
        n = len(tour)
        moves: list[tuple[float, int, int, int]] = []
        for run in (1, 2, 3):
            if run >= n:
                break
            s = np.arange(1, n - run + 2)  # run occupies seq[s : s+run]
            first, last = seq[s], seq[s + run - 1]
            before, after = seq[s - 1], seq[s + run]
            removed = self.D[before, first] + self.D[last, after] - self.D[before, after]
            k = np.arange(len(seq) - 1)  # insert between seq[k] and seq[k+1]
            added = (
                self.D[seq[k]][:, first].T
                + self.D[last][:, seq[k + 1]]
                - self.D[seq[k], seq[k + 1]]
            )
            gain = removed[:, None] - added
            inside = (k[None, :] >= (s - 1)[:, None]) & (k[None, :] <= (s + run - 1)[:, None])
            gain[inside] = -np.inf
            si, ki = np.nonzero(gain > 1e-6)
            moves.extend(
                (gain[a, b], run, int(s[a]), int(k[b])) for a, b in zip(si, ki, strict=True)
            )
        for _, run, s0, k0 in sorted(moves, reverse=True):
            segment = tour[s0 - 1 : s0 - 1 + run]
            rest = tour[: s0 - 1] + tour[s0 - 1 + run :]
            pos = k0 if k0 < s0 else k0 - run
            yield [*rest[:pos], *segment, *rest[pos:]]


# --------------------------------------------------------------------------- round


@dataclass
class RoundStop:
    """One visit of the round."""

    order: int
    place_id: str
    name: str
    lon: float
    lat: float
    arrival: datetime
    departure: datetime
    opening_hours: str | None
    hours_state: str  # "taggade", "saknas", "ogiltiga"
    snap_m: float
    node: int  # OSM node id of the network point the visit is routed to

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of one stop."""
        return {
            "order": self.order,
            "place_id": self.place_id,
            "name": self.name,
            "lat": round(self.lat, 7),
            "lon": round(self.lon, 7),
            "arrival": self.arrival.isoformat(timespec="minutes"),
            "departure": self.departure.isoformat(timespec="minutes"),
            "opening_hours": self.opening_hours,
            "hours_state": self.hours_state,
        }


@dataclass
class Round:
    """A planned visit round.

    Attributes
    ----------
    node_ids
        OSM node ids of the closed route, first == last; consecutive ids are joined by an
        edge of the network that may be used in that direction.
    stops
        Visits in order with arrival and departure times.
    skipped
        Places not visited (``place_id``, ``name``, ``reason`` in Swedish).
    """

    node_ids: list[int]
    geometry: shapely.LineString
    crs: Any
    length_m: float
    travel_s: float
    start: tuple[float, float]  # lon, lat
    start_time: datetime
    end_time: datetime
    stops: list[RoundStop]
    skipped: pd.DataFrame
    mode: str
    provenance: Provenance
    title: str = "Tillsynsrunda"
    notes: list[str] = field(default_factory=list)

    @property
    def length_km(self) -> float:
        """Route length in km."""
        return self.length_m / 1000.0

    @property
    def attribution(self) -> str:
        """Source line for every output."""
        return self.provenance.label

    @property
    def coords_wgs84(self) -> np.ndarray:
        """``(n, 2)`` lon/lat of the route."""
        xy = shapely.get_coordinates(self.geometry)
        if not len(xy):
            return np.zeros((0, 2))
        lon, lat = Transformer.from_crs(self.crs, WGS84, always_xy=True).transform(
            xy[:, 0], xy[:, 1]
        )
        return np.column_stack([lon, lat])

    def to_json(self) -> dict[str, Any]:
        """The object ``loftesplan round --json`` prints."""
        return {
            "title": self.title,
            "mode": self.mode,
            "length_km": round(self.length_km, 3),
            "travel_min": round(self.travel_s / 60.0, 1),
            "start": {"lat": round(self.start[1], 7), "lon": round(self.start[0], 7)},
            "start_time": self.start_time.isoformat(timespec="minutes"),
            "end_time": self.end_time.isoformat(timespec="minutes"),
            "stops": [s.to_dict() for s in self.stops],
            "skipped": self.skipped.to_dict(orient="records"),
            "route": [[round(x, 7), round(y, 7)] for x, y in self.coords_wgs84.tolist()],
            "attribution": self.attribution,
            "notes": self.notes,
        }

    def to_gpx(self) -> str:
        """GPX 1.1: the route as a track, the stops as numbered waypoints with arrival times."""
        import gpxpy.gpx

        from service.render.gpx import route_gpx

        return route_gpx(
            self.title,
            f"{self.length_km:.2f} km. {self.attribution}",
            self.coords_wgs84,
            self.start,
            "0 Start och mål",
            (
                gpxpy.gpx.GPXWaypoint(
                    latitude=s.lat,
                    longitude=s.lon,
                    name=f"{s.order} {s.name}"[:60],
                    time=s.arrival,
                    description=f"Ankomst {s.arrival:%H:%M}, öppettider: "
                    f"{s.opening_hours or 'okänt'}",
                )
                for s in self.stops
            ),
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
    solver = _Solver(length, seconds, [windows[i] for i in ok], service_min * 60.0, horizon)
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
        routing, places, ok, tour, arrivals, stop_nodes, pred, length, seconds, start_time,
        service_min, hours_state, snap_m, pd.concat(skipped, ignore_index=True), mode, title,
    )  # fmt: skip


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


# --------------------------------------------------------------------------- period


def _last_visits(places: pd.DataFrame, history: pd.DataFrame | None) -> pd.Series:
    """Latest visit date per place (NaT when never visited); history has place_id, date."""
    if history is None or history.empty:
        return pd.Series(pd.NaT, index=places["place_id"], dtype="datetime64[ns]")
    missing = {"place_id", "date"} - set(history.columns)
    if missing:
        raise InvalidInputError(f"Besökshistoriken saknar kolumnerna {', '.join(sorted(missing))}.")
    dates = pd.to_datetime(history["date"], errors="coerce")
    last = dates.groupby(history["place_id"].astype(str)).max()
    return last.reindex(places["place_id"].astype(str)).astype("datetime64[ns]")


def not_yet_visited(
    places: gpd.GeoDataFrame, history: pd.DataFrame | None, since: date | None = None
) -> gpd.GeoDataFrame:
    """Places with no visit in ``history`` (since ``since``, when given)."""
    hist = history
    if history is not None and since is not None and not history.empty:
        hist = history[pd.to_datetime(history["date"]) >= pd.Timestamp(since)]
    last = _last_visits(places, hist)
    return places[last.isna().to_numpy()]


def least_recently_visited(
    places: gpd.GeoDataFrame, history: pd.DataFrame | None, count: int
) -> gpd.GeoDataFrame:
    """The ``count`` places not visited longest (never visited first)."""
    last = _last_visits(places, history).to_numpy()
    order = np.argsort(np.where(pd.isna(last), np.datetime64("1900-01-01"), last), kind="stable")
    return places.iloc[order[:count]]


def plan_visits(
    places: gpd.GeoDataFrame,
    history: pd.DataFrame | None,
    period: tuple[date, date],
    count: int,
    per_visit: int | None = None,
) -> pd.DataFrame:
    """Spread ``count`` visit days over ``period`` so every place is visited at least once.

    Places not visited in the period come first, then the least recently visited; places
    are grouped by direction from their centre so one day's places lie together.

    Returns
    -------
    pandas.DataFrame
        Columns ``visit`` (1..count), ``date``, ``place_id``, ``name``, ``last_visit``.
        ``attrs["unassigned"]`` lists place ids that did not fit (``per_visit`` too small).

    Raises
    ------
    InvalidInputError
        If the period is reversed or ``count`` is not positive.
    """
    first, last_day = period
    if last_day < first:
        raise InvalidInputError("Perioden slutar före den börjar.")
    if count < 1:
        raise InvalidInputError("Antalet besökstillfällen måste vara minst 1.")
    n = len(places)
    capacity = per_visit or int(np.ceil(n / count)) if n else 0
    hist = history
    if history is not None and not history.empty:
        when = pd.to_datetime(history["date"])
        hist = history[(when >= pd.Timestamp(first)) & (when <= pd.Timestamp(last_day))]
    last = _last_visits(places, history).to_numpy()
    visited_in_period = ~_last_visits(places, hist).isna().to_numpy()
    # Priority: not visited in the period, then oldest visit first.
    age = np.where(pd.isna(last), np.datetime64("1900-01-01"), last).astype("datetime64[ns]")
    priority = np.lexsort((age, visited_in_period))
    chosen = priority[: count * capacity]
    unassigned = places["place_id"].to_numpy()[priority[count * capacity :]].tolist()
    points = places.geometry.to_numpy()[chosen]
    xy = shapely.get_coordinates(points)
    angle = np.arctan2(*(xy - xy.mean(axis=0)).T[::-1]) if len(xy) else np.zeros(0)
    chosen = chosen[np.argsort(angle, kind="stable")]
    visit = np.arange(len(chosen)) // max(capacity, 1) + 1
    span = (last_day - first).days
    days = [first + timedelta(days=round(span * (k + 0.5) / count)) for k in range(count)]
    out = pd.DataFrame(
        {
            "visit": visit,
            "date": [days[v - 1] for v in visit],
            "place_id": places["place_id"].to_numpy()[chosen],
            "name": places["name"].to_numpy()[chosen],
            "last_visit": last[chosen],
        }
    ).sort_values(["visit", "name"], ignore_index=True)
    out.attrs["unassigned"] = unassigned
    return out
