"""Paging routes: devices, the test push, escalation policies, acknowledgements.

Acknowledging has two doors, each with an explicit guard:
- `POST /incidents/{id}/acknowledge`: `incident_roles("worker", "manager", "admin")`, signed in with a
  bearer token, for an incident routed to one of the caller's teams (admins outside those
  teams: only the pages that went uncovered, since that is when they are paged; otherwise 403);
- `POST /acknowledgements`: `public()` because a notification's action button has no session;
  the single-use `ack_token` from the push payload is the credential, naming the person, the
  incident and the page. A used, expired or forged token is refused.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from api.audit import service as audit
from api.auth.dependencies import ALL_STAFF, Actor, CurrentActor, public, roles
from api.auth.models import User
from api.auth.queries import users_by_id
from api.auth.runtime import AuthRuntimeDep
from api.db import utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import ValidationFailed, problem
from api.incidents.access import incident_roles
from api.paging import acknowledgements, deliveries, phones
from api.paging import devices as device_rules
from api.paging import policy as policies
from api.paging.models import PushSubscription
from api.paging.schemas import (
    AckIn,
    AckOut,
    ContactOut,
    DeviceHolderOut,
    MeUpdate,
    PhoneIn,
    PolicyIn,
    PolicyLevelOut,
    PolicyOut,
    PublicKeyOut,
    SubscriptionCreate,
    SubscriptionOut,
    TestPushOut,
    TestSmsOut,
    TokenAckIn,
)
from api.rota.access import team_to_manage, team_to_read

router = APIRouter(prefix="/api/v1", tags=["paging"])

ACKNOWLEDGERS = ("worker", "manager", "admin")
CONFLICT_DOC: dict[int | str, dict[str, Any]] = {
    409: {"description": "Already acknowledged: the problem names who took it and when"}
}


def _push_service(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _device_out(device: PushSubscription, failure_threshold: int) -> SubscriptionOut:
    return SubscriptionOut(
        id=device.id,
        label=device.label,
        push_service=_push_service(device.endpoint),
        created_at=device.created_at,
        updated_at=device.updated_at,
        last_success_at=device.last_success_at,
        last_failure_at=device.last_failure_at,
        failure_count=device.failure_count,
        retired_at=device.retired_at,
        retired_reason=device.retired_reason,
        working=device_rules.is_working(device, failure_threshold),
    )


def _moved_out(moved: device_rules.MovedAway) -> SubscriptionOut:
    """A device as its previous holder sees it: retired for them, and where it went."""
    device = moved.device
    return SubscriptionOut(
        id=device.id,
        label=device.label,
        push_service=_push_service(device.endpoint),
        created_at=device.created_at,
        updated_at=moved.moved_at,
        last_success_at=None,
        last_failure_at=None,
        failure_count=0,
        retired_at=moved.moved_at,
        retired_reason="moved",
        working=False,
        moved_at=moved.moved_at,
        moved_to=DeviceHolderOut(id=moved.to_user_id, display_name=moved.to_display_name),
    )


# -- devices -----------------------------------------------------------------------------------


@router.get("/push/public-key", response_model=PublicKeyOut, dependencies=[public()])
async def public_key(settings: SettingsDep) -> PublicKeyOut:
    """The VAPID public key, for `pushManager.subscribe({applicationServerKey})`."""
    return PublicKeyOut(public_key=settings.vapid_public_key)


MOVE_REFUSED_DOC: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The endpoint is registered to someone who shares no team with you; "
        "nothing changed. Unsubscribe in this browser and subscribe again for a new endpoint.",
        "content": {"application/problem+json": {}},
    }
}


@router.post(
    "/push/subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionOut,
    dependencies=[roles(*ALL_STAFF)],
    responses={200: {"description": "The endpoint was known: the device was updated"}, **MOVE_REFUSED_DOC},
)
async def register_device(
    body: SubscriptionCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
) -> SubscriptionOut | JSONResponse:
    """Register this browser for pages. Only endpoints of allowed push services are accepted
    (`LANTERN_PUSH_ALLOWED_HOSTS`); others are 422.

    An endpoint a colleague registered (a shared phone passed on) moves to you if you share a
    team, audited as `device.move`; their device list then shows it as moved to you. Someone
    outside your teams: 409, the device stays theirs, and the attempt is audited."""
    try:
        registration = await device_rules.register(
            session,
            actor.id,
            endpoint=body.endpoint,
            p256dh=body.keys.p256dh,
            auth=body.keys.auth,
            label=body.label,
            allowed_hosts=settings.push_allowed_hosts,
        )
    except device_rules.MoveRefused as refused:
        # Returned, not raised: the request's unit of work commits the audit event (and only it).
        audit.record(
            session,
            actor,
            "device.move",
            resource_type="device",
            resource_id=refused.device.id,
            outcome="denied",
            detail={"from_user_id": str(refused.holder_id), "to_user_id": str(actor.id)},
        )
        return problem(
            status.HTTP_409_CONFLICT,
            slug="device-held-by-another-team",
            title="This device is registered to someone else",
            detail="This browser's push subscription is registered to someone who shares no team "
            "with you, so it stays theirs. Unsubscribe in this browser and register again to get "
            "a subscription of your own.",
        )
    device = registration.device
    if not registration.created:
        response.status_code = status.HTTP_200_OK
    if registration.moved_from is not None:
        # Both people, never the endpoint (a capability URL).
        audit.record(
            session,
            actor,
            "device.move",
            resource_type="device",
            resource_id=device.id,
            detail={"from_user_id": str(registration.moved_from), "to_user_id": str(actor.id)},
        )
    else:
        audit.record(
            session,
            actor,
            "device.register" if registration.created else "device.update",
            resource_type="device",
            resource_id=device.id,
        )
    return _device_out(device, settings.device_failure_threshold)


@router.get("/push/subscriptions", response_model=list[SubscriptionOut], dependencies=[roles(*ALL_STAFF)])
async def my_devices(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor
) -> list[SubscriptionOut]:
    """My devices, removed ones included; a device a colleague took over (a shared phone passed
    on) shows as retired with `retired_reason: "moved"`, `moved_at` and `moved_to`."""
    devices = await device_rules.devices_of(session, [actor.id], include_retired=True)
    listed = [_device_out(d, settings.device_failure_threshold) for d in devices]
    for moved in await device_rules.moved_away_from(session, actor.id):
        listed.append(_moved_out(moved))
    return listed


@router.delete(
    "/push/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[roles(*ALL_STAFF)],
)
async def remove_device(subscription_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> Response:
    """Stop paging this device (it is retired, and kept for the delivery history)."""
    device = await device_rules.retire_mine(session, actor.id, subscription_id)
    audit.record(session, actor, "device.retire", resource_type="device", resource_id=device.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/push/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TestPushOut,
    dependencies=[roles(*ALL_STAFF)],
    responses={
        409: {
            "description": "No device registered: nothing to test (register this browser first)",
            "content": {"application/problem+json": {}},
        }
    },
)
async def test_my_devices(session: SessionDep, actor: CurrentActor) -> TestPushOut | JSONResponse:
    """Send a test notification to each of my devices; their results show on my devices list.
    With no device registered there is nothing to send: 409 problem+json, nothing queued."""
    devices = await deliveries.queue_test_pushes(session, actor.id, utcnow())
    if not devices:
        return problem(
            status.HTTP_409_CONFLICT,
            slug="no-device-registered",
            title="No device registered",
            detail="You have no working device registered for notifications. Turn on notifications "
            "on this phone first, then send a test.",
        )
    return TestPushOut(queued=len(devices), device_ids=[d.id for d in devices])


# -- my mobile number (the SMS fallback) -------------------------------------------------------------

REACHABLE = ("worker", "manager", "admin")  # the roles a page or an uncovered alarm can reach


async def _contact_out(session, settings, user: User) -> ContactOut:
    last = await deliveries.last_test_sms(session, user.id)
    return ContactOut(
        display_name=user.display_name,
        mobile_number=phones.mask(user.phone_number),
        sms_enabled=deliveries.sms_enabled(settings),
        last_test_sms=TestSmsOut(at=last.at, outcome=last.outcome) if last else None,
    )


async def _me_for_update(session, actor: Actor) -> User:
    user = await session.get(User, actor.id, with_for_update=True, populate_existing=True)
    assert user is not None, "the actor was read in this request"
    return user


async def _set_number(session, actor: Actor, user: User, number: str | None) -> None:
    """Record (or remove) my number; audited without the number, which is never logged."""
    user.phone_number = phones.normalise_uk_mobile(number) if number is not None else None
    await session.flush()
    audit.record(
        session,
        actor,
        "user.phone.update" if number is not None else "user.phone.remove",
        resource_type="user",
        resource_id=user.id,
    )


@router.get("/me/phone", response_model=ContactOut, dependencies=[roles(*REACHABLE)])
async def my_phone(session: SessionDep, settings: SettingsDep, actor: CurrentActor) -> ContactOut:
    """My mobile number (masked), whether SMS is on here, and my last test SMS's result."""
    return await _contact_out(session, settings, actor.user)


