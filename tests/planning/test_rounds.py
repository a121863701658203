"""Inspection rounds on the real central Stockholm extract."""

from __future__ import annotations

import itertools
import json
from datetime import date

import geopandas as gpd
import gpxpy
import numpy as np
import opening_hours
import pandas as pd
import pytest
from scipy import sparse
from scipy.sparse import csgraph

from geodata.errors import AreaNotCoveredError, InvalidInputError
from geodata.network import Network
from geodata.osm import load_features, load_networks
from geodata.registers import places_of_kind
from service.planning.rounds import (
    Round,
    RoundSolver,
    not_yet_visited,
    parse_date_time,
    plan_round,
    plan_visits,
)
from tests.conftest import STOCKHOLM

EVENING = "2020-12-11"  # a Friday in the extract's month


@pytest.fixture(scope="module")
def networks() -> dict[str, Network]:
    return load_networks(None, ("drive", "walk"), STOCKHOLM, use_cache=False)


@pytest.fixture(scope="module")
def venues() -> gpd.GeoDataFrame:
    return places_of_kind("venue", features=load_features(None, STOCKHOLM, use_cache=False))


@pytest.fixture(scope="module")
def evening_round(networks, venues) -> Round:
    return plan_round(
        venues,
        networks["drive"],
        start_time=parse_date_time(EVENING, "19:00"),
        max_places=10,
        mode="drive",
    )


def _directed_lengths(network: Network, respect_oneway: bool) -> sparse.csr_array:
    """Independent baseline graph: u->v always, v->u unless one-way; shortest parallel kept."""
    e = network.edges
    pos = pd.Series(np.arange(len(network.nodes)), index=network.nodes.index)
    u, v = pos[e["u"]].to_numpy(), pos[e["v"]].to_numpy()
    back = ~e["oneway"].to_numpy(bool) if respect_oneway else np.ones(len(e), bool)
    frame = pd.DataFrame(
        {
            "a": np.concatenate([u, v[back]]),
            "b": np.concatenate([v, u[back]]),
            "w": np.concatenate([e["length"], e["length"][back]]),
        }
    )
    frame = frame[frame.a != frame.b].groupby(["a", "b"])["w"].min().reset_index()
    n = len(network.nodes)
    return sparse.csr_array((frame.w, (frame.a, frame.b)), shape=(n, n))


def _nn_two_opt_best(dist: np.ndarray) -> float:
    """Baseline: nearest-neighbour tours from the depot (each stop tried first) + 2-opt."""

    def length(tour: list[int]) -> float:
        seq = [0, *tour, 0]
        return float(sum(dist[a, b] for a, b in itertools.pairwise(seq)))

    n = len(dist)
    best = np.inf
    for first in range(1, n):
        tour, left = [first], set(range(1, n)) - {first}
        while left:
            nxt = min(left, key=lambda j: dist[tour[-1], j])
            tour.append(nxt)
            left.remove(nxt)
        improved = True
        while improved:
            improved = False
            for i in range(len(tour) - 1):
                for j in range(i + 2, len(tour) + 1):
                    trial = tour[:i] + tour[i:j][::-1] + tour[j:]
                    if length(trial) < length(tour) - 1e-9:
                        tour, improved = trial, True
        best = min(best, length(tour))
    return best


def test_evening_round_is_a_closed_route_on_the_network(evening_round: Round, networks) -> None:
    net = networks["drive"]
    ids = evening_round.node_ids
    assert ids[0] == ids[-1]
    e = net.edges
    allowed = set(zip(e["u"], e["v"], strict=True)) | set(
        zip(e["v"][~e["oneway"]], e["u"][~e["oneway"]], strict=True)
    )
    steps = list(itertools.pairwise(ids))
    assert all(step in allowed for step in steps)  # one-way streets respected
    lengths = e.groupby([e["u"], e["v"]])["length"].min().to_dict()
    walked = sum(lengths.get((a, b), lengths.get((b, a), np.inf)) for a, b in steps)
    assert walked == pytest.approx(evening_round.length_m, rel=1e-6)
    assert abs(evening_round.geometry.length - evening_round.length_m) < 1.0
    visited = {s.node for s in evening_round.stops}
    assert visited <= set(ids)


def test_evening_round_visits_ten_open_venues(evening_round: Round, venues) -> None:
    stops = evening_round.stops
    assert len(stops) == 10
    assert len({s.place_id for s in stops}) == 10
    assert [s.order for s in stops] == list(range(1, 11))
    arrivals = [s.arrival for s in stops]
    assert arrivals == sorted(arrivals)
    hours = venues.set_index("place_id")["opening_hours"]
    tagged = 0
    for stop in stops:
        text = hours[stop.place_id]
        if isinstance(text, str):
            tagged += 1
            assert opening_hours.OpeningHours(text).is_open(stop.arrival), (stop.name, text)
    assert tagged >= 3  # the test says something about hours
    closed = evening_round.skipped[evening_round.skipped["reason"] == "stängt"]
    for place_id in closed["place_id"]:
        oh = opening_hours.OpeningHours(hours[place_id])
        assert not oh.is_open(evening_round.start_time)


