"""Polisen's notices matched to a checkpoint plan: import, proposals, the planner confirms.

Police only (:data:`service.api.deps.SecretAccess`): the proposals name planned sites.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from geodata.errors import LoftesplanError
from service.api.deps import SecretAccess, SessionDep
from service.api.routers.workplace_plans import plan_page_with_errors
from service.store.crud import get_or_404, import_police_events
from service.store.db import audit
from service.store.models import CheckpointPlan
from service.store.workplace import confirm_notice

router = APIRouter(include_in_schema=False)


@router.post("/arbetsyta/plan/{plan_id}/polisen/hamta", response_model=None)
def import_notices(
    request: Request, plan_id: int, session: SessionDep, access: SecretAccess
) -> Response:
    """Read Polisen's notices for the municipality (archive, or online when reachable)."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    try:
        counts = import_police_events(session, access.workspace)
    except LoftesplanError as exc:
        session.rollback()
        return plan_page_with_errors(request, session, plan, access, {"polisen": str(exc)})
    audit(
        session,
        username=access.user.username,
        action="create",
        entity="polisen",
        entity_id=plan_id,
        detail=counts,
    )
    session.commit()
    return RedirectResponse(f"/arbetsyta/plan/{plan_id}#polisen", status_code=303)


@router.post("/arbetsyta/plan/{plan_id}/polisen/{executed_id}", response_model=None)
async def confirm(
    request: Request, plan_id: int, executed_id: int, session: SessionDep, access: SecretAccess
) -> Response:
    """The planner confirms a proposed notice as a checkpoint held at a site of the plan."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    form = await request.form()
    site = str(form.get("plats", ""))
    try:
        if not site.isdigit():
            raise LoftesplanError("Ange platsens nummer.")
        confirm_notice(session, plan, executed_id, int(site), access.user.username)
    except LoftesplanError as exc:
        session.rollback()
        return plan_page_with_errors(request, session, plan, access, {"polisen": str(exc)})
    audit(
        session,
        username=access.user.username,
        action="update",
        entity="plan",
        entity_id=plan_id,
        detail={"polisens_händelse": executed_id, "plats": int(site)},
    )
    session.commit()
    return RedirectResponse(f"/arbetsyta/plan/{plan_id}#polisen", status_code=303)
