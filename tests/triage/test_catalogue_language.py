"""Indicator labels in practitioners' language (issue 13): no label of the current catalogue may
use a term of api/triage/language/avoid.txt; the checker itself is shown to catch bad labels."""

from __future__ import annotations

from importlib import resources

import pytest

from api.triage.catalogue import Catalogue, Indicator, IndicatorGroup, load_catalogue
from api.triage.wording import avoid_terms, language_problems, parse_avoid_list, terms_in


def test_the_avoid_list_cites_its_source_and_names_what_to_say_instead():
    text = resources.files("api.triage").joinpath("language/avoid.txt").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("The Children's Society" in line for line in header)
    assert any("Appropriate language" in line for line in header)
    terms = avoid_terms()
    assert len(terms) >= 20
    assert all(t.term and t.instead for t in terms), [t for t in terms if not t.instead]
    for needed in ("unsafe sex", "partner", "boyfriend", "recruiting", "no comment", "promiscuous"):
        assert needed in {t.term for t in terms}, needed


def test_no_current_label_uses_an_avoided_term():
    assert language_problems(load_catalogue()) == []


def test_older_catalogues_did_use_them_so_the_check_can_fail():
    # v2 is still readable with its labels, and the same check finds its words.
    problems = language_problems(load_catalogue(2))
    assert ("HLT-SEXUAL-HEALTH", "unsafe sex") in problems
    assert ("REL-OLDER-PARTNER", "partner") in problems
    assert ("BEH-SECRETIVE", "no comment") in problems
    assert ("REL-RECRUITING", "introducing peers") in problems


@pytest.mark.parametrize(
    "label, term",
    [
        ("Has a BOYFRIEND aged 24", "boyfriend"),
        ("Older or controlling “partner”", "partner"),
        ("STI, pregnancy or unsafe sex", "unsafe sex"),
        ("Gave a no comment interview", "no comment"),
        ("Recruiting younger children", "recruiting"),
        ("Putting themselves at risk at night", "putting themselves at risk"),
    ],
)
def test_the_checker_finds_a_bad_label(label, term):
    bad = Catalogue(
        version=99,
        indicators=(Indicator(code="REL-BAD", label=label, category="cse", group="relationships"),),
        groups=(IndicatorGroup(code="relationships", label="People around them"),),
    )
    assert language_problems(bad) == [("REL-BAD", term)]


def test_the_checker_reads_group_labels_and_matches_whole_words_only():
    catalogue = Catalogue(
        version=99,
        indicators=(Indicator(code="REL-OK", label="Partnership agency", category="cse", group="g"),),
        groups=(IndicatorGroup(code="g", label="Relationship"),),
    )
    assert language_problems(catalogue) == [("g", "relationship")]
    assert terms_in("A sextortion threat") == []


def test_an_avoid_list_parses_terms_and_ignores_comments():
    terms = parse_avoid_list("# source\n\nUnsafe Sex | sexual health needs\n  gangs|groups  \n")
    assert [(t.term, t.instead) for t in terms] == [
        ("unsafe sex", "sexual health needs"),
        ("gangs", "groups"),
    ]
