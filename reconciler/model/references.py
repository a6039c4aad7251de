"""Checks across the desired state: aliases that must be declared (in access, links and
topologies), tenant ids that must differ.

They run on the merged plain data, not on the validated model, so that they are reported in
the same pass as the schema errors: anything malformed here is skipped (the schema check reports
it) rather than guessed at.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.model.base import is_alias, is_guid

Locate = Callable[[tuple[str | int, ...]], SourceLocation | None]


def resolve_partner(key: str, tenant_ids: Mapping[str, str]) -> str | None:
    """The tenant id a partner key names: a declared alias's id, or the key itself if a GUID."""
    if is_guid(key):
        return key.lower()
    return tenant_ids.get(key)


def alias_of(tenant_id: str, tenant_ids: Mapping[str, str]) -> str | None:
    return next((alias for alias, tid in tenant_ids.items() if tid == tenant_id.lower()), None)


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f" (declared: {', '.join(choices)})" if choices else " (no tenant is declared)"


def _where(location: SourceLocation | None) -> str:
    return f" at {location}" if location else ""


def check_references(data: Mapping[str, Any], locate: Locate) -> list[Diagnostic]:
    problems: list[Diagnostic] = []

    def report(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Diagnostic(message, ".".join(str(p) for p in path), locate(path)))

    tenants = data.get("tenants") if isinstance(data.get("tenants"), dict) else {}
    tenant_ids: dict[str, str] = {}
    for alias, tenant in tenants.items():
        tid = tenant.get("tenant_id") if isinstance(tenant, dict) else None
        if not isinstance(alias, str) or not is_guid(tid):
            continue
        owner = alias_of(tid, tenant_ids)
        if owner is not None:
            report(
                ("tenants", alias, "tenant_id"),
                f"tenant id {tid.lower()} is also the tenant id of '{owner}'"
                f"{_where(locate(('tenants', owner, 'tenant_id')))}; a tenant is declared once",
            )
            continue
        tenant_ids[alias] = tid.lower()

    access = data.get("access") if isinstance(data.get("access"), dict) else {}
    declared = sorted(a for a in tenants if isinstance(a, str))
    for alias, block in access.items():
        if not isinstance(alias, str):
            continue
        if alias not in tenants:
            if is_alias(alias):
                report(("access", alias), f"'{alias}' is not a declared tenant alias{_did_you_mean(alias, declared)}")
            continue
        partners = block.get("partners") if isinstance(block, dict) else None
        if isinstance(partners, dict):
            _check_partners(alias, partners, tenant_ids, declared, locate, report)
    for path, alias in _link_ends(data):
        if is_alias(alias) and alias not in tenants:
            report(path, f"'{alias}' is not a declared tenant alias{_did_you_mean(alias, declared)}")
    links = data.get("links") if isinstance(data.get("links"), dict) else {}
    for name, link in links.items():
        # Here too, not only in compile: reported together with the link's field errors.
        if isinstance(link, dict) and is_alias(link.get("from")) and link.get("from") == link.get("to"):
            report(("links", name), f"link {name} syncs tenant {link['from']} to itself; a link joins two tenants")
    return problems


def _link_ends(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every tenant alias a link or topology names, with its path (malformed ones are skipped)."""
    ends: list[tuple[tuple[str | int, ...], Any]] = []
    links = data.get("links") if isinstance(data.get("links"), dict) else {}
    for name, link in links.items():
        if isinstance(link, dict):
            ends.extend((("links", name, end), link[end]) for end in ("from", "to") if end in link)
    topologies = data.get("topologies") if isinstance(data.get("topologies"), dict) else {}
    for name, topology in topologies.items():
        if not isinstance(topology, dict):
            continue
        for shape, value in topology.items():
            base: tuple[str | int, ...] = ("topologies", name, shape)
            if shape == "mesh" and isinstance(value, list):
                ends.extend(((*base, index), alias) for index, alias in enumerate(value))
            elif shape in ("one_to_one", "one_to_many", "many_to_one") and isinstance(value, dict):
                for end in ("from", "to"):
                    side = value.get(end)
                    if isinstance(side, list):
                        ends.extend(((*base, end, index), alias) for index, alias in enumerate(side))
                    elif side is not None:
                        ends.append(((*base, end), side))
    return ends


def _check_partners(
    alias: str,
    partners: Mapping[Any, Any],
    tenant_ids: Mapping[str, str],
    declared: list[str],
    locate: Locate,
    report: Callable[[tuple[str | int, ...], str], None],
) -> None:
    own_id = tenant_ids.get(alias)
    first_key_by_id: dict[str, str] = {}
    # In declaration order, so that "declared twice" points at the later one.
    keys = sorted(
        (k for k in partners if isinstance(k, str)),
        key=lambda k: locate(("access", alias, "partners", k)) or SourceLocation("", 0, 0),
    )
    for key in keys:
        path = ("access", alias, "partners", key)
        if not is_guid(key) and not is_alias(key):
            continue  # the schema check reports it
        partner_id = resolve_partner(key, tenant_ids)
        if partner_id is None:
            if key in declared:
                continue  # a declared tenant whose tenant_id is itself invalid: reported there
            report(
                path,
                f"partner '{key}' is neither a declared tenant alias nor a tenant id (GUID)"
                f"{_did_you_mean(key, declared)}",
            )
            continue
        if partner_id == own_id:
            report(path, f"a tenant cannot be its own partner ('{key}' is {alias} itself)")
            continue
        first = first_key_by_id.get(partner_id)
        if first is not None:
            report(
                path,
                f"partner {partner_id} is declared twice: as '{first}'"
                f"{_where(locate(('access', alias, 'partners', first)))} and as '{key}'",
            )
            continue
        first_key_by_id[partner_id] = key
