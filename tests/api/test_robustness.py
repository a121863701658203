"""Robustness of the service: fuzzing, concurrent writes, crashes, oversized bodies.

The schemathesis run goes through the app in process; the concurrency, crash and body-limit
tests start the real server (``loftesplan serve``) on loopback with a temporary SQLite file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from geodata.settings import use_settings
from service.api.app import create_app
from service.settings import Settings
from service.store.db import engine_for
from tests.browser import free_port
from tests.conftest import PROMISES, SHARED, app_settings, planner_token

#: The body limit the tests run with (the default is 2 MB; smaller keeps the tests light).
BODY_LIMIT = 100_000


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The module's fixtures run before conftest's per-test settings: inject them here too."""
    base = tmp_path_factory.mktemp("offline")
    with use_settings(
        Settings(shared_dir=SHARED, offline=True, cache_dir=base / "cache", data_dir=base / "data")
    ):
        yield


# --- schemathesis against the OpenAPI schema, in process -------------------------------------


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, offline_env):
    return create_app(app_settings(tmp_path_factory.mktemp("fuzz"), max_body_bytes=BODY_LIMIT))


@pytest.fixture(scope="module")
def fuzz_seed(fuzz_app) -> dict[str, object]:
    """A planner token and real rows (promise, activity, walk, finding) to aim ids at."""
    from fastapi.testclient import TestClient

    token = planner_token(fuzz_app.state.engine, "fuzz", "fuzz-hemligt")
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(fuzz_app, headers=headers)
    text = (PROMISES / "are.txt").read_text(encoding="utf-8")
    promise = client.post("/api/workspaces/Åre/promises", json={"text": text})
    assert promise.status_code == 201, promise.text
    walk = client.post(
        "/api/workspaces/0180/walks",
        json={
            "center_lat": 59.3375,
            "center_lon": 18.07,
            "radius_km": 0.6,
            "length_km": 2.0,
            "osm_file": "geodata/osm/stockholm-norrmalm.osm.bz2",
        },
    )
    assert walk.status_code == 201, walk.text
    finding = client.post(
        f"/api/walks/{walk.json()['id']}/findings",
        json={"lat": 59.338, "lon": 18.07, "category": "belysning", "description": "Mörkt"},
    )
    assert finding.status_code == 201, finding.text
    return {
        "headers": headers,
        "path": {
            "municipality": "2321",
            "promise_id": promise.json()["id"],
            "activity_id": promise.json()["activities"][0]["id"],
            "walk_id": walk.json()["id"],
            "finding_id": finding.json()["id"],
        },
    }


#: Examples per operation and generation mode. Walk planning reads and routes an OSM file
#: (about a second a call) and the Polisen import reads the 85,000-event archive (seconds a
#: call), so they get fewer; everything else the full budget.
FUZZ_EXAMPLES = {
    "default": 14,
    "POST /api/workspaces/{municipality}/walks": 4,
    "POST /api/workspaces/{municipality}/executed/import-polisen": 3,
}


#: Operations that end the caller's own session or keys: each case gets a fresh token.
OWN_SESSION = ("POST /api/logga-ut", "POST /api/losenord", "DELETE /api/nycklar/{key_id}")


def _fuzz(strategy, examples: int, headers) -> tuple[int, list[str]]:
    """Run ``examples`` generated cases with all default checks; collect every failure.

    ``headers`` is a function giving each case's headers (no shrinking, same cases every run).
    Business rules the schema cannot state (an OSM file that must exist, a plan that must
    be done, a count the sites cannot hold) answer 422 to schema-valid data, so positive
    cases may also get 422 (documented on every operation); everything else is as default.
    """
    from hypothesis import HealthCheck, Phase, given, settings

    ran, failures = 0, []

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # same cases every run: a failure reproduces
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        nonlocal ran
        ran += 1
        try:
            # A slow answer on a busy CI machine is not a server error: no 10 s client timeout.
            case.call_and_validate(headers=headers(case.operation.label), timeout=120)
        except (Exception, BaseExceptionGroup) as exc:  # collect all, report together
            failures.append(f"{case.operation.label}: {type(exc).__name__}: {str(exc)[:600]}")

    run()
    return ran, failures


