"""The partnership reports (issue 15) over HTTP on both databases: custody and youth justice per
station and month, the response per team and month. Every expected number below is worked out by
hand from the seeded rows (in the comments), including the month boundary in Europe/London (the
night of 30 September into 1 October 2026 is in British Summer Time: 23:30 UTC is 00:30 on
1 October in London) and the suppression of small numbers (primary and secondary)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.demo import DEMO_PASSWORD, load_demo
from api.handover.models import Clock, HandoverItem
from api.incidents.models import Incident, IncidentTeam
from api.paging.models import Page
from api.people.models import YoungPerson
from api.reports import months
from api.rota.models import OverrideShift
from tests.incident_payloads import report

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
H = "<5"


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("api.flows.partnership_reports.utcnow", lambda: NOW)
    monkeypatch.setattr("api.reports.routes.utcnow", lambda: NOW)


class Seed:
    def __init__(self, db, world, reporter):
        self.db, self.world, self.reporter = db, world, reporter

    async def incident(
        self,
        *,
        occurred_at: datetime,
        station: str = "euston-street",
        teams: tuple[str, ...] = ("city-cce",),
        dob: date | None = date(2010, 6, 1),
        sex: str | None = "male",
        ethnicity: str | None = "white_british",
        **fields,
    ) -> uuid.UUID:
        async with self.db.session() as session:
            person = YoungPerson(
                first_name="Test",
                last_name=uuid.uuid4().hex[:6],
                match_name="test",
                date_of_birth=dob,
                sex=sex,
                ethnicity=ethnicity,
            )
            session.add(person)
            await session.flush()
            incident = Incident(
                reference=f"LAN-T-{uuid.uuid4().hex[:8].upper()}",
                kind="arrest",
                priority="P2",
                occurred_at=occurred_at,
                reporter_id=self.reporter.id,
                station_id=self.world.stations[station].id,
                young_person_id=person.id,
                location_description="Near the bus station",
                area_id=self.world.areas["leicester-city"].id,
                triage={"reasons": ["test"], "categories": ["cce"]},
                **fields,
            )
            session.add(incident)
            await session.flush()
            for slug in teams:
                session.add(IncidentTeam(incident_id=incident.id, team_id=self.world.teams[slug].id))
            await session.commit()
            return incident.id

    async def add(self, *rows) -> None:
        async with self.db.session() as session:
            session.add_all(rows)
            await session.commit()


def detention(detained: str, *, released: str | None = None, aa: str | None = None, **custody) -> dict:
    record = {"status": "in_custody", "detained_at": z(detained).isoformat(), **custody}
    if aa:
        record["appropriate_adult_arrived_at"] = z(aa).isoformat()
    return {
        "detained_at": z(detained),
        "released_at": z(released) if released else None,
        "custody": record,
    }


def s38_clock(incident_id, charged: str, **fields) -> Clock:
    return Clock(
        incident_id=incident_id,
        kind="bail_refused_transfer",
        label="Transfer to local-authority accommodation",
        source="PACE s38(6)",
        starts_at=z(charged),
        due_at=z(charged),
        **fields,
    )


async def seed_custody(db, world, reporter) -> None:
    s = Seed(db, world, reporter)
    boy = {}  # 16 in October 2026, male, White: the defaults
    # D1: 23:30 UTC on 30 Sep is 00:30 on 1 Oct in London: October. Held 9 h, not over a midnight
    # (the next one is 2 Oct). AA after 45 min.
    await s.incident(
        occurred_at=z("2026-09-30T23:00Z"),
        **detention("2026-09-30T23:30Z", released="2026-10-01T08:30Z", aa="2026-10-01T00:15Z"),
        **boy,
    )
    # D2: 21:00 BST to 03:00 BST: 6 h (the 6-12 h band), over midnight. AA after 90 min.
    await s.incident(
        occurred_at=z("2026-10-05T19:00Z"),
        **detention("2026-10-05T20:00Z", released="2026-10-06T02:00Z", aa="2026-10-05T21:30Z"),
    )
    # D3: charged, bail refused, transferred at 04:00 (10 h, over midnight). AA after 30 min.
    d3 = await s.incident(
        occurred_at=z("2026-10-10T17:00Z"),
        charged=True,
        bail_refused=True,
        charged_at=z("2026-10-10T22:00Z"),
        **detention(
            "2026-10-10T18:00Z",
            aa="2026-10-10T18:30Z",
            transferred_at=z("2026-10-11T04:00Z").isoformat(),
            transferred_to="local_authority_accommodation",
        ),
    )
    # D4: charged, bail refused, certified impracticable (court appearance imminent); released
    # after 17 h (over midnight). AA after 3 h.
    d4 = await s.incident(
        occurred_at=z("2026-10-12T15:00Z"),
        charged=True,
        bail_refused=True,
        charged_at=z("2026-10-12T19:00Z"),
        **detention("2026-10-12T16:00Z", released="2026-10-13T09:00Z", aa="2026-10-12T19:00Z"),
    )
    # D5: 3 h, no AA recorded.
    await s.incident(
        occurred_at=z("2026-10-20T09:00Z"), **detention("2026-10-20T10:00Z", released="2026-10-20T13:00Z")
    )
    # D6: after the clocks went back (GMT); never released on record. AA after 5 h.
    await s.incident(
        occurred_at=z("2026-10-28T21:00Z"), **detention("2026-10-28T22:00Z", aa="2026-10-29T03:00Z")
    )
    # D7: a Black girl of 12: 2 h, AA after 20 min.
    await s.incident(
        occurred_at=z("2026-10-15T11:00Z"),
        dob=date(2014, 1, 1),
        sex="female",
        ethnicity="black_african",
        **detention("2026-10-15T12:00Z", released="2026-10-15T14:00Z", aa="2026-10-15T12:20Z"),
    )
    # D0: 22:30 UTC on 30 Sep is 23:30 BST on 30 Sep: September.
    await s.incident(
        occurred_at=z("2026-09-30T22:00Z"), **detention("2026-09-30T22:30Z", released="2026-10-01T01:00Z")
    )
    # Not counted: another station; no detention recorded.
    await s.incident(
        occurred_at=z("2026-10-07T10:00Z"), station="keyham-lane", **detention("2026-10-07T11:00Z")
    )
    await s.incident(occurred_at=z("2026-10-08T10:00Z"))
    await s.add(
        s38_clock(d3, "2026-10-10T22:00Z", met_at=z("2026-10-11T04:00Z"), outcome="transferred"),
        s38_clock(
            d4,
            "2026-10-12T19:00Z",
            met_at=z("2026-10-12T20:00Z"),
            outcome="certified_impracticable",
            detail={"ground": "court_appearance_imminent"},
        ),
    )


def row(body: dict, key: str) -> dict:
    return next(r for r in body["rows"] if r["key"] == key)


def totals(body: dict) -> dict:
    return {r["key"]: r["total"] for r in body["rows"]}


async def test_custody_report_counts_by_hand_with_suppression_and_the_london_month(
    client, db, world, police, manager, frozen
):
    await seed_custody(db, world, police)
    response = await client.get(
        "/api/v1/reports/custody",
        params={"station": "euston-street", "month": "2026-10"},
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["station"] == {"slug": "euston-street", "name": "Euston St custody"}
    assert body["month"] == "2026-10"
    assert z(body["starts_at"]) == z("2026-09-30T23:00Z")  # midnight BST
    assert z(body["ends_at"]) == z("2026-11-01T00:00Z")  # midnight GMT
    # October: D1-D7. Overnight: D2, D3, D4. Charged and refused bail: D3, D4. Ended: all but D6.
    # Held: under 6 h D5, D7; 6-12 h D1, D2, D3; 12-24 h D4; not ended D6. AA: under 1 h D1, D3,
    # D7; 1-2 h D2; 2-4 h D4; 4 h+ D6; not recorded D5. Every count from 1 to 4 is hidden.
    assert totals(body) == {
        "detained": 7,
        "held_overnight": H,
        "charged": H,
        "refused_bail": H,
        "s38:transferred": H,
        "s38:secure_accommodation_requested": 0,
        "s38:certified_impracticable": H,
        "s38:not_recorded": 0,
        "ground:extreme_weather": 0,
        "ground:court_appearance_imminent": H,
        "ground:transfer_physically_impossible": 0,
        "detention_ended": 6,
        "held:under_6h": H,
        "held:6_12h": H,
        "held:12_24h": H,
        "held:24h_plus": 0,
        "held:not_ended": H,
        "aa_arrived": 6,
        "aa:under_1h": H,
        "aa:1_2h": H,
        "aa:2_4h": H,
        "aa:4h_plus": H,
        "aa:not_recorded": H,
    }
    detained = row(body, "detained")
    # Six boys of 16 and one girl of 12: the girl's 1 is hidden (primary), and then the boys' 6
    # too (secondary: 7 less 6 would give her back). Zeros stay shown.
    assert detained["age_band"] == {"under_13": H, "13_15": 0, "16_17": H, "18_plus": 0, "unknown": 0}
    assert detained["sex"] == {"female": H, "male": H, "not_recorded": 0, "declined": 0}
    assert detained["ethnicity"]["black"] == H and detained["ethnicity"]["white"] == H
    assert detained["ethnicity"]["asian"] == 0 and detained["ethnicity"]["not_recorded"] == 0
    # Every split row adds up to its parent; no hidden cell is alone in a line.
    assert [r["key"] for r in body["rows"] if r["part_of"] == "refused_bail"] == [
        "s38:transferred",
        "s38:secure_accommodation_requested",
        "s38:certified_impracticable",
        "s38:not_recorded",
    ]
    times = {t["key"]: t for t in body["times"]}
    # Hours held: 2, 3, 6, 9, 10, 17 → median (6 + 9) / 2; 90th percentile (rank 6 of 6) 17.
    assert times["hours_held"] == {
        "key": "hours_held",
        "label": times["hours_held"]["label"],
        "unit": "hours",
        "cases": 6,
        "median": 7.5,
        "p90": 17.0,
    }
    # AA waits in minutes: 20, 30, 45, 90, 180, 300 → median 67.5, 90th percentile 300.
    assert (times["aa_wait"]["cases"], times["aa_wait"]["median"], times["aa_wait"]["p90"]) == (
        6,
        67.5,
        300.0,
    )

    trend = body["trend"]
    assert [t["month"] for t in trend] == [f"2025-{m:02d}" for m in (11, 12)] + [
        f"2026-{m:02d}" for m in range(1, 11)
    ]
    assert trend[-1]["counts"] == {
        "detained": 7,
        "held_overnight": H,
        "refused_bail": H,
        "s38:transferred": H,
        "s38:certified_impracticable": H,
    }
    assert trend[-1]["times"] == {"hours_held": 7.5, "aa_wait": 67.5}
    # September: D0 alone (a count of 1, hidden; no median under 5 cases).
    assert trend[-2]["counts"]["detained"] == H and trend[-2]["times"] == {
        "hours_held": None,
        "aa_wait": None,
    }
    assert all(t["counts"]["detained"] == 0 for t in trend[:-2])
    assert body["trend_keys"][:2] == ["detained", "held_overnight"]

    # September alone: one detention, hidden; its age line hides the 16-17 cell too.
    september = (
        await client.get(
            "/api/v1/reports/custody",
            params={"station": "euston-street", "month": "2026-09"},
            headers=manager.headers,
        )
    ).json()
    assert row(september, "detained")["total"] == H
    assert september["times"][0]["median"] is None

    # The next station along has its one detention, nothing of Euston Street's.
    keyham = (
        await client.get(
            "/api/v1/reports/custody",
            params={"station": "keyham-lane", "month": "2026-10"},
            headers=manager.headers,
        )
    ).json()
    assert row(keyham, "detained")["total"] == H and row(keyham, "held:not_ended")["total"] == H

    async with db.session() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "reports.custody.read")))
            .scalars()
            .all()
        )
    assert [(e.actor_id, e.detail["station"], e.detail["month"]) for e in events] == [
        (manager.id, "euston-street", "2026-10"),
        (manager.id, "euston-street", "2026-09"),
        (manager.id, "keyham-lane", "2026-10"),
    ]
    assert all(e.young_person_id is None for e in events)
    # Counts only: no name, date of birth or reference anywhere in the answer.
    assert "Test" not in response.text and "2010-06-01" not in response.text and "LAN-T-" not in response.text


async def seed_response(db, world, reporter, worker) -> None:
    s = Seed(db, world, reporter)
    team = world.teams["city-cce"].id

    def page(incident_id, started: str, acked: str | None = None, **fields) -> Page:
        return Page(
            incident_id=incident_id,
            team_id=team,
            started_at=z(started),
            level_started_at=z(started),
            acknowledged_at=z(acked) if acked else None,
            **({"state": "acknowledged" if acked else "active"} | fields),
        )

    ids = [await s.incident(occurred_at=z("2026-10-01T12:00Z")) for _ in range(6)]
    p5_child = await s.incident(occurred_at=z("2026-10-15T12:00Z"), ethnicity=None)
    ids.insert(4, p5_child)  # P5's child has no ethnicity recorded
    p7 = await s.incident(occurred_at=z("2026-09-30T23:00Z"))
    p8 = await s.incident(occurred_at=z("2026-09-30T22:00Z"))
    other_team = await s.incident(occurred_at=z("2026-10-02T12:00Z"), teams=("county-cce",))
    p1, p2, p3, p4, p5, p6 = ids[:6]
    await s.add(
        page(p1, "2026-10-03T20:00Z", "2026-10-03T20:03Z"),  # 3 min
        page(p2, "2026-10-04T21:00Z", "2026-10-04T21:10Z", level_index=1),  # 10 min, escalated
        page(p3, "2026-10-08T22:00Z", "2026-10-08T22:04Z"),  # 4 min
        page(p4, "2026-10-09T23:00Z", "2026-10-09T23:20Z", level_index=1),  # 20 min, escalated
        page(p5, "2026-10-16T01:00Z", "2026-10-16T01:02Z"),  # 2 min
        page(
            p6,
            "2026-10-18T02:00Z",
            None,
            level_index=2,
            uncovered_at=z("2026-10-18T02:30Z"),
            state="uncovered",
        ),
        page(p7, "2026-09-30T23:10Z", "2026-09-30T23:50Z"),  # 00:10 BST on 1 Oct: October; 40 min
        page(p8, "2026-09-30T22:50Z", "2026-09-30T22:52Z"),  # 23:50 BST on 30 Sep: September
        Page(incident_id=other_team, team_id=world.teams["county-cce"].id, started_at=z("2026-10-02T12:00Z")),
    )

    def item(incident_id, due: str, picked: str | None = None, escalated: str | None = None) -> HandoverItem:
        return HandoverItem(
            incident_id=incident_id,
            team_id=team,
            due_at=z(due),
            state="picked_up" if picked else "awaiting_pickup",
            picked_up_at=z(picked) if picked else None,
            owner_id=worker.id if picked else None,
            escalated_at=z(escalated) if escalated else None,
        )

    await s.add(
        item(p1, "2026-10-05T08:00Z", "2026-10-05T07:45Z"),  # before 09:00: 0
        item(p2, "2026-10-06T08:00Z", "2026-10-06T08:40Z"),  # 40
        item(p3, "2026-10-07T08:00Z", "2026-10-07T10:00Z", "2026-10-07T09:30Z"),  # 120, raised
        item(p4, "2026-10-08T08:00Z", None, "2026-10-08T09:30Z"),  # never picked up, raised
        item(p5, "2026-10-12T08:00Z", "2026-10-12T08:10Z"),  # 10
        item(p6, "2026-10-13T08:00Z", "2026-10-13T08:00Z"),  # 0
        item(p7, "2026-11-02T09:00Z", "2026-11-02T09:05Z"),  # November
    )

    def clock(incident_id, kind: str, due: str, met: str | None = None, sequence: int = 1) -> Clock:
        return Clock(
            incident_id=incident_id,
            kind=kind,
            sequence=sequence,
            label=kind,
            source="test",
            starts_at=z(due) - timedelta(hours=72),
            due_at=z(due),
            met_at=z(met) if met else None,
        )

    await s.add(
        clock(p1, "rhi_72h", "2026-10-06T20:00Z", "2026-10-06T10:00Z"),  # met on time
        clock(p2, "rhi_72h", "2026-10-07T20:00Z", "2026-10-08T10:00Z"),  # met late
        clock(p3, "rhi_72h", "2026-10-09T20:00Z"),  # missed
        clock(p4, "referral_decision", "2026-10-20T12:00Z", "2026-10-20T11:00Z"),  # met on time
        clock(p5, "pace_review", "2026-10-10T12:00Z"),  # a police duty: not counted
        clock(p6, "rhi_72h", "2026-10-31T23:30Z"),  # 23:30 GMT on 31 Oct: October, missed
        clock(p7, "rhi_72h", "2026-11-01T00:30Z"),  # November
        clock(other_team, "rhi_72h", "2026-10-10T12:00Z"),  # another team's incident
    )
    # Somebody on call at primary over the weekend of 2-5 October (Fri 17:00 to Mon 09:00 BST).
    await s.add(
        OverrideShift(
            team_id=team,
            user_id=worker.id,
            level="primary",
            starts_at=z("2026-10-02T16:00Z"),
            ends_at=z("2026-10-05T08:00Z"),
        )
    )


async def test_response_report_counts_by_hand(client, db, world, police, manager, make_user, frozen):
    worker = await make_user("worker", teams_=["city-cce"])
    await seed_response(db, world, police, worker)
    response = await client.get(
        "/api/v1/reports/response", params={"team": "city-cce", "month": "2026-10"}, headers=manager.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["team"]["slug"] == "city-cce"
    # Paged in October (London): P1-P7 (P7 at 00:10 BST on 1 Oct; P8 is September).
    # Acknowledged: all but P6. Bands: under 5 min P1, P3, P5; 5-15 P2; 15-30 P4; 30+ P7; none P6.
    # Escalated P2, P4, P6; uncovered P6.
    # Handover items due in October: 6; picked up 5 (by the due time: 2; within 90 min: 2 (40,
    # 10); later: 1 (120); not picked up: 1); raised to managers: 2.
    # Clocks due in October, not PACE reviews, the team's incidents: 5 (on time 2, late 1,
    # missed 2, not yet due 0).
    assert totals(body) == {
        "paged": 7,
        "acknowledged": 6,
        "ack:under_5m": H,
        "ack:5_15m": H,
        "ack:15_30m": H,
        "ack:30m_plus": H,
        "ack:none": H,
        "escalated": H,
        "uncovered": H,
        "handover_items": 6,
        "picked_up": 5,
        "pickup:by_due": H,
        "pickup:within_90m": H,
        "pickup:later": H,
        "pickup:not_picked_up": H,
        "handover_escalated": H,
        "clocks_due": 5,
        "clock:met_on_time": H,
        "clock:met_late": H,
        "clock:missed": H,
        "clock:open": 0,
    }
    paged = row(body, "paged")
    # All seven are boys of 16; one has no ethnicity recorded (hidden), so the six White are too.
    assert paged["age_band"]["16_17"] == 7 and paged["sex"]["male"] == 7
    assert paged["ethnicity"]["white"] == H and paged["ethnicity"]["not_recorded"] == H
    times = {t["key"]: t for t in body["times"]}
    # Acknowledge: 2, 3, 4, 10, 20, 40 → median 7, 90th percentile 40.
    assert (times["ack_minutes"]["cases"], times["ack_minutes"]["median"], times["ack_minutes"]["p90"]) == (
        6,
        7.0,
        40.0,
    )
    # Pick-up after the due time: 0, 0, 10, 40, 120 → median 10, 90th percentile 120.
    assert (
        times["pickup_minutes"]["cases"],
        times["pickup_minutes"]["median"],
        times["pickup_minutes"]["p90"],
    ) == (
        5,
        10.0,
        120.0,
    )
    # Rota gaps: October 2026 has 22 working days, so 23 out-of-hours stretches (from midnight to
    # 09:00 on Thu 1 Oct, then each 17:00 to the next working day's 09:00, the last to midnight on
    # 31 Oct); 745 hours (a 25-hour day on 25 Oct) less 22 × 8 office hours = 569. The weekend
    # override covers one stretch of 64 hours: 22 stretches, 505 hours.
    assert body["rota_gaps"] == {"stretches": 22, "hours": 505.0}
    assert body["rota_gap_trend"]["2026-10"] == body["rota_gaps"]
    trend = body["trend"]
    assert trend[-1]["counts"] == {
        "paged": 7,
        "uncovered": H,
        "escalated": H,
        "clock:met_on_time": H,
        "clock:missed": H,
    }
    assert trend[-1]["times"] == {"ack_minutes": 7.0, "pickup_minutes": 10.0}
    assert trend[-2]["counts"]["paged"] == H  # P8

    # CSV: each table, counts only, audited.
    breakdown = await client.get(
        "/api/v1/reports/response.csv",
        params={"team": "city-cce", "month": "2026-10"},
        headers=manager.headers,
    )
    assert breakdown.status_code == 200 and breakdown.headers["content-type"].startswith("text/csv")
    assert "lantern-response-city-cce-2026-10-breakdown.csv" in breakdown.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(breakdown.text)))
    by_key = {line["figure"]: line for line in lines}
    assert by_key["paged"]["Total"] == "7" and by_key["paged"]["Age: 16 and 17"] == "7"
    assert by_key["paged"]["Ethnic group: White"] == H and by_key["ack:none"]["Total"] == H
    assert by_key["ack:none"]["part_of"] == "paged"
    timed = list(
        csv.DictReader(
            io.StringIO(
                (
                    await client.get(
                        "/api/v1/reports/response.csv",
                        params={"team": "city-cce", "month": "2026-10", "table": "times"},
                        headers=manager.headers,
                    )
                ).text
            )
        )
    )
    assert [(t["figure"], t["cases"], t["median"], t["p90"]) for t in timed] == [
        ("ack_minutes", "6", "7.0", "40.0"),
        ("pickup_minutes", "5", "10.0", "120.0"),
    ]
    trend_csv = list(
        csv.DictReader(
            io.StringIO(
                (
                    await client.get(
                        "/api/v1/reports/response.csv",
                        params={"team": "city-cce", "month": "2026-10", "table": "trend"},
                        headers=manager.headers,
                    )
                ).text
            )
        )
    )
    assert len(trend_csv) == 12
    assert (trend_csv[-1]["month"], trend_csv[-1]["paged"], trend_csv[-1]["rota_gap_hours"]) == (
        "2026-10",
        "7",
        "505.0",
    )
    async with db.session() as session:
        formats = [
            e.detail["format"]
            for e in (
                await session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.action == "reports.response.read")
                    .order_by(AuditEvent.at)
                )
            ).scalars()
        ]
    assert sorted(formats) == ["csv:breakdown", "csv:times", "csv:trend", "json"]


async def test_custody_csv_has_the_breakdown_and_the_suppressed_cells(
    client, db, world, police, manager, frozen
):
    await seed_custody(db, world, police)
    response = await client.get(
        "/api/v1/reports/custody.csv",
        params={"station": "euston-street", "month": "2026-10"},
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    assert (
        'filename="lantern-custody-euston-street-2026-10-breakdown.csv"'
        in response.headers["content-disposition"]
    )
    by_key = {line["figure"]: line for line in csv.DictReader(io.StringIO(response.text))}
    assert by_key["detained"]["Total"] == "7" and by_key["detained"]["Age: Under 13"] == H
    assert (
        by_key["detained"]["Age: 13 to 15"] == "0"
        and by_key["ground:court_appearance_imminent"]["Total"] == H
    )


async def test_who_may_read_the_reports(client, db, world, police, manager, make_user, frozen):
    params = {"station": "euston-street", "month": "2026-10"}
    ok = await client.get("/api/v1/reports/custody", params=params, headers=manager.headers)
    assert ok.status_code == 200, ok.text
    for role, teams in (
        ("worker", ["city-cce"]),
        ("day_team", ["city-cce"]),
        ("coordinator", ["city-cce"]),
        ("admin", []),
    ):
        other = await make_user(role, teams_=teams)
        for url, p in (
            ("/api/v1/reports/custody", params),
            ("/api/v1/reports/response", {"team": "city-cce"}),
        ):
            assert (await client.get(url, params=p, headers=other.headers)).status_code == 403, (role, url)
            assert (
                await client.get(
                    url.replace("/custody", "/custody.csv").replace("/response", "/response.csv"),
                    params=p,
                    headers=other.headers,
                )
            ).status_code == 403
    assert (
        await client.get("/api/v1/reports/custody", params=params, headers=police.headers)
    ).status_code == 403
    assert (await client.get("/api/v1/reports/custody", params=params)).status_code == 401
    # A manager of a county team: not a station of their area, not their team.
    county = await make_user("manager", teams_=["county-cce"])
    assert (
        await client.get("/api/v1/reports/custody", params=params, headers=county.headers)
    ).status_code == 403
    assert (
        await client.get("/api/v1/reports/response", params={"team": "city-cce"}, headers=county.headers)
    ).status_code == 403
    assert (
        await client.get(
            "/api/v1/reports/custody", params={"station": "loughborough"}, headers=county.headers
        )
    ).status_code == 200
    # Bad input: 422 naming the field.
    for bad in (
        {"station": "nowhere"},
        {"station": "euston-street", "month": "2026-13"},
        {"station": "euston-street", "month": "2026-12"},
        {"station": "euston-street", "month": "2016-10"},
        {"station": "euston-street", "month": "Oct-26"},
    ):
        answer = await client.get("/api/v1/reports/custody", params=bad, headers=manager.headers)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert {e["field"] for e in answer.json()["errors"]} & {"station", "month"}, answer.json()
    bad_table = await client.get(
        "/api/v1/reports/response.csv",
        params={"team": "city-cce", "table": "everything"},
        headers=manager.headers,
    )
    assert bad_table.status_code == 422
    choices = (await client.get("/api/v1/reports/choices", headers=manager.headers)).json()
    assert [c["slug"] for c in choices["stations"]] == ["euston-street", "keyham-lane"]
    assert [c["slug"] for c in choices["teams"]] == ["city-cce"] and choices["current_month"] == "2026-11"
    assert (await client.get("/api/v1/reports/choices", headers=police.headers)).status_code == 403
    # Without a month: the current one (London).
    current = await client.get(
        "/api/v1/reports/response", params={"team": "city-cce"}, headers=manager.headers
    )
    assert current.json()["month"] == "2026-11"


async def test_police_record_the_appropriate_adults_arrival_and_the_report_counts_it(
    client, db, world, police, manager
):
    now = datetime.now(UTC).replace(microsecond=0)
    detained = now - timedelta(hours=3)
    created = await client.post(
        "/api/v1/incidents",
        json=report(
            kind="arrest",
            occurred_at=(detained - timedelta(minutes=30)).isoformat(),
            custody_status="in_custody",
            custody={"status": "in_custody", "detained_at": detained.isoformat()},
        ),
        headers=police.headers,
    )
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]
    async with db.session() as session:
        version = (await session.get(Incident, uuid.UUID(incident_id))).version
    url = f"/api/v1/incidents/{incident_id}"
    headers = {**police.headers, "If-Match": f'"{version}"'}
    early = await client.patch(
        url,
        json={"appropriate_adult_arrived_at": (detained - timedelta(minutes=1)).isoformat()},
        headers=headers,
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "appropriate_adult_arrived_at"
    arrived = detained + timedelta(minutes=95)
    done = await client.patch(
        url, json={"appropriate_adult_arrived_at": arrived.isoformat()}, headers=headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["changes"] == ["appropriate_adult_arrived"]
    async with db.session() as session:
        incident = await session.get(Incident, uuid.UUID(incident_id))
        assert z(incident.custody["appropriate_adult_arrived_at"]) == arrived
    body = (
        await client.get(
            "/api/v1/reports/custody",
            params={"station": "euston-street", "month": months.month_label(months.month_of(detained))},
            headers=manager.headers,
        )
    ).json()
    assert row(body, "aa_arrived")["total"] == H and row(body, "aa:1_2h")["total"] == H
    assert row(body, "aa:not_recorded")["total"] == 0


def test_month_helpers():
    assert months.month_start((2026, 10)) == z("2026-09-30T23:00Z")
    assert months.month_of(z("2026-09-30T23:30Z")) == (2026, 10)
    assert months.month_of(z("2026-09-30T22:59Z")) == (2026, 9)
    assert months.months_ending((2026, 2), 3) == [(2025, 12), (2026, 1), (2026, 2)]
    assert months.spans_midnight(z("2026-10-05T20:00Z"), z("2026-10-05T23:00Z")) is False
    assert months.spans_midnight(z("2026-10-05T20:00Z"), z("2026-10-05T23:01Z")) is True
    assert (
        months.age_band(date(2010, 10, 2), None, z("2026-10-01T23:30Z")) == "16_17"
    )  # 00:30 on 2 Oct London
    assert months.age_band(date(2010, 10, 2), None, z("2026-10-01T22:30Z")) == "13_15"
    assert months.age_band(None, 14, NOW) == "13_15" and months.age_band(None, None, NOW) == "unknown"
    assert months.median([3, 1, 2]) == 2 and months.median([1, 2, 3, 4]) == 2.5
    assert months.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    with pytest.raises(ValueError):
        months.check_month("2026-12", NOW)
    assert months.check_month("2016-11", NOW) == (2016, 11)
    with pytest.raises(ValueError):
        months.check_month("2016-10", NOW)


def _random_person(rng) -> YoungPerson:
    return YoungPerson(
        first_name="T",
        last_name="T",
        match_name="t",
        date_of_birth=rng.choice(
            [None, date(2014, 3, 1), date(2011, 5, 1), date(2009, 12, 1), date(2006, 1, 1)]
        ),
        apparent_age=rng.choice([None, 15]),
        sex=rng.choice([None, "female", "male", "declined"]),
        ethnicity=rng.choice(
            [None, "white_british", "black_caribbean", "asian_indian", "mixed_other", "declined"]
        ),
    )


def _random_custody_case(rng, flows):
    detained = z("2026-10-01T00:00Z") + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
    charged = rng.random() < 0.4
    refused = charged and rng.random() < 0.6
    custody: dict = {"status": "in_custody"}
    if rng.random() < 0.7:
        custody["appropriate_adult_arrived_at"] = (
            detained + timedelta(minutes=rng.randrange(0, 420))
        ).isoformat()
    if refused and rng.random() < 0.3:
        custody["transferred_at"] = (detained + timedelta(hours=rng.randrange(1, 30))).isoformat()
    incident = Incident(
        reference="x",
        kind="arrest",
        priority="P2",
        occurred_at=detained,
        reporter_id=uuid.uuid4(),
        station_id=uuid.uuid4(),
        young_person_id=uuid.uuid4(),
        location_description="x",
        detained_at=detained,
        released_at=detained + timedelta(minutes=rng.randrange(10, 40 * 60)) if rng.random() < 0.7 else None,
        charged=charged,
        bail_refused=refused,
        custody=custody,
    )
    clock = None
    if refused and rng.random() < 0.8:
        outcome = rng.choice(["transferred", "secure_accommodation_requested", "certified_impracticable"])
        ground = rng.choice(
            ["extreme_weather", "court_appearance_imminent", "transfer_physically_impossible"]
        )
        clock = s38_clock(
            incident.id,
            "2026-10-01T00:00Z",
            met_at=detained + timedelta(hours=2),
            outcome=outcome,
            detail={"ground": ground} if outcome == "certified_impracticable" else {},
        )
    return flows.custody_case(incident, _random_person(rng), clock)


def _random_response_case(rng, flows):
    started = z("2026-10-01T00:00Z") + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
    incident = Incident(
        reference="x",
        kind="arrest",
        priority="P2",
        occurred_at=started,
        reporter_id=uuid.uuid4(),
        station_id=uuid.uuid4(),
        young_person_id=uuid.uuid4(),
        location_description="x",
    )
    person = _random_person(rng)
    which = rng.randrange(3)
    if which == 0:
        acked = started + timedelta(minutes=rng.randrange(0, 60)) if rng.random() < 0.8 else None
        page = Page(
            incident_id=incident.id,
            team_id=uuid.uuid4(),
            started_at=started,
            acknowledged_at=acked,
            level_index=rng.choice([0, 0, 1, 2]),
            uncovered_at=None if acked else rng.choice([None, started + timedelta(minutes=30)]),
        )
        return flows.page_case(page, incident, person)
    if which == 1:
        item = HandoverItem(
            incident_id=incident.id,
            team_id=uuid.uuid4(),
            due_at=started,
            picked_up_at=started + timedelta(minutes=rng.randrange(-60, 240)) if rng.random() < 0.8 else None,
            escalated_at=rng.choice([None, started + timedelta(minutes=90)]),
        )
        return flows.item_case(item, incident, person)
    clock = Clock(
        incident_id=incident.id,
        kind="rhi_72h",
        label="x",
        source="x",
        starts_at=started,
        due_at=started,
        met_at=rng.choice([None, started - timedelta(hours=1), started + timedelta(hours=1)]),
    )
    return flows.clock_case(clock, incident, person, z("2026-10-20T00:00Z"))


@pytest.mark.parametrize("report", ["custody", "response"])
def test_every_line_adds_up_and_no_hidden_count_can_be_worked_out(report):
    """Over 150 random months of cases built by the report's own rules: every line the
    suppression is told about is a true sum, and no hidden cell comes back by subtraction."""
    import random

    from api.flows import partnership_reports as flows
    from api.monitoring.suppression import recoverable
    from api.reports.tables import build, count, lines

    rows, times, make = (
        (flows.CUSTODY_ROWS, flows.CUSTODY_TIMES, _random_custody_case)
        if report == "custody"
        else (flows.RESPONSE_ROWS, flows.RESPONSE_TIMES, _random_response_case)
    )
    rng = random.Random(15)
    checked_hidden = 0
    for _ in range(150):
        cases = [make(rng, flows) for _ in range(rng.randrange(0, 40))]
        truth = count(cases, rows)
        every_line = lines(rows)
        for line in every_line:
            assert sum(truth[c] for c in line[:-1]) == truth[line[-1]], line
        table = build(cases, rows, times)
        shown = {}
        for r in table.rows:
            shown.update({(r.key, f"age:{k}"): v for k, v in r.age_band.items()})
            shown.update({(r.key, f"sex:{k}"): v for k, v in r.sex.items()})
            shown.update({(r.key, f"ethnicity:{k}"): v for k, v in r.ethnicity.items()})
            shown[(r.key, "total")] = r.total
        assert set(shown) == set(truth)
        assert all(v == H or v == truth[k] for k, v in shown.items())
        assert all(v == H for k, v in shown.items() if 0 < truth[k] < 5)
        assert recoverable(shown, truth, every_line) == set()
        checked_hidden += sum(1 for v in shown.values() if v == H)
    assert checked_hidden > 500


async def test_the_demos_reports_for_this_month_have_figures(client, settings, db):
    """The demo (loaded twice: once only) holds five detentions at Euston Street this month, so
    the current month's custody report and the city CCE response report are not empty: the
    appropriate adult's arrival for each, bail refused with a transfer and with a certificate
    of impracticability on a permitted ground."""
    await load_demo(settings)
    await load_demo(settings)
    response = await client.post(
        "/api/v1/auth/token", data={"username": "manager.duty", "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    current = (await client.get("/api/v1/reports/choices", headers=headers)).json()["current_month"]
    custody = await client.get(
        "/api/v1/reports/custody", params={"station": "euston-street", "month": current}, headers=headers
    )
    assert custody.status_code == 200, custody.text
    body = custody.json()
    # Five this month (six when last night's arrest fell in this month too): shown, not suppressed.
    assert row(body, "detained")["total"] in (5, 6)
    assert row(body, "aa_arrived")["total"] in (5, 6)
    for key in (
        "refused_bail",
        "s38:transferred",
        "s38:certified_impracticable",
        "ground:court_appearance_imminent",
    ):
        assert row(body, key)["total"] not in (0, None), key
    assert next(t for t in body["times"] if t["key"] == "aa_wait")["median"] is not None
    async with db.session() as session:
        children = (
            (await session.execute(select(YoungPerson).where(YoungPerson.first_name == "Tyler")))
            .scalars()
            .all()
        )
    assert len(children) == 1

    res = await client.get(
        "/api/v1/reports/response", params={"team": "city-cce", "month": current}, headers=headers
    )
    assert res.status_code == 200, res.text
    body = res.json()
    for key in ("paged", "acknowledged", "handover_items", "picked_up", "clocks_due"):
        assert row(body, key)["total"] not in (0, None), key
