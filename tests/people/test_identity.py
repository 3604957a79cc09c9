"""Who the child is (issue 12): possible matches confirmed or rejected, aliases, reversible merges.

A confirmed match merges the records (audited); histories and missing counts then span both; a
manager undoes it; a rejection is remembered; aliases are matched at intake both ways. Real HTTP
through the app, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from api.audit.models import AuditEvent
from api.handover.models import Clock, HandoverItem
from api.incidents.models import Incident
from api.people.models import PersonMerge, PossibleMatch, YoungPerson, YoungPersonName
from tests.incident_payloads import report
from tests.platform.test_unit_of_work import failing_commits


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def _report(client, police, young_person: dict, days_ago: float = 1, **overrides) -> dict:
    body = report(young_person=young_person, occurred_at=_ago(days_ago), **overrides)
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _person_of(db, created: dict) -> str:
    async with db.session() as session:
        return str((await session.get(Incident, uuid.UUID(created["id"]))).young_person_id)


async def _pairs(db, a: str, b: str) -> list[PossibleMatch]:
    ids = (uuid.UUID(a), uuid.UUID(b))
    async with db.session() as session:
        return list(
            (
                await session.execute(
                    select(PossibleMatch).where(
                        or_(
                            (PossibleMatch.young_person_id == ids[0])
                            & (PossibleMatch.candidate_id == ids[1]),
                            (PossibleMatch.young_person_id == ids[1])
                            & (PossibleMatch.candidate_id == ids[0]),
                        )
                    )
                )
            ).scalars()
        )


async def _summary(client, db, created: dict, reader) -> dict:
    """The young person part of the incident's handover item (missing counts, earlier incidents)."""
    async with db.session() as session:
        item_id = (
            await session.execute(
                select(HandoverItem.id).where(HandoverItem.incident_id == uuid.UUID(created["id"])).limit(1)
            )
        ).scalar_one()
    response = await client.get(f"/api/v1/handover/{item_id}", headers=reader.headers)
    assert response.status_code == 200, response.text
    return response.json()["young_person"]


RILEY = {"first_name": "Riley", "last_name": "Stone"}


