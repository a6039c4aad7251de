"""Orchestration: load → compile → observe → plan, and apply. Async; the CLI runs it once.

The engine never prints: it returns values and calls the callbacks the CLI gives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Awaitable, Callable

from reconciler import engine_links as links
from reconciler import tenant_domains
from reconciler.aio import gather_or_cancel
from reconciler.apply import ApplyReport, ChangeOutcome, execute_plan
from reconciler.compile import CompiledState, compile_state
from reconciler.diff import diff_declared
from reconciler.errors import PlanError
from reconciler.graph.connection import AuthSpec, Overrides, TenantConnection
from reconciler.load import load_policies
from reconciler.plan import Change, Plan, Unmanaged, build_plan, fingerprint
from reconciler.resolve import resolve_references
from reconciler.resources import HANDLERS, handler_for
from reconciler.resources.base import Resource
from reconciler.resources.memo import forget
from reconciler.safety import SafetyLimits

# The order in which kinds are read: a kind may reuse what an earlier one read (the memo).
_READ_ORDER = ("policy", "default", "partner", "identity_sync",
               "link", "link_settings", "link_schema", "link_assignments", "link_state")


@dataclass(frozen=True)
class RunSettings:
    overrides: Overrides = field(default_factory=Overrides)
    tenants: tuple[str, ...] = ()  # --tenant: limit the run to these aliases
    limits: SafetyLimits = field(default_factory=SafetyLimits)


def load(policies: Path) -> CompiledState:
    """Load and compile offline; raises ConfigError. Nothing is sent to any tenant."""
    declared = load_policies(policies)
    with_placeholders, notes = tenant_domains.offline(declared)
    compiled = compile_state(with_placeholders)
    # Keep what was declared: plan compiles it again with the ids it looks up.
    return replace(compiled, warnings=compiled.warnings + tuple(notes), state=declared)


async def _with_real_tenant_ids(compiled: CompiledState, gateways: dict[str, Any]) -> CompiledState:
    """Compile again once the tenants declared by domain have their real ids."""
    state = compiled.state
    if state is None or not tenant_domains.declared_by_domain(state):
        return compiled
    if not gateways:
        raise PlanError(["tenants declared by domain need a managed tenant to look them up from"])
    # Global-cloud tenants first: the lookup is a global-cloud function (ENDPOINTS §1.5).
    order = sorted(gateways, key=lambda a: (compiled.tenants[a].cloud != "global", a))
    state = await tenant_domains.look_up(state, [gateways[a] for a in order])
    return compile_state(state)


def connection_for(alias: str, tenant: Any) -> TenantConnection:
    auth = tenant.auth
    return TenantConnection(
        alias=alias,
        tenant_id=str(tenant.tenant_id).lower(),
        cloud=tenant.cloud,
        graph_url=tenant.graph_url,
        authority=tenant.authority,
        auth=AuthSpec(
            method=auth.method,
            client_id=getattr(auth, "client_id", None),
            secret_env=getattr(auth, "secret_env", None),
            certificate_path=getattr(auth, "certificate_path", None),
            password_env=getattr(auth, "password_env", None),
            token_file=getattr(auth, "token_file", None),
        ),
    )


def _selected(compiled: CompiledState, settings: RunSettings) -> list[str]:
    """Aliases to observe: the reachable tenants (--tenant narrows them).

    Managed tenants are read even with nothing declared in them: a link removed from the YAML
    still has its configuration there, to be deleted.
    """
    wanted = set(settings.tenants) or set(compiled.tenants)
    present = {r.tenant for r in compiled.resources} | set(compiled.scopes)
    return sorted(
        alias for alias in wanted
        if compiled.tenants[alias].mode == "managed" or (compiled.tenants[alias].mode == "read_only" and alias in present)
    )


def _kinds_to_read(compiled: CompiledState, aliases: list[str], resources: list[Resource]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {a: set() for a in aliases}
    for res in resources:
        kinds[res.tenant].add(res.kind)
    for alias in aliases:
        if alias in compiled.scopes:
            kinds[alias] |= {"partner", "identity_sync"}  # undeclared partners are reported or pruned
        if compiled.tenants[alias].mode == "managed":
            kinds[alias].add("link")  # removed links are deleted, foreign configurations reported
    return kinds


@dataclass
class Observation:
    """What was read from one run's tenants: live bodies by (tenant, kind, key)."""

    live: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def get(self, res: Resource) -> dict[str, Any] | None:
        return self.live.get((res.tenant, res.kind, res.key))


