"""The link kinds through a real gateway (msgraph-sdk, azure-identity) against the emulator:
create every part of a link, then a second observation plans nothing."""

from __future__ import annotations

import asyncio

from reconciler.graph.connection import AuthSpec, Overrides, TenantConnection
from reconciler.graph.gateway import open_gateways
from reconciler.resources import link_marker as marker
from reconciler.resources.link import LinkHandler
from reconciler.resources.link_assignments import LinkAssignmentsHandler
from reconciler.resources.link_schema import LinkSchemaHandler
from reconciler.resources.link_settings import LinkSettingsHandler
from reconciler.resources.link_state import LinkStateHandler, link_health
from reconciler.resources.memo import forget
from tests.resources.fake_graph import apply_change, desired, plan_change
from tests.support.emulator import CONTOSO, FABRIKAM

LINK = "contoso-to-fabrikam"
PARTNERS = "/policies/crossTenantAccessPolicy/partners"


def prerequisites(emulator) -> tuple[str, str]:
    """Automatic redemption both ways and inbound sync in the target; returns (adele's id, Sales' id)."""
    with emulator.graph(CONTOSO) as g:
        g.post(PARTNERS, json={"tenantId": FABRIKAM.tenant_id,
                               "automaticUserConsentSettings": {"outboundAllowed": True}}).raise_for_status()
        adele = g.get("/users", params={"$filter": "userPrincipalName eq 'adele@contoso.example'"}).json()["value"][0]
        sales = g.get("/groups", params={"$filter": "displayName eq 'Sales'"}).json()["value"][0]
    with emulator.graph(FABRIKAM) as g:
        g.post(PARTNERS, json={"tenantId": CONTOSO.tenant_id,
                               "automaticUserConsentSettings": {"inboundAllowed": True}}).raise_for_status()
        g.put(f"{PARTNERS}/{CONTOSO.tenant_id}/identitySynchronization",
              json={"displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": True}}).raise_for_status()
    return adele["id"], sales["id"]


def resources(adele: str, sales: str) -> list:
    return [
        (LinkHandler(), desired("link", LINK, {"displayName": marker.display_name_for(LINK),
                                               "targetTenantId": FABRIKAM.tenant_id, "managed": True})),
        (LinkSettingsHandler(), desired("link_settings", LINK, {
            "targetTenantId": FABRIKAM.tenant_id, "authenticationType": "SyncPolicy", "syncAll": False,
            "notifications": {"enabled": True, "recipients": ["idops@contoso.example"],
                              "deleteThresholdEnabled": True, "deleteThresholdValue": 500}})),
        (LinkSchemaHandler(), desired("link_schema", LINK, {
            "mappings": {"userType": {"expression": '"Member"', "flow": "always", "default": None},
                         "displayName": {"expression": 'Join(" ", [givenName], [surname])', "flow": "always",
                                         "default": None}},
            "scopingFilters": [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]})),
        (LinkAssignmentsHandler(), desired("link_assignments", LINK, {"users": [adele], "groups": [sales]})),
        (LinkStateHandler(), desired("link_state", LINK, {"state": "started"})),
    ]


async def plan(gw, pairs) -> list:
    forget(gw)
    changes = []
    for handler, resource in pairs:
        live = (await handler.read(gw, CONTOSO.tenant_id)).get(LINK)
        changes.append((handler, plan_change(handler, resource, live)))
    return changes


async def cycle(emulator, pairs) -> tuple[list, list]:
    connection = TenantConnection(alias="contoso", tenant_id=CONTOSO.tenant_id,
                                  auth=AuthSpec(method="client_secret", client_id=CONTOSO.client_id,
                                                secret_env="CONTOSO_CLIENT_SECRET"))
    overrides = Overrides(graph_url=emulator.url, authority=emulator.url, ca_bundle=emulator.ca_bundle)
    async with open_gateways([connection], overrides) as gateways:
        gw = gateways["contoso"]
        first = await plan(gw, pairs)
        forget(gw)
        for handler, change in first:
            if change is not None:
                await apply_change(handler, gw, change)
        second = await plan(gw, pairs)
        health = await link_health(gw)
    return [c for _, c in first], [c for _, c in second] + [health]


def test_a_link_is_created_in_full_and_the_next_plan_is_empty(fresh_emulator, monkeypatch):
    monkeypatch.setenv("CONTOSO_CLIENT_SECRET", CONTOSO.secret)
    adele, sales = prerequisites(fresh_emulator)
    first, second = asyncio.run(cycle(fresh_emulator, resources(adele, sales)))
    assert [c.action for c in first] == ["create"] * 5  # nothing exists yet
    *changes, health = second
    assert changes == [None] * 5, [c.to_json() for c in changes if c]
    assert health[LINK].quarantined is False

    with fresh_emulator.graph(CONTOSO) as g:
        sps = g.get("/servicePrincipals", params={
            "$filter": "applicationTemplateId eq '518e5f48-1fc8-4c48-9387-9fdf28b0dfe7'"}).json()["value"]
        (sp,) = sps
        assert f"crosstenant:link:{LINK}" in sp["tags"] and "WindowsAzureActiveDirectoryIntegratedApp" in sp["tags"]
        secrets = {s["key"]: s["value"] for s in g.get(f"/servicePrincipals/{sp['id']}/synchronization/secrets")
                   .json()["value"]}
        assert secrets["SyncAll"] == "false" and secrets["AuthenticationType"] == "SyncPolicy"
    instantiates = [r for r in fresh_emulator.requests() if r["path"].endswith("/instantiate")]
    assert len(instantiates) == 1
