"""Public endpoints: promise progress and executed work, aggregated and delayed.

Nothing here reads planned sites or scheduled events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter

from geodata.municipalities import find_municipality
from service.api.deps import SessionDep, SettingsDep
from service.followup.progress import public_aggregate
from service.followup.record import (
    MunicipalityRecord,
    load_aggregate,
    national_record,
    quarterly,
    years_of,
)
from service.render.public_pages import chosen_year, source_line
from service.store import crud
from service.store.crud import executed_points

router = APIRouter(prefix="/api/public", tags=["publikt"])


def _record_json(row: MunicipalityRecord) -> dict[str, object]:
    return {
        "code": row.code,
        "name": row.name,
        "county": row.county,
        "traffic_checks": row.checks,
        "per_10000": None if row.per_10000 is None else round(row.per_10000, 2),
        "settlements_reached": row.settlements_reached,
        "settlements_total": row.settlements_total,
        "population_share": row.population_share,
        "farthest_unreached": row.farthest_unreached,
        "farthest_unreached_km": row.farthest_unreached_km,
    }


@router.get("/sverige")
def sweden_record(ar: str | None = None) -> dict[str, object]:
    """Every municipality's traffic checks from Polisen's notices for a year (or "alla")."""
    aggregate = load_aggregate()
    year = chosen_year(aggregate, ar)
    return {
        "year": year,
        "source": source_line(aggregate),
        "data_date": aggregate["data_date"],
        "municipalities": [_record_json(r) for r in national_record(aggregate, year)],
    }


@router.get("/{municipality}/record")
def municipality_record(municipality: str) -> dict[str, object]:
    """A municipality's traffic checks per quarter and per year, from Polisen's notices."""
    found = find_municipality(municipality)
    aggregate = load_aggregate()
    years = {
        year: _record_json(
            next(r for r in national_record(aggregate, year) if r.code == found.code)
        )
        for year in years_of(aggregate)
    }
    return {
        "municipality": {"code": found.code, "name": found.name},
        "quarters": quarterly(aggregate, found.code),
        "years": years,
        "source": source_line(aggregate),
        "data_date": aggregate["data_date"],
    }


@router.get("/{municipality}/executed")
def public_executed(
    municipality: str, session: SessionDep, settings: SettingsDep
) -> dict[str, object]:
    """Executed activities counted per settlement or hexagon, after the public delay."""
    found = find_municipality(municipality)
    delay = timedelta(hours=settings.public_delay_hours)
    return {
        "municipality": {"code": found.code, "name": found.name},
        "delay_hours": settings.public_delay_hours,
        **_public_areas(executed_points(session, found.code), delay),
        "attribution": "Källa: Polisen och kommunen, via Löftesplan",
    }


def _public_areas(executed: list, delay: timedelta) -> dict[str, object]:
    aggregate = public_aggregate(executed, datetime.now(UTC), delay)
    return {"areas": aggregate.areas, "unplaced": aggregate.unplaced}


@router.get("/{municipality}/progress")
def promise_progress(
    municipality: str, session: SessionDep, settings: SettingsDep
) -> dict[str, object]:
    """Each promise's activities: promised minimum, done so far (after the delay), status."""
    found = find_municipality(municipality)
    return {
        "municipality": {"code": found.code, "name": found.name},
        "promises": crud.public_progress(session, found.code, settings.public_delay_hours),
    }