async def observe(aliases: list[str], kinds_by_tenant: dict[str, set[str]], gateways: dict[str, Any],
                  compiled: CompiledState) -> Observation:
    obs = Observation()

    async def read_tenant(alias: str) -> None:
        gw = gateways[alias]
        tenant_id = str(compiled.tenants[alias].tenant_id).lower()
        for kind in sorted(kinds_by_tenant[alias], key=_READ_ORDER.index):
            for key, body in (await handler_for(kind).read(gw, tenant_id)).items():
                obs.live[(alias, kind, key)] = body

    await gather_or_cancel(*(read_tenant(a) for a in aliases))
    return obs


def _address_of_partner(compiled: CompiledState, tenant: str, partner_tid: str) -> str:
    alias = _alias_by_tid(compiled).get(partner_tid)
    return f"{tenant}.partner.{alias or partner_tid}"


def _alias_by_tid(compiled: CompiledState) -> dict[str, str]:
    return {str(t.tenant_id).lower(): alias for alias, t in compiled.tenants.items()}


def _undeclared_partners(compiled: CompiledState, obs: Observation, aliases: list[str]
                         ) -> tuple[list[Resource], list[Unmanaged]]:
    """Live partners nobody declared: pruned (under `prune`) or reported as unmanaged."""
    declared = {(r.tenant, r.key) for r in compiled.resources if r.kind == "partner"}
    prune: list[Resource] = []
    unmanaged: list[Unmanaged] = []
    for (tenant, kind, key), body in sorted(obs.live.items()):
        if kind != "partner" or tenant not in aliases or (tenant, key) in declared:
            continue
        scope = compiled.scopes.get(tenant)
        if scope is not None and key in scope.ignore:
            continue
        address = _address_of_partner(compiled, tenant, key)
        tenant_id = str(compiled.tenants[tenant].tenant_id).lower()
        if scope is not None and scope.prune and compiled.tenants[tenant].mode == "managed":
            meta = {"pruned": True}
            prune.append(Resource(address, "partner", tenant, tenant_id, key, ensure="absent", meta=meta))
            if (tenant, "identity_sync", key) in obs.live:
                prune.append(Resource(f"{address}.identity_sync", "identity_sync", tenant, tenant_id, key,
                                      ensure="absent", depends_on=(address,), meta=meta))
        else:
            has_sync = (tenant, "identity_sync", key) in obs.live
            note = "partner configuration" + (" with identity synchronization" if has_sync else "")
            unmanaged.append(Unmanaged(address=address, tenant=tenant, kind="partner", key=key, note=note))
    return prune, unmanaged


def _removed_links(compiled: CompiledState, obs: Observation, declared: list[Resource]) -> list[Resource]:
    """Configurations carrying our marker whose link is no longer declared: deleted (unsafe)."""
    names = {(r.tenant, r.key) for r in declared if r.kind == "link"}
    removed = []
    for (tenant, kind, key), body in sorted(obs.live.items()):
        if kind == "link" and body.get("managed") and (tenant, key) not in names:
            tenant_id = str(compiled.tenants[tenant].tenant_id).lower()
            removed.append(Resource(f"{tenant}.link.{key}", "link", tenant, tenant_id, key, ensure="absent",
                                    meta={"link": key}))
    return removed


def _unknown_property_warnings(resources: list[Resource], obs: Observation) -> list[str]:
    warnings = []
    for res in resources:
        live = obs.get(res)
        known = getattr(HANDLERS.get(res.kind), "known_properties", None)
        if live is None or known is None or res.ensure == "absent":
            continue
        for prop in sorted(set(live) - set(known)):
            warnings.append(f"{res.address}: live property {prop!r} is not managed by crosstenant; kept as it is")
    return warnings


def _read_only_checks(resources: list[Resource], obs: Observation) -> dict[str, list[str]]:
    """Settings declared in a read_only tenant are checked, never written: what differs, by address."""
    found: dict[str, list[str]] = {}
    for res in resources:
        live = obs.get(res)
        if res.ensure == "absent":
            problems = ["read-only tenant still has this object (declared absent)"] if live is not None else []
        elif live is None:
            problems = [f"missing in read-only tenant {res.tenant}"]
        else:
            problems = [f"read-only tenant differs at {'.'.join(fc.path)}: live {fc.before!r}, declared {fc.after!r}"
                        for fc in diff_declared(res.body, live)]
        if problems:
            found[res.address] = problems
    return found


def _hold_links(resources: list[Resource], unmet: dict[str, list[str]]) -> list[Resource]:
    """Links whose read-only target lacks their prerequisites are held: apply writes nothing of them.

    Test connection would fail anyway (FIELD-NOTES rows 1, 2); a half-made configuration in the
    source helps nobody. The next apply goes ahead once the target's admins have done their part.
    """
    held: dict[tuple[str, str], str] = {}
    for res in resources:
        missing = sorted(set(res.depends_on) & set(unmet))
        if res.kind == "link" and missing:
            held[(res.tenant, res.key)] = f"its target's prerequisites are not in place: {', '.join(missing)}"
    return [
        replace(r, meta={**r.meta, "held": held[(r.tenant, r.key)]}) if r.kind.startswith("link") and (r.tenant, r.key) in held else r
        for r in resources
    ]


