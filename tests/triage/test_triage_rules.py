"""Triage rules and the indicator catalogue: pure tests, no database and no HTTP."""

from __future__ import annotations

import json
import random
import uuid

import pytest

from api.triage.catalogue import (
    CATEGORIES,
    PROVENANCES,
    load_catalogue,
    parse_catalogue,
)
from api.triage.rules import ObservedIndicator, TeamRef, TriageCase, TriageOutcome, triage

AREA_NAMES = {
    "leicester-city": "Leicester City",
    "leicestershire": "Leicestershire",
    "rutland": "Rutland",
}


def _team(slug: str, specialism: str, area: str) -> TeamRef:
    # Ids derived from the slug so that a failure message names the same team every run.
    return TeamRef(id=uuid.uuid5(uuid.NAMESPACE_URL, slug), slug=slug, specialism=specialism, area=area)


CITY_CSE = _team("city-cse", "cse", "leicester-city")
CITY_CCE = _team("city-cce", "cce", "leicester-city")
CITY_EDT = _team("city-edt", "general", "leicester-city")
SHIRE_EDT = _team("shire-edt", "general", "leicestershire")
RUTLAND_CCE = _team("rutland-cce", "cce", "rutland")
# Listed out of order on purpose: triage must not depend on the order teams arrive in.
ALL_TEAMS = [RUTLAND_CCE, CITY_EDT, SHIRE_EDT, CITY_CCE, CITY_CSE]


def ind(code: str, provenance: str = "observed") -> ObservedIndicator:
    """An observed indicator whose category comes from the shipped catalogue."""
    entry = load_catalogue().get(code)
    assert entry is not None, code
    return ObservedIndicator(code=code, category=entry.category, provenance=provenance)


def case(
    *indicators: ObservedIndicator,
    age: int | None = 15,
    learning_disability: bool = False,
    location: str | None = "leicester-city",
    responsible: str | None = None,
    station: str | None = None,
    teams: list[TeamRef] | None = None,
) -> TriageCase:
    return TriageCase(
        kind="missing_return",
        indicators=list(indicators),
        age_years=age,
        learning_disability=learning_disability,
        location_area=location,
        responsible_area=responsible,
        station_area=station,
        teams=ALL_TEAMS if teams is None else teams,
    )


def run(triage_case: TriageCase) -> TriageOutcome:
    return triage(triage_case, area_names=AREA_NAMES)


# --- catalogue -------------------------------------------------------------------------------


def test_catalogue_v1_still_loads_all_26_indicators_with_unique_codes():
    catalogue = load_catalogue(1)
    codes = catalogue.codes()
    assert catalogue.version == 1
    assert len(codes) == 26
    assert len(set(codes)) == len(codes)
    assert [i.code for i in catalogue.all()] == list(codes)


def test_catalogue_v2_keeps_every_v1_code_with_its_meaning():
    second, first = load_catalogue(2), load_catalogue(1)
    for old in first.all():
        assert second.get(old.code) == old, old.code  # a code never changes meaning
    added = [c for c in second.codes() if first.get(c) is None]
    assert added == ["ITM-DRUGS-CONCEALED", "HRM-SEXUAL-ASSAULT"]
    with pytest.raises(ValueError, match="no indicator catalogue version 4"):
        load_catalogue(4)


V3_ADDED = {
    "MOV-CUCKOOING",
    "HRM-SEXTORTION",
    "HRM-EXPLOITER-VIOLENCE-DEBT",
    "MOV-SEVERAL-CHILDREN-ONE-ADDRESS",
    "MOV-HOTEL-SHORT-LET",
    "MOV-TAXI-RIDE-HAILING",
    "MOV-TRAIN-LONG-JOURNEY",
    "MOV-DRUG-SUPPLY-ADDRESS",
    "MOV-UNKNOWN-ADDRESS",
    "REL-CONTROLLING-ADULT",
    "REL-USED-TO-REACH-PEERS",
    "HLT-SEXUAL-HEALTH-NEEDS",
    "BEH-WITHDRAWN",
    "HRM-ASSAULT-DISCLOSED",
    "HRM-DISCLOSURE-RETRACTED",
}
V3_DEPRECATED = {
    "REL-OLDER-PARTNER": "REL-CONTROLLING-ADULT",
    "REL-RECRUITING": "REL-USED-TO-REACH-PEERS",
    "HLT-SEXUAL-HEALTH": "HLT-SEXUAL-HEALTH-NEEDS",
    "HRM-DISCLOSED-ASSAULT": "HRM-ASSAULT-DISCLOSED",
    "BEH-SECRETIVE": None,
    "MOV-HOTEL-TRAPHOUSE": None,
}


