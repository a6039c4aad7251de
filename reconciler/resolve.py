"""Resolve names in desired bodies to object ids through Graph, at plan time.

Compile leaves `{"resolve": "group", "name": "Sales"}` where a target was written as a group
display name. Names are not unique in Entra, so a name that matches no group or several is a
plan error naming the candidates (field fault 11), and a failed lookup aborts the plan: the
caller never sees a diff computed from a guess.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

from reconciler.errors import PlanError
from reconciler.resources.base import Resource


def odata_literal(value: str) -> str:
    """A string literal for `$filter`: single quotes doubled (ENDPOINTS §4.5)."""
    return "'" + value.replace("'", "''") + "'"


def _references(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict]]:
    if isinstance(value, dict):
        if "resolve" in value and "name" in value:
            yield path, value
            return
        for key, sub in value.items():
            yield from _references(sub, path + (key,))
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, path)


def directory_tenant(resource: Resource, path: tuple[str, ...], tenant_of: dict[str, str]) -> str | None:
    """The alias of the tenant whose directory holds the referenced object, if reachable.

    In Graph's B2B settings, inbound `usersAndGroups` targets are the partner's users and
    groups, outbound ones are our own (and the other way round for applications).
    """
    top = path[0] if path else ""
    inbound = top.endswith("Inbound") or top == "tenantRestrictions"
    users_side = "usersAndGroups" in path
    own_side = (users_side and not inbound) or (not users_side and inbound)
    if own_side:
        return resource.tenant
    if resource.kind == "partner":
        return tenant_of.get(resource.key)
    return None


async def resolve_references(
    resources: list[Resource], gateways: dict[str, Any], tenant_of: dict[str, str]
) -> list[Resource]:
    """`resources` with every name reference replaced by the object id it names."""
    problems: list[str] = []
    cache: dict[tuple[str, str], str] = {}
    out: list[Resource] = []
    for res in resources:
        refs = list(_references(res.body))
        if not refs:
            out.append(res)
            continue
        ids: dict[int, str] = {}
        for path, ref in refs:
            where = directory_tenant(res, path, tenant_of)
            field = ".".join(path)
            if where is None or where not in gateways:
                problems.append(
                    f"{res.address}: {field}: cannot look up {ref['resolve']} {ref['name']!r}: its "
                    "directory is not a reachable tenant here; give the object id instead"
                )
                continue
            key = (where, ref["name"])
            if key not in cache:
                found = await gateways[where].list(
                    "/groups", params={"$filter": f"displayName eq {odata_literal(ref['name'])}",
                                       "$select": "id,displayName"}
                )
                if len(found) != 1:
                    candidates = ", ".join(sorted(f"{g['id']} ({g.get('displayName')})" for g in found))
                    problems.append(
                        f"{res.address}: {field}: group {ref['name']!r} in tenant {where} "
                        + (f"is ambiguous: {len(found)} groups match: {candidates}" if found else "was not found")
                    )
                    continue
                cache[key] = found[0]["id"]
            ids[id(ref)] = cache[key]
        out.append(replace(res, body=_substitute(res.body, ids)))
    if problems:
        raise PlanError(problems)
    return out


def _substitute(value: Any, ids: dict[int, str]) -> Any:
    if isinstance(value, dict):
        if id(value) in ids:
            return ids[id(value)]
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        resolved = [_substitute(v, ids) for v in value]
        if all(isinstance(t, dict) and "target" in t for t in resolved):
            resolved.sort(key=lambda t: (str(t.get("targetType", "")), str(t.get("target", ""))))
        return resolved
    return value