def _negatable(fuzz_app, query_for) -> set[str]:
    """Labels of the operations schemathesis can make a negative case for.

    With negative mode alone, schemathesis stops at the first case in which it has nothing to
    break (``SkipTest``); with both modes it rejects each such case, and hypothesis gives up
    (``Unsatisfiable``) only after about 460 of them: 14 operations cost 3-4 s each that way.
    The operation without explicit path values has the most to break, so it decides.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.core.control import SkipTest

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    schema.config.generation.update(modes=[GenerationMode.NEGATIVE])
    found = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE, query=query_for(operation.label)
        )

        @settings(max_examples=1, deadline=None, derandomize=True, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=strategy)
        def draw(case) -> None:
            pass

        try:
            draw()
        except SkipTest:
            continue
        found.add(operation.label)
    return found


def test_schemathesis_all_default_checks_pass(fuzz_app, fuzz_seed):
    import schemathesis
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    checks = schema.config.checks_config_for()
    # 413: the body limit (a server setting, documented on every operation) refuses a body
    # the schema allows; 422 (positive data): business rules the schema cannot state.
    acceptance = checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "413", "422"]
    rejection = checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]

    def headers(label: str) -> dict[str, str]:
        if label in OWN_SESSION:
            token = planner_token(fuzz_app.state.engine, f"fuzz-{uuid.uuid4().hex[:12]}")
            return {"Authorization": f"Bearer {token}"}
        return fuzz_seed["headers"]

    def query_for(label: str) -> dict[str, object] | None:
        # online=true fetches from polisen.se: without network that is an honest 503.
        return {"online": False} if label.endswith("/import-polisen") else None

    negatable = _negatable(fuzz_app, query_for)
    ran: Counter[str] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        label = operation.label
        known = {
            name: value
            for name, value in fuzz_seed["path"].items()
            if f"{{{name}}}" in operation.path
        }
        query = query_for(label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and label not in negatable:
                continue  # nothing in its inputs can be made invalid (e.g. /health)
            # Half the cases aim at rows that exist, so the handlers get past the 404.
            strategy = operation.as_strategy(generation_mode=mode, query=query)
            if known:
                strategy = st.one_of(
                    strategy,
                    operation.as_strategy(generation_mode=mode, path_parameters=known, query=query),
                )
            examples = FUZZ_EXAMPLES.get(label, FUZZ_EXAMPLES["default"])
            try:
                count, found = _fuzz(strategy, examples, headers)
            except Unsatisfiable:
                # No negative case exists for an operation without inputs (e.g. /health).
                assert mode is GenerationMode.NEGATIVE, label
                continue
            ran[label] += count
            failures += found
    total = sum(ran.values())
    print(f"schemathesis: {total} cases over {len(ran)} operations")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:20])
    assert total >= 1000, ran


def test_out_of_range_numbers_and_naive_times_are_refused_or_read_not_crashed(fuzz_app, fuzz_seed):
    """Regressions found by the fuzzer: each of these was a 500 before."""
    from fastapi.testclient import TestClient

    client = TestClient(fuzz_app, headers=fuzz_seed["headers"], raise_server_exceptions=False)
    ids = fuzz_seed["path"]
    huge = 2**70
    # Ids beyond 64 bits cannot exist: 404, not an OverflowError from the driver.
    assert client.get(f"/api/promises/{huge}").status_code == 404
    assert client.get(f"/api/walks/{huge}/findings.csv").status_code == 404
    assert client.patch(f"/api/findings/{huge}", json={"status": "done"}).status_code == 404
    edited = client.patch(f"/api/activities/{ids['activity_id']}", json={"count_min": huge})
    assert edited.status_code == 422
    # A time without zone is Swedish local time, and the activity must exist in the workspace.
    body = {"happened_at": "2024-05-01T21:30:00", "activity_id": ids["activity_id"]}
    stored = client.post("/api/workspaces/2321/executed", json=body)
    assert stored.status_code == 201, stored.text
    assert stored.json()["happened_at"] == "2024-05-01T21:30:00+02:00"
    body["activity_id"] = 999_999
    assert client.post("/api/workspaces/2321/executed", json=body).status_code == 404
    body["activity_id"] = huge
    assert client.post("/api/workspaces/2321/executed", json=body).status_code == 422
    assert (
        client.post(
            "/api/workspaces/0180/executed", json={**body, "activity_id": ids["activity_id"]}
        ).status_code
        == 404
    )


# --- the real server in a subprocess -----------------------------------------------------------


class Server:
    """``loftesplan serve`` on loopback over one SQLite file; restartable on the same file."""

    def __init__(self, db: Path, workdir: Path, cache: Path | None = None) -> None:
        self.db = db
        self.url = f"sqlite:///{db}"
        self.workdir = workdir
        self.cache = cache or workdir / "cache"
        self.process: subprocess.Popen | None = None
        self.base = ""
        token = planner_token(engine_for(self.url), "last", "last-hemligt")
        self.headers = {"Authorization": f"Bearer {token}"}

    def start(self) -> None:
        """Start and wait until ``/health`` answers."""
        port = free_port()
        env = {
            **os.environ,
            "LOFTESPLAN_DATABASE_URL": self.url,
            "LOFTESPLAN_MAX_BODY_BYTES": str(BODY_LIMIT),
            "LOFTESPLAN_DATA_DIR": str(self.workdir / "data"),
            "LOFTESPLAN_CACHE_DIR": str(self.cache),
            "LOFTESPLAN_OFFLINE": "1",
        }
        loftesplan = Path(sys.executable).with_name("loftesplan")
        log = (self.workdir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [str(loftesplan), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.workdir / "server.log").read_text()[-2000:])
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise TimeoutError("the server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no final commit, nothing flushed by the process."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Normal shutdown (SIGTERM)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self) -> httpx.Client:
        # Idle connections expire well before uvicorn's 5 s keep-alive: httpx's default expiry is
        # also 5 s, and on a loaded machine a reused connection then met the server's close
        # (ECONNRESET in the six-plan poll loop).
        limits = httpx.Limits(keepalive_expiry=1.0)
        return httpx.Client(base_url=self.base, headers=self.headers, timeout=60, limits=limits)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, offline_env) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("server")
    running = Server(base / "loftesplan.db", base)
    running.start()
    yield running
    running.stop()


def _executed(external_id: str) -> dict[str, object]:
    when = datetime.now(UTC) - timedelta(days=2)
    return {"happened_at": when.isoformat(), "lat": 63.398, "lon": 13.081,
            "settlement": "Åre", "controlled_drivers": 12, "external_id": external_id}  # fmt: skip


def _stored_ids(db: Path, prefix: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select external_id from executedactivity where external_id like ?", (f"{prefix}%",)
        )
        return [r[0] for r in rows]


@pytest.mark.slow
def test_twenty_concurrent_writers_lose_nothing(server):
    clients, per_client = 20, 25
    # Strömsund has no workspace yet on this server: the first writes also race to create it.
    code = "2313"
    barrier = threading.Barrier(clients)

    def write(n: int) -> list[int]:
        with server.client() as client:
            barrier.wait()  # all 20 start together, so the writes really overlap
            return [
                client.post(
                    f"/api/workspaces/{code}/executed", json=_executed(f"c{n}-{i}")
                ).status_code
                for i in range(per_client)
            ]

    with ThreadPoolExecutor(clients) as pool:
        statuses = [s for batch in pool.map(write, range(clients)) for s in batch]
    assert Counter(statuses) == {201: clients * per_client}
    expected = {f"c{n}-{i}" for n in range(clients) for i in range(per_client)}
    stored = _stored_ids(server.db, "c")
    assert len(stored) == clients * per_client and set(stored) == expected
    with server.client() as client:
        listed = client.get(f"/api/workspaces/{code}/executed").json()
    assert {r["external_id"] for r in listed if r["external_id"].startswith("c")} == expected


@pytest.mark.slow
def test_server_killed_mid_write_restarts_with_the_database_intact(server):
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        with server.client() as client:
            for i in range(10_000):  # bounded; the kill ends it long before
                if stop.is_set():
                    return
                key = f"k{n}-{i}"
                try:
                    r = client.post("/api/workspaces/2321/executed", json=_executed(key))
                except httpx.TransportError:
                    return  # the server is gone
                if r.status_code == 201:
                    acknowledged.append(key)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
    # Four writers keep requests in flight, so the kill lands inside a write.
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 100

    with sqlite3.connect(server.db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    stored = set(_stored_ids(server.db, "k"))
    assert set(acknowledged) <= stored  # every 201 survived the crash
    assert len(stored) - len(acknowledged) <= 4  # at most one unanswered write per writer

    server.start()
    with server.client() as client:
        again = client.post("/api/workspaces/2321/executed", json=_executed("after-restart"))
        assert again.status_code == 201
        listed = {r["external_id"] for r in client.get("/api/workspaces/2321/executed").json()}
        assert client.get("/api/public/2321/progress").status_code == 200
    assert set(acknowledged) | {"after-restart"} <= listed
    with sqlite3.connect(server.db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_bodies_over_the_limit_are_refused_with_413(server):
    before = len(_stored_ids(server.db, "big"))
    padding = "x" * (BODY_LIMIT + 1)
    with server.client() as client:
        declared = client.post(
            "/api/workspaces/2321/executed", json={**_executed("big-1"), "place": padding}
        )
        assert declared.status_code == 413
        assert "byte" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:
            # No Content-Length: the limit must hold while the body streams in.
            yield b'{"happened_at": "2024-05-01T21:30:00+02:00", "place": "'
            for _ in range(2 * BODY_LIMIT // 10_000):
                yield b"x" * 10_000
            yield b'"}'

        streamed = client.post(
            "/api/workspaces/2321/executed",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert "content-length" not in {k.lower() for k in streamed.request.headers}
        assert streamed.status_code == 413  # was 400 "error parsing the body"
        assert "byte" in streamed.json()["detail"]
        # Just under the limit still goes through to validation (here: place too long, 422).
        small = client.post(
            "/api/workspaces/2321/executed",
            json={**_executed("big-2"), "place": "x" * (BODY_LIMIT - 1_000)},
        )
        assert small.status_code == 422
    assert len(_stored_ids(server.db, "big")) == before


@pytest.mark.slow
def test_fifty_concurrent_readers_do_not_exhaust_the_connection_pool(server):
    """Guard: with a pool capped at 15, wrk's 50 clients stalled requests 30 s, then 500.

    (Python clients here do not overlap enough to reproduce that; the benchmark does.)
    """
    clients = 50

    def read(_: int) -> list[int]:
        with httpx.Client(base_url=server.base, timeout=40) as client:
            return [client.get("/api/public/2321/executed").status_code for _ in range(8)]

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        statuses = [s for batch in pool.map(read, range(clients)) for s in batch]
    assert Counter(statuses) == {200: clients * 8}
    assert time.monotonic() - start < 40
    assert httpx.get(f"{server.base}/health", timeout=5).status_code == 200
