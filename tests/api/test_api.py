"""The service end to end through its HTTP API, on a fresh SQLite database per test module."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.settings import Settings
from tests.conftest import PROMISES, eventually, planner_token


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    # LOFTESPLAN_TEST_DATABASE_URL runs the same tests on another database (PostgreSQL);
    # it must point at an empty database.
    url = os.environ.get("LOFTESPLAN_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'loftesplan.db'}"
    return create_app(Settings(database_url=url, max_body_bytes=500_000))


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="module")
def planner(app) -> dict[str, str]:
    token = planner_token(app.state.engine, "planerare", "korrekt-hast")
    return {"Authorization": f"Bearer {token}"}


def test_planner_endpoints_need_a_token(client):
    assert client.get("/api/workspaces").status_code == 401
    assert client.post("/api/workspaces/2321/executed", json={}).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/workspaces/2321/executed", headers=bad).status_code == 401


def test_password_flow_issues_a_working_token(client, planner):
    ok = client.post("/api/token", data={"username": "planerare", "password": "korrekt-hast"})
    assert ok.status_code == 200
    token = ok.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/workspaces/2321/executed", headers=headers).status_code == 200
    wrong = client.post("/api/token", data={"username": "planerare", "password": "fel"})
    assert wrong.status_code == 401


def test_tokens_and_passwords_are_hashed_at_rest(app, planner):
    from sqlalchemy import text

    with app.state.engine.connect() as db:
        stored = [r[0] for r in db.execute(text("select token_hash from apitoken"))]
        passwords = [r[0] for r in db.execute(text('select password_hash from "user"'))]
    token = planner["Authorization"].split()[1]
    assert token not in stored and len(stored[0]) == 64
    assert all(p.startswith("scrypt$") and "korrekt-hast" not in p for p in passwords)


def test_promise_from_text_edit_and_public_progress(client, planner):
    text = (PROMISES / "are.txt").read_text(encoding="utf-8")
    created = client.post("/api/workspaces/Åre/promises", json={"text": text}, headers=planner)
    assert created.status_code == 201
    promise = created.json()
    kinds = {a["kind"]: a for a in promise["activities"]}
    assert kinds["traffic_control"]["count_min"] == 100
    edited = client.patch(
        f"/api/activities/{kinds['school_visit']['id']}", json={"count_min": 12}, headers=planner
    )
    assert edited.status_code == 200
    assert {a["kind"]: a["count_min"] for a in edited.json()["activities"]}["school_visit"] == 12
    invalid = client.patch(
        f"/api/activities/{kinds['school_visit']['id']}", json={"kind": "x"}, headers=planner
    )
    assert invalid.status_code == 422
    progress = client.get("/api/public/2321/progress").json()
    rows = progress["promises"][0]["activities"]
    assert {r["kind"] for r in rows} >= {"traffic_control", "safety_walk"}


def test_executed_activities_show_publicly_only_aggregated_and_after_the_delay(client, planner):
    now = datetime.now(UTC)
    old = {"happened_at": (now - timedelta(days=3)).isoformat(), "lat": 63.398, "lon": 13.081}
    fresh = {"happened_at": (now - timedelta(hours=1)).isoformat(), "lat": 63.312, "lon": 13.57}
    for body in (old, fresh):
        r = client.post("/api/workspaces/2321/executed", json=body, headers=planner)
        assert r.status_code == 201
    public = client.get("/api/public/2321/executed").json()
    assert sum(a["count"] for a in public["areas"]) == 1
    text = str(public)
    for coordinate in ("63.398", "13.081", "63.312", "13.57"):
        assert coordinate not in text
    page = client.get("/kommun/2321")
    assert page.status_code == 200 and "Trafikkontroll" in page.text


def test_bad_input_is_refused_clearly(client, planner):
    assert client.get("/api/public/Atlantis/executed").status_code == 404
    big = "x" * 600_000
    r = client.post("/api/workspaces/Åre/promises", json={"text": big}, headers=planner)
    assert r.status_code == 413
    half = {"happened_at": datetime.now(UTC).isoformat(), "lat": 63.4}
    assert (
        client.post("/api/workspaces/2321/executed", json=half, headers=planner).status_code == 422
    )
    r = client.post("/api/workspaces/Åre/promises", json={"text": "   "}, headers=planner)
    assert r.status_code in (400, 422)


def _wait_for_plan(client, plan_id: int, headers: dict[str, str]) -> dict:
    import time

    for _ in range(600):
        plan = client.get(f"/api/plans/{plan_id}", headers=headers).json()
        if plan["status"] in ("done", "failed"):
            return plan
        time.sleep(0.2)
    raise AssertionError("the plan never finished")


def test_end_to_end_promise_plan_schedule_execute_follow_up_and_no_public_leak(client, planner):
    from datetime import date

    text = (PROMISES / "are.txt").read_text(encoding="utf-8")
    promise = client.post("/api/workspaces/2321/promises", json={"text": text}, headers=planner)
    assert promise.status_code == 201
    promised = {a["kind"]: a["count_min"] for a in promise.json()["activities"]}
    assert promised["traffic_control"] == 100

    # Plan on a real shared extract (no Swedish extract exists offline: Oslo east).
    started = client.post(
        "/api/workspaces/2321/plans",
        json={
            "count": 25,
            "radius_km": 3,
            "osm_file": "geodata/osm/oslo-east-2019.osm.pbf",
            "whole_file": True,
        },
        headers=planner,
    )
    assert started.status_code == 202
    plan = _wait_for_plan(client, started.json()["id"], planner)
    assert plan["status"] == "done", plan["error"]
    assert len(plan["sites"]) == 25
    assert plan["metrics"]["share_road_km_covered"] > 0.9

    # 100 events over the coming year.
    today = date.today()
    body = {
        "count": 100,
        "start": (today + timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=365)).isoformat(),
        "seed": 3,
        "month_weights": {"1": 2, "2": 2, "12": 2},
        "joint_dates": [(today + timedelta(days=40)).isoformat()],
    }
    schedule = client.post(f"/api/plans/{plan['id']}/schedule", json=body, headers=planner)
    assert schedule.status_code == 201 and len(schedule.json()) == 100
    assert sum(e["joint"] for e in schedule.json()) == 1
    ics = client.get(f"/api/plans/{plan['id']}/schedule.ics", headers=planner)
    assert ics.status_code == 200 and ics.text.count("BEGIN:VEVENT") == 100

    # Record executed checkpoints at five planned sites, ten days ago.
    sites = plan["sites"][:5]
    for site in sites:
        done = {
            "happened_at": (datetime.now(UTC) - timedelta(days=10)).isoformat(),
            "lat": site["lat"],
            "lon": site["lon"],
            "controlled_drivers": 40,
            "suspected_dui": 1,
        }
        assert (
            client.post("/api/workspaces/2321/executed", json=done, headers=planner).status_code
            == 201
        )

    coverage = client.get(f"/api/plans/{plan['id']}/coverage", headers=planner).json()
    assert coverage["executed_count"] >= 5
    assert 0 < coverage["executed"]["road_km_covered"] < coverage["planned"]["road_km_covered"]

    progress = client.get("/api/public/2321/progress").json()
    traffic = [
        a for p in progress["promises"] for a in p["activities"] if a["kind"] == "traffic_control"
    ]
    # Åre's promise ran in 2017: checks made now do not count for it (period-correct), and
    # the period is over, so the honest status is "ej uppfyllt"; the work still shows publicly.
    assert traffic and all(a["done"] == 0 and a["status"] == "ej uppfyllt" for a in traffic)
    executed = client.get("/api/public/2321/executed").json()
    assert sum(a["count"] for a in executed["areas"]) + executed["unplaced"] >= 5

    # Nothing public carries a planned site or a scheduled time.
    public_texts = [
        client.get(path).text
        for path in (
            "/",
            "/kommun/2321",
            "/kommun/2321/karta",
            "/api/public/2321/progress",
            "/api/public/2321/executed",
            "/api/workspaces/2321/promises",
        )
    ]
    times = [e["start"][:16] for e in schedule.json()] + [e["start"][:10] for e in schedule.json()]
    for text in public_texts:
        assert not [t for t in times if t in text]
        # A site leaks if both its coordinates appear (to about 10 m) among the page's numbers.
        numbers = {round(float(n), 4) for n in re.findall(r"-?\d{1,3}\.\d{4,}", text)}
        leaked = [
            s
            for s in plan["sites"]
            if round(s["lat"], 4) in numbers and round(s["lon"], 4) in numbers
        ]
        assert not leaked, leaked
    for path in (f"/api/plans/{plan['id']}", f"/api/plans/{plan['id']}/schedule"):
        assert client.get(path).status_code == 401


def test_follow_up_report_is_printable_swedish_and_per_promise(client, planner):
    text = (PROMISES / "stromsund.txt").read_text(encoding="utf-8")
    created = client.post("/api/workspaces/2313/promises", json={"text": text}, headers=planner)
    promise_id = created.json()["id"]
    report = client.get(f"/kommun/2313/uppfoljning/{promise_id}")
    assert report.status_code == 200
    assert "Uppföljning av medborgarlöfte" in report.text and "@page" in report.text
    labels = {"traffic_control": "Trafikkontroll", "safety_walk": "Trygghetsvandring"}
    kinds = {a["kind"] for a in created.json()["activities"]}
    assert any(labels[k] in report.text for k in kinds & set(labels))
    assert "1 januari 2021" in report.text  # the period the parser read, in Swedish
    assert "Tidigare uppföljning" in report.text  # Strömsund's "Så gick det" section
    assert client.get(f"/kommun/2321/uppfoljning/{promise_id}").status_code == 404


def test_public_cache_shows_a_write_within_the_grace(client, planner):
    before = client.get("/api/public/1783/executed").json()
    again = client.get("/api/public/1783/executed").json()  # served from the cache
    assert again == before
    old = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    body = {"happened_at": old, "lat": 60.03, "lon": 13.69, "settlement": "Hagfors"}
    assert (
        client.post("/api/workspaces/1783/executed", json=body, headers=planner).status_code == 201
    )
    counted = sum(a["count"] for a in before["areas"])
    after = eventually(
        lambda: client.get("/api/public/1783/executed").json(),
        lambda answer: sum(a["count"] for a in answer["areas"]) > counted,
        within_s=Settings().public_cache_write_grace_s + 5,
    )
    assert sum(a["count"] for a in after["areas"]) == counted + 1
