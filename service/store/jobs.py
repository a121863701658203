"""Long-running work behind the API: checkpoint planning as a background job.

The job reads its parameters from the stored plan, runs the same use case as the
CLI, and records sites, metrics and the map, or the error a planner can act on.
"""

from __future__ import annotations

import contextvars
import logging
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h3
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from geodata import WGS84
from geodata.errors import LoftesplanError
from service.store.db import get_row, session_scope
from service.store.models import CheckpointPlan, PlanSite

#: Why a job that a dead process left queued or running is failed at start-up.
INTERRUPTED_SV = (
    "Planeringen avbröts när tjänsten stoppades; starta den igen (POST /api/plans/{id}/retry)."
)

log = logging.getLogger(__name__)

#: Plan jobs store their outcome one at a time: two big write transactions from parallel jobs
#: made SQLite answer "database is locked" to one of them (one of six Porto plans failed).
_STORE_LOCK = threading.Lock()

#: Attempts to store a finished plan while another writer (an API request) holds the lock.
STORE_ATTEMPTS = 4

#: H3 resolution of the sectors the schedule draws evenly from (cells of about 36 km²).
SECTOR_H3_RESOLUTION = 6


#: The current step of each running plan job in this process: (step, of, Swedish text).
JOB_STEPS: dict[int, tuple[int, int, str]] = {}

#: The steps a plan job goes through, in order.
PLAN_STEPS = (
    "I kö",
    "Läser vägnätet och väljer platser",
    "Ritar täckningskartan",
    "Namnger platserna (väg och närmaste ort)",
    "Klar",
)


def _step(plan_id: int, step: int, text: str | None = None) -> None:
    JOB_STEPS[plan_id] = (step, len(PLAN_STEPS) - 1, text or PLAN_STEPS[step])


def planner_arguments(plan: CheckpointPlan, municipality_code: str) -> dict[str, Any]:
    """Keyword arguments for a :class:`~service.usecases.CheckpointRequest` from a plan's params.

    A new version of a plan also needs :func:`version_files`.
    """
    params = plan.params
    args: dict[str, Any] = {
        "osm_file": params.get("osm_file_path"),
        "count": params["count"],
        "radius_km": params.get("radius_km"),
        "radius_min": params.get("radius_min"),
        "min_separation_km": params.get("min_separation_km"),
        "weighting": params.get("weighting", "length"),
        "exact": params.get("exact", False),
        "seed": params.get("seed", 0),
        "network": params.get("network", "road"),
    }
    if params.get("boundary"):
        args["boundary"] = params["boundary"]
    elif not params.get("whole_file"):
        args["kommun"] = municipality_code
    return args


def version_files(params: dict[str, Any], workdir: Path) -> dict[str, Path]:
    """A plan version's locked/added sites (fixed) and removed ones (excluded), as files."""
    from service.store.workplace import write_version_files

    return write_version_files(params, workdir)


def run_plan_job(engine: Engine, plan_id: int, municipality_code: str) -> None:
    """Plan checkpoints for a stored plan and store the outcome (never raises)."""
    from service.render.maps.assets import use_local_assets
    from service.render.maps.coverage import coverage_map, road_layers
    from service.usecases import CheckpointRequest, plan_checkpoints_for_area

    with session_scope(engine) as session:
        plan = get_row(session, CheckpointPlan, plan_id)
        plan.status = "running"
        args = planner_arguments(plan, municipality_code)
        params = dict(plan.params)
    try:
        _step(plan_id, 1)
        with tempfile.TemporaryDirectory(prefix="loftesplan-plan-") as workdir:
            args |= version_files(params, Path(workdir))
            planned = plan_checkpoints_for_area(
                CheckpointRequest(**args), progress=lambda text: _step(plan_id, 1, text)
            )
        result = planned.plan
        metrics = planned.metrics.to_dict()
        _step(plan_id, 2)
        covered, uncovered = road_layers(result)
        fmap = coverage_map(result, metrics, tiles=None, layers=(covered, uncovered))
        html = use_local_assets(fmap.get_root().render())
        _store_with_retry(engine, plan_id, planned, html, covered, uncovered)
    except LoftesplanError as exc:
        _finish(engine, plan_id, "failed", error=str(exc))
        return
    except Exception:  # a job must always end in a state the planner can see
        log.exception("checkpoint plan %s failed", plan_id)
        _finish(engine, plan_id, "failed", error="Internt fel vid planeringen; se serverloggen.")
        return
    _finish(engine, plan_id, "done")


