"""Triage knows the child's situation: the never-low table, unknown age, care leavers (pure)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from api.triage.catalogue import PROVENANCES, load_catalogue
from api.triage.rules import (
    MEDICAL_EMERGENCY_PROMPT,
    ObservedIndicator,
    TeamRef,
    TriageCase,
    age_problems,
    is_adult,
    triage,
)

CITY = "leicester-city"
TEAMS = [
    TeamRef(uuid.uuid5(uuid.NAMESPACE_URL, slug), slug, specialism, CITY)
    for slug, specialism in (("city-cse", "cse"), ("city-cce", "cce"), ("city-edt", "general"))
]
HARM_CODES = [i.code for i in load_catalogue().all() if i.group == "harm"]


def ind(code: str, provenance: str = "observed") -> ObservedIndicator:
    entry = load_catalogue().get(code)
    assert entry is not None, code
    return ObservedIndicator(code, entry.category, provenance)


def case(*indicators: ObservedIndicator, **situation: object) -> TriageCase:
    plain = TriageCase(
        kind="stop_conversation",
        indicators=list(indicators),
        age_years=14,
        learning_disability=False,
        location_area=CITY,
        responsible_area=None,
        station_area=None,
        teams=TEAMS,
    )
    return replace(plain, **situation)


# Each never-low rule: the case, the reason it must give. The counterpart below shows the same
# child without that fact is not P1, so each rule is seen to change the answer.
NEVER_LOW = [
    (
        "police-protection-no-indicator",
        case(custody_status="police_protection"),
        "P1: in police protection (Children Act 1989 s46)",
    ),
    (
        "police-protection-by-start-time",
        case(police_protection=True),
        "P1: in police protection (Children Act 1989 s46)",
    ),
    (
        "charged-refused-bail-drugs-traphouse",
        case(
            ind("ITM-DRUGS-CASH"),
            ind("MOV-DRUG-SUPPLY-ADDRESS"),
            kind="arrest",
            custody_status="charged_refused_bail",
        ),
        "P1: charged and refused bail (PACE s38(6))",
    ),
    (
        "charged-refused-bail-by-flags",
        case(kind="arrest", custody_status="in_custody", charged_bail_refused=True),
        "P1: charged and refused bail (PACE s38(6))",
    ),
    (
        "looked-after-missing-return",
        case(kind="missing_return", legal_status="looked_after"),
        "P1: looked-after child returning from missing",
    ),
    (
        "looked-after-arrested-while-missing",
        case(kind="arrest", legal_status="looked_after", was_missing=True),
        "P1: looked-after child returning from missing",
    ),
    (
        "drugs-concealed-internally",
        case(ind("ITM-DRUGS-CONCEALED")),
        "P1: drugs concealed internally: a medical emergency",
    ),
    ("under-13", case(age_years=12), "P1: under 13"),
    (
        "looks-under-13-age-not-known",
        case(age_years=11, age_known=False),
        "P1: looks under 13 (age not known)",
    ),
    (
        "sexual-assault-intelligence",
        case(ind("HRM-SEXUAL-ASSAULT", "intelligence")),
        "P1: harm indicator, whatever its provenance: Sexual assault disclosed or reported "
        "(HRM-SEXUAL-ASSAULT, intelligence)",
    ),
    (
        "grooming-observed",
        case(ind("HRM-ONLINE-GROOMING", "observed")),
        "P1: harm indicator, whatever its provenance: Grooming online (HRM-ONLINE-GROOMING, observed)",
    ),
    (
        "reprisal-concern",
        case(ind("HRM-FEAR-REPRISAL", "concern")),
        "P1: harm indicator, whatever its provenance: Afraid of reprisals, or threats to family "
        "(HRM-FEAR-REPRISAL, concern)",
    ),
]

COUNTERPARTS = {
    "police-protection-no-indicator": case(custody_status="released"),
    "police-protection-by-start-time": case(),
    "charged-refused-bail-drugs-traphouse": case(
        ind("ITM-DRUGS-CASH"), ind("MOV-DRUG-SUPPLY-ADDRESS"), kind="arrest", custody_status="bailed"
    ),
    "charged-refused-bail-by-flags": case(kind="arrest", custody_status="in_custody"),
    "looked-after-missing-return": case(kind="missing_return", legal_status="child_in_need"),
    "looked-after-arrested-while-missing": case(kind="arrest", legal_status="looked_after"),
    "drugs-concealed-internally": case(ind("ITM-DRUGS-CASH")),
    "under-13": case(age_years=13),
    "looks-under-13-age-not-known": case(age_years=13, age_known=False),
    "sexual-assault-intelligence": case(ind("HLT-SEXUAL-HEALTH-NEEDS", "intelligence")),
    "grooming-observed": case(ind("REL-CONTROLLING-ADULT", "observed")),
    "reprisal-concern": case(ind("REL-KNOWN-EXPLOITERS", "concern")),
}


@pytest.mark.parametrize(("name", "triage_case", "reason"), NEVER_LOW, ids=[n for n, _, _ in NEVER_LOW])
def test_never_low_rules_give_p1_with_their_reason(name, triage_case, reason):
    outcome = triage(triage_case)
    assert outcome.priority == "P1", outcome.reasons
    assert reason in outcome.reasons
    without = triage(COUNTERPARTS[name])
    assert without.priority != "P1", (name, without.reasons)
    assert reason not in without.reasons


@pytest.mark.parametrize("code", HARM_CODES)
@pytest.mark.parametrize("provenance", PROVENANCES)
def test_any_harm_indicator_is_p1_whatever_its_provenance(code, provenance):
    outcome = triage(case(ind(code, provenance)))
    assert outcome.priority == "P1"
    assert any(r.startswith("P1:") and f"({code}, {provenance})" in r for r in outcome.reasons)


def test_concealed_drugs_prompt_the_hospital():
    outcome = triage(case(ind("ITM-DRUGS-CONCEALED")))
    assert outcome.prompts == [MEDICAL_EMERGENCY_PROMPT]
    assert "hospital" in MEDICAL_EMERGENCY_PROMPT.lower()
    assert outcome.to_dict()["prompts"] == [MEDICAL_EMERGENCY_PROMPT]
    assert triage(case(ind("ITM-DRUGS-CASH"))).prompts == []


def test_the_night_in_the_issue_is_no_longer_at_the_bottom_of_the_queue():
    # A 14-year-old in police protection with nothing ticked was P3, general team.
    assert triage(case(custody_status="police_protection")).priority == "P1"
    # Charged and refused bail with drugs and a trap house was P2.
    refused = case(
        ind("ITM-DRUGS-CASH"), ind("MOV-DRUG-SUPPLY-ADDRESS"), custody_status="charged_refused_bail"
    )
    assert triage(refused).priority == "P1"
    # Unknown age with injury and self-harm was P3.
    unknown = triage(case(ind("HLT-INJURY"), ind("HLT-SELF-HARM"), age_years=None, age_known=False))
    assert unknown.priority == "P2"
    assert "P2: age not known (may be under 13) with an indicator is never rated low" in unknown.reasons
    assert "Age not known: treated as a child (Modern Slavery Act 2015 s51)" in unknown.reasons


def test_a_known_age_of_15_with_the_same_indicators_can_still_be_low():
    outcome = triage(case(ind("HLT-INJURY"), ind("HLT-SELF-HARM"), age_years=15))
    assert outcome.priority == "P3"
    assert not any("Age not known" in r for r in outcome.reasons)


def test_an_apparent_age_is_not_a_known_age():
    outcome = triage(case(ind("MOV-HOTSPOT"), age_years=16, age_known=False))
    assert outcome.priority == "P2"
    assert "Age not known: treated as a child (Modern Slavery Act 2015 s51)" in outcome.reasons


@pytest.mark.parametrize(
    ("age", "known", "legal_status", "problems"),
    [
        (17, True, "none", []),
        (17, True, "care_leaver", []),
        (
            18,
            True,
            "none",
            [
                ("young_person.date_of_birth", "18 or over: only care leavers aged 18 to 25 are accepted"),
                ("young_person.legal_status", "must be care_leaver for someone aged 18 to 25"),
            ],
        ),
        (
            21,
            True,
            "looked_after",
            [
                ("young_person.date_of_birth", "18 or over: only care leavers aged 18 to 25 are accepted"),
                ("young_person.legal_status", "must be care_leaver for someone aged 18 to 25"),
            ],
        ),
        (18, True, "care_leaver", []),
        (25, True, "care_leaver", []),
        (26, True, "care_leaver", [("young_person.date_of_birth", "older than 25")]),
        (None, False, "none", []),
        (22, False, "none", []),  # an apparent age only: presumed a child (MSA 2015 s51)
    ],
)
def test_who_is_accepted_and_who_is_an_adult(age, known, legal_status, problems):
    assert age_problems(age, known, legal_status) == problems
    assert is_adult(age, known) is (known and age is not None and age >= 18)


def test_a_care_leaver_is_told_apart_in_the_reasons():
    outcome = triage(case(age_years=19, legal_status="care_leaver"))
    assert "Care leaver aged 18 to 25: no child-only clocks" in outcome.reasons
