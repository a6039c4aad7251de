"""`DesiredState` → Graph-shaped desired `Resource`s, one per object, with cross-tenant checks.

A body holds only what was declared, under Graph's exact property names (FIELD-NOTES 6:
`b2bCollaborationInbound`, never `b2BCollaborationInbound`); `inherit` becomes `null`.
Compilation is a list of steps over one accumulator: access settings, then links (topologies
expanded, each link's resources emitted and its prerequisites merged into the access resources;
`compile_links.py`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.compile_links import LINK_KINDS, links_step
from reconciler.errors import ConfigError, Diagnostic, SourceLocation
from reconciler.model.access import (
    APPLICATION_KEYWORDS,
    USER_KEYWORDS,
    ApplicationsAccess,
    ApplicationTarget,
    AutomaticRedemption,
    B2BSetting,
    DevicesFilter,
    GroupTarget,
    InboundTrust,
    PartnerSettings,
    PolicySettings,
    TenantAccess,
    TenantRestrictions,
    UserSyncInbound,
    UsersAndGroupsAccess,
    UserTarget,
)
from reconciler.model.base import ABSENT, StrictModel, is_guid, is_inherit
from reconciler.model.references import alias_of, resolve_partner
from reconciler.model.state import DesiredState, NodePath
from reconciler.model.tenant import Tenant
from reconciler.resources.base import Resource
from reconciler.topology import ExpandedLink


@dataclass(frozen=True)
class AccessScope:
    """What a tenant's access block says about partners nobody declared."""

    prune: bool = False  # delete undeclared partners (unsafe: the plan needs --force)
    ignore: frozenset[str] = frozenset()  # partner tenant ids never touched nor reported


@dataclass(frozen=True)
class CompiledState:
    tenants: dict[str, Tenant]
    resources: tuple[Resource, ...]
    scopes: dict[str, AccessScope]
    warnings: tuple[Diagnostic, ...] = ()
    digest: str = ""
    links: tuple[ExpandedLink, ...] = ()  # every link, topologies expanded, by name (`crosstenant topology`)
    state: DesiredState | None = None  # what was compiled (plan compiles again once domains are looked up)

    def resources_in(self, tenant: str) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if r.tenant == tenant)

    def by_address(self) -> dict[str, Resource]:
        return {r.address: r for r in self.resources}


# --- YAML names → Graph names (graph-reference/TYPES.md) ---------------------------------------

SETTINGS_PROPERTIES: Mapping[str, str] = {
    "inbound_trust": "inboundTrust",
    "b2b_collaboration_inbound": "b2bCollaborationInbound",
    "b2b_collaboration_outbound": "b2bCollaborationOutbound",
    "b2b_direct_connect_inbound": "b2bDirectConnectInbound",
    "b2b_direct_connect_outbound": "b2bDirectConnectOutbound",
    "tenant_restrictions": "tenantRestrictions",
    "automatic_redemption": "automaticUserConsentSettings",  # partners only
}

_B2B_NAMES = {"users_and_groups": "usersAndGroups", "applications": "applications"}
_TARGET_CONFIGURATION_NAMES = {"access": "accessType", "targets": "targets"}
GRAPH_NAMES: Mapping[type[StrictModel], Mapping[str, str]] = {
    InboundTrust: {
        "mfa": "isMfaAccepted",
        "compliant_device": "isCompliantDeviceAccepted",
        "hybrid_joined_device": "isHybridAzureADJoinedDeviceAccepted",
    },
    AutomaticRedemption: {"inbound": "inboundAllowed", "outbound": "outboundAllowed"},
    B2BSetting: _B2B_NAMES,
    TenantRestrictions: {**_B2B_NAMES, "devices": "devices"},
    UsersAndGroupsAccess: _TARGET_CONFIGURATION_NAMES,
    ApplicationsAccess: _TARGET_CONFIGURATION_NAMES,
    DevicesFilter: {"mode": "mode", "rule": "rule"},
    PolicySettings: {"display_name": "displayName", "allowed_cloud_endpoints": "allowedCloudEndpoints"},
}

# crossTenantAccessPolicyTargetType of each keyword (default-get / partners-get examples show
# AllUsers→user, AllApplications→application, Office365→application; AllMicrosoftApps is an
# application value by the same page: assumed).
KEYWORD_TARGET_TYPES: Mapping[str, str] = {
    **{keyword: "user" for keyword in USER_KEYWORDS},
    **{keyword: "application" for keyword in APPLICATION_KEYWORDS},
}

KIND_ORDER = ("policy", "default", "partner", "identity_sync", *LINK_KINDS)