@router.put("/me/phone", response_model=ContactOut, dependencies=[roles(*REACHABLE)])
async def set_my_phone(
    body: PhoneIn, session: SessionDep, settings: SettingsDep, actor: CurrentActor
) -> ContactOut:
    """Record my mobile number for the SMS fallback (pages reach it when no phone of mine takes
    a push). A UK mobile only, stored as +447…; answered masked. Then send a test SMS."""
    user = await _me_for_update(session, actor)
    await _set_number(session, actor, user, body.mobile_number)
    return await _contact_out(session, settings, user)


@router.delete("/me/phone", response_model=ContactOut, dependencies=[roles(*REACHABLE)])
async def remove_my_phone(session: SessionDep, settings: SettingsDep, actor: CurrentActor) -> ContactOut:
    """Forget my mobile number: pages then fall back to nothing but the log."""
    user = await _me_for_update(session, actor)
    await _set_number(session, actor, user, None)
    return await _contact_out(session, settings, user)


@router.patch("/me", response_model=ContactOut, dependencies=[roles(*REACHABLE)])
async def update_me(
    body: MeUpdate, session: SessionDep, settings: SettingsDep, actor: CurrentActor
) -> ContactOut:
    """Change my display name and/or mobile number (`null` removes it); the contract's name for
    what PUT /me/phone does, with the display name besides."""
    changes = body.model_dump(exclude_unset=True)
    if "display_name" in changes and changes["display_name"] is None:
        raise ValidationFailed.field("display_name", "may not be null")
    user = await _me_for_update(session, actor)
    if "display_name" in changes and changes["display_name"] != user.display_name:
        user.display_name = changes["display_name"]
        audit.record(
            session,
            actor,
            "user.update",
            resource_type="user",
            resource_id=user.id,
            detail={"fields": ["display_name"]},
        )
    if "mobile_number" in changes:
        await _set_number(session, actor, user, changes["mobile_number"])
    await session.flush()
    return await _contact_out(session, settings, user)


