"""Users, groups, direct members and tenant information."""

from __future__ import annotations

import pytest

from tests.emulator.sync_app import CONTOSO, FABRIKAM, Harness, example, same_shape


@pytest.fixture
def h(tmp_path):
    return Harness.create(tmp_path)


def test_user_by_upn_filter_with_select(h):
    guest = h.user(CONTOSO, "AdeleV_adatum.com#EXT#@contoso.com", "Adele Vance", userType="Guest",
                   externalUserState="Accepted", creationType="Invitation")
    h.user(CONTOSO, "other@contoso.example", "Other")
    url = example("users-filter-upn.request.json")["url"].removeprefix("https://graph.microsoft.com")
    body = h.call("GET", url).json()
    assert [u["id"] for u in body["value"]] == [guest["id"]]
    got = body["value"][0]
    assert got["userType"] == "Guest" and got["externalUserState"] == "Accepted"
    assert got["identities"] is None and "displayName" not in got  # selected only; missing ones are null


def test_user_default_properties_and_in_operator(h):
    a = h.user(CONTOSO, "a@contoso.example", "A", department="Sales")
    b = h.user(CONTOSO, "b@contoso.example", "B")
    found = h.call("GET", "/v1.0/users", params={
        "$filter": "userPrincipalName in ('a@contoso.example', 'B@CONTOSO.EXAMPLE')"}).json()["value"]
    assert sorted(u["id"] for u in found) == sorted([a["id"], b["id"]])
    assert "department" not in found[0] and "userType" not in found[0]  # only on $select
    assert found[0]["businessPhones"] == []
    by_mail = h.call("GET", "/v1.0/users", params={"$filter": "mail eq 'a@contoso.example'"}).json()["value"]
    assert [u["id"] for u in by_mail] == [a["id"]]


def test_guest_pending_acceptance_filter(h):
    pending = h.user(CONTOSO, "p#EXT#@contoso.example", "P", userType="Guest", externalUserState="PendingAcceptance")
    h.user(CONTOSO, "q#EXT#@contoso.example", "Q", userType="Guest", externalUserState="Accepted")
    url = example("users-filter-guest-pendingacceptance.request.json")["url"].removeprefix(
        "https://graph.microsoft.com")
    assert [u["id"] for u in h.call("GET", url).json()["value"]] == [pending["id"]]


def test_endswith_needs_advanced_query(h):
    url = example("users-list-b2b-by-upn-suffix.request.json")["url"].removeprefix("https://graph.microsoft.com")
    documented = example("error-advanced-query-endswith-missing-params.response.json")["body"]["error"]
    response = h.call("GET", url.replace("&$count=true", ""))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == documented["code"]
    assert response.json()["error"]["message"] == documented["message"]


def test_user_by_id_or_upn(h):
    user = h.user(CONTOSO, "adele@contoso.example", "Adele")
    assert h.call("GET", f"/v1.0/users/{user['id']}").json()["userPrincipalName"] == "adele@contoso.example"
    assert h.call("GET", "/v1.0/users/Adele@contoso.example").json()["id"] == user["id"]
    missing = h.call("GET", "/v1.0/users/nobody@contoso.example")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "Request_ResourceNotFound"
    assert h.call("GET", f"/v1.0/users/{user['id']}", roles=("Application.Read.All",)).status_code == 403


def test_groups_by_name_and_direct_members_paged(h):
    users = [h.user(CONTOSO, f"u{i}@contoso.example", f"U{i}") for i in range(3)]
    inner = h.group(CONTOSO, "Inner", [h.user(CONTOSO, "nested@contoso.example", "Nested")])
    sales = h.group(CONTOSO, "Sales", [*users, inner])
    h.group(CONTOSO, "Sales")  # names are not unique
    url = example("groups-filter-displayname.request.json")["url"].removeprefix("https://graph.microsoft.com")
    found = h.call("GET", url.replace("{displayName}", "Sales")).json()["value"]
    assert len(found) == 2 and set(found[0]) == {"id", "displayName", "securityEnabled", "mailEnabled", "groupTypes"}
    assert h.call("GET", f"/v1.0/groups/{sales['id']}").json()["displayName"] == "Sales"
    documented = example("group-members-list.response.json")["body"]
    page = h.call("GET", f"/v1.0/groups/{sales['id']}/members?$top=3").json()
    assert same_shape(page, documented) == []
    rest = h.call("GET", page["@odata.nextLink"]).json()
    members = page["value"] + rest["value"]
    assert [m["id"] for m in members] == [u["id"] for u in users] + [inner["id"]]  # direct only, no "Nested"
    assert [m["@odata.type"] for m in members] == ["#microsoft.graph.user"] * 3 + ["#microsoft.graph.group"]
    assert h.call("GET", "/v1.0/groups/00000000-0000-0000-0000-000000000000/members").status_code == 404


def test_find_tenant_information(h):
    documented = example("tenantrelationship-findbytenantid.response.json")
    url = f"/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{FABRIKAM}')"
    response = h.call("GET", url, roles=("CrossTenantInformation.ReadBasic.All",))
    assert response.status_code == documented["status"]
    assert same_shape(response.json(), documented["body"]) == []
    assert response.json()["tenantId"] == FABRIKAM and response.json()["displayName"] == "Fabrikam"
    by_domain = h.call("GET", "/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='CONTOSO.example')")
    # The initial onmicrosoft.com domain is the default, whatever domain was looked up (doc example).
    assert (by_domain.json()["tenantId"], by_domain.json()["defaultDomainName"]) == (CONTOSO, "contoso.onmicrosoft.com")
    assert same_shape(by_domain.json(), example("tenantrelationship-findbydomainname.response.json")["body"]) == []


def test_find_tenant_information_unknown_and_permission(h):
    unknown = h.call("GET", "/v1.0/tenantRelationships/findTenantInformationByTenantId("
                            "tenantId='11111111-1111-1111-1111-111111111111')")
    assert unknown.status_code == 404
    assert h.call("GET", "/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='nope.example')"
                  ).status_code == 404
    denied = h.call("GET", f"/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{FABRIKAM}')",
                    roles=("Directory.Read.All",))
    assert denied.status_code == 403