def test_catalogue_v3_is_the_default_deprecates_codes_and_never_reuses_one():
    latest, second = load_catalogue(), load_catalogue(2)
    assert latest.version == 3 and latest == load_catalogue(3)
    assert set(latest.codes()) - set(second.codes()) == V3_ADDED
    assert set(second.codes()) - set(latest.codes()) == set(V3_DEPRECATED)
    assert {d.code: d.replaced_by for d in latest.deprecated} == V3_DEPRECATED
    assert all(d.why for d in latest.deprecated)
    # A code kept from v2 keeps its meaning (category and group); only a label may be reworded.
    for old in second.all():
        kept = latest.get(old.code)
        if kept is not None:
            assert (kept.category, kept.group) == (old.category, old.group), old.code
    # Codes are never reused: no version defines a deprecated code again.
    every = {c for v in (1, 2, 3) for c in load_catalogue(v).codes()}
    assert not set(V3_DEPRECATED) & set(latest.codes())
    assert len(every) == len(set(second.codes()) | set(latest.codes()))
    # The earlier versions stay accepted for a documented transition period.
    assert set(latest.accepted_until) == {1, 2}


def test_a_catalogue_that_deprecates_a_live_code_or_replaces_with_nothing_known_is_refused():
    base = {"version": 9, "indicators": [{"code": "A-1", "label": "a", "category": "cse", "group": "g"}]}
    with pytest.raises(ValueError, match="still an indicator"):
        parse_catalogue({**base, "deprecated": [{"code": "A-1", "replaced_by": None, "why": "x"}]})
    with pytest.raises(ValueError, match="not an indicator"):
        parse_catalogue({**base, "deprecated": [{"code": "B-1", "replaced_by": "C-1", "why": "x"}]})


GROUP_PREFIXES = {
    "movement": "MOV",
    "items": "ITM",
    "relationships": "REL",
    "health": "HLT",
    "behaviour": "BEH",
    "harm": "HRM",
}


def test_every_indicator_has_a_valid_category_group_and_label():
    catalogue = load_catalogue()
    groups = {g.code for g in catalogue.groups}
    assert groups == {"movement", "items", "relationships", "health", "behaviour", "harm"}
    for indicator in catalogue.all():
        assert indicator.category in CATEGORIES, indicator
        assert indicator.group in groups, indicator
        assert indicator.label.strip(), indicator
        assert indicator.code.split("-")[0] == GROUP_PREFIXES[indicator.group], indicator


def test_catalogue_lookup_and_group_labels():
    catalogue = load_catalogue()
    entry = catalogue.get("MOV-OUT-OF-AREA")
    assert entry is not None
    assert (entry.label, entry.category, entry.group) == (
        "Found or arrested outside home area",
        "cce",
        "movement",
    )
    assert catalogue.get("NOT-A-CODE") is None
    assert catalogue.group_label("harm") == "Harm"
    assert all(g.label for g in catalogue.groups)


def test_catalogue_is_read_once():
    assert load_catalogue() is load_catalogue()


def test_provenances_keep_evidence_apart_from_feeling():
    assert PROVENANCES == ("observed", "disclosed", "intelligence", "concern")


