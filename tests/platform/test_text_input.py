"""Text in requests: NFC everywhere, no invisible characters where text identifies someone
(issue 10, finding 9).

Before, a name could carry a right-to-left override or a zero-width space (two records that
look the same but differ, or a reference shown reversed), text was stored as typed (NFD from
some keyboards, so a search in NFC missed it), and a NUL or a lone surrogate reached the
database (a 500 on PostgreSQL).
"""

from __future__ import annotations

import json
import types
import typing
import unicodedata
import uuid

import pytest
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import func, select

import api.main  # noqa: F401 - loads every schema module
from api.auth.schemas import WriteModel
from api.incidents.models import Incident
from api.people.models import YoungPerson
from api.teams.models import Team
from api.textinput import _nfc
from tests.conftest import one_database
from tests.incident_payloads import report
from tests.support_helpers import attended_incident, offer_body, offer_url

BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
OTHER_INVISIBLE = ["\u200b", "\u200e", "\u200f", "\ufeff", "\u00ad", "\u061c", "\u2060", "\u180e"]
CONTROLS = ["\x00", "\n", "\x1b", "\x7f", "\u2028"]
NFD = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731

# Where a young person's identifying text goes in a report, and the field the problem names.
IDENTIFYING_FIELDS = {
    "young_person.first_name": lambda v: {"young_person": {"first_name": f"Jo{v}rdan", "last_name": "Reyes"}},
    "young_person.last_name": lambda v: {"young_person": {"first_name": "Jordan", "last_name": f"Rey{v}es"}},
    "young_person.aliases.0": lambda v: {
        "young_person": {"first_name": "Jordan", "last_name": "Reyes", "aliases": [f"J{v}J"]}
    },
    "young_person.la_reference": lambda v: {
        "young_person": {"first_name": "Jordan", "last_name": "Reyes", "la_reference": f"LCC-{v}1234"}
    },
    "police_reference": lambda v: {"police_reference": f"LP-{v}2026"},
    "police_references.0": lambda v: {"police_references": [f"CUST{v}0042"]},
    "custody.released_to": lambda v: {"custody": {"status": "released", "released_to": f"Mum{v}"}},
    "location.description": lambda v: {"location": {"description": f"Bus {v}station"}},
}


async def _count(db, model) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def assert_refused(response, field: str) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors, errors
    return errors[field]


async def _post_raw(client, url: str, body: dict, headers: dict):
    """JSON with \\u escapes, so a lone surrogate can be sent as a client could send it."""
    return await client.post(
        url,
        content=json.dumps(body, ensure_ascii=True),
        headers={**headers, "content-type": "application/json"},
    )


# -- refused characters --------------------------------------------------------------------------
# A refused text never reaches a handler (the request's schema refuses it), so those tests run on
# one database (`one_database`); what is stored is checked on both.