def graph_value(value: Any) -> Any:
    """A declared YAML value in Graph's shape: renamed properties, `inherit` → None."""
    if is_inherit(value):
        return None
    if isinstance(value, StrictModel):
        names = GRAPH_NAMES[type(value)]
        return {
            names[name]: graph_targets(item) if name == "targets" else graph_value(item)
            for name, item in value.declared().items()
        }
    if isinstance(value, tuple):
        return sorted(graph_value(item) for item in value)
    return value


def graph_targets(targets: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Targets ordered by (targetType, target), the order the handlers normalise live lists to
    (Graph's order is not meaningful, and a diff must not flap on it)."""
    return sorted((graph_target(t) for t in targets), key=_target_order)


def _target_order(target: dict[str, Any]) -> tuple[str, str]:
    value = target["target"]
    return (target["targetType"], value if isinstance(value, str) else _canonical(value))


def graph_target(target: Any) -> dict[str, Any]:
    """One target entry as a crossTenantAccessPolicyTarget.

    A group named by display name cannot be resolved offline: it is left as
    `{"resolve": "group", "name": ...}` for the engine to look up at plan time.
    """
    if isinstance(target, str):
        return {"target": target, "targetType": KEYWORD_TARGET_TYPES[target]}
    if isinstance(target, UserTarget):
        return {"target": target.user, "targetType": "user"}
    if isinstance(target, ApplicationTarget):
        return {"target": target.application, "targetType": "application"}
    if isinstance(target, GroupTarget):
        if is_guid(target.group):
            return {"target": target.group.lower(), "targetType": "group"}
        return {"target": {"resolve": "group", "name": target.group}, "targetType": "group"}
    raise TypeError(f"not a target: {target!r}")


def settings_body(settings: StrictModel) -> dict[str, Any]:
    declared = settings.declared()
    return {graph: graph_value(declared[name]) for name, graph in SETTINGS_PROPERTIES.items() if name in declared}


def identity_sync_body(sync: UserSyncInbound) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if sync.display_name is not None:
        body["displayName"] = sync.display_name
    if sync.allowed is not None:
        body["userSyncInbound"] = {"isSyncAllowed": sync.allowed}
    return body


# --- compilation --------------------------------------------------------------------------------


@dataclass
class _Compilation:
    state: DesiredState
    resources: list[Resource] = field(default_factory=list)
    scopes: dict[str, AccessScope] = field(default_factory=dict)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    links: list[ExpandedLink] = field(default_factory=list)

    def diagnostic(self, path: NodePath, message: str, severity: str = "error") -> None:
        """Record an error, a warning, or a note (a documented limit worth knowing: `validate` shows it)."""
        target = self.errors if severity == "error" else self.warnings
        target.append(Diagnostic(message, ".".join(map(str, path)), self.state.location_of(path), severity))


Step = Callable[[_Compilation], None]


def compile_state(state: DesiredState) -> CompiledState:
    """Raises `ConfigError` with every problem found; warnings ride along on the result."""
    compilation = _Compilation(state)
    for step in COMPILE_STEPS:
        step(compilation)
    if compilation.errors:
        raise ConfigError(compilation.errors)
    resources = tuple(sorted(compilation.resources, key=_resource_order))
    scopes = dict(sorted(compilation.scopes.items()))
    return CompiledState(
        tenants=dict(state.tenants),
        resources=resources,
        scopes=scopes,
        warnings=tuple(sorted(merge_link_warnings(compilation.warnings), key=_diagnostic_order)),
        digest=digest(resources, scopes),
        links=tuple(sorted(compilation.links, key=lambda link: link.name)),
        state=state,
    )


_LINK_PREFIX = re.compile(r"^links? (?P<names>[^:]+): (?P<rest>.*)$", re.S)


def merge_link_warnings(warnings: list[Diagnostic]) -> list[Diagnostic]:
    """One warning for the links that share it at one place (a topology's defaults, say).

    A mesh of N tenants would otherwise repeat the same sentence N×(N−1) times.
    """
    merged: dict[tuple[Any, ...], list[str]] = {}
    others: list[Diagnostic] = []
    for w in warnings:
        m = _LINK_PREFIX.match(w.message)
        if m is None:
            others.append(w)
            continue
        merged.setdefault((w.location, w.path, w.severity, m["rest"]), []).append(m["names"])
    for (location, path, severity, rest), names in merged.items():
        names = sorted(set(names))
        label = f"link {names[0]}" if len(names) == 1 else f"links {', '.join(names)}"
        others.append(Diagnostic(f"{label}: {rest}", path, location, severity))
    return others


def _access_step(c: _Compilation) -> None:
    tenant_ids = c.state.tenant_ids()
    for alias, access in c.state.access.items():
        tenant = c.state.tenants.get(alias)
        if tenant is None:
            c.diagnostic(("access", alias), f"'{alias}' is not a declared tenant alias")
            continue
        if tenant.mode == "external":
            c.diagnostic(
                ("access", alias),
                f"tenant '{alias}' has mode external: crosstenant cannot reach it, so it cannot hold access "
                "settings (declare it managed or read_only, or remove this block)",
            )
            continue
        ignore = frozenset(access.ignore)
        if access.prune and tenant.mode == "read_only":
            c.diagnostic(("access", alias, "prune"), "prune has no effect: the tenant is read_only", "warning")
        c.scopes[alias] = AccessScope(prune=access.prune, ignore=ignore)
        _tenant_resources(c, alias, tenant, access, tenant_ids)


def _tenant_resources(
    c: _Compilation, alias: str, tenant: Tenant, access: TenantAccess, tenant_ids: Mapping[str, str]
) -> None:
    meta = {"read_only": True} if tenant.mode == "read_only" else {}
    base = ("access", alias)

    def emit(address: str, kind: str, key: str, path: NodePath, **extra: Any) -> Resource:
        resource = Resource(
            address=address,
            kind=kind,
            tenant=alias,
            tenant_id=tenant.tenant_id,
            key=key,
            source=c.state.location_of(path),
            meta=dict(meta),
            **extra,
        )
        c.resources.append(resource)
        return resource

    if access.policy is not None:
        emit(f"{alias}.policy", "policy", "", (*base, "policy"), body=graph_value(access.policy))
    if access.default is not None:
        emit(f"{alias}.default", "default", "", (*base, "default"), body=settings_body(access.default))
    for key, partner in access.partners.items():
        path = (*base, "partners", key)
        partner_id = resolve_partner(key, tenant_ids)
        if partner_id is None:  # the loader reports this; a state built in code may not
            c.diagnostic(path, f"partner '{key}' is neither a declared tenant alias nor a tenant id (GUID)")
            continue
        if partner_id in access.ignore:
            c.diagnostic(path, f"partner {partner_id} is both declared and listed under ignore")
            continue
        label = alias_of(partner_id, tenant_ids) or partner_id
        _partner_resources(emit, f"{alias}.partner.{label}", partner_id, partner, path)


def _partner_resources(emit: Callable[..., Resource], address: str, partner_id: str, partner: PartnerSettings,
                       path: NodePath) -> None:
    sync_address = f"{address}.identity_sync"
    if partner.ensure == "absent":
        # The identity sync must go first (Graph refuses to delete a partner that has one):
        # it depends on the partner, and deletes run in reverse dependency order.
        emit(address, "partner", partner_id, path, ensure="absent")
        emit(sync_address, "identity_sync", partner_id, path, ensure="absent", depends_on=(address,))
        return
    emit(address, "partner", partner_id, path, body=settings_body(partner))
    sync = partner.user_sync_inbound
    if sync is None:
        return  # not declared: unmanaged
    sync_path = (*path, "user_sync_inbound")
    if sync == ABSENT:
        emit(sync_address, "identity_sync", partner_id, sync_path, ensure="absent", depends_on=(address,))
    else:
        emit(sync_address, "identity_sync", partner_id, sync_path, body=identity_sync_body(sync),
             depends_on=(address,))


COMPILE_STEPS: tuple[Step, ...] = (_access_step, links_step)


# --- ordering and digest ------------------------------------------------------------------------


def _resource_order(resource: Resource) -> tuple[Any, ...]:
    kind_rank = KIND_ORDER.index(resource.kind) if resource.kind in KIND_ORDER else len(KIND_ORDER)
    return (resource.tenant, kind_rank, resource.address)


def _diagnostic_order(d: Diagnostic) -> tuple[Any, ...]:
    return (d.location or SourceLocation("", 0, 0), d.path, d.message)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(resources: tuple[Resource, ...], scopes: Mapping[str, AccessScope]) -> str:
    """sha256 of the compiled desired state: stable across file and key order; no paths, no times."""
    document = {
        "resources": sorted(
            (
                {
                    "address": r.address,
                    "kind": r.kind,
                    "tenant": r.tenant,
                    "tenant_id": r.tenant_id,
                    "key": r.key,
                    "ensure": r.ensure,
                    "body": r.body,
                    "depends_on": sorted(r.depends_on),
                    "meta": r.meta,
                }
                for r in resources
            ),
            key=_canonical,
        ),
        "scopes": {alias: {"prune": s.prune, "ignore": sorted(s.ignore)} for alias, s in scopes.items()},
    }
    return hashlib.sha256(_canonical(document).encode("utf-8")).hexdigest()
