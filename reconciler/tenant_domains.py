"""Tenants declared by domain: their tenant ids, looked up through Graph at plan time.

An external partner is often known by its domain rather than its tenant id. Offline (`validate`)
such a tenant gets a stable placeholder id so that compile can run; `plan` and `apply` look the
real id up with `findTenantInformationByDomainName` (ENDPOINTS §1.5) from a tenant they sign in
to, and compile again. A declared tenant id next to a domain is checked against the lookup.
"""

from __future__ import annotations

import uuid
from typing import Any

from reconciler.errors import Diagnostic, ForbiddenError, GraphError, NotFoundError, PlanError
from reconciler.model import DesiredState
from reconciler.model.base import is_guid
from reconciler.odata import literal

_PLACEHOLDER_NAMESPACE = uuid.UUID("9f0b8f52-6a53-4c4d-9b3e-7d1f5e0c0a11")


def placeholder_id(domain: str) -> str:
    """A stable stand-in id for an offline compile; never sent to Graph."""
    return str(uuid.uuid5(_PLACEHOLDER_NAMESPACE, domain.lower()))


def declared_by_domain(state: DesiredState) -> dict[str, str]:
    """alias → domain of every tenant that names a domain."""
    return {alias: t.domain for alias, t in state.tenants.items() if t.domain}


def with_tenant_ids(state: DesiredState, ids: dict[str, str]) -> DesiredState:
    """`state` with these aliases' tenant ids set (source locations kept)."""
    tenants = {
        alias: tenant.model_copy(update={"tenant_id": ids[alias]}) if alias in ids else tenant
        for alias, tenant in state.tenants.items()
    }
    return state.model_copy(update={"tenants": tenants})


def offline(state: DesiredState) -> tuple[DesiredState, list[Diagnostic]]:
    """Placeholders for the ids plan will look up, and a note saying so."""
    pending = {a: d for a, d in declared_by_domain(state).items() if state.tenants[a].tenant_id is None}
    notes = [
        Diagnostic(f"tenant {alias} is declared by domain {domain}; plan looks its tenant id up",
                   f"tenants.{alias}.domain", state.location_of(("tenants", alias, "domain")), "note")
        for alias, domain in sorted(pending.items())
    ]
    return with_tenant_ids(state, {a: placeholder_id(d) for a, d in pending.items()}), notes


def _lookup_path(domain: str) -> str:
    return f"/tenantRelationships/findTenantInformationByDomainName(domainName={literal(domain)})"


async def _find(gateways: list[Any], domain: str) -> dict[str, Any]:
    """The tenant information of `domain`, asked of each gateway until one may ask.

    The lookup needs `CrossTenantInformation.ReadBasic.All`, which not every tenant's app has.
    """
    refused: GraphError | None = None
    for gw in gateways:
        try:
            return await gw.get(_lookup_path(domain))
        except ForbiddenError as err:
            refused = err
    assert refused is not None
    raise refused


async def look_up(state: DesiredState, gateways: list[Any]) -> DesiredState:
    """`state` with every domain-declared tenant's real id; PlanError when a lookup fails or disagrees."""
    problems: list[str] = []
    ids: dict[str, str] = {}
    for alias, domain in sorted(declared_by_domain(state).items()):
        where = f"tenants.{alias}.domain"
        try:
            info = await _find(gateways, domain)
        except NotFoundError:
            problems.append(f"{where}: no tenant has the domain {domain!r}")
            continue
        except GraphError as err:
            problems.append(f"{where}: cannot look up the tenant of {domain!r}: {err}")
            continue
        found = str(info.get("tenantId") or "").lower()
        if not is_guid(found):
            problems.append(f"{where}: the lookup of {domain!r} answered no tenant id")
            continue
        declared = state.tenants[alias].tenant_id
        if declared is not None and declared != found:
            problems.append(f"{where}: {domain!r} belongs to tenant {found}, not to the declared tenant_id {declared}")
        ids[alias] = found
    others = {t.tenant_id: a for a, t in state.tenants.items() if a not in ids and t.tenant_id}
    for alias, found in sorted(ids.items()):
        if found in others:
            problems.append(f"tenants.{alias}.domain: its tenant {found} is already declared as {others[found]!r}")
    if problems:
        raise PlanError(problems)
    return with_tenant_ids(state, ids)
