"""The referral as a document the front door takes into its own case system.

``ReferralDocument`` is the JSON export (GET /api/v1/referrals/{id}/referral.json) and its
schema: ``referral.schema.json`` beside this module is generated from it
(``python -m api.referrals.document > api/referrals/referral.schema.json``) and checked in;
a test fails when the two differ and validates real exports against the file. No case system
is reachable from Lantern: this export is the integration point. Version 1; a field is never
removed or changes meaning within a version.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_FILE = Path(__file__).with_name("referral.schema.json")
SCHEMA_ID = "https://lantern.invalid/schemas/referral-v1.json"

Route = Literal["not_known", "known", "looked_after_out_of_area"]
Decision = Literal[
    "no_further_action", "early_help", "child_and_family_assessment", "s47_enquiry", "strategy_discussion"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferralAuthority(_Strict):
    """A local authority."""

    code: str = Field(description="Lantern's area slug")
    name: str


class ReferralReceiving(_Strict):
    """Who the referral goes to."""

    kind: Literal["front_door", "allocated_team"]
    name: str
    authority: ReferralAuthority | None


class ReferralChild(_Strict):
    first_name: str
    last_name: str
    aliases: list[str]
    date_of_birth: date | None
    apparent_age: int | None = Field(description="When the date of birth is not known")
    age_known: bool = Field(description="False: treated as a child (Modern Slavery Act 2015 s51)")
    gender: str | None
    la_reference: str | None = Field(description="The local authority's reference, when given")
    legal_status: str
    learning_disability: bool
    responsible_authority: ReferralAuthority | None
    placement_authority: ReferralAuthority | None = Field(
        description="A looked-after child placed out of area"
    )
    allocated_team: str | None


class ReferralIndicator(_Strict):
    code: str
    label: str
    category: Literal["cse", "cce", "general"]
    provenance: str


class ReferralIncident(_Strict):
    reference: str = Field(description="Lantern's incident reference")
    kind: Literal["missing_return", "arrest", "stop_conversation"]
    occurred_at: datetime
    reported_at: datetime
    police_station: str
    police_references: list[str]
    location: str
    location_authority: ReferralAuthority | None
    circumstances: str | None
    custody_status: str | None
    charged: bool
    priority: Literal["P1", "P2", "P3"]
    triage_reasons: list[str]
    lantern_teams: list[str] = Field(description="Lantern's out-of-hours teams that responded")
    indicators: list[ReferralIndicator]


class ReferralNrm(_Strict):
    """The National Referral Mechanism action, when raised."""

    reasons: list[str]
    s45_flag: str | None
    decision: Literal["referred", "not_referred"] | None
    referral_reference: str | None
    referred_on: date | None


class ReferralClock(_Strict):
    label: str
    source: str
    starts_at: datetime
    due_at: datetime
    met_at: datetime | None


class ReferralReceipt(_Strict):
    received_at: datetime
    received_by: str = Field(description="Who at the receiving team took it")
    recorded_by: str = Field(description="The Lantern user who recorded it")


class ReferralDecision(_Strict):
    decision: Decision
    decided_at: datetime
    decided_by: str
    note: str | None
    recorded_by: str


class ReferralDocument(_Strict):
    """A referral to children's services from Lantern's out-of-hours response."""

    model_config = ConfigDict(
        extra="forbid", title="Lantern referral", json_schema_serialization_defaults_required=True
    )

    document: Literal["lantern.referral"] = "lantern.referral"
    schema_version: Literal[1] = 1
    id: uuid.UUID
    route: Route = Field(description="Who knows the child: decides where the referral goes")
    routing_reasons: list[str]
    receiving: ReferralReceiving
    inform: list[ReferralAuthority] = Field(description="Authorities to be informed (a host authority)")
    referred_at: datetime
    decision_clock: ReferralClock = Field(
        description="A decision within one working day (Working Together 2023)"
    )
    child: ReferralChild
    incident: ReferralIncident
    nrm: ReferralNrm | None
    receipt: ReferralReceipt | None
    decision: ReferralDecision | None
    generated_at: datetime
    generated_by: str


def json_schema() -> dict:
    schema = ReferralDocument.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