def test_evening_round_is_near_the_nn_two_opt_baseline(evening_round: Round, networks) -> None:
    graph = _directed_lengths(networks["drive"], respect_oneway=True)
    pos = pd.Series(np.arange(len(networks["drive"].nodes)), index=networks["drive"].nodes.index)
    stops = [evening_round.node_ids[0], *(s.node for s in evening_round.stops)]
    nodes = pos[stops].to_numpy()
    dist = csgraph.dijkstra(graph, directed=True, indices=nodes)[:, nodes]
    baseline = _nn_two_opt_best(dist)
    assert np.isfinite(baseline)
    assert evening_round.length_m <= 1.1 * baseline + 1e-6


def test_gpx_and_json(evening_round: Round) -> None:
    gpx = gpxpy.parse(evening_round.to_gpx())
    assert len(gpx.waypoints) == 11
    assert gpx.waypoints[1].name.startswith("1 ")
    assert len(gpx.tracks[0].segments[0].points) >= 2
    data = evening_round.to_json()
    assert data["stops"][0]["arrival"].startswith(EVENING)
    assert "OpenStreetMap" in data["attribution"]


def test_walk_round_ignores_oneway(networks, venues) -> None:
    walk = plan_round(
        venues,
        networks["walk"],
        start=(59.3376, 18.0632),
        start_time=parse_date_time(EVENING, "19:00"),
        max_places=6,
        mode="walk",
    )
    assert len(walk.stops) == 6
    assert walk.node_ids[0] == walk.node_ids[-1]
    # Walking 5 km/h: minutes of travel follow from length.
    assert walk.travel_s == pytest.approx(walk.length_m / (5 / 3.6), rel=1e-6)


def test_solver_respects_windows_synthetic() -> None:
    """Synthetic stops on a line: the far stop 3 closes at 35 s, so the round starts there."""
    d = np.array([[0, 10, 20, 30], [10, 0, 10, 20], [20, 10, 0, 10], [30, 20, 10, 0]], float)
    windows = [None, None, np.array([[0.0, 35.0]])]
    solver = RoundSolver(d, d, windows, service_s=100.0, horizon_s=1e4)
    tour, left = solver.insert([1, 2, 3], limit=3)
    assert not left
    assert tour[0] == 3
    assert solver.improve(tour) == [3, 2, 1]
    assert solver.schedule([1, 2, 3]) is None  # arrives at 3 after it closed


def test_bad_inputs(networks, venues) -> None:
    with pytest.raises(InvalidInputError, match="ÅÅÅÅ-MM-DD"):
        parse_date_time("11/12/2020", "19:00")
    with pytest.raises(InvalidInputError, match="TT:MM"):
        parse_date_time(EVENING, "7pm")
    with pytest.raises(InvalidInputError, match="färdsätt"):
        plan_round(venues, networks["drive"], mode="boat")


def test_visits_over_a_period(venues) -> None:
    places = venues.head(30)
    history = pd.DataFrame({"place_id": places["place_id"].iloc[:5], "date": ["2020-03-01"] * 5})
    assert len(not_yet_visited(places, history)) == 25
    plan = plan_visits(places, history, (date(2021, 1, 1), date(2021, 12, 31)), count=4)
    assert set(plan["place_id"]) == set(places["place_id"])  # everyone at least once
    assert plan["visit"].nunique() == 4
    assert plan.groupby("visit").size().max() <= 8
    assert not plan.attrs["unassigned"]
    small = plan_visits(places, history, (date(2021, 1, 1), date(2021, 6, 30)), 2, per_visit=5)
    assert len(small) == 10
    # Never-visited places come before those visited in March.
    assert not set(small["place_id"]) & set(history["place_id"])
    assert len(small.attrs["unassigned"]) == 20


def test_cli_round_writes_json_gpx_and_map(tmp_path) -> None:
    from typer.testing import CliRunner

    from service.cli import app

    gpx, html = tmp_path / "runda.gpx", tmp_path / "runda.html"
    args = [
        "round", "utskänkningsställen", "--osm-file", str(STOCKHOLM), "--date", EVENING,
        "--from", "19:00", "--max-places", "5", "--gpx", str(gpx), "--map", str(html), "--json",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["stops"]) == 5
    assert len(gpxpy.parse(gpx.read_text()).waypoints) == 6
    page = html.read_text()
    assert "Ankomst" in page and "OpenStreetMap" in page and "Start och mål" in page


FILE = ["--osm-file", str(STOCKHOLM)]


@pytest.mark.parametrize(
    ("args", "error", "text"),
    [
        (["round", "venue", *FILE, "--date", "11/12/2020"], InvalidInputError, "ÅÅÅÅ-MM-DD"),
        (["places", "kyrkor", *FILE], InvalidInputError, "utskänkningsställen"),
        (["places", "venue", *FILE, "--kommun", "Åre"], AreaNotCoveredError, "täcker inte"),
        (["places", "venue"], InvalidInputError, "--kommun"),
    ],
)
def test_cli_bad_input(args: list[str], error: type, text: str) -> None:
    from typer.testing import CliRunner

    from service.cli import app

    result = CliRunner().invoke(app, args)
    # The CLI reports the planner error (``error``) as one Swedish line and exit code 2.
    assert result.exit_code == 2, (error, result.output)
    assert text in result.stderr and "Traceback" not in result.output