SMS_REFUSED_DOC: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "No mobile number recorded, or this deployment sends no SMS",
        "content": {"application/problem+json": {}},
    }
}


@router.post(
    "/me/test-sms",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ContactOut,
    dependencies=[roles(*REACHABLE)],
    responses=SMS_REFUSED_DOC,
)
async def send_me_a_test_sms(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor
) -> ContactOut | JSONResponse:
    """Send a test SMS to my recorded number through GOV.UK Notify; its result shows in
    `last_test_sms` (GET /me/phone) within a minute."""
    if not actor.user.phone_number:
        return problem(
            status.HTTP_409_CONFLICT,
            slug="no-mobile-number",
            title="No mobile number recorded",
            detail="Record your mobile number first, then send a test SMS.",
        )
    if not deliveries.sms_enabled(settings):
        return problem(
            status.HTTP_409_CONFLICT,
            slug="sms-not-configured",
            title="SMS is not configured",
            detail="This deployment sends no SMS (GOV.UK Notify is not configured); ask the administrator.",
        )
    await deliveries.queue_test_sms(session, actor.id, utcnow())
    audit.record(session, actor, "user.phone.test", resource_type="user", resource_id=actor.id)
    return await _contact_out(session, settings, actor.user)


# -- escalation policies ----------------------------------------------------------------------


async def _policy_out(session, team_id: uuid.UUID, levels: list, repeat: int, row=None) -> PolicyOut:
    named = {uuid.UUID(str(level["user_id"])) for level in levels if level.get("user_id")}
    names = {u.id: u.display_name for u in (await users_by_id(session, named)).values()}
    return PolicyOut(
        team_id=team_id,
        levels=[
            PolicyLevelOut(
                target=level["target"],
                user_id=level.get("user_id"),
                display_name=names.get(uuid.UUID(str(level["user_id"]))) if level.get("user_id") else None,
                ack_timeout_seconds=level["ack_timeout_seconds"],
            )
            for level in levels
        ],
        repeat=repeat,
        version=row.version if row else None,
        updated_at=row.updated_at if row else None,
        default=row is None,
    )


