"""End to end: the gateway's real stack (azure-identity, msgraph-sdk, httpx over TLS) against the
emulator process, configured only through the run overrides, as a user would point it at Graph."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.errors import ForbiddenError, NotFoundError, TransientGraphError
from reconciler.graph.connection import AuthSpec, Overrides, TenantConnection

from ..support.emulator import CONTOSO, CONTOSO_READONLY, FABRIKAM
from .conftest import FakeTime

PARTNERS = "/policies/crossTenantAccessPolicy/partners"
NORTHWIND = "3c3c3c3c-0000-0000-0000-000000000003"


def tenant(alias: str, app, secret_env: str) -> TenantConnection:
    return TenantConnection(alias=alias, tenant_id=app.tenant_id,
                            auth=AuthSpec("client_secret", client_id=app.client_id, secret_env=secret_env))


def run_with(emu, connections, env, monkeypatch, work, fake_time: FakeTime | None = None):
    from reconciler.graph.gateway import open_gateways

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    overrides = Overrides.from_env({"CROSSTENANT_GRAPH_URL": emu.url, "CROSSTENANT_AUTHORITY": emu.url,
                                    "CROSSTENANT_CA_BUNDLE": emu.ca_bundle})
    fake_time = fake_time or FakeTime()

    async def scenario():
        async with open_gateways(connections, overrides, sleep=fake_time.sleep) as gateways:
            return await work(gateways)

    return asyncio.run(scenario())


def test_two_tenants_read_and_write_through_the_real_stack(fresh_emulator, monkeypatch):
    connections = [tenant("contoso", CONTOSO, "CT_SECRET"), tenant("fabrikam", FABRIKAM, "FB_SECRET")]

    async def work(gateways):
        contoso = gateways["contoso"]
        policy = await contoso.get("/policies/crossTenantAccessPolicy")
        created = await contoso.post(PARTNERS, {"tenantId": NORTHWIND, "inboundTrust": {"isMfaAccepted": True}})
        await contoso.wait_until(lambda: _exists(contoso, f"{PARTNERS}/{NORTHWIND}"), what="partner", consecutive=2)
        await contoso.patch(f"{PARTNERS}/{NORTHWIND}", {"inboundTrust": {"isMfaAccepted": False}})
        after_patch = await contoso.get(f"{PARTNERS}/{NORTHWIND}")
        listed = await contoso.list(PARTNERS, params={"$top": 1})
        fabrikam_partners = await gateways["fabrikam"].list(PARTNERS)
        await contoso.delete(f"{PARTNERS}/{NORTHWIND}")
        with pytest.raises(NotFoundError) as gone:
            await contoso.get(f"{PARTNERS}/{NORTHWIND}")
        return policy, created, after_patch, listed, fabrikam_partners, gone.value

    env = {"CT_SECRET": CONTOSO.secret, "FB_SECRET": FABRIKAM.secret}
    policy, created, after_patch, listed, fabrikam_partners, gone = run_with(
        fresh_emulator, connections, env, monkeypatch, work)
    assert "displayName" in policy
    assert created["tenantId"] == NORTHWIND
    assert after_patch["inboundTrust"]["isMfaAccepted"] is False
    assert NORTHWIND in {p["tenantId"] for p in listed}
    assert NORTHWIND not in {p["tenantId"] for p in fabrikam_partners}, "each gateway sees its own tenant"
    assert gone.status == 404 and gone.request_id
    tenants_seen = {r["tenantId"] for r in fresh_emulator.requests()}
    assert {CONTOSO.tenant_id, FABRIKAM.tenant_id} <= tenants_seen


async def _exists(gw, path: str) -> bool:
    await gw.get(path)
    return True


def test_throttling_is_retried_with_the_emulators_retry_after(fresh_emulator, monkeypatch):
    fresh_emulator.add_fault(method="GET", path="/policies/crossTenantAccessPolicy/default", status=429,
                             retry_after=1.5, times=2)
    fake_time = FakeTime()

    async def work(gateways):
        return await gateways["contoso"].get("/policies/crossTenantAccessPolicy/default")

    body = run_with(fresh_emulator, [tenant("contoso", CONTOSO, "CT_SECRET")], {"CT_SECRET": CONTOSO.secret},
                    monkeypatch, work, fake_time)
    assert "inboundTrust" in body
    assert fake_time.sleeps == [1.5, 1.5]
    statuses = [r["status"] for r in fresh_emulator.requests() if r["path"].endswith("/default")]
    assert statuses == [429, 429, 200]


def test_a_post_hitting_503_is_sent_once(fresh_emulator, monkeypatch):
    fresh_emulator.add_fault(method="POST", path=PARTNERS, status=503)

    async def work(gateways):
        await gateways["contoso"].post(PARTNERS, {"tenantId": NORTHWIND})

    with pytest.raises(TransientGraphError):
        run_with(fresh_emulator, [tenant("contoso", CONTOSO, "CT_SECRET")], {"CT_SECRET": CONTOSO.secret},
                 monkeypatch, work)
    posts = [r for r in fresh_emulator.requests() if r["method"] == "POST" and r["path"].endswith("/partners")]
    assert len(posts) == 1


def test_a_read_only_app_is_forbidden_to_write(fresh_emulator, monkeypatch):
    async def work(gateways):
        await gateways["contoso"].post(PARTNERS, {"tenantId": NORTHWIND})

    with pytest.raises(ForbiddenError) as caught:
        run_with(fresh_emulator, [tenant("contoso", CONTOSO_READONLY, "RO_SECRET")],
                 {"RO_SECRET": CONTOSO_READONLY.secret}, monkeypatch, work)
    assert caught.value.code == "Authorization_RequestDenied" and caught.value.status == 403