@pytest.mark.parametrize(
    ("indicators", "message"),
    [
        (
            [
                {"code": "X-1", "group": "harm", "category": "cse", "label": "a"},
                {"code": "X-1", "group": "harm", "category": "cce", "label": "b"},
            ],
            "duplicate",
        ),
        ([{"code": "X-1", "group": "harm", "category": "sexual", "label": "a"}], "category"),
        ([{"code": "X-1", "group": "weather", "category": "cse", "label": "a"}], "group"),
    ],
)
def test_inconsistent_catalogue_is_refused(indicators, message):
    document = {
        "version": 2,
        "groups": [{"code": "harm", "label": "Harm"}],
        "indicators": indicators,
    }
    with pytest.raises(ValueError, match=message):
        parse_catalogue(document)


# --- categories and teams --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "categories", "teams"),
    [
        ([], ["general"], [CITY_EDT]),
        (["MOV-REPEAT-MISSING", "BEH-WITHDRAWN"], ["general"], [CITY_EDT]),
        (["REL-CONTROLLING-ADULT"], ["cse"], [CITY_CSE]),
        (["ITM-MULTIPLE-PHONES"], ["cce"], [CITY_CCE]),
        (["REL-CONTROLLING-ADULT", "ITM-WEAPON"], ["cse", "cce"], [CITY_CSE, CITY_CCE]),
        # cce listed first: the order of teams is still cse before cce.
        (["ITM-WEAPON", "HLT-SEXUAL-HEALTH-NEEDS"], ["cse", "cce"], [CITY_CSE, CITY_CCE]),
        (["HLT-SEXUAL-HEALTH-NEEDS", "MOV-HOTSPOT"], ["cse"], [CITY_CSE]),
        (["MOV-OUT-OF-AREA", "ITM-UNEXPLAINED-MONEY"], ["cce"], [CITY_CCE]),
        (
            ["MOV-HOTSPOT", "HRM-ONLINE-GROOMING", "ITM-DRUGS-CASH"],
            ["cse", "cce"],
            [CITY_CSE, CITY_CCE],
        ),
    ],
    ids=[
        "none",
        "general-only",
        "cse",
        "cce",
        "cse+cce",
        "cce-first",
        "cse+general",
        "cce+general",
        "cse+cce+general",
    ],
)
def test_categories_route_to_the_area_teams(codes, categories, teams):
    outcome = run(case(*(ind(c) for c in codes)))
    assert outcome.categories == categories
    assert outcome.teams == teams
    assert outcome.area == "leicester-city"
    assert outcome.needs_manager_review is False


@pytest.mark.parametrize(
    ("location", "responsible", "station", "area", "reason"),
    [
        (
            "rutland",
            "leicestershire",
            "leicester-city",
            "rutland",
            "Area Rutland from the location",
        ),
        (
            None,
            "leicestershire",
            "leicester-city",
            "leicestershire",
            "Area Leicestershire from the responsible local authority",
        ),
        (
            None,
            None,
            "leicester-city",
            "leicester-city",
            "Area Leicester City from the police station",
        ),
        ("", "", "leicestershire", "leicestershire", "Area Leicestershire from the police station"),
    ],
    ids=["location", "responsible", "station", "blank-is-missing"],
)
def test_area_is_location_then_responsible_authority_then_station(
    location, responsible, station, area, reason
):
    outcome = run(case(ind("ITM-WEAPON"), location=location, responsible=responsible, station=station))
    assert outcome.area == area
    assert outcome.reasons[0] == reason
    assert all(t.area == area for t in outcome.teams)


def test_no_area_flags_for_manager_review_and_pages_nobody():
    outcome = run(case(ind("ITM-WEAPON"), location=None, responsible=None, station=None))
    assert outcome.area is None
    assert outcome.teams == []
    assert outcome.needs_manager_review is True
    assert outcome.categories == ["cce"]
    assert any("No area" in r for r in outcome.reasons)
    assert any("manager review" in r for r in outcome.reasons)
    # Priority is still decided: the incident is flagged, never dropped.
    assert outcome.priority == "P2"


def test_missing_specialist_team_falls_back_to_the_general_team():
    outcome = run(case(ind("REL-CONTROLLING-ADULT"), location="leicestershire"))
    assert outcome.categories == ["cse"]
    assert outcome.teams == [SHIRE_EDT]
    assert outcome.needs_manager_review is False
    assert (
        "No CSE team in Leicestershire: routed to the general out-of-hours team (shire-edt)"
        in outcome.reasons
    )


