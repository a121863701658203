"""Bad input answers 422 in Swedish; faults answer 503; headers, files and docs are hardened."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.api.app import create_app
from service.settings import Settings
from service.store.db import session_scope
from service.store.models import ExecutedActivity
from tests.conftest import SHARED, planner_token

PLAN = {
    "count": 6,
    "radius_km": 3,
    "osm_file": "geodata/osm/oslo-east-2019.osm.pbf",
    "whole_file": True,
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("hardening")
    return create_app(
        Settings(
            database_url=f"sqlite:///{base / 'loftesplan.db'}",
            data_dir=base / "data",
            shared_dir=SHARED,
            offline=True,
        )
    )


@pytest.fixture(scope="module")
def polis(app) -> dict[str, str]:
    token = planner_token(app.state.engine, "polis", roles=("polis",), kommuner=("2321",))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def plan_id(app, polis) -> int:
    client = TestClient(app)
    started = client.post("/api/workspaces/2321/plans", json=PLAN, headers=polis)
    assert started.status_code == 202, started.text
    for _ in range(600):
        plan = client.get(f"/api/plans/{started.json()['id']}", headers=polis).json()
        if plan["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert plan["status"] == "done", plan["error"]
    return plan["id"]


def _swedish_422(answer) -> None:
    assert answer.status_code == 422, (answer.status_code, answer.text)
    assert "Traceback" not in answer.text


def test_every_reported_bad_input_is_a_swedish_422(app, polis, plan_id):
    client = TestClient(app)
    plans = "/api/workspaces/2321/plans"
    nul = client.post(plans, json={**PLAN, "osm_file": "geodata/osm/\x00oslo"}, headers=polis)
    _swedish_422(nul)
    assert "otillåtna tecken" in nul.json()["detail"]
    raw_nan = client.post(
        plans,
        content=b'{"count": 3, "radius_km": NaN}',
        headers={**polis, "Content-Type": "application/json"},
    )
    _swedish_422(raw_nan)

    today = date.today()
    schedule = {
        "count": 10,
        "start": (today + timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=200)).isoformat(),
    }
    url = f"/api/plans/{plan_id}/schedule"
    all_zero = {str(m): 0 for m in range(1, 13)}
    cases = {
        "alla månader": {**schedule, "month_weights": all_zero},
        "0,01": {**schedule, "weekend_night_weight": 0, "month_weights": {"1": 1e-300}},
        "campaign": {**schedule, "campaigns": [{"name": "v", "start": "garbage", "end": "x"}]},
        "måste ligga mellan": {
            **schedule,
            "start": "2000-01-01",
            "end": "9999-12-31",
            "count": 5000,
        },
    }
    for expected, body in cases.items():
        started = time.perf_counter()
        answer = client.post(url, json=body, headers=polis)
        _swedish_422(answer)
        assert time.perf_counter() - started < 5
        if expected != "campaign":
            assert expected in str(answer.json()["detail"]), answer.text
    # Weight 0 for every month but one: a schedule that fits in that month, or a clear 422.
    only_june = {str(m): (1 if m == 6 else 0) for m in range(1, 13)}
    june = {**schedule, "start": f"{today.year + 1}-01-01", "end": f"{today.year + 1}-12-31"}
    fits = client.post(url, json={**june, "month_weights": only_june}, headers=polis)
    assert fits.status_code == 201, fits.text
    assert {e["start"][5:7] for e in fits.json()} == {"06"}
    too_many = {**june, "month_weights": only_june, "count": 200, "min_days_between_same_site": 0}
    refused = client.post(url, json=too_many, headers=polis)
    assert refused.status_code == 422 and "ryms inte" in refused.json()["detail"]

    executed = "/api/workspaces/2321/executed"
    for moment in ("0001-01-01T00:00", "9999-12-31T23:59:59-12:00"):
        answer = client.post(executed, json={"happened_at": moment}, headers=polis)
        _swedish_422(answer)
        assert "happened_at måste ligga mellan" in answer.text


def test_executed_kinds_are_a_vocabulary_and_settlements_come_from_the_gazetteer(app, polis):
    client = TestClient(app)
    url = "/api/workspaces/2321/executed"
    moment = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    bad_kind = client.post(
        url, json={"happened_at": moment, "kind": "`);alert(1)//"}, headers=polis
    )
    _swedish_422(bad_kind)
    placed = client.post(
        url, json={"happened_at": moment, "settlement": "  undersåker "}, headers=polis
    )
    unplaced = client.post(
        url, json={"happened_at": moment, "settlement": "<b>Påhittby</b>"}, headers=polis
    )
    assert placed.status_code == unplaced.status_code == 201
    assert placed.json()["settlement"] == "Undersåker"
    assert unplaced.json()["settlement"] == ""
    with session_scope(app.state.engine) as session:
        stored = {r.settlement for r in session.exec(select(ExecutedActivity))}
    assert "<b>Påhittby</b>" not in stored


def test_planner_answers_are_no_store_and_docs_load_only_local_assets(app, polis, plan_id):
    client = TestClient(app)
    for path in (f"/api/plans/{plan_id}", f"/api/plans/{plan_id}/schedule", "/api/workspaces"):
        assert client.get(path, headers=polis).headers["cache-control"] == "no-store"
    moved = client.get(f"/planering/{plan_id}", headers=polis, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/arbetsyta/plan/{plan_id}"
    assert moved.headers["cache-control"] == "no-store"
    page = client.get(moved.headers["location"], headers=polis)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Hemlig planering" in page.text
    for path in ("/docs", "/redoc"):
        html = client.get(path).text
        assert "cdn" not in html and "https://" not in html and "http://" not in html
        for asset in (
            "/static/vendor/swagger-ui/swagger-ui-bundle.js",
            "/static/vendor/redoc/redoc.standalone.js",
        ):
            if asset.split("/")[3] in html:
                assert client.get(asset).status_code == 200
    for licence in ("swagger-ui/LICENSE", "redoc/LICENSE"):
        assert client.get(f"/static/vendor/{licence}").status_code == 200


def test_cookie_writes_need_this_sites_origin_and_the_cookie_can_be_secure(app):
    client = TestClient(app)
    token = planner_token(app.state.engine, "kakpolis", roles=("polis",), kommuner=("2321",))
    client.cookies.set("loftesplan_token", token)
    body = {"happened_at": (datetime.now(UTC) - timedelta(days=2)).isoformat()}
    url = "/api/workspaces/2321/executed"
    assert (
        client.post(url, json=body, headers={"Origin": "https://evil.example"}).status_code == 403
    )
    assert client.post(url, json=body).status_code == 403  # no Origin, no Referer
    assert client.post(url, json=body, headers={"Origin": "http://testserver"}).status_code == 201
    assert client.get(url).status_code == 200  # reads need no Origin

    app.state.settings.secure_cookie = True
    try:
        signed_in = TestClient(app).post(
            "/logga-in",
            data={"username": "kakpolis", "password": "planerar-losen", "next": "/"},
            follow_redirects=False,
        )
    finally:
        app.state.settings.secure_cookie = None
    cookie = signed_in.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_database_file_and_data_dir_are_private(tmp_path):
    create_app(Settings(data_dir=tmp_path / "ny" / "data"))
    data = tmp_path / "ny" / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "loftesplan.db").stat().st_mode) == 0o600


def test_locked_database_answers_503_and_health_says_so(app, polis):
    app.state.settings.health_check_interval_s = 0  # the default reuses a success for 2 s
    client = TestClient(app)
    assert client.get("/health").json() == {"status": "ok", "database": "skrivbar"}
    path = str(app.state.engine.url.database)
    locker = sqlite3.connect(path, timeout=1)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        health = client.get("/health")
        assert health.status_code == 503 and "Retry-After" in health.headers
        assert health.json()["status"] == "fel" and time.perf_counter() - started < 4
        body = {"happened_at": (datetime.now(UTC) - timedelta(days=2)).isoformat()}
        write = client.post("/api/workspaces/2321/executed", json=body, headers=polis)
        assert write.status_code == 503, write.text
        assert write.headers["Retry-After"] == "5" and "upptagen" in write.json()["detail"]
    finally:
        locker.rollback()
        locker.close()
    assert client.get("/health").status_code == 200


def test_health_reuses_a_success_but_never_a_failure(app):
    app.state.settings.health_check_interval_s = 30
    client = TestClient(app)
    assert client.get("/health").status_code == 200  # checked, reused for 30 s
    locker = sqlite3.connect(str(app.state.engine.url.database), timeout=1)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        assert client.get("/health").status_code == 200  # the success is reused
    finally:
        locker.rollback()
        locker.close()
    app.state.settings.health_check_interval_s = 0
    assert client.get("/health").status_code == 200


def test_serve_on_a_read_only_data_dir_says_one_line_and_exits_2(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o500)
    try:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("loftesplan")), "serve", "--port", "1"],
            env={**os.environ, "LOFTESPLAN_DATA_DIR": str(data)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        data.chmod(0o700)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "skrivskydd" in lines[0] and "Traceback" not in done.stderr
