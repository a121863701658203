"""Polisen's notices reach a checkpoint plan by the background poll as by the import button.

Real data: Åre's settlements (Lantmäteriet/GeoNames gazetteer) as the plan's sites and the
real Polisen archive as both the import button's source and the poll's feed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from geodata.events import read_archive
from geodata.places import gazetteer
from service.store.crud import import_police_events
from service.store.db import engine_for, workspace_for
from service.store.models import CheckpointPlan, ExecutedActivity, PlanSite, ScheduledCheckpoint
from service.store.workplace import (
    confirm_notice,
    field_events,
    mark_event,
    match_polled_notices,
    notice_proposals,
)
from service.store.workplace_models import EventOutcome, SiteLabel
from tests.conftest import POLISEN_ARCHIVE

#: Settlements of Åre that Polisen's notices name, with the road through them.
SITES = [("Järpen", "E14"), ("Duved", "E14"), ("Mörsil", "E14"), ("Undersåker", "Lv 336")]
SINCE = datetime(2023, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def later_notices():
    """Every Åre notice of the archive from 2023 on (all types, as the live feed gives)."""
    if not POLISEN_ARCHIVE.is_file():
        pytest.skip("Polisens arkiv saknas")
    return [e for e in read_archive(POLISEN_ARCHIVE, "2321").events if e.datetime >= SINCE]


def _plan_db(path: Path) -> tuple[Session, CheckpointPlan]:
    """A database with one finished Åre plan at real settlements, one event a week 2023-26."""
    session = Session(engine_for(f"sqlite:///{path}"), expire_on_commit=False)
    workspace = workspace_for(session, "2321")
    plan = CheckpointPlan(
        workspace_id=workspace.id, status="done", params={"count": len(SITES), "network": "road"}
    )
    session.add(plan)
    session.flush()
    places = gazetteer("2321").places.to_crs(4326)
    for i, (town, road) in enumerate(SITES):
        point = places[places["name"] == town].geometry.iloc[0].centroid
        site = PlanSite(plan_id=plan.id, site_key=f"s{i}", lat=point.y, lon=point.x, road=road)
        session.add(site)
        session.flush()
        session.add(SiteLabel(site_id=site.id, road_ref=road, road_name="", settlement=town))
    sites = session.exec(select(PlanSite).where(PlanSite.plan_id == plan.id)).all()
    day = SINCE
    while day < datetime(2026, 12, 31, tzinfo=UTC):
        site = sites[day.isocalendar().week % len(sites)]
        start = day.replace(hour=9)
        session.add(
            ScheduledCheckpoint(
                plan_id=plan.id, site_id=site.id, start=start, end=start + timedelta(hours=3)
            )
        )
        day += timedelta(days=7)
    session.commit()
    return session, plan


def _seen(session: Session, plan: CheckpointPlan) -> list[tuple[str, int, str]]:
    out = []
    for p in notice_proposals(session, plan):
        notice = session.get(ExecutedActivity, p.notice_id)
        out.append((notice.external_id, p.site.number, p.reason))
    return out


def test_poll_proposes_what_the_import_button_proposes(tmp_path, later_notices):
    button, button_plan = _plan_db(tmp_path / "button.db")
    import_police_events(button, workspace_for(button, "2321"), archive=str(POLISEN_ARCHIVE))
    button.commit()
    polled, polled_plan = _plan_db(tmp_path / "poll.db")
    assert notice_proposals(polled, polled_plan) == []  # nothing before the poll
    counts = match_polled_notices(polled, later_notices)
    polled.commit()
    expected = _seen(button, button_plan)
    assert len(expected) >= 5  # Järpen, Duved, Mörsil, Undersåker, E14, Lv 336 notices of 2023-2026
    assert _seen(polled, polled_plan) == expected
    assert counts == {polled_plan.id: len(expected)}
    stored = len(polled.exec(select(ExecutedActivity)).all())
    match_polled_notices(polled, later_notices)  # the same feed again adds nothing
    assert len(polled.exec(select(ExecutedActivity)).all()) == stored
    # A notice of another municipality in the feed is not stored for Åre.
    others = [e for e in read_archive(POLISEN_ARCHIVE, "2380").events if e.datetime >= SINCE]
    assert others
    match_polled_notices(polled, others)
    assert len(polled.exec(select(ExecutedActivity)).all()) == stored


def test_a_hand_marked_event_confirmed_by_a_notice_counts_once(tmp_path, later_notices):
    session, plan = _plan_db(tmp_path / "once.db")
    match_polled_notices(session, later_notices)
    proposal = notice_proposals(session, plan)[0]
    notice = session.get(ExecutedActivity, proposal.notice_id)
    day = notice.happened_at.date()
    site = session.exec(select(PlanSite).where(PlanSite.plan_id == plan.id)).all()[
        proposal.site.number - 1
    ]
    event = ScheduledCheckpoint(
        plan_id=plan.id,
        site_id=site.id,
        start=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
        end=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
    )
    session.add(event)
    session.commit()
    mark_event(session, plan, event.id, "done", None, "planerare")
    session.commit()
    before = len(session.exec(select(ExecutedActivity)).all())
    confirm_notice(session, plan, notice.id, proposal.site.number, "planerare")
    session.commit()
    # The hand-made activity gave way to the notice: one executed activity for the event.
    assert len(session.exec(select(ExecutedActivity)).all()) == before - 1
    outcome = session.get(EventOutcome, event.id)
    assert outcome.status == "done" and outcome.executed_id == notice.id
    assert [e.status for e in field_events(session, plan.id) if e.event_id == event.id] == ["done"]
    # Marking it done again by hand keeps the notice as its one activity.
    mark_event(session, plan, event.id, "done", None, "planerare")
    session.commit()
    assert len(session.exec(select(ExecutedActivity)).all()) == before - 1
    assert session.get(EventOutcome, event.id).executed_id == notice.id
    # Cancelling it keeps the notice (Polisen's record), only the event's mark changes.
    mark_event(session, plan, event.id, "cancelled", None, "planerare")
    session.commit()
    assert session.get(ExecutedActivity, notice.id) is not None
