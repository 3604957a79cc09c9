"""The managers' monitoring views: disproportionality of the service's response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.dependencies import CurrentActor, roles
from api.deps import SessionDep
from api.flows.disproportionality import DEFAULT_INDICATORS, disproportionality
from api.monitoring.schemas import DisproportionalityOut
from api.textinput import IdentifyingText

router = APIRouter(prefix="/api/v1", tags=["monitoring"])


@router.get(
    "/monitoring/disproportionality",
    response_model=DisproportionalityOut,
    dependencies=[roles("manager")],
)
async def get_disproportionality(
    session: SessionDep,
    actor: CurrentActor,
    quarters: Annotated[int, Query(ge=1, le=12, description="How many quarters, ending with this one")] = 4,
    indicator: Annotated[
        list[IdentifyingText] | None,
        Query(
            max_length=12,
            description="Indicator codes to count (repeat the parameter); default: "
            + ", ".join(DEFAULT_INDICATORS),
        ),
    ] = None,
) -> DisproportionalityOut:
    """Counts per quarter of priority, custody outcomes and chosen indicators by the young
    person's ethnic group and sex, over the incidents of the manager's teams. Counts of 1 to 4
    are shown as "<5", and so is any further count that a total could give back. Reading it is
    audited. Ethnicity and sex are recorded with PUT /young-people/{id}/monitoring."""
    return await disproportionality(session, actor, quarters=quarters, indicators=indicator)
