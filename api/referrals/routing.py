"""Where a referral goes: routed by who knows the child (pure rules, no database).

- A looked-after child placed out of area (placement authority not the responsible one): the
  responsible authority (the allocated team when named, else its front door), with the host
  authority informed.
- A child known to children's services (an allocated team named now or on an earlier referral,
  or a legal status that means an open case: looked after, child protection, child in need,
  care leaver): the allocated team when named, else the responsible authority's front door.
- Anyone else: the front door (MASH) of the responsible authority.

The responsible authority is the young person's responsible local authority, else the area the
child was found in, else the police station's area (Children Act 1989 s47: where the child
lives or is found).
"""

from __future__ import annotations

from dataclasses import dataclass, field

KNOWN_STATUSES = frozenset({"looked_after", "child_protection", "child_in_need", "care_leaver"})


@dataclass(frozen=True)
class Authority:
    """A local authority (an area): slug and display name."""

    slug: str
    name: str

    @property
    def front_door(self) -> str:
        return f"{self.name} children's services front door (MASH)"


@dataclass(frozen=True)
class RoutingFacts:
    responsible: Authority | None
    found_in: Authority | None
    station_area: Authority | None
    legal_status: str = "unknown"
    allocated_team: str | None = None
    placement: Authority | None = None


@dataclass(frozen=True)
class Routing:
    route: str  # not_known | known | looked_after_out_of_area
    authority: Authority | None
    receiving_kind: str  # front_door | allocated_team
    receiving_name: str
    host: Authority | None = None
    reasons: list[str] = field(default_factory=list)


def _authority(facts: RoutingFacts) -> tuple[Authority | None, str]:
    for authority, source in (
        (facts.responsible, "the young person's responsible local authority"),
        (facts.found_in, "where the child was found (no responsible authority recorded)"),
        (facts.station_area, "the police station's area (no responsible authority or place recorded)"),
    ):
        if authority is not None:
            return authority, f"Responsible authority {authority.name}: {source}"
    return None, "No local authority known: the duty manager sends it on"


def route_referral(facts: RoutingFacts) -> Routing:
    authority, why = _authority(facts)
    reasons = [why]
    team = facts.allocated_team
    if authority is None:
        return Routing("not_known", None, "front_door", "No local authority known", reasons=reasons)
    if (
        facts.legal_status == "looked_after"
        and facts.placement is not None
        and facts.responsible is not None
        and facts.placement.slug != facts.responsible.slug
    ):
        reasons.append(
            f"Looked-after child of {authority.name} placed in {facts.placement.name}: "
            f"the referral goes to the responsible authority"
        )
        reasons.append(f"{facts.placement.name}, the host authority, is informed")
        kind, name = (
            ("allocated_team", f"{team} ({authority.name})") if team else ("front_door", authority.front_door)
        )
        return Routing(
            "looked_after_out_of_area", authority, kind, name, host=facts.placement, reasons=reasons
        )
    if team:
        reasons.append(f"Known to {authority.name}: the referral goes to the allocated team")
        return Routing("known", authority, "allocated_team", f"{team} ({authority.name})", reasons=reasons)
    if facts.legal_status in KNOWN_STATUSES:
        reasons.append(
            f"Known to {authority.name} ({facts.legal_status.replace('_', ' ')}) but no allocated team "
            f"named: the front door passes it to the team"
        )
        return Routing("known", authority, "front_door", authority.front_door, reasons=reasons)
    reasons.append(
        f"Not known to children's services: the referral goes to the front door of {authority.name}"
    )
    return Routing("not_known", authority, "front_door", authority.front_door, reasons=reasons)
