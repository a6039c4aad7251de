"""Resolve names in desired bodies to object ids through Graph, at plan time.

Compile leaves `{"resolve": "group", "name": "Sales"}` where a target was written as a group
display name (and `{"resolve": "user", "name": "<UPN>", "tenant": "<alias>"}` for a link's
assigned users); `tenant` names the directory, else it follows from where the name stands. Names are not unique in Entra, so a name that matches no group or several is a
plan error naming the candidates (field fault 11), and a failed lookup aborts the plan: the
caller never sees a diff computed from a guess.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

from reconciler.errors import PlanError
from reconciler.odata import literal
from reconciler.resources.base import Resource


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
    cache: dict[tuple[str, str, str], str] = {}
    out: list[Resource] = []
    for res in resources:
        refs = list(_references(res.body))
        if not refs:
            out.append(res)
            continue
        ids: dict[int, str] = {}
        where_declared = f"{res.source}: " if res.source else ""
        for path, ref in refs:
            where = ref.get("tenant") or directory_tenant(res, path, tenant_of)
            field = ".".join(path)
            kind = ref["resolve"]
            if where is None or where not in gateways:
                problems.append(
                    f"{where_declared}{res.address}: {field}: cannot look up {kind} {ref['name']!r}: its "
                    "directory is not a reachable tenant here; give the object id instead"
                )
                continue
            key = (where, kind, ref["name"])
            if key not in cache:
                found = await _lookup(gateways[where], kind, ref["name"])
                if len(found) != 1:
                    candidates = ", ".join(sorted(f"{o['id']} ({o.get('displayName')})" for o in found))
                    problems.append(
                        f"{where_declared}{res.address}: {field}: {kind} {ref['name']!r} in tenant {where} "
                        + (f"is ambiguous: {len(found)} {kind}s match: {candidates}" if found else "was not found")
                    )
                    continue
                cache[key] = found[0]["id"]
            ids[id(ref)] = cache[key]
        out.append(replace(res, body=_substitute(res.body, ids)))
    if problems:
        raise PlanError(problems)
    return out


# How each kind of name is looked up: (collection, the property the name is matched on).
_LOOKUPS = {"group": ("/groups", "displayName"), "user": ("/users", "userPrincipalName")}


async def _lookup(gw: Any, kind: str, name: str) -> list[dict[str, Any]]:
    collection, prop = _LOOKUPS[kind]
    return await gw.list(collection, params={"$filter": f"{prop} eq {literal(name)}",
                                             "$select": "id,displayName"})


def _substitute(value: Any, ids: dict[int, str]) -> Any:
    if isinstance(value, dict):
        if id(value) in ids:
            return ids[id(value)]
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        resolved = [_substitute(v, ids) for v in value]
        if all(isinstance(t, dict) and "target" in t for t in resolved):
            resolved.sort(key=lambda t: (str(t.get("targetType", "")), str(t.get("target", ""))))
        elif all(isinstance(t, str) for t in resolved):
            resolved.sort()  # object ids, e.g. a link's assigned principals
        return resolved
    return value
