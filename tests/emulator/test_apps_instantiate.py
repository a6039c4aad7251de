"""Instantiating the cross-tenant sync template, finding and changing the pair, deleting it."""

from __future__ import annotations

import pytest

from tests.emulator.sync_app import CONTOSO, FABRIKAM, Harness, example, same_shape

TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"


@pytest.fixture
def h(tmp_path):
    return Harness.create(tmp_path)


def test_instantiate_replays_the_documented_exchange(h):
    request, documented = example("cts-howto-instantiate.request.json"), example("cts-howto-instantiate.response.json")
    response = h.call("POST", request["url"].removeprefix("https://graph.microsoft.com"), json=request["body"])
    assert response.status_code == documented["status"] == 201
    body = response.json()
    assert same_shape(body, documented["body"]) == []
    app, sp = body["application"], body["servicePrincipal"]
    assert body["@odata.context"].endswith("$metadata#microsoft.graph.applicationServicePrincipal")
    assert app["displayName"] == sp["displayName"] == sp["appDisplayName"] == "Fabrikam"
    assert app["appId"] == sp["appId"] and sp["servicePrincipalNames"] == [sp["appId"]]
    assert app["applicationTemplateId"] == sp["applicationTemplateId"] == TEMPLATE
    assert sp["appRoleAssignmentRequired"] is True
    assert sp["tags"] == ["WindowsAzureActiveDirectoryIntegratedApp"]
    assert [r["displayName"] for r in sp["appRoles"]] == ["msiam_access"]
    assert sp["appRoles"] == app["appRoles"] and sp["appRoles"][0]["allowedMemberTypes"] == ["User"]
    assert sp["appOwnerOrganizationId"] == CONTOSO
    assert sp["oauth2PermissionScopes"][0]["adminConsentDisplayName"] == "Access Fabrikam"


def test_instantiate_is_not_idempotent(h):
    first, second = h.instantiate("Fabrikam"), h.instantiate("Fabrikam")
    assert first["servicePrincipal"]["id"] != second["servicePrincipal"]["id"]
    listed = h.call("GET", "/v1.0/servicePrincipals", params={"$filter": "displayName eq 'Fabrikam'"}).json()
    assert sorted(sp["id"] for sp in listed["value"]) == sorted(
        [first["servicePrincipal"]["id"], second["servicePrincipal"]["id"]])


def test_instantiate_takes_service_management_reference(h):
    request = example("instantiate-servicemanagementreference.request.json")
    response = h.call("POST", f"/v1.0/applicationTemplates/{TEMPLATE}/instantiate",
                      json={"displayName": "Link", "serviceManagementReference": "crosstenant:contoso-to-fabrikam"})
    assert set(request["body"]) == {"displayName", "serviceManagementReference"}
    assert response.json()["application"]["serviceManagementReference"] == "crosstenant:contoso-to-fabrikam"


@pytest.mark.parametrize("body, status", [
    ({}, 400),
    ({"displayName": ""}, 400),
    ({"displayName": "x", "tags": ["a"]}, 400),  # only displayName and serviceManagementReference exist
])
def test_instantiate_rejects_bad_bodies(h, body, status):
    response = h.call("POST", f"/v1.0/applicationTemplates/{TEMPLATE}/instantiate", json=body)
    assert response.status_code == status
    assert set(response.json()["error"]) >= {"code", "message", "innerError"}


def test_unknown_template_is_404(h):
    response = h.call("POST", "/v1.0/applicationTemplates/229946b9-a9fb-45b8-9531-efa47453ac9e/instantiate",
                      json={"displayName": "SAML"})
    assert response.status_code == 404


def test_instantiate_needs_application_write_permission(h):
    response = h.call("POST", f"/v1.0/applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "x"},
                      roles=("Application.Read.All",))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_objects_are_per_tenant(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    assert h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}", tenant=FABRIKAM).status_code == 404
    assert h.call("GET", "/v1.0/servicePrincipals", tenant=FABRIKAM).json()["value"] == []
