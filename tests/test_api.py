"""The service end to end through its HTTP API, on a fresh SQLite database per test module."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.settings import Settings
from service.store import create_user, issue_token, session_scope
from tests.conftest import PROMISES


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("db") / "loftesplan.db"
    return create_app(Settings(database_url=f"sqlite:///{db}", max_body_bytes=500_000))


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return TestClient(app)


@pytest.fixture(scope="module")
def planner(app) -> dict[str, str]:
    with session_scope(app.state.engine) as session:
        token = issue_token(session, create_user(session, "planerare", "korrekt-hast"))
    return {"Authorization": f"Bearer {token}"}


def test_planner_endpoints_need_a_token(client):
    assert client.post("/api/workspaces", json={"municipality": "Åre"}).status_code == 401
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
    import sqlite3

    url = str(app.state.engine.url).removeprefix("sqlite:///")
    with sqlite3.connect(url) as db:
        stored = [r[0] for r in db.execute("select token_hash from apitoken")]
        passwords = [r[0] for r in db.execute("select password_hash from user")]
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