async def make_plan(compiled: CompiledState, settings: RunSettings, gateways: dict[str, Any]) -> Plan:
    aliases = _selected(compiled, settings)
    in_scope = [r for r in compiled.resources if r.tenant in aliases]
    kinds = _kinds_to_read(compiled, aliases, in_scope)
    resolved = await resolve_references(in_scope, gateways, _alias_by_tid(compiled))
    obs = await observe(aliases, kinds, gateways, compiled)

    unmet = _read_only_checks([r for r in resolved if r.meta.get("read_only")], obs)
    writable = _hold_links([r for r in resolved if not r.meta.get("read_only")], unmet)
    pruned, unmanaged = _undeclared_partners(compiled, obs, aliases)
    removed_links = _removed_links(compiled, obs, writable)
    unmanaged += await links.unmanaged_configurations(compiled, gateways, aliases, writable)
    warnings = [str(w) for w in compiled.warnings if w.severity == "warning"]  # notes are for `validate`
    warnings += _unknown_property_warnings(writable, obs)
    warnings += [f"{address}: {problem}" for address, problems in sorted(unmet.items()) for problem in problems]
    warnings += await links.health_warnings(gateways, writable)

    raw = [(r, obs.get(r)) for r in writable + pruned + removed_links]
    fingerprints = {r.address: fingerprint(live) for r, live in raw if live is not None}
    pairs = links.prepare_pairs(HANDLERS, raw)
    return build_plan(
        pairs,
        payload=lambda res, live: handler_for(res.kind).payload(res, live),
        replace_paths=lambda kind: getattr(HANDLERS.get(kind), "replace_paths", frozenset()),
        kind_order=lambda kind: getattr(HANDLERS.get(kind), "order", 100),
        unmanaged=unmanaged,
        warnings=warnings,
        managed_count=len(fingerprints),
        limits=settings.limits,
        desired_digest=compiled.digest,
        live_fingerprints=fingerprints,
    )


async def _with_gateways(compiled: CompiledState, settings: RunSettings,
                         work: Callable[[dict[str, Any]], Awaitable[Any]]) -> Any:
    from reconciler.graph.gateway import open_gateways  # lazy: loads msgraph

    aliases = _selected(compiled, settings)
    connections = [connection_for(a, compiled.tenants[a]) for a in aliases]
    async with open_gateways(connections, settings.overrides) as gateways:
        return await work(gateways)


async def plan_run(compiled: CompiledState, settings: RunSettings) -> Plan:
    async def work(gateways: dict[str, Any]) -> Plan:
        return await make_plan(await _with_real_tenant_ids(compiled, gateways), settings, gateways)

    return await _with_gateways(compiled, settings, work)


async def run_change(change: Change, gateways: dict[str, Any]) -> None:
    handler = handler_for(change.kind)
    gw = gateways[change.tenant]
    action = {"create": handler.create, "update": handler.update, "delete": handler.delete}
    if change.action == "replace":
        await handler.delete(gw, change)
        await handler.create(gw, change)
    else:
        await action[change.action](gw, change)


async def apply_run(
    compiled: CompiledState,
    settings: RunSettings,
    *,
    approve: Callable[[Plan], bool],
    on_start: Callable[[Change], None] = lambda c: None,
    on_done: Callable[[ChangeOutcome], None] = lambda o: None,
) -> tuple[Plan, ApplyReport | None]:
    """Plan again, let `approve` see the plan (and refuse it, or raise), then carry it out in order.

    `approve` sees every plan, an empty one too: a saved plan must be checked against it even when
    nothing is left to do.
    """

    async def work(gateways: dict[str, Any]) -> tuple[Plan, ApplyReport | None]:
        real = await _with_real_tenant_ids(compiled, gateways)
        plan = await make_plan(real, settings, gateways)
        if not approve(plan) or not plan.changes:
            return plan, None
        for gw in gateways.values():
            forget(gw)  # apply acts on fresh reads (check-then-act), not on the plan's memo
        report = await execute_plan(plan, lambda c: run_change(c, gateways), on_start=on_start, on_done=on_done)
        for gw in gateways.values():
            forget(gw)
        declared = [r for r in real.resources if r.tenant in gateways]
        return plan, replace(report, warnings=tuple(await links.redemption_read_back(declared, gateways)))

    return await _with_gateways(compiled, settings, work)
