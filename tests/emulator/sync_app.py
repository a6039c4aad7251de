"""A test harness for the sync-area routes alone: a starlette app with the applications,
synchronization and directory routes over a real `Store`, and a stub `verify_token` that takes the
caller from test headers (the core's token checks are tested with the full stack elsewhere)."""

from __future__ import annotations

import json
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

with warnings.catch_warnings():
    # starlette 1.x warns that it prefers `httpx2`; the venv has httpx, which works the same here.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from reconciler.emulator.context import Caller, EmulatorContext
from reconciler.emulator.errors import GraphHTTPError, error_response
from reconciler.emulator.routes import applications, directory, synchronization
from reconciler.emulator.store import Store

EXAMPLES = Path("/work/shared/graph-reference/examples")
TENANT_HEADER = "X-Test-Tenant"
ROLES_HEADER = "X-Test-Roles"
ALL_ROLES = ("Application.ReadWrite.All", "Synchronization.ReadWrite.All", "AppRoleAssignment.ReadWrite.All",
             "Directory.Read.All", "CrossTenantInformation.ReadBasic.All")

CONTOSO = "00000000-0000-0000-0000-00000000c0de"
FABRIKAM = "00000000-0000-0000-0000-0000000fab00"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def _verify(request: Request) -> Caller:
    tenant = request.headers.get(TENANT_HEADER)
    if tenant is None:
        raise GraphHTTPError(401, "InvalidAuthenticationToken", "Access token is empty.")
    roles = request.headers.get(ROLES_HEADER)
    granted = ALL_ROLES if roles is None else tuple(r for r in roles.split(",") if r)
    return Caller(tenant_id=tenant, app_id="test-app", roles=frozenset(granted))


async def _graph_error(request: Request, exc: Exception):
    assert isinstance(exc, GraphHTTPError)
    return error_response(request, exc)


@dataclass
class Harness:
    store: Store
    ctx: EmulatorContext
    http: TestClient

    @classmethod
    def create(cls, tmp_path: Path) -> "Harness":
        store = Store(tmp_path / "state.db")
        ctx = EmulatorContext(store=store, verify_token=_verify)
        mounted = []
        for module in (applications, synchronization, directory):
            mounted += module.routes(ctx)
            if hasattr(module, "control_routes"):
                mounted += module.control_routes(ctx)
        app = Starlette(routes=mounted, exception_handlers={GraphHTTPError: _graph_error})
        harness = cls(store, ctx, TestClient(app, base_url="https://127.0.0.1:8443"))
        harness.tenant(CONTOSO, "Contoso", ["contoso.example", "contoso.onmicrosoft.com"])
        harness.tenant(FABRIKAM, "Fabrikam", ["fabrikam.example"])
        return harness

    # -- seeding (the core's seed loader writes the same shapes)
    def tenant(self, tenant_id: str, name: str, domains: list[str], cloud: str = "global") -> None:
        self.store.put(tenant_id, "organization", "self",
                       {"id": tenant_id, "displayName": name, "verifiedDomains": domains, "cloud": cloud})

    def user(self, tenant_id: str, upn: str, display_name: str, **extra: Any) -> dict[str, Any]:
        body = {"id": str(uuid.uuid4()), "userPrincipalName": upn, "displayName": display_name,
                "mail": upn, "accountEnabled": True, "userType": "Member", **extra}
        self.store.put(tenant_id, "users", body["id"], body)
        return body

    def group(self, tenant_id: str, name: str, members: list[dict[str, Any]] = ()) -> dict[str, Any]:
        body = {"id": str(uuid.uuid4()), "displayName": name, "securityEnabled": True, "mailEnabled": False,
                "groupTypes": []}
        self.store.put(tenant_id, "groups", body["id"], body)
        for member in members:
            self.store.put(tenant_id, "groupMembers", f"{body['id']}/{member['id']}",
                           {"groupId": body["id"], "memberId": member["id"]})
        return body

    def partner(self, tenant_id: str, partner_id: str, *, inbound: bool | None = None,
                outbound: bool | None = None) -> None:
        consent = None if inbound is None and outbound is None else {
            "inboundAllowed": bool(inbound), "outboundAllowed": bool(outbound)}
        self.store.put(tenant_id, "partners", partner_id, {"tenantId": partner_id, "automaticUserConsentSettings": consent})

    def identity_sync(self, tenant_id: str, partner_id: str, allowed: bool) -> None:
        self.store.put(tenant_id, "identitySync", partner_id,
                       {"tenantId": partner_id, "displayName": "p", "userSyncInbound": {"isSyncAllowed": allowed}})

    def allow_sync(self, source: str = CONTOSO, target: str = FABRIKAM) -> None:
        self.partner(source, target, outbound=True)
        self.partner(target, source, inbound=True)
        self.identity_sync(target, source, True)

    # -- calls
    def call(self, method: str, path: str, *, tenant: str = CONTOSO, roles: tuple[str, ...] | None = None,
             headers: dict[str, str] | None = None, **kwargs: Any):
        sent = {TENANT_HEADER: tenant, **(headers or {})}
        if roles is not None:
            sent[ROLES_HEADER] = ",".join(roles)
        return self.http.request(method, path, headers=sent, **kwargs)

    def instantiate(self, name: str = "Fabrikam", tenant: str = CONTOSO) -> dict[str, Any]:
        response = self.call("POST", "/v1.0/applicationTemplates/518e5f48-1fc8-4c48-9387-9fdf28b0dfe7/instantiate",
                             tenant=tenant, json={"displayName": name})
        assert response.status_code == 201, response.text
        return response.json()

    def new_job(self, sp_id: str, tenant: str = CONTOSO) -> dict[str, Any]:
        response = self.call("POST", f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs", tenant=tenant,
                             json={"templateId": "Azure2Azure"})
        assert response.status_code == 201, response.text
        return response.json()


def same_shape(actual: Any, documented: Any, path: str = "$") -> list[str]:
    """Where `actual` lacks a key of `documented` or differs in JSON type (values are not compared:
    documented ids and dates are placeholders). Lists are compared item by item as far as the
    documented list goes."""
    problems: list[str] = []
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object"]
        for key, value in documented.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += same_shape(actual[key], value, f"{path}.{key}")
    elif isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list"]
        for i, (a, d) in enumerate(zip(actual, documented)):
            problems += same_shape(a, d, f"{path}[{i}]")
        if documented and not actual:
            problems.append(f"{path}: empty, documented non-empty")
    elif documented is not None and actual is not None and type(actual) is not type(documented):
        problems.append(f"{path}: {type(actual).__name__} instead of {type(documented).__name__}")
    return problems
