"""The seed file: tenants, their apps (credentials and granted application permissions), users,
groups and, optionally, cross-tenant access settings; applied when the state is empty.

```yaml
tenants:
  contoso:
    tenant_id: 00000000-0000-0000-0000-00000000c0de
    display_name: Contoso
    domains: [contoso.example]
    apps: [{client_id: ..., secret: ..., display_name: ..., roles: [Policy.Read.All, ...]}]
    users: [{userPrincipalName: adele@contoso.example, givenName: Adele, surname: Vance, department: Sales}]
    groups: [{displayName: Sales, description: ..., members: [adele@contoso.example]}]
    cross_tenant_access:          # optional; Graph's JSON, validated as the routes validate writes
      policy: {displayName: ..., allowedCloudEndpoints: [...]}
      default: {inboundTrust: {...}}          # laid over the service default
      partners: [{tenantId: ..., inboundTrust: {...}, identitySynchronization: {displayName: ..., userSyncInbound: {...}}}]
```

The store holds what GET returns (the contract the route modules share); apps keep only a
SHA-256 of their secret.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from reconciler.emulator import access_shapes as shapes
from reconciler.emulator.auth import secret_sha256
from reconciler.emulator.errors import GraphHTTPError
from reconciler.emulator.store import Store

ID_NAMESPACE = uuid.UUID("6d1f0c2e-54a0-4b8e-9a57-0c0de5eed000")  # deterministic ids of seeded objects
SEEDED_META = "seed_sha256"

_TENANT_KEYS = {"tenant_id", "display_name", "domains", "apps", "users", "groups", "cross_tenant_access"}
_APP_KEYS = {"client_id", "secret", "display_name", "roles"}
_GROUP_KEYS = {"id", "displayName", "description", "members"}
_ACCESS_KEYS = {"policy", "default", "partners"}


class SeedError(ValueError):
    """The seed file is invalid; the message names the place."""


def load_seed(path: Path) -> dict[str, Any]:
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as err:
        raise SeedError(f"{path}: cannot read the seed: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("tenants"), dict):
        raise SeedError(f"{path}: the seed needs a 'tenants' mapping")
    return data


def seed_if_empty(store: Store, path: Path | None) -> bool:
    """Apply the seed unless the state was seeded before; True when it was applied now."""
    if store.get_meta(SEEDED_META) is not None:
        return False
    data = load_seed(path) if path is not None else {"tenants": {}}
    apply_seed(store, data)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else ""
    store.set_meta(SEEDED_META, digest)
    return True


def user_id(tenant_id: str, upn: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{tenant_id}:user:{upn.lower()}"))


def group_id(tenant_id: str, display_name: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{tenant_id}:group:{display_name}"))


def apply_seed(store: Store, data: dict[str, Any]) -> None:
    tenants = data["tenants"]
    _only(data, {"tenants"}, "seed")
    for alias, tenant in tenants.items():
        where = f"tenants.{alias}"
        if not isinstance(tenant, dict):
            raise SeedError(f"{where}: must be a mapping")
        _only(tenant, _TENANT_KEYS, where)
        tenant_id = _guid(tenant.get("tenant_id"), f"{where}.tenant_id")
        domains = [str(d) for d in tenant.get("domains", [])]
        store.put(tenant_id, "organization", "self", {
            "id": tenant_id, "displayName": str(tenant.get("display_name", alias)),
            "verifiedDomains": domains, "cloud": "global",
        })
        for i, app in enumerate(tenant.get("apps", [])):
            _seed_app(store, tenant_id, app, f"{where}.apps[{i}]")
        upn_ids: dict[str, str] = {}
        for i, user in enumerate(tenant.get("users", [])):
            body = _user(tenant_id, user, f"{where}.users[{i}]")
            store.put(tenant_id, "users", body["id"], body)
            upn_ids[body["userPrincipalName"].lower()] = body["id"]
        _seed_groups(store, tenant_id, tenant.get("groups", []), upn_ids, where)
        _seed_access(store, tenant_id, tenant.get("cross_tenant_access") or {}, f"{where}.cross_tenant_access")


def _seed_app(store: Store, tenant_id: str, app: Any, where: str) -> None:
    if not isinstance(app, dict):
        raise SeedError(f"{where}: must be a mapping")
    _only(app, _APP_KEYS, where)
    client_id = _guid(app.get("client_id"), f"{where}.client_id")
    secret = app.get("secret")
    if not isinstance(secret, str) or not secret:
        raise SeedError(f"{where}.secret: required")
    roles = app.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise SeedError(f"{where}.roles: must be a list of permission names")
    store.put(tenant_id, "credentials", client_id, {
        "clientId": client_id, "displayName": str(app.get("display_name", client_id)),
        "secretSha256": secret_sha256(secret), "roles": sorted(set(roles)),
    })


def _user(tenant_id: str, user: Any, where: str) -> dict[str, Any]:
    if not isinstance(user, dict) or not isinstance(user.get("userPrincipalName"), str):
        raise SeedError(f"{where}: a user needs a userPrincipalName")
    upn = user["userPrincipalName"]
    given, surname = user.get("givenName"), user.get("surname")
    default_name = " ".join(p for p in (given, surname) if p) or upn.split("@")[0]
    body: dict[str, Any] = {
        "id": user_id(tenant_id, upn), "userPrincipalName": upn, "displayName": default_name,
        "givenName": given, "surname": surname, "mail": upn, "department": None, "jobTitle": None,
        "userType": "Member", "accountEnabled": True,
    }
    body.update(copy.deepcopy(user))
    return body


def _seed_groups(store: Store, tenant_id: str, groups: list[Any], upn_ids: dict[str, str], where: str) -> None:
    bodies = []
    for i, group in enumerate(groups):
        here = f"{where}.groups[{i}]"
        if not isinstance(group, dict) or not isinstance(group.get("displayName"), str):
            raise SeedError(f"{here}: a group needs a displayName")
        _only(group, _GROUP_KEYS, here)
        # Display names are not unique in Entra: a seed may give two groups one name and its own ids.
        body = {"id": _guid(group["id"], f"{here}.id") if "id" in group else group_id(tenant_id, group["displayName"]),
                "displayName": group["displayName"],
                "mailEnabled": False, "securityEnabled": True}
        if "description" in group:
            body["description"] = group["description"]
        store.put(tenant_id, "groups", body["id"], body)
        bodies.append((here, body, group.get("members", [])))
    group_ids = {body["displayName"]: body["id"] for _, body, _ in bodies}
    for here, body, members in bodies:
        for member in members:
            member_id = upn_ids.get(str(member).lower()) or group_ids.get(str(member))
            if member_id is None:
                raise SeedError(f"{here}.members: {member!r} is neither a seeded user nor a seeded group")
            store.put(tenant_id, "groupMembers", f"{body['id']}/{member_id}",
                      {"groupId": body["id"], "memberId": member_id})


def _seed_access(store: Store, tenant_id: str, access: Any, where: str) -> None:
    if not isinstance(access, dict):
        raise SeedError(f"{where}: must be a mapping")
    _only(access, _ACCESS_KEYS, where)
    try:
        policy = {**shapes.DEFAULT_POLICY, **shapes.POLICY.check_object(dict(access.get("policy") or {}))}
        default = copy.deepcopy(shapes.SERVICE_DEFAULT)
        if access.get("default"):
            default.update(shapes.DEFAULT.check_object(dict(access["default"])))
            default.pop("automaticUserConsentSettings", None)
            default.update(automaticUserConsentSettings=shapes.SERVICE_DEFAULT["automaticUserConsentSettings"],
                           isServiceDefault=False)
        store.put(tenant_id, "policy", "self", policy)
        store.put(tenant_id, "default", "self", default)
        for i, partner in enumerate(access.get("partners", [])):
            _seed_partner(store, tenant_id, partner, f"{where}.partners[{i}]")
    except GraphHTTPError as err:
        raise SeedError(f"{where}: {err.message}") from err


def _seed_partner(store: Store, tenant_id: str, partner: Any, where: str) -> None:
    if not isinstance(partner, dict):
        raise SeedError(f"{where}: must be a mapping")
    partner = dict(partner)
    sync = partner.pop("identitySynchronization", None)
    partner_id = _guid(partner.get("tenantId"), f"{where}.tenantId")
    # A seed may mark a partner as part of a multitenant organization, which no API call can.
    body = shapes.new_partner(partner_id)
    body.update(shapes.PARTNER.check_object(partner, allow_read_only=frozenset({"tenantId",
                                                                               "isInMultiTenantOrganization"})))
    body["tenantId"] = partner_id
    shapes.complete_consent_settings(body)
    store.put(tenant_id, "partners", partner_id, body)
    if sync is not None:
        sync = shapes.IDENTITY_SYNC.check_object(dict(sync), allow_read_only=frozenset({"tenantId"}))
        body = {"tenantId": partner_id, "displayName": None, "userSyncInbound": None, **sync}
        store.put(tenant_id, "identitySync", partner_id, {**body, "tenantId": partner_id})


def _guid(value: Any, where: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise SeedError(f"{where}: must be a GUID, got {value!r}") from None


def _only(mapping: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        raise SeedError(f"{where}: unknown keys {sorted(unknown)}")
