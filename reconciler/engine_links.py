"""The engine's link-specific steps: diff hooks, narrowing safety, foreign configurations, health."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.plan import Unmanaged
from reconciler.resources.base import Resource
from reconciler.resources.link_observe import unmanaged_configurations as _foreign
from reconciler.resources.link_state import link_health


def prepare_pairs(handlers: dict[str, Any], raw: list[tuple[Resource, dict[str, Any] | None]]
                  ) -> list[tuple[Resource, dict[str, Any] | None]]:
    """Every (desired, live) pair after the handlers' hooks; see `prepare_pair`.

    A link whose configuration this run makes (created, or replaced for a new target) gets all
    its parts planned as creates: compared with the configuration that goes, a part that happens
    to match would otherwise never be written to the new one.
    """
    fresh = {(res.tenant, res.key) for res, live in raw if res.kind == "link" and _makes_configuration(
        handlers["link"], res, live)}
    return [
        prepare_pair(handlers[res.kind], res,
                     None if res.kind.startswith("link_") and (res.tenant, res.key) in fresh else live)
        for res, live in raw
    ]


def _makes_configuration(handler: Any, res: Resource, live: dict[str, Any] | None) -> bool:
    if res.ensure == "absent":
        return False
    if live is None:
        return True
    hooked = handler.live_for_diff(res.body, live)
    return any(hooked.get(path[0]) != res.body.get(path[0]) for path in handler.replace_paths)


def prepare_pair(handler: Any, res: Resource, live: dict[str, Any] | None) -> tuple[Resource, dict[str, Any] | None]:
    """The (desired, live) pair the plan diffs, after the handler's hooks.

    `live_for_diff` lets a kind compare what Graph cannot show plainly (a masked secret by its
    stored hash, an adoptable configuration by its declared target). `narrowing_reasons` names
    the ways a change removes users from the target; they make the plan unsafe.
    """
    if live is None or res.ensure == "absent":
        return res, live
    hook = getattr(handler, "live_for_diff", None)
    if hook is not None:
        live = hook(res.body, live)
    narrowing = getattr(handler, "narrowing_reasons", None)
    reasons = narrowing(res.body, live, link=res.key) if narrowing is not None else []
    if reasons:
        res = replace(res, meta={**res.meta, "unsafe_reason": "; ".join(reasons)})
    return res, live


async def unmanaged_configurations(compiled: Any, gateways: dict[str, Any], aliases: list[str],
                                   declared: list[Resource]) -> list[Unmanaged]:
    """Sync configurations nobody declared (no marker, no exact adoptable name): reported, left alone."""
    found: list[Unmanaged] = []
    for alias in aliases:
        if compiled.tenants[alias].mode != "managed":
            continue
        names = [r.key for r in declared if r.kind == "link" and r.tenant == alias]
        for config in await _foreign(gateways[alias], declared=names):
            found.append(Unmanaged(
                address=f"{alias}.configuration.{config['id']}", tenant=alias, kind="link", key=config["id"],
                note=f"cross-tenant sync configuration {config.get('displayName')!r} not made by crosstenant",
            ))
    return found


async def health_warnings(gateways: dict[str, Any], declared: list[Resource]) -> list[str]:
    """Quarantine and failing runs of declared links: reported, never planned as a change."""
    warnings: list[str] = []
    for alias in sorted({r.tenant for r in declared if r.kind == "link"}):
        health = await link_health(gateways[alias])
        for link, h in sorted(health.items()):
            if h.quarantined:
                since = f" since {h.since}" if h.since else ""
                warnings.append(f"{alias}.link.{link}: the sync job is in quarantine{since}: {h.reason or 'no reason given'}")
            elif h.last_error:
                warnings.append(f"{alias}.link.{link}: the last sync run failed: {h.last_error}")
    return warnings


async def redemption_read_back(declared: list[Resource], gateways: dict[str, Any]) -> list[str]:
    """After apply, read both automatic-redemption flags of every link back (FIELD-NOTES row 1).

    Consent prompts are suppressed only when the source allows outbound and the target inbound
    redemption; a link whose flags did not stick would fail its test connection or its users.
    """
    from reconciler.errors import GraphError, NotFoundError
    from reconciler.resources import access_paths as paths

    problems: list[str] = []
    for link in sorted((r for r in declared if r.kind == "link" and r.ensure == "present"), key=lambda r: r.address):
        sides = (
            (link.meta.get("source"), link.meta.get("target_tenant_id"), "outboundAllowed"),
            (link.meta.get("target"), link.meta.get("source_tenant_id"), "inboundAllowed"),
        )
        for alias, partner_id, flag in sides:
            if alias not in gateways or not partner_id:
                continue  # an external target: it cannot be read here (plan warned)
            try:
                partner = await gateways[alias].get(paths.partner(partner_id))
                value = (partner.get("automaticUserConsentSettings") or {}).get(flag)
            except NotFoundError:
                value = "no partner configuration"
            except GraphError as err:
                value = f"unreadable ({err.code})"
            if value is not True:
                problems.append(f"{link.address}: {alias}'s automatic redemption {flag} reads back as {value}")
    return problems