def test_both_specialisms_missing_page_the_general_team_once():
    outcome = run(case(ind("REL-CONTROLLING-ADULT"), ind("ITM-WEAPON"), location="leicestershire"))
    assert outcome.teams == [SHIRE_EDT]
    fallbacks = [r for r in outcome.reasons if r.startswith("No ")]
    assert len(fallbacks) == 2
    assert "No CCE team in Leicestershire" in fallbacks[1]


def test_missing_specialist_and_no_general_team_flags_for_review_but_keeps_the_other_team():
    outcome = run(case(ind("REL-CONTROLLING-ADULT"), ind("ITM-WEAPON"), location="rutland"))
    assert outcome.teams == [RUTLAND_CCE]
    assert outcome.needs_manager_review is True
    assert (
        "No CSE team and no general out-of-hours team in Rutland: flagged for manager review"
        in outcome.reasons
    )


def test_general_incident_in_an_area_without_a_general_team_is_flagged():
    outcome = run(case(ind("MOV-REPEAT-MISSING"), location="rutland"))
    assert outcome.teams == []
    assert outcome.needs_manager_review is True
    assert "No general out-of-hours team in Rutland: flagged for manager review" in outcome.reasons


def test_area_without_any_team_is_flagged():
    outcome = run(case(ind("HLT-SEXUAL-HEALTH-NEEDS"), location="nottingham"))
    assert outcome.area == "nottingham"
    assert outcome.teams == []
    assert outcome.needs_manager_review is True
    # No display name given: the slug stands in.
    assert outcome.reasons[0] == "Area nottingham from the location"


def test_no_active_teams_at_all_is_flagged():
    outcome = run(case(teams=[]))
    assert outcome.teams == []
    assert outcome.needs_manager_review is True


def test_teams_of_other_areas_are_never_chosen():
    outcome = run(
        case(ind("ITM-WEAPON"), location="leicestershire", teams=[CITY_CCE, RUTLAND_CCE, SHIRE_EDT])
    )
    assert outcome.teams == [SHIRE_EDT]


def test_several_teams_of_one_specialism_are_all_paged_in_slug_order():
    second = _team("city-cse-north", "cse", "leicester-city")
    outcome = run(case(ind("REL-CONTROLLING-ADULT"), teams=[second, *ALL_TEAMS]))
    assert outcome.teams == [CITY_CSE, second]


# --- priority --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("triage_case", "priority", "reason"),
    [
        (case(age=12), "P1", "P1: under 13"),
        (case(ind("MOV-HOTSPOT"), age=8), "P1", "P1: under 13"),
        (case(ind("MOV-HOTSPOT"), learning_disability=True), "P1", "P1: learning disability"),
        (
            case(ind("HRM-ONLINE-GROOMING", "disclosed")),
            "P1",
            "P1: discloses harm, Grooming online (HRM-ONLINE-GROOMING, disclosed)",
        ),
        (
            case(ind("HRM-FEAR-REPRISAL", "disclosed")),
            "P1",
            "P1: discloses harm, Afraid of reprisals, or threats to family (HRM-FEAR-REPRISAL, disclosed)",
        ),
        (
            case(ind("HRM-ASSAULT-DISCLOSED", "concern")),
            "P1",
            "P1: discloses harm, Tells of being assaulted or hurt by someone "
            "(HRM-ASSAULT-DISCLOSED, concern)",
        ),
        (
            case(ind("HRM-HELD-AGAINST-WILL", "intelligence")),
            "P1",
            "P1: Abducted or held against their will (HRM-HELD-AGAINST-WILL, intelligence)",
        ),
    ],
    ids=[
        "under-13-no-indicators",
        "under-13",
        "learning-disability",
        "disclosed-cse-harm",
        "disclosed-cce-harm",
        "disclosed-assault-any-provenance",
        "held-against-will",
    ],
)
def test_each_p1_trigger(triage_case, priority, reason):
    outcome = run(triage_case)
    assert outcome.priority == priority
    assert reason in outcome.reasons


