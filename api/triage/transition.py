"""The transition between catalogue versions: which code intake records for a code it is sent.

Pure: no database, no clock (the caller passes the day). A code of the current catalogue is
recorded as it is. A code that only an earlier version defines is accepted until the last day
the current version gives for that version (``accepted_until``), then refused:

- deprecated with a replacement (the same meaning in better words): the replacement is
  recorded, against the current version, and the answer says so (``translated``);
- deprecated without one (its meaning was mixed): the code is recorded as sent, against the
  version that defined it, and triaged with that version's meaning; the answer flags it
  (``kept``) with the reason and the codes to use instead.

A stored row always keeps the version it was read against, so every label it is shown with is
the one it was recorded with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from api.triage.catalogue import CATALOGUE_VERSIONS, Catalogue, Indicator, load_catalogue


@dataclass(frozen=True)
class AppliedCode:
    """How one code sent to intake is recorded."""

    sent: str
    code: str  # what is recorded
    version: int  # the catalogue version the recorded code is read against
    entry: Indicator
    why: str | None = None  # set when the code sent was deprecated

    @property
    def translated(self) -> bool:
        return self.code != self.sent

    @property
    def kept(self) -> bool:
        return self.why is not None and not self.translated


@dataclass(frozen=True)
class Refusal:
    """Why a code sent to intake is refused (an unknown code, or past its transition)."""

    message: str


def apply_code(code: str, today: date, catalogue: Catalogue | None = None) -> AppliedCode | Refusal:
    """How intake records ``code`` on ``today`` under ``catalogue`` (the current one by default)."""
    catalogue = catalogue or load_catalogue()
    entry = catalogue.get(code)
    if entry is not None:
        return AppliedCode(sent=code, code=code, version=catalogue.version, entry=entry)
    defined_in = [v for v in CATALOGUE_VERSIONS if v < catalogue.version and load_catalogue(v).get(code)]
    if not defined_in:
        return Refusal(f"unknown indicator '{code}'")
    version = defined_in[-1]
    deprecation = catalogue.deprecation(code)
    instead = f": use {deprecation.replaced_by}" if deprecation and deprecation.replaced_by else ""
    until = catalogue.accepted_until.get(version)
    if until is None or today > until:
        return Refusal(
            f"indicator '{code}' of catalogue v{version} is no longer accepted "
            f"(catalogue v{catalogue.version}){instead}"
        )
    why = deprecation.why if deprecation else f"a code of catalogue v{version}"
    if deprecation and deprecation.replaced_by:
        return AppliedCode(
            sent=code,
            code=deprecation.replaced_by,
            version=catalogue.version,
            entry=catalogue.require(deprecation.replaced_by),
            why=why,
        )
    old = load_catalogue(version).require(code)
    return AppliedCode(sent=code, code=code, version=version, entry=old, why=why)


def reading_catalogue(applied: Iterable[AppliedCode], catalogue: Catalogue | None = None) -> Catalogue:
    """The current catalogue, plus the entries of codes kept from earlier versions, so that
    triage can read every code it is given (codes are never reused, so none collide)."""
    return with_entries((a.entry for a in applied), catalogue)


def with_entries(entries: Iterable[Indicator], catalogue: Catalogue | None = None) -> Catalogue:
    """The current catalogue, plus those of ``entries`` it does not define (codes of earlier
    versions that stored incidents or a transition kept)."""
    catalogue = catalogue or load_catalogue()
    kept = [e for e in entries if catalogue.get(e.code) is None]
    if not kept:
        return catalogue
    extra = list({e.code: e for e in kept}.values())
    return Catalogue(
        version=catalogue.version,
        indicators=(*catalogue.indicators, *extra),
        groups=catalogue.groups,
        deprecated=catalogue.deprecated,
        accepted_until=catalogue.accepted_until,
    )


def describe(applied: Iterable[AppliedCode], catalogue: Catalogue | None = None) -> dict[str, object]:
    """The answer's ``catalogue``: the version applied, codes translated and codes kept."""
    catalogue = catalogue or load_catalogue()
    seen = list({(a.sent, a.code): a for a in applied}.values())
    return {
        "version": catalogue.version,
        "translated": [{"sent": a.sent, "recorded": a.code, "why": a.why} for a in seen if a.translated],
        "kept": [{"code": a.code, "catalogue_version": a.version, "why": a.why} for a in seen if a.kept],
    }
