"""The transition from catalogue v2 to v3 (pure): what intake records for each code it is sent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from api.triage.catalogue import entry_as_recorded, load_catalogue, newest_entry
from api.triage.transition import AppliedCode, Refusal, apply_code, describe, reading_catalogue

CURRENT = load_catalogue()
DURING = date(2027, 1, 15)
LAST_DAY = CURRENT.accepted_until[2]


def applied(code: str, today: date = DURING) -> AppliedCode:
    result = apply_code(code, today)
    assert isinstance(result, AppliedCode), result
    return result


def test_a_current_code_is_recorded_as_sent_against_v3():
    a = applied("MOV-CUCKOOING")
    assert (a.code, a.version, a.translated, a.kept) == ("MOV-CUCKOOING", 3, False, False)


@pytest.mark.parametrize(
    ("sent", "recorded"),
    [
        ("REL-OLDER-PARTNER", "REL-CONTROLLING-ADULT"),
        ("REL-RECRUITING", "REL-USED-TO-REACH-PEERS"),
        ("HLT-SEXUAL-HEALTH", "HLT-SEXUAL-HEALTH-NEEDS"),
        ("HRM-DISCLOSED-ASSAULT", "HRM-ASSAULT-DISCLOSED"),
    ],
)
def test_a_deprecated_code_with_a_replacement_is_translated(sent, recorded):
    a = applied(sent)
    assert (a.code, a.version, a.translated) == (recorded, 3, True)
    assert a.entry == CURRENT.require(recorded)
    assert a.why


@pytest.mark.parametrize("sent", ["BEH-SECRETIVE", "MOV-HOTEL-TRAPHOUSE"])
def test_a_deprecated_code_without_one_is_kept_with_its_own_version(sent):
    a = applied(sent)
    assert (a.code, a.version, a.kept, a.translated) == (sent, 2, True, False)
    assert a.entry == load_catalogue(2).require(sent)


def test_old_codes_are_accepted_to_the_last_day_and_refused_after():
    assert isinstance(apply_code("REL-OLDER-PARTNER", LAST_DAY), AppliedCode)
    after = apply_code("REL-OLDER-PARTNER", LAST_DAY + timedelta(days=1))
    assert isinstance(after, Refusal)
    assert "no longer accepted" in after.message and "use REL-CONTROLLING-ADULT" in after.message
    # A current code is never refused by the date.
    assert isinstance(apply_code("MOV-OUT-OF-AREA", date(2030, 1, 1)), AppliedCode)


def test_an_unknown_code_is_refused():
    refused = apply_code("NOT-A-CODE", DURING)
    assert isinstance(refused, Refusal) and refused.message == "unknown indicator 'NOT-A-CODE'"


def test_the_answer_lists_translations_and_kept_codes_once():
    codes = [applied(c) for c in ("REL-OLDER-PARTNER", "REL-OLDER-PARTNER", "BEH-SECRETIVE", "ITM-WEAPON")]
    answer = describe(codes)
    assert answer["version"] == 3
    assert [(t["sent"], t["recorded"]) for t in answer["translated"]] == [
        ("REL-OLDER-PARTNER", "REL-CONTROLLING-ADULT")
    ]
    assert [(k["code"], k["catalogue_version"]) for k in answer["kept"]] == [("BEH-SECRETIVE", 2)]


def test_triage_can_read_a_kept_code():
    reading = reading_catalogue([applied("BEH-SECRETIVE"), applied("ITM-WEAPON")])
    assert reading.get("BEH-SECRETIVE") == load_catalogue(2).require("BEH-SECRETIVE")
    assert reading.get("ITM-WEAPON") == CURRENT.require("ITM-WEAPON")
    assert reading_catalogue([applied("ITM-WEAPON")]) is CURRENT


def test_stored_rows_keep_the_label_of_their_version():
    assert entry_as_recorded("REL-OLDER-PARTNER", 1).label == 'Older or controlling "partner" or associate'
    assert entry_as_recorded("REL-KNOWN-EXPLOITERS", 1).label == "Links to known exploiters or gangs"
    assert entry_as_recorded("REL-KNOWN-EXPLOITERS", 3).label == CURRENT.require("REL-KNOWN-EXPLOITERS").label
    assert newest_entry("HLT-SEXUAL-HEALTH").label == "STI, pregnancy or unsafe sex"
    assert entry_as_recorded("NOT-A-CODE", 2) is None
