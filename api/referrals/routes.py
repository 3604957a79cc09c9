"""Referral routes: case roles of the incident's teams only (police and admins never see a
referral's content). Every read and download is audited, with its format."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth.dependencies import CurrentActor, roles
from api.deps import SessionDep
from api.incidents.access import CASE_ROLES, CaseIncident, incident_roles
from api.referrals import render, service
from api.referrals.document import ReferralDocument
from api.referrals.models import Referral
from api.referrals.schemas import DecisionIn, ReceiptIn, ReferralStateOut

router = APIRouter(prefix="/api/v1", tags=["referrals"])
ReferralId = Annotated[uuid.UUID, Path()]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such referral, or not your teams'"}}


def _state(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "incident_id": referral.incident_id,
        "version": referral.version,
        "route": referral.route,
        "receiving_kind": referral.receiving_kind,
        "receiving_name": referral.receiving_name,
        "referred_at": referral.referred_at,
        "decision_due_at": referral.decision_due_at,
        "received_at": referral.received_at,
        "decision": referral.decision,
        "decided_at": referral.decided_at,
    }


@router.get(
    "/incidents/{incident_id}/referral",
    response_model=ReferralDocument,
    dependencies=[incident_roles(*CASE_ROLES)],
    responses={404: {"description": "No such incident"}},
)
async def incident_referral(
    incident: CaseIncident, session: SessionDep, actor: CurrentActor
) -> ReferralDocument:
    """The incident's referral to children's services, as its document. The read is audited."""
    referral = await service.referral_of_incident(session, actor, incident.id)
    service.audit_read(session, actor, referral, "view")
    return await service.document(session, actor, referral)


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralDocument,
    dependencies=[roles(*CASE_ROLES)],
    responses=_NOT_FOUND,
)
async def referral(referral_id: ReferralId, session: SessionDep, actor: CurrentActor) -> ReferralDocument:
    """The referral as its document. The read is audited."""
    found = await service.referral_for(session, actor, referral_id)
    service.audit_read(session, actor, found, "view")
    return await service.document(session, actor, found)


@router.get(
    "/referrals/{referral_id}/referral.json",
    response_model=ReferralDocument,
    dependencies=[roles(*CASE_ROLES)],
    responses={
        **_NOT_FOUND,
        200: {"description": "The export (schema: api/referrals/referral.schema.json), as an attachment"},
    },
)
async def referral_json(referral_id: ReferralId, session: SessionDep, actor: CurrentActor) -> Response:
    """The JSON export for the front door's case system; the download is audited."""
    found = await service.referral_for(session, actor, referral_id)
    service.audit_read(session, actor, found, "json")
    document = await service.document(session, actor, found)
    return Response(
        document.model_dump_json(indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{render.filename(document, "json")}"'},
    )


@router.get(
    "/referrals/{referral_id}/referral.html",
    response_class=HTMLResponse,
    dependencies=[roles(*CASE_ROLES)],
    responses={**_NOT_FOUND, 200: {"content": {"text/html": {}}, "description": "Printable page"}},
)
async def referral_html(referral_id: ReferralId, session: SessionDep, actor: CurrentActor) -> HTMLResponse:
    """The referral as a printable page; the download is audited."""
    found = await service.referral_for(session, actor, referral_id)
    service.audit_read(session, actor, found, "html")
    document = await service.document(session, actor, found)
    return HTMLResponse(
        render.render_html(document),
        headers={"Content-Disposition": f'inline; filename="{render.filename(document, "html")}"'},
    )


@router.get(
    "/referrals/{referral_id}/referral.pdf",
    response_class=Response,
    dependencies=[roles(*CASE_ROLES)],
    responses={**_NOT_FOUND, 200: {"content": {"application/pdf": {}}, "description": "The referral as PDF"}},
)
async def referral_pdf(referral_id: ReferralId, session: SessionDep, actor: CurrentActor) -> Response:
    """The referral as a PDF; the download is audited."""
    found = await service.referral_for(session, actor, referral_id)
    service.audit_read(session, actor, found, "pdf")
    document = await service.document(session, actor, found)
    return Response(
        await run_in_threadpool(render.render_pdf, document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{render.filename(document, "pdf")}"'},
    )


@router.post(
    "/referrals/{referral_id}/receipt",
    response_model=ReferralStateOut,
    dependencies=[roles(*CASE_ROLES)],
    responses={**_NOT_FOUND, 409: {"description": "The receipt is already recorded"}},
)
async def referral_receipt(
    referral_id: ReferralId, body: ReceiptIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Record that the receiving team has the referral."""
    found = await service.referral_for(session, actor, referral_id, for_update=True)
    await service.record_receipt(
        session, actor, found, received_at=body.received_at, received_by=body.received_by
    )
    return _state(found)


@router.post(
    "/referrals/{referral_id}/decision",
    response_model=ReferralStateOut,
    dependencies=[roles(*CASE_ROLES)],
    responses={**_NOT_FOUND, 409: {"description": "Not yet received, or the decision is already recorded"}},
)
async def referral_decision(
    referral_id: ReferralId, body: DecisionIn, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """Record the receiving team's decision: no further action, early help, a child and family
    assessment, a section 47 enquiry or a strategy discussion. It meets the decision clock."""
    found = await service.referral_for(session, actor, referral_id, for_update=True)
    await service.record_decision(
        session,
        actor,
        found,
        decision=body.decision,
        decided_at=body.decided_at,
        decided_by=body.decided_by,
        note=body.note,
    )
    return _state(found)