@pytest.mark.parametrize(
    ("triage_case", "priority", "reason"),
    [
        (case(ind("REL-CONTROLLING-ADULT"), ind("ITM-WEAPON")), "P2", "P2: CSE and CCE indicators"),
        (
            case(ind("MOV-HOTSPOT"), ind("BEH-WITHDRAWN"), ind("HLT-SUBSTANCES")),
            "P2",
            "P2: 3 indicators",
        ),
        (
            case(ind("MOV-HOTSPOT"), ind("BEH-WITHDRAWN")),
            "P3",
            "P3: no CSE or CCE indicator and fewer than 3 indicators",
        ),
        # A disclosure outside the harm group is not a disclosure of harm.
        (
            case(ind("HLT-INJURY", "disclosed")),
            "P3",
            "P3: no CSE or CCE indicator and fewer than 3 indicators",
        ),
        # The same indicator twice is one indicator, whatever its provenances.
        (
            case(
                ind("MOV-HOTSPOT", "observed"),
                ind("MOV-HOTSPOT", "intelligence"),
                ind("BEH-WITHDRAWN"),
            ),
            "P3",
            "P3: no CSE or CCE indicator and fewer than 3 indicators",
        ),
        (case(), "P3", "P3: no indicators"),
        (
            case(ind("MOV-HOTSPOT"), age=13),
            "P3",
            "P3: no CSE or CCE indicator and fewer than 3 indicators",
        ),
    ],
    ids=[
        "cse+cce",
        "three-general",
        "two-general",
        "disclosed-non-harm",
        "duplicate-code",
        "nothing",
        "aged-13",
    ],
)
def test_p2_and_p3(triage_case, priority, reason):
    outcome = run(triage_case)
    assert outcome.priority == priority
    assert reason in outcome.reasons
    assert not any(r.startswith("P1") for r in outcome.reasons)


def test_every_p1_trigger_is_given_as_a_reason():
    outcome = run(
        case(
            ind("HRM-HELD-AGAINST-WILL"),
            ind("HRM-ASSAULT-DISCLOSED", "disclosed"),
            age=11,
            learning_disability=True,
        )
    )
    assert outcome.priority == "P1"
    assert [r for r in outcome.reasons if r.startswith("P")] == [
        "P1: under 13",
        "P1: learning disability",
        "P1: Abducted or held against their will (HRM-HELD-AGAINST-WILL, observed)",
        "P1: discloses harm, Tells of being assaulted or hurt by someone (HRM-ASSAULT-DISCLOSED, disclosed)",
    ]


@pytest.mark.parametrize("code", load_catalogue().codes())
@pytest.mark.parametrize("provenance", PROVENANCES)
@pytest.mark.parametrize(
    ("age", "learning_disability"),
    [(12, False), (0, False), (16, True)],
    ids=["under-13", "infant", "learning-disability"],
)
def test_never_low_for_a_young_or_disabled_child_with_any_indicator(
    code, provenance, age, learning_disability
):
    outcome = run(case(ind(code, provenance), age=age, learning_disability=learning_disability))
    assert outcome.priority != "P3"
    assert outcome.priority == "P1"


def test_the_same_single_indicator_can_be_low_for_an_older_child():
    # Counterpart of the never-low rule, so that the rule is shown to change something.
    assert run(case(ind("MOV-HOTSPOT"), age=15)).priority == "P3"
    assert run(case(ind("MOV-HOTSPOT"), age=12)).priority == "P1"
    assert run(case(ind("MOV-HOTSPOT"), age=15, learning_disability=True)).priority == "P1"


# --- reasons and output ----------------------------------------------------------------------


