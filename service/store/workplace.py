"""Persistence of the workplace: site field names, road layers and the field view of a plan."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import shapely
from sqlmodel import Session, select

from service.planning.field import FieldEvent, FieldSite, name_sites
from service.store.crud import _local, plan_sites
from service.store.models import PlanSite, ScheduledCheckpoint
from service.store.workplace_models import EventOutcome, PlanLayers, SiteLabel


def _text(value: Any) -> str | None:
    """An OSM tag value as text: simplified edges may carry a list of values."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        texts = [v for v in value if isinstance(v, str)]
        return ";".join(texts) if texts else None
    return None


def store_site_labels(
    session: Session,
    sites: Sequence[PlanSite],
    refs: Sequence[Any],
    names: Sequence[Any],
) -> None:
    """Name stored sites (road designation, road name, settlement) for the field exports."""
    labels = name_sites(
        [(s.lon, s.lat) for s in sites],
        [_text(r) for r in refs],
        [(_text(n) or "").split(";")[0] for n in names],
    )
    for site, (ref, name, town) in zip(sites, labels, strict=True):
        session.add(SiteLabel(site_id=site.id, road_ref=ref, road_name=name, settlement=town))


def store_road_layers(session: Session, plan_id: int, covered: Any, uncovered: Any) -> None:
    """Keep the covered and uncovered roads (shapely, WGS 84) for GeoPackage and field pack."""
    session.add(
        PlanLayers(
            plan_id=plan_id,
            covered=json.loads(shapely.to_geojson(covered)),
            uncovered=json.loads(shapely.to_geojson(uncovered)),
        )
    )


def stored_road_layers(session: Session, plan_id: int) -> tuple[Any, Any] | None:
    """``(covered, uncovered)`` road geometries (shapely, WGS 84), or None for older plans."""
    row = session.get(PlanLayers, plan_id)
    if row is None:
        return None
    return (
        shapely.from_geojson(json.dumps(row.covered)),
        shapely.from_geojson(json.dumps(row.uncovered)),
    )


def field_sites(session: Session, plan_id: int) -> list[FieldSite]:
    """A plan's sites numbered 1..K in stored order, with their field names."""
    sites = plan_sites(session, plan_id)
    labels = {
        label.site_id: label
        for label in session.exec(
            select(SiteLabel).where(SiteLabel.site_id.in_([s.id for s in sites]))  # type: ignore[union-attr]
        )
    }
    missing = [s for s in sites if s.id not in labels]
    if missing:  # plans made before sites were named: name them now, from what is stored
        store_site_labels(session, missing, [None] * len(missing), [s.road for s in missing])
        session.commit()
        return field_sites(session, plan_id)
    return [
        FieldSite(
            number=i,
            lat=s.lat,
            lon=s.lon,
            road_ref=labels[s.id].road_ref,
            road_name=labels[s.id].road_name,
            settlement=labels[s.id].settlement,
            reason=s.reason,
            road_km_covered=s.road_km_covered,
        )
        for i, s in enumerate(sites, start=1)
    ]


def field_events(session: Session, plan_id: int) -> list[FieldEvent]:
    """The plan's scheduled events in time order, each at its numbered site, with status."""
    by_id = {
        s.id: f
        for s, f in zip(plan_sites(session, plan_id), field_sites(session, plan_id), strict=True)
    }
    rows = session.exec(
        select(ScheduledCheckpoint, EventOutcome)
        .join(EventOutcome, EventOutcome.event_id == ScheduledCheckpoint.id, isouter=True)
        .where(ScheduledCheckpoint.plan_id == plan_id)
        .order_by(ScheduledCheckpoint.start, ScheduledCheckpoint.id)
    )
    return [
        FieldEvent(
            event_id=event.id,
            site=by_id[event.site_id],
            start=_local(event.start),
            end=_local(event.end),
            block=event.block,
            joint=event.joint,
            status=outcome.status if outcome else "planned",
        )
        for event, outcome in rows
    ]