def _store_with_retry(
    engine: Engine, plan_id: int, planned: Any, html: str, covered: Any, uncovered: Any
) -> None:
    """Store the outcome under the jobs' lock; retry when SQLite reports a locked database."""
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with _STORE_LOCK:
                _store_outcome(engine, plan_id, planned, html, covered, uncovered)
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == STORE_ATTEMPTS:
                raise
            log.warning("plan %s: database locked while storing, attempt %s", plan_id, attempt)
            time.sleep(0.5 * attempt)


def _store_outcome(
    engine: Engine, plan_id: int, planned: Any, html: str, covered: Any, uncovered: Any
) -> None:
    """Store a finished plan's sites, labels, road layers, metrics and map (one transaction)."""
    from service.store.workplace import store_road_layers, store_site_labels

    result = planned.plan
    sites = result.sites.to_crs(WGS84)
    with session_scope(engine) as session:
        rows = []
        for site in sites.itertuples():
            lat, lon = float(site.geometry.y), float(site.geometry.x)
            road = " ".join(str(v) for v in (site.ref, site.name) if isinstance(v, str))
            rows.append(
                PlanSite(
                    plan_id=plan_id,
                    site_key=str(site.id),
                    lat=lat,
                    lon=lon,
                    reason=site.reason,
                    road=road or str(site.highway),
                    road_km_covered=float(site.road_km_covered),
                    sector=h3.latlng_to_cell(lat, lon, SECTOR_H3_RESOLUTION),
                )
            )
        session.add_all(rows)
        session.flush()
        _step(plan_id, 3)
        store_site_labels(session, rows, list(sites["ref"]), list(sites["name"]))
        candidates = result.candidates.to_crs(WGS84)
        store_road_layers(
            session,
            plan_id,
            covered,
            uncovered,
            [
                [
                    round(float(c.geometry.x), 6),
                    round(float(c.geometry.y), 6),
                    " ".join(
                        str(v)
                        for v in (getattr(c, "ref", None), getattr(c, "name", None))
                        if isinstance(v, str)
                    ),
                ]
                for c in candidates.itertuples()
            ],
        )
        plan = get_row(session, CheckpointPlan, plan_id)
        plan.metrics = {
            **planned.metrics.to_json(),
            "certificate": planned.certificate(),
            "timings_s": planned.to_json()["timings_s"],
        }
        plan.provenance = result.network.provenance.to_dict()
        plan.map_html = html


def _finish(engine: Engine, plan_id: int, status: str, error: str | None = None) -> None:
    JOB_STEPS.pop(plan_id, None)
    with session_scope(engine) as session:
        plan = get_row(session, CheckpointPlan, plan_id)
        plan.status = status
        plan.error = error
        plan.finished_at = datetime.now(UTC)


class PlanJobs:
    """At most ``workers`` plan jobs run at once; the rest wait in order (status ``queued``).

    Parameters
    ----------
    engine
        The database the plans are stored in.
    workers
        Jobs that run at the same time (``Settings.max_plan_jobs``).
    """

    def __init__(self, engine: Engine, workers: int) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan-job")

    def submit(self, plan_id: int, municipality_code: str) -> None:
        """Queue a stored plan; it runs with the caller's injected settings."""
        context = contextvars.copy_context()
        self._pool.submit(context.run, run_plan_job, self.engine, plan_id, municipality_code)

    def shutdown(self) -> None:
        """Stop taking jobs; running ones finish, queued ones are failed at the next start."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def fail_interrupted_jobs(engine: Engine) -> list[int]:
    """At start-up: fail plans a dead process left queued or running; their ids.

    One service process owns the plan jobs of a database (jobs run in its threads), so any
    plan still queued or running when it starts was lost with the previous process.
    """
    from sqlmodel import select

    with session_scope(engine) as session:
        stuck = session.exec(
            select(CheckpointPlan).where(col(CheckpointPlan.status).in_(("queued", "running")))
        ).all()
        for plan in stuck:
            plan.status = "failed"
            plan.error = INTERRUPTED_SV.format(id=plan.id)
            plan.finished_at = datetime.now(UTC)
        return [p.id for p in stuck]


def reset_for_retry(engine: Engine, plan_id: int) -> None:
    """Clear a failed plan's outcome so it can run again (status ``queued``)."""
    from sqlmodel import delete

    with session_scope(engine) as session:
        session.exec(delete(PlanSite).where(col(PlanSite.plan_id) == plan_id))
        plan = get_row(session, CheckpointPlan, plan_id)
        plan.status, plan.error, plan.finished_at = "queued", None, None
        plan.metrics, plan.provenance, plan.map_html = {}, {}, ""