async def test_confirmed_match_spans_history_and_missing_counts_until_a_manager_undoes_it(
    client, db, police, make_user
):
    older = await _report(client, police, {**RILEY, "date_of_birth": "2011-01-01"}, days_ago=6)
    newer = await _report(client, police, RILEY, days_ago=4)  # no date of birth: a new record
    a, b = await _person_of(db, older), await _person_of(db, newer)
    assert a != b
    team = newer["teams"][0]["slug"]
    worker = await make_user("worker", teams_=[team])
    manager = await make_user("manager", teams_=[team])
    day_team = await make_user("day_team", teams_=[team])

    listed = await client.get(f"/api/v1/young-people/{b}/possible-matches", headers=worker.headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["records"] == [b] and page["merges"] == []
    [suggestion] = page["items"]
    assert suggestion["record"]["id"] == a and suggestion["record"]["date_of_birth"] == "2011-01-01"
    assert suggestion["reason"] == "same name, date of birth unknown on one record"
    # The same suggestion, seen from the other record.
    from_a = (await client.get(f"/api/v1/young-people/{a}/possible-matches", headers=worker.headers)).json()
    assert [i["id"] for i in from_a["items"]] == [suggestion["id"]] and from_a["items"][0]["record"][
        "id"
    ] == b
    assert (await _summary(client, db, newer, day_team))["missing_episodes_30d"] == 1

    confirmed = await client.post(
        f"/api/v1/young-people/{b}/possible-matches/{suggestion['id']}/confirm", headers=worker.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    merge = confirmed.json()
    assert (merge["survivor_id"], merge["merged_id"], merge["records_moved"]) == (a, b, [b])
    assert merge["merged_by"] == "Test worker" and merge["undone_at"] is None

    # One child now: both records list both incidents, the open suggestion is gone.
    for record in (a, b):
        view = (await client.get(f"/api/v1/young-people/{record}", headers=worker.headers)).json()
        assert {i["id"] for i in view["incidents"]} == {older["id"], newer["id"]}
    assert (await client.get(f"/api/v1/young-people/{b}", headers=worker.headers)).json()[
        "merged_into_id"
    ] == a
    page = (await client.get(f"/api/v1/young-people/{b}/possible-matches", headers=worker.headers)).json()
    assert page["items"] == [] and page["records"] == [a, b] and page["survivor_id"] == a
    # A third missing episode (matched to the older record by name and birth date) counts all three.
    third = await _report(client, police, {**RILEY, "date_of_birth": "2011-01-01"}, days_ago=1)
    summary = await _summary(client, db, third, day_team)
    assert summary["missing_episodes_30d"] == 3
    assert {i["id"] for i in summary["earlier_incidents"]} == {older["id"], newer["id"]}
    async with db.session() as session:
        kinds = set(
            (
                await session.execute(select(Clock.kind).where(Clock.incident_id == uuid.UUID(third["id"])))
            ).scalars()
        )
    assert "repeat_missing_review" in kinds

    # Only a manager undoes it.
    undo_url = f"/api/v1/young-people/{a}/merges/{merge['id']}/undo"
    assert (await client.post(undo_url, headers=worker.headers)).status_code == 403
    undone = await client.post(undo_url, headers=manager.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone_by"] == "Test manager" and undone.json()["undone_at"]
    assert (await client.post(undo_url, headers=manager.headers)).status_code == 409

    view = (await client.get(f"/api/v1/young-people/{b}", headers=worker.headers)).json()
    assert [i["id"] for i in view["incidents"]] == [newer["id"]] and view["merged_into_id"] is None
    page = (await client.get(f"/api/v1/young-people/{b}/possible-matches", headers=worker.headers)).json()
    assert [i["id"] for i in page["items"]] == [suggestion["id"]]  # open again: it can be decided anew
    assert [m["undone_by"] for m in page["merges"]] == ["Test manager"]
    fourth = await _report(client, police, {**RILEY, "date_of_birth": "2011-01-01"}, days_ago=0.5)
    assert (await _summary(client, db, fourth, day_team))["missing_episodes_30d"] == 3  # a's own three

    async with db.session() as session:
        actions = list(
            (
                await session.execute(
                    select(AuditEvent.action, AuditEvent.actor_id).where(
                        AuditEvent.action.in_(
                            [
                                "young_person.merge",
                                "young_person.merge.undo",
                                "young_person.possible_matches.read",
                            ]
                        )
                    )
                )
            ).all()
        )
        record = await session.get(PersonMerge, uuid.UUID(merge["id"]))
        assert record.moved == {b: None} and record.undone_by_id == manager.id
    assert ("young_person.merge", worker.id) in actions
    assert ("young_person.merge.undo", manager.id) in actions
    assert ("young_person.possible_matches.read", worker.id) in actions


async def test_undo_is_refused_while_a_later_merge_moved_the_records(client, db, police, make_user):
    first = await _report(client, police, {**RILEY, "date_of_birth": "2011-01-01"}, days_ago=5)
    second = await _report(client, police, RILEY, days_ago=4)
    third = await _report(client, police, {**RILEY, "date_of_birth": "2011-09-09"}, days_ago=3)
    a, b, c = [await _person_of(db, x) for x in (first, second, third)]
    team = first["teams"][0]["slug"]
    manager = await make_user("manager", teams_=[team])

    async def confirm(person: str, other: str) -> dict:
        items = (
            await client.get(f"/api/v1/young-people/{person}/possible-matches", headers=manager.headers)
        ).json()
        [match] = [i for i in items["items"] if i["record"]["id"] == other]
        response = await client.post(
            f"/api/v1/young-people/{person}/possible-matches/{match['id']}/confirm", headers=manager.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    b_into_c = await confirm(c, b)  # the older of b and c survives
    assert b_into_c["survivor_id"] == b
    then_into_a = await confirm(a, b)  # b's child (b and c) into a
    assert then_into_a["survivor_id"] == a and set(then_into_a["records_moved"]) == {b, c}
    page = (await client.get(f"/api/v1/young-people/{c}/possible-matches", headers=manager.headers)).json()
    assert page["records"] == [a, b, c]  # never a chain: every record points at the survivor
    async with db.session() as session:
        assert (await session.get(YoungPerson, uuid.UUID(c))).merged_into_id == uuid.UUID(a)

    first_undo = await client.post(
        f"/api/v1/young-people/{a}/merges/{b_into_c['id']}/undo", headers=manager.headers
    )
    assert first_undo.status_code == 409, first_undo.text  # the later merge first
    assert (
        await client.post(
            f"/api/v1/young-people/{a}/merges/{then_into_a['id']}/undo", headers=manager.headers
        )
    ).status_code == 200
    async with db.session() as session:
        assert (await session.get(YoungPerson, uuid.UUID(b))).merged_into_id is None
        assert (await session.get(YoungPerson, uuid.UUID(c))).merged_into_id == uuid.UUID(b)
    assert (
        await client.post(f"/api/v1/young-people/{b}/merges/{b_into_c['id']}/undo", headers=manager.headers)
    ).status_code == 200
    async with db.session() as session:
        assert (await session.get(YoungPerson, uuid.UUID(c))).merged_into_id is None


async def test_aliases_are_matched_at_intake_and_a_rejection_is_remembered(client, db, police, make_user):
    jay = await _report(
        client, police, {"first_name": "Jay", "last_name": "Smith", "date_of_birth": "2010-03-03"}
    )
    jamal_body = {
        "first_name": "Jamal",
        "last_name": "Smith",
        "date_of_birth": "2010-05-05",
        "aliases": ["JAY  smith"],
    }
    jamal = await _report(client, police, jamal_body)
    a, b = await _person_of(db, jay), await _person_of(db, jamal)
    team = jamal["teams"][0]["slug"]
    worker = await make_user("worker", teams_=[team])
    [suggestion] = (
        await client.get(f"/api/v1/young-people/{b}/possible-matches", headers=worker.headers)
    ).json()["items"]
    assert suggestion["record"]["id"] == a and suggestion["reason"] == "an alias matches this record's name"

    rejected = await client.post(
        f"/api/v1/young-people/{b}/possible-matches/{suggestion['id']}/reject", headers=worker.headers
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    again = await client.post(
        f"/api/v1/young-people/{b}/possible-matches/{suggestion['id']}/confirm", headers=worker.headers
    )
    assert again.status_code == 409
    # Jamal reported again with the same alias: the same record, and the pair is not suggested again.
    repeat = await _report(client, police, jamal_body)
    assert await _person_of(db, repeat) == b
    assert [p.state for p in await _pairs(db, a, b)] == ["rejected"]
    assert (await client.get(f"/api/v1/young-people/{b}/possible-matches", headers=worker.headers)).json()[
        "items"
    ] == []

    # The other way round: a report in a name another record has as an alias (and a namesake).
    other = await _report(client, police, {"first_name": "Jay", "last_name": "Smith"})
    c = await _person_of(db, other)
    assert c not in (a, b)
    [by_name] = await _pairs(db, c, a)
    [by_alias] = await _pairs(db, c, b)
    assert by_name.reason == "same name, date of birth unknown on one record"
    assert (
        by_alias.reason == "name or alias matches one of this record's aliases" and by_alias.state == "open"
    )


async def test_known_child_with_a_new_alias_is_suggested_and_the_alias_kept(client, db, police, make_user):
    kez = await _report(
        client, police, {"first_name": "Kez", "last_name": "Brown", "date_of_birth": "2010-01-01"}
    )
    body = {"first_name": "Amir", "last_name": "Hassan", "date_of_birth": "2011-02-02"}
    amir = await _report(client, police, body)
    a, b = await _person_of(db, kez), await _person_of(db, amir)
    assert await _pairs(db, a, b) == []
    await _report(client, police, {**body, "aliases": ["Kez Brown", "K.B."]})
    [pair] = await _pairs(db, a, b)
    assert pair.state == "open" and pair.reason == "an alias matches this record's name"
    await _report(client, police, {**body, "aliases": ["Kez Brown"]})
    assert len(await _pairs(db, a, b)) == 1  # suggested once
    async with db.session() as session:
        person = await session.get(YoungPerson, uuid.UUID(b))
        assert person.aliases == ["Kez Brown", "K.B."]
        keys = set(
            (
                await session.execute(
                    select(YoungPersonName.match_name).where(YoungPersonName.young_person_id == person.id)
                )
            ).scalars()
        )
    assert keys == {"kez brown", "k b"}


async def test_only_case_roles_of_the_childs_teams_see_or_decide(client, db, police, make_user):
    older = await _report(client, police, {**RILEY, "date_of_birth": "2011-01-01"}, days_ago=3)
    newer = await _report(client, police, RILEY, days_ago=2)
    b = await _person_of(db, newer)
    team = newer["teams"][0]["slug"]
    worker = await make_user("worker", teams_=[team])
    [match] = (await client.get(f"/api/v1/young-people/{b}/possible-matches", headers=worker.headers)).json()[
        "items"
    ]
    other_team = "city-general" if team != "city-general" else "county-general"
    stranger = await make_user("worker", teams_=[other_team])
    day_team = await make_user("day_team", teams_=[team])
    url = f"/api/v1/young-people/{b}/possible-matches"
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.get(url, headers=police.headers)).status_code == 403
    assert (await client.post(f"{url}/{match['id']}/confirm", headers=stranger.headers)).status_code == 404
    assert (await client.post(f"{url}/{match['id']}/confirm", headers=day_team.headers)).status_code == 403
    assert (await client.post(f"{url}/{uuid.uuid4()}/reject", headers=worker.headers)).status_code == 404
    assert older  # the candidate record exists
    async with db.session() as session:
        assert (await session.execute(select(func.count()).select_from(PersonMerge))).scalar_one() == 0


async def test_a_refused_commit_merges_nothing(client, db, police, make_user):
    await _report(client, police, {**RILEY, "date_of_birth": "2011-01-01"}, days_ago=3)
    newer = await _report(client, police, RILEY, days_ago=2)
    b = await _person_of(db, newer)
    worker = await make_user("worker", teams_=[newer["teams"][0]["slug"]])
    [match] = (await client.get(f"/api/v1/young-people/{b}/possible-matches", headers=worker.headers)).json()[
        "items"
    ]
    url = f"/api/v1/young-people/{b}/possible-matches/{match['id']}/confirm"
    with failing_commits(db) as left:
        response = await client.post(url, headers=worker.headers)
    assert left["n"] == 0 and response.status_code == 503, response.text
    async with db.session() as session:
        assert (await session.get(YoungPerson, uuid.UUID(b))).merged_into_id is None
        assert (await session.get(PossibleMatch, uuid.UUID(match["id"]))).state == "open"
        assert (await session.execute(select(func.count()).select_from(PersonMerge))).scalar_one() == 0
    assert (await client.post(url, headers=worker.headers)).status_code == 200
