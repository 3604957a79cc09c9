"""The indicator catalogue as the API serves it: the current version, or an earlier one."""

from __future__ import annotations

from api.errors import NotFound
from api.incidents.schemas import CatalogueVersionOut, DeprecatedCodeOut, IndicatorOut
from api.triage.catalogue import CATALOGUE_VERSIONS, LATEST_VERSION, Catalogue, load_catalogue, newest_entry


def _indicators(catalogue: Catalogue) -> list[IndicatorOut]:
    return [
        IndicatorOut(
            code=i.code,
            label=i.label,
            category=i.category,
            group=i.group,
            group_label=catalogue.group_label(i.group),
            routes_by_context=i.routes_by_context,
        )
        for i in catalogue.all()
    ]


def indicators(version: int | None = None) -> list[IndicatorOut]:
    """The indicators of ``version`` (the current one by default); NotFound for a version never
    shipped."""
    if version is not None and version not in CATALOGUE_VERSIONS:
        raise NotFound(f"No indicator catalogue version {version}.")
    return _indicators(load_catalogue(version or LATEST_VERSION))


def versions() -> list[CatalogueVersionOut]:
    """Every version, newest first, with its transition date and the codes it retired."""
    current = load_catalogue()
    out = []
    for version in reversed(CATALOGUE_VERSIONS):
        catalogue = load_catalogue(version)
        deprecated = []
        for d in catalogue.deprecated:
            entry = newest_entry(d.code)
            deprecated.append(
                DeprecatedCodeOut(
                    code=d.code, label=entry.label if entry else d.code, replaced_by=d.replaced_by, why=d.why
                )
            )
        out.append(
            CatalogueVersionOut(
                version=version,
                current=version == current.version,
                accepted_until=current.accepted_until.get(version),
                indicators=_indicators(catalogue),
                deprecated=deprecated,
            )
        )
    return out