@router.put(
    "/teams/{team_id}/escalation-policy", response_model=PolicyOut, dependencies=[roles("manager", "admin")]
)
async def set_escalation_policy(
    team_id: uuid.UUID, body: PolicyIn, session: SessionDep, settings: SettingsDep, actor: CurrentActor
) -> PolicyOut:
    """Replace the team's escalation. Pages already running keep the policy they started with.

    A level's `target` is `primary` or `secondary` (whoever the rota has on call then),
    `managers` (the team's managers), or `person` with `user_id`, one active member of the team
    (e.g. a senior practitioner); a named person who has left the team by then is skipped."""
    await team_to_manage(session, actor, team_id)
    row = await policies.set_policy(
        session,
        team_id,
        levels=[level.model_dump(mode="json", exclude_none=True) for level in body.levels],
        repeat=body.repeat,
        min_ack_timeout_seconds=settings.min_ack_timeout_seconds,
        updated_by_id=actor.id,
    )
    audit.record(
        session,
        actor,
        "escalation_policy.update",
        resource_type="escalation_policy",
        resource_id=row.id,
        team_id=team_id,
    )
    return await _policy_out(session, team_id, row.levels, row.repeat, row)


@router.get("/teams/{team_id}/escalation-policy", response_model=PolicyOut, dependencies=[roles(*ALL_STAFF)])
async def get_escalation_policy(
    team_id: uuid.UUID, session: SessionDep, settings: SettingsDep, actor: CurrentActor
) -> PolicyOut:
    await team_to_read(session, actor, team_id)
    row = await policies.policy_of(session, team_id)
    if row is None:
        default = policies.default_policy(settings.default_ack_timeout_seconds)
        return await _policy_out(session, team_id, default["levels"], default["repeat"])
    return await _policy_out(session, team_id, row.levels, row.repeat, row)


# -- acknowledgements -----------------------------------------------------------------------------


@router.post(
    "/incidents/{incident_id}/acknowledge",
    response_model=AckOut,
    dependencies=[incident_roles(*ACKNOWLEDGERS)],
    responses=CONFLICT_DOC,
)
async def acknowledge_incident(
    incident_id: uuid.UUID, body: AckIn, session: SessionDep, actor: CurrentActor
) -> AckOut:
    """Take the page of my team(s) for this incident, saying what I will do. Stops that
    escalation at once; `cannot_attend` sends it to the next level at once instead."""
    incident = await acknowledgements.incident_to_acknowledge(
        session, incident_id, actor.team_ids, actor.has("admin")
    )
    outcome = await acknowledgements.acknowledge(
        session,
        incident_id,
        actor.user,
        action=body.action,
        eta_minutes=body.eta_minutes,
        team_ids=actor.team_ids,
        is_admin=actor.has("admin"),
    )
    _audit_ack(session, actor, incident.id, incident.young_person_id, body.action, "app")
    return AckOut.model_validate(outcome.as_response())


@router.post("/acknowledgements", response_model=AckOut, dependencies=[public()], responses=CONFLICT_DOC)
async def acknowledge_from_notification(
    body: TokenAckIn, session: SessionDep, settings: SettingsDep, auth: AuthRuntimeDep
) -> AckOut:
    """Acknowledge from a notification's action: no sign-in, the single-use `ack_token` of the
    push payload is the credential (401 when it is not valid, 409 when already used)."""
    outcome, user = await acknowledgements.acknowledge_with_token(
        session,
        settings,
        body.ack_token,
        action=body.action,
        eta_minutes=body.eta_minutes,
        revocations=auth.revocations,
    )
    actor = Actor(user=user, roles=frozenset(user.roles))
    _audit_ack(session, actor, outcome.incident.id, outcome.incident.young_person_id, body.action, "push")
    return AckOut.model_validate(outcome.as_response())


def _audit_ack(session, actor: Actor, incident_id, young_person_id, action: str, via: str) -> None:
    audit.record(
        session,
        actor,
        "incident.acknowledge",
        resource_type="incident",
        resource_id=incident_id,
        young_person_id=young_person_id,
        detail={"action": action, "via": via},
    )