def test_reasons_tell_the_whole_story_in_order():
    outcome = run(
        case(
            ind("ITM-UNEXPLAINED-MONEY", "concern"),
            ind("MOV-OUT-OF-AREA"),
            ind("REL-CONTROLLING-ADULT", "intelligence"),
            age=15,
        )
    )
    assert outcome.reasons == [
        "Area Leicester City from the location",
        "CSE: An adult or older young person who has power or control over them "
        "(REL-CONTROLLING-ADULT, intelligence)",
        "CCE: Found or arrested outside home area (MOV-OUT-OF-AREA, observed)",
        "General: Money, clothes or gifts they cannot explain (ITM-UNEXPLAINED-MONEY, concern)",
        "Routed to the Leicester City CSE team (city-cse)",
        "Routed to the Leicester City CCE team (city-cce)",
        "P2: CSE and CCE indicators",
        "P2: 3 indicators",
    ]


def test_outcome_is_deterministic_whatever_the_order_of_teams():
    indicators = [ind("ITM-WEAPON"), ind("HLT-SEXUAL-HEALTH-NEEDS"), ind("MOV-HOTSPOT")]
    first = run(case(*indicators))
    shuffled = list(ALL_TEAMS)
    random.Random(7).shuffle(shuffled)
    second = run(case(*indicators, teams=shuffled))
    assert first == second
    assert run(case(*indicators)) == first


def test_reasons_never_quote_anything_outside_the_catalogue():
    free_text = ObservedIndicator(
        code="Jane Smith told me about Dave", category="cse", provenance="said she was scared"
    )
    outcome = run(case(free_text))
    text = " ".join(outcome.reasons)
    for word in ("Jane", "Smith", "Dave", "scared"):
        assert word not in text
    # It still routes by its category: validation of codes is intake's job.
    assert outcome.categories == ["cse"]
    assert "CSE: an indicator not in the catalogue" in outcome.reasons


def test_reasons_give_age_as_a_band_not_a_number():
    outcome = run(case(ind("MOV-HOTSPOT"), age=9))
    assert "P1: under 13" in outcome.reasons
    assert not any("9" in r for r in outcome.reasons)


def test_to_dict_is_json_with_team_ids_as_strings():
    outcome = run(case(ind("REL-CONTROLLING-ADULT"), ind("ITM-WEAPON"), location="rutland"))
    document = outcome.to_dict()
    assert json.loads(json.dumps(document)) == document
    assert document["area"] == "rutland"
    assert document["categories"] == ["cse", "cce"]
    assert document["teams"] == [
        {"id": str(RUTLAND_CCE.id), "slug": "rutland-cce", "specialism": "cce", "area": "rutland"}
    ]
    assert document["priority"] == "P2"
    assert document["needs_manager_review"] is True
    assert document["reasons"] == outcome.reasons


def test_a_custom_catalogue_supplies_labels_and_groups():
    custom = parse_catalogue(
        {
            "version": 2,
            "indicators": [
                {"code": "HRM-NEW", "group": "harm", "category": "general", "label": "New harm"},
            ],
        }
    )
    new_harm = ObservedIndicator("HRM-NEW", "general", "disclosed")
    outcome = triage(case(new_harm), area_names=AREA_NAMES, catalogue=custom)
    assert outcome.priority == "P1"
    assert "P1: discloses harm, New harm (HRM-NEW, disclosed)" in outcome.reasons
    # Unknown to the shipped catalogue, the same indicator is neither harm nor quoted.
    shipped = triage(case(new_harm), area_names=AREA_NAMES)
    assert shipped.priority == "P3"
    assert not any("HRM-NEW" in r for r in shipped.reasons)


# --- catalogue v3: new codes, context routing, the never-low rules with them -----------------


