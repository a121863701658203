"""The public cache: keyed on what the route reads, bounded, invalidated per workspace."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.cache import PublicResponseCache, normalise_path
from service.settings import Settings
from tests.conftest import SEEDS, eventually, planner_token, run_coroutine


def _cache(app) -> PublicResponseCache:
    layer = app.middleware_stack
    while not isinstance(layer, PublicResponseCache):
        layer = layer.app
    return layer


def _app(tmp_path, **settings):
    return create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path, **settings)
    )


def test_query_strings_the_route_does_not_read_make_no_new_entries(tmp_path):
    app = _app(tmp_path)
    client = TestClient(app)
    first = client.get("/api/public/2321/progress")
    assert first.status_code == 200
    for i in range(200):
        answer = client.get(f"/api/public/2321/progress?x={i}&utm_source=spam{i}")
        assert answer.status_code == 200 and answer.content == first.content
    client.get("/api/public//2321/progress/")  # another spelling of the same path
    assert _cache(app).size[0] == 1
    # A parameter the route reads is part of the key: one entry per year asked for.
    for _ in range(2):
        for year in (2024, 2025):
            assert client.get(f"/kommun/2321/karta?ar={year}&spam=1").status_code == 200
    assert sorted(k for k in _cache(app)._entries if "karta" in k) == [
        "/kommun/2321/karta?ar=2024",
        "/kommun/2321/karta?ar=2025",
    ]
    assert normalise_path("/kommun//2321/") == "/kommun/2321"
    assert normalise_path("/kommun/x/../2321") == "/kommun/2321"


def test_cache_is_bounded_in_entries_and_bytes(tmp_path):
    app = _app(tmp_path, public_cache_entries=3, public_cache_bytes=100_000)
    client = TestClient(app)
    for code in SEEDS:
        for _ in range(2):  # the first answer for a path teaches the cache its route
            assert client.get(f"/api/public/{code}/progress").status_code == 200
            assert client.get(f"/kommun/{code}").status_code == 200
    entries, size = _cache(app).size
    assert entries <= 3 and 0 < size <= 100_000


def test_a_write_drops_only_its_own_municipality(tmp_path):
    app = _app(tmp_path, public_cache_write_grace_s=0)
    client = TestClient(app)
    token = planner_token(app.state.engine, "polis", roles=("polis",), kommuner=("2321",))
    before = {}
    for _ in range(2):  # the first answer for a path teaches the cache its route
        before = {c: client.get(f"/api/public/{c}/executed").json() for c in ("2321", "2313")}
    assert _cache(app).size[0] == 2
    old = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    body = {"happened_at": old, "settlement": "Åre", "lat": 63.398, "lon": 13.081}
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        client.post("/api/workspaces/2321/executed", json=body, headers=headers).status_code == 201
    )
    assert list(_cache(app)._entries) == ["/api/public/2313/executed"]
    after = client.get("/api/public/2321/executed").json()
    assert after["areas"] != before["2321"]["areas"]
    # A write that touches no workspace (a new API key) keeps every entry.
    assert client.post("/api/nycklar", json={"name": "k"}, headers=headers).status_code == 201
    assert _cache(app).size[0] == 2


def test_after_a_write_an_answer_is_served_at_most_the_grace_period(tmp_path):
    app = _app(tmp_path, public_cache_write_grace_s=0.5)
    client = TestClient(app)
    token = planner_token(app.state.engine, "polis", roles=("polis",), kommuner=("2321",))
    for _ in range(2):
        before = client.get("/api/public/2321/executed").json()
    old = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    body = {"happened_at": old, "settlement": "Åre", "lat": 63.398, "lon": 13.081}
    headers = {"Authorization": f"Bearer {token}"}
    written = client.post("/api/workspaces/2321/executed", json=body, headers=headers)
    assert written.status_code == 201
    assert client.get("/api/public/2321/executed").json() == before  # within the grace
    time.sleep(0.6)
    assert client.get("/api/public/2321/executed").json()["areas"] != before["areas"]


def test_with_the_default_settings_a_write_shows_within_the_grace_computed_once(tmp_path):
    app = _app(tmp_path)  # the service's defaults but for the database
    grace = app.state.settings.public_cache_write_grace_s
    assert grace == Settings.model_fields["public_cache_write_grace_s"].default > 0
    client = TestClient(app)
    token = planner_token(app.state.engine, "polis", roles=("polis",), kommuner=("2321",))
    headers = {"Authorization": f"Bearer {token}"}
    path = "/api/public/2321/executed"
    for _ in range(2):  # the first answer for a path teaches the cache its route
        before = client.get(path).json()
    cache = _cache(app)
    computed = cache.computed.get("2321", 0)
    old = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    body = {"happened_at": old, "settlement": "Åre", "lat": 63.398, "lon": 13.081}
    sent = time.monotonic()
    writes, reads = 0, []
    # A stream of writes with reads between them for a little longer than the grace.
    while time.monotonic() < sent + 1.2 * grace:
        assert client.post("/api/workspaces/2321/executed", json=body, headers=headers).is_success
        writes += 1
        answer = client.get(path).json()
        reads.append((time.monotonic(), answer))
    assert time.monotonic() < sent + 2 * grace, "too slow a machine to see one grace period"
    # Answers read before the grace ran out are the cached one; one recomputation at most.
    early = [answer for done, answer in reads if done < sent + grace]
    assert early and all(answer == before for answer in early)
    assert cache.computed.get("2321", 0) - computed <= 1
    # Every write shows within the grace (plus one recomputation) after the last one.
    last = time.monotonic()
    counted = sum(a["count"] for a in before["areas"])
    after = eventually(
        lambda: client.get(path).json(),
        lambda answer: sum(a["count"] for a in answer["areas"]) == counted + writes,
        within_s=grace + 2,
    )
    assert sum(a["count"] for a in after["areas"]) == counted + writes
    assert time.monotonic() - last < grace + 2


@pytest.mark.parametrize("grace", [0.0, 5.0])
def test_an_answer_computed_across_a_write_is_not_kept_past_the_grace(tmp_path, grace):
    """A write that commits while an answer is computed expires that answer like the others."""
    app = _app(tmp_path, public_cache_write_grace_s=grace)
    path = "/api/public/2321/progress"
    assert TestClient(app).get(path).status_code == 200  # learns the route
    cache = _cache(app)
    cache._entries.clear()
    statuses: list[int] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
            cache.invalidate("2321")  # the answer is computed, not yet stored: a write commits

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [(b"host", b"testserver")], "scheme": "http",
             "server": ("testserver", 80), "client": ("127.0.0.1", 1), "root_path": "",
             "http_version": "1.1", "app": app}  # fmt: skip
    started = time.monotonic()
    run_coroutine(app(scope, receive, send))
    assert statuses == [200]
    entry = cache._entries.get(path)
    if grace == 0:
        assert entry is None  # it may predate the write: not kept at all
    else:  # kept at most the grace from when it began, not the cache's 30 s
        assert entry is not None and entry.expires <= started + grace + 0.01
