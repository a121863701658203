"""Login timing: a known user with a wrong password against an unknown user (issue 11).

Signs in ``--runs`` times (default 50) as a known account with a wrong password and as an
unknown name, through ``POST /api/token`` on the app in process (one temporary SQLite file),
and prints the median time of each and their ratio (slower / faster). The unknown name's
answer must not tell accounts apart: target ratio < 2 (the same check as
``tests/security/test_sessions.py``).

Run: ``python benchmarks/bench_login.py [--runs 50]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from service.api.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.store.accounts import create_user, grant  # noqa: E402
from service.store.db import session_scope  # noqa: E402

TARGET_RATIO = 2.0


def median_ms(client: TestClient, username: str, runs: int) -> float:
    """Median wall time in ms of ``runs`` failed sign-ins as ``username``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.post("/api/token", data={"username": username, "password": "fel-losen"})
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 401:
            raise SystemExit(f"oväntat svar {answer.status_code}: {answer.text[:200]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="sign-ins per user")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        settings = Settings(
            database_url=f"sqlite:///{base / 'loftesplan.db'}",
            data_dir=base / "data",
            login_failures_per_account=10**6,
            login_failures_per_address=10**6,
        )
        app = create_app(settings)
        with session_scope(app.state.engine) as session:
            grant(session, create_user(session, "polis1", "polisens-losen"), "2321", "polis")
        client = TestClient(app)
        median_ms(client, "polis1", 3)  # warm-up: first request, password hashing set up
        known = median_ms(client, "polis1", args.runs)
        unknown = median_ms(client, "finns-inte", args.runs)
    ratio = max(known, unknown) / min(known, unknown)
    print(f"login timing, median of {args.runs} failed sign-ins each (POST /api/token)")
    print(f"  known user   {known:8.1f} ms")
    print(f"  unknown user {unknown:8.1f} ms")
    verdict = "ok" if ratio < TARGET_RATIO else "MISSED"
    print(f"  ratio        {ratio:8.2f}  (target < {TARGET_RATIO:g}: {verdict})")


if __name__ == "__main__":
    main()