@pytest.mark.parametrize(
    ("codes", "categories", "priority"),
    [
        (["MOV-CUCKOOING"], ["cce"], "P2"),
        (["HRM-SEXTORTION"], ["cse"], "P1"),
        (["HRM-EXPLOITER-VIOLENCE-DEBT"], ["cce"], "P1"),
        (["MOV-SEVERAL-CHILDREN-ONE-ADDRESS"], ["general"], "P3"),
        (["MOV-HOTEL-SHORT-LET"], ["general"], "P3"),
        (["MOV-TAXI-RIDE-HAILING"], ["general"], "P3"),
        (["MOV-TRAIN-LONG-JOURNEY"], ["cce"], "P2"),
        (["MOV-DRUG-SUPPLY-ADDRESS"], ["cce"], "P2"),
        (["REL-USED-TO-REACH-PEERS"], ["cce"], "P2"),
        (["BEH-WITHDRAWN"], ["general"], "P3"),
        # A disclosure and its retraction are two facts; each is harm, so never low.
        (["HRM-ASSAULT-DISCLOSED"], ["general"], "P1"),
        (["HRM-DISCLOSURE-RETRACTED"], ["general"], "P1"),
        # An assault by people supplying drugs is CCE work, not CSE.
        (["HRM-ASSAULT-DISCLOSED", "ITM-DRUGS-CASH"], ["cce"], "P1"),
        (["HRM-ASSAULT-DISCLOSED", "HRM-SEXTORTION"], ["cse"], "P1"),
        # A sexual assault is CSE work and, by people supplying drugs, CCE as well.
        (["HRM-SEXUAL-ASSAULT", "MOV-CUCKOOING"], ["cse", "cce"], "P1"),
        (["HRM-HELD-AGAINST-WILL", "MOV-CUCKOOING"], ["cce"], "P1"),
        (
            ["MOV-HOTEL-SHORT-LET", "MOV-TAXI-RIDE-HAILING", "MOV-SEVERAL-CHILDREN-ONE-ADDRESS"],
            ["general"],
            "P2",
        ),
    ],
)
def test_v3_codes_route_and_rate(codes, categories, priority):
    outcome = run(case(*(ind(c) for c in codes), age=15))
    assert outcome.categories == categories
    assert outcome.priority == priority


def test_a_harm_indicator_routed_by_its_context_says_so():
    outcome = run(case(ind("HRM-ASSAULT-DISCLOSED", "disclosed"), ind("ITM-DRUGS-CASH"), age=15))
    assert outcome.teams == [CITY_CCE]
    assert "Routed by its context: HRM-ASSAULT-DISCLOSED goes with the CCE indicators" in outcome.reasons
    sexual = run(case(ind("HRM-SEXUAL-ASSAULT"), ind("ITM-DRUGS-CASH"), age=15))
    assert sexual.teams == [CITY_CSE, CITY_CCE]
    assert "Routed by its context: HRM-SEXUAL-ASSAULT goes with the CCE indicators" in sexual.reasons
    # Without context it goes to its own team, with no such reason.
    alone = run(case(ind("HRM-ASSAULT-DISCLOSED"), age=15))
    assert alone.teams == [CITY_EDT]
    assert not any(r.startswith("Routed by its context") for r in alone.reasons)


def test_under_v2_the_same_assault_was_paged_to_cse_too():
    # What v3 changed: v2's assault code was CSE whatever its context.
    v2 = load_catalogue(2)
    entry = v2.require("HRM-DISCLOSED-ASSAULT")
    old = ObservedIndicator("HRM-DISCLOSED-ASSAULT", entry.category, "disclosed")
    drugs = ObservedIndicator("ITM-DRUGS-CASH", "cce", "observed")
    outcome = triage(case(old, drugs, age=15), area_names=AREA_NAMES, catalogue=v2)
    assert outcome.categories == ["cse", "cce"]
    assert outcome.priority == "P1"


@pytest.mark.parametrize("code", sorted(V3_ADDED))
@pytest.mark.parametrize(("age", "learning_disability"), [(12, False), (16, True)])
def test_never_low_rules_hold_for_every_new_code(code, age, learning_disability):
    outcome = run(case(ind(code), age=age, learning_disability=learning_disability))
    assert outcome.priority == "P1"
    unknown_age = triage(
        TriageCase(
            kind="arrest",
            indicators=[ind(code)],
            age_years=None,
            learning_disability=False,
            location_area="leicester-city",
            responsible_area=None,
            station_area=None,
            teams=ALL_TEAMS,
            age_known=False,
        ),
        area_names=AREA_NAMES,
    )
    assert unknown_age.priority in ("P1", "P2"), code