@pytest.mark.parametrize("char", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", list(IDENTIFYING_FIELDS))
@one_database
async def test_bidi_controls_are_refused_in_identifying_fields(client, db, police, field, char):
    response = await client.post(
        "/api/v1/incidents", json=report(**IDENTIFYING_FIELDS[field](char)), headers=police.headers
    )
    message = assert_refused(response, field)
    assert f"U+{ord(char):04X}" in message
    assert await _count(db, Incident) == 0 and await _count(db, YoungPerson) == 0


@pytest.mark.parametrize("char", OTHER_INVISIBLE + CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
@one_database
async def test_other_invisible_and_control_characters_are_refused_in_names(client, db, police, char):
    body = report(**IDENTIFYING_FIELDS["young_person.first_name"](char))
    assert_refused(
        await client.post("/api/v1/incidents", json=body, headers=police.headers), "young_person.first_name"
    )
    assert await _count(db, Incident) == 0


@pytest.mark.parametrize(
    "name",
    [
        "\u200cJordan",  # ZWNJ at the start
        "Jordan\u200d",  # ZWJ at the end
        "Jor \u200cdan",  # next to a space
        "Jor\u200c\u200cdan",  # two in a row
        "Jordan\u200c2",  # before a digit
    ],
)
@one_database
async def test_joiners_outside_a_word_are_refused(client, db, police, name):
    body = report(young_person={"first_name": name, "last_name": "Reyes"})
    assert_refused(
        await client.post("/api/v1/incidents", json=body, headers=police.headers), "young_person.first_name"
    )


async def test_joiners_inside_a_word_are_kept_for_persian_and_indic_names(client, db, police, manager):
    persian = "\u0645\u0647\u062f\u06cc\u200c\u0632\u0627\u062f\u0647"  # Mahdi-zadeh with a ZWNJ
    sinhala = "\u0dc1\u0dca\u200d\u0dbb\u0dd3"  # a conjunct made with ZWJ
    body = report(young_person={"first_name": sinhala, "last_name": persian, "aliases": [persian]})
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    async with db.session() as session:
        person = (await session.execute(select(YoungPerson))).scalar_one()
    assert (person.first_name, person.last_name, person.aliases) == (sinhala, persian, [persian])


@pytest.mark.parametrize("char", ["\ud800", "\udfff", "\x00"], ids=["high-surrogate", "low-surrogate", "NUL"])
@one_database
async def test_lone_surrogates_and_nul_are_refused_in_free_text_too(client, db, police, char):
    body = report(circumstances=f"Found at {char} the station.")
    assert_refused(await _post_raw(client, "/api/v1/incidents", body, police.headers), "circumstances")
    body = report(young_person={"first_name": f"Jo{char}", "last_name": "Reyes"})
    assert_refused(
        await _post_raw(client, "/api/v1/incidents", body, police.headers), "young_person.first_name"
    )
    assert await _count(db, Incident) == 0


async def test_free_text_keeps_bidi_marks_and_line_breaks(client, db, police):
    circumstances = "Said \u200fمرحبا\u200f to staff.\nLeft at 02:10.\tCalm."
    response = await client.post(
        "/api/v1/incidents", json=report(circumstances=circumstances), headers=police.headers
    )
    assert response.status_code == 201, response.text
    async with db.session() as session:
        assert (await session.execute(select(Incident.circumstances))).scalar_one() == circumstances


async def test_other_schemas_use_the_same_rules(client, db, world, make_user, manager):
    admin = await make_user("admin")
    team = {"slug": "x-team", "name": "Team\u202eX", "specialism": "cse", "area": "rutland"}
    assert_refused(await client.post("/api/v1/teams", json=team, headers=admin.headers), "name")
    assert await _count(db, Team) == len(world.teams)
    user = {
        "username": "someone",
        "display_name": "Some\u200bone",
        "password": "a long enough password",
        "roles": ["worker"],
    }
    assert_refused(await client.post("/api/v1/users", json=user, headers=admin.headers), "display_name")
    incident, worker, _ = await attended_incident(db, world, make_user)
    offer = offer_body(notes="Lift\x00home")
    assert_refused(
        await client.put(offer_url(incident.id, uuid.uuid4()), json=offer, headers=worker.headers), "notes"
    )
    listed = await client.get("/api/v1/incidents", params={"team": "city\u202ecce"}, headers=manager.headers)
    assert_refused(listed, "team")


# -- NFC ---------------------------------------------------------------------------------------------


async def test_a_decomposed_name_matches_the_record_stored_composed(client, db, police):
    name = {"first_name": "Łukasz", "last_name": "Świątek", "date_of_birth": "2011-04-02"}
    first = await client.post("/api/v1/incidents", json=report(young_person=name), headers=police.headers)
    assert first.status_code == 201, first.text
    decomposed = {**name, "first_name": NFD("Łukasz"), "last_name": NFD("Świątek")}
    assert decomposed["last_name"] != name["last_name"]  # really sent decomposed
    second = await client.post(
        "/api/v1/incidents", json=report(young_person=decomposed), headers=police.headers
    )
    assert second.status_code == 201, second.text
    async with db.session() as session:
        people = list((await session.execute(select(YoungPerson))).scalars())
        young_people = set((await session.execute(select(Incident.young_person_id))).scalars())
    assert len(people) == 1 and len(young_people) == 1
    assert (people[0].first_name, people[0].last_name) == ("Łukasz", "Świątek")


async def test_text_is_stored_composed(client, db, police):
    body = report(
        young_person={"first_name": NFD("Zoë"), "last_name": NFD("Núñez"), "aliases": [NFD("Renée")]},
        location={"description": NFD("Café Rouge, Granby Street"), "area": "leicester-city"},
        circumstances=NFD("Told staff he'd been to the café."),
    )
    response = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert response.status_code == 201, response.text
    async with db.session() as session:
        person = (await session.execute(select(YoungPerson))).scalar_one()
        incident = (await session.execute(select(Incident))).scalar_one()
    assert (person.first_name, person.last_name, person.aliases) == ("Zoë", "Núñez", ["Renée"])
    assert incident.location_description == "Café Rouge, Granby Street"
    assert incident.circumstances == "Told staff he'd been to the café."


async def test_a_decomposed_search_finds_the_composed_place(client, db, police, manager):
    body = report(location={"description": "Café Rouge, Granby Street", "area": "leicester-city"})
    created = await client.post("/api/v1/incidents", json=body, headers=police.headers)
    assert created.status_code == 201, created.text
    listed = await client.get("/api/v1/incidents", params={"location": NFD("café")}, headers=manager.headers)
    assert [i["id"] for i in listed.json()["items"]] == [created.json()["id"]]
    searched = await client.post(
        "/api/v1/incidents/search", json={"location": NFD("Café Rouge")}, headers=manager.headers
    )
    assert [i["id"] for i in searched.json()["items"]] == [created.json()["id"]]


# -- every text field of every request body goes through the shared validator --------------------------


def _write_models() -> list[type[BaseModel]]:
    found, todo = [], [WriteModel]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def _bare_str(tp) -> bool:
    """True when `tp` holds a `str` that is not annotated with the NFC validator."""
    origin = typing.get_origin(tp)
    if tp is str:
        return True
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        if base is str:
            return not any(isinstance(m, BeforeValidator) and m.func is _nfc for m in meta)
        return _bare_str(base)
    if origin is dict:
        return _bare_str(typing.get_args(tp)[1])  # keys are field names, values are text
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        return any(_bare_str(a) for a in typing.get_args(tp))
    return False


def test_every_text_field_of_every_request_body_is_normalised():
    # Compared exactly as sent, never displayed or matched: a password, and the OpenID protocol's
    # values (the code, the PKCE verifier, the nonce and the redirect URI are checked byte for byte).
    exempt = {
        "UserCreate.password",
        "OidcTokenIn.code",
        "OidcTokenIn.code_verifier",
        "OidcTokenIn.redirect_uri",
        "OidcTokenIn.nonce",
    }
    models = _write_models()
    assert len(models) > 15
    bare = []
    for model in models:
        hints = typing.get_type_hints(model, include_extras=True)
        for name in model.model_fields:
            if f"{model.__name__}.{name}" not in exempt and _bare_str(hints[name]):
                bare.append(f"{model.__module__}.{model.__name__}.{name}")
    assert bare == []
