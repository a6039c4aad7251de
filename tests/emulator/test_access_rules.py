"""What the cross-tenant access routes enforce beyond the happy path: Graph's errors, strict bodies,
permissions, paging, PATCH semantics and the knobs (FIELD-NOTES rows 3-8, 18)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.emulator import (
    CONTOSO, CONTOSO_ID, CONTOSO_NO_POLICY, CONTOSO_READONLY, FABRIKAM, FABRIKAM_ID, EmulatorProcess,
)

POLICY = "/policies/crossTenantAccessPolicy"
PARTNERS = f"{POLICY}/partners"
PARTNER_A = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"


def partner_ids(n: int) -> list[str]:
    return [f"{i:08x}-0000-4000-8000-000000000000" for i in range(1, n + 1)]


@pytest.fixture
def contoso(fresh_emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with fresh_emulator.graph(CONTOSO) as client:
        yield client


def error_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "innerError"}
    return error


# ----- partners: errors
def test_a_duplicate_partner_is_409_with_graphs_code_and_message(contoso):
    assert contoso.post(PARTNERS, json={"tenantId": PARTNER_A}).status_code == 201
    error = error_of(contoso.post(PARTNERS, json={"tenantId": PARTNER_A.upper()}), 409)
    assert error["code"] == "Request_MultipleObjectsWithSameKeyValue"
    assert error["message"] == "Another object with the same value for property tenantId already exists."


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_unknown_partner_is_404(contoso, method):
    body = {"inboundTrust": None} if method == "PATCH" else None
    error = error_of(contoso.request(method, f"{PARTNERS}/{PARTNER_A}", json=body), 404)
    assert error["code"] == "Request_ResourceNotFound"


@pytest.mark.parametrize("body", [{}, {"tenantId": "contoso.example"}, {"tenantId": 42}])
def test_a_partner_needs_a_tenant_id_guid(contoso, body):
    assert error_of(contoso.post(PARTNERS, json=body), 400)["code"] == "Request_BadRequest"


def test_a_partner_id_is_case_insensitive_and_stored_lowercase(contoso):
    created = contoso.post(PARTNERS, json={"tenantId": PARTNER_A.upper()}).json()
    assert created["tenantId"] == PARTNER_A
    assert contoso.get(f"{PARTNERS}/{PARTNER_A.upper()}").json()["tenantId"] == PARTNER_A


def test_deleting_a_partner_is_refused_while_its_identity_sync_exists(contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    contoso.put(f"{PARTNERS}/{PARTNER_A}/identitySynchronization", json={"userSyncInbound": {"isSyncAllowed": True}})
    error = error_of(contoso.delete(f"{PARTNERS}/{PARTNER_A}"), 400)
    assert error["code"] == "Request_BadRequest"
    assert "identitySynchronization" in error["message"]
    assert contoso.delete(f"{PARTNERS}/{PARTNER_A}/identitySynchronization").status_code == 204
    assert contoso.delete(f"{PARTNERS}/{PARTNER_A}").status_code == 204


# ----- strict bodies (FIELD-NOTES row 6)
@pytest.mark.parametrize("body, name", [
    ({"b2BCollaborationInbound": {}}, "b2BCollaborationInbound"),
    ({"inboundTrust": {"isMFAAccepted": True}}, "isMFAAccepted"),
    ({"b2bCollaborationInbound": {"usersAndGroups": {"accessType": "allowed", "targets": [{"targetID": "x"}]}}},
     "targetID"),
    ({"somethingNew": 1}, "somethingNew"),
])
def test_unknown_or_miscased_properties_are_400_at_any_depth(contoso, body, name):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    error = error_of(contoso.patch(f"{PARTNERS}/{PARTNER_A}", json=body), 400)
    assert (error["code"], error["message"]) == ("Request_BadRequest", f"Invalid property '{name}'.")
    assert error_of(contoso.post(PARTNERS, json={"tenantId": partner_ids(1)[0], **body}), 400)["code"] == \
        "Request_BadRequest"
    assert error_of(contoso.patch(f"{POLICY}/default", json=body), 400)["message"] == f"Invalid property '{name}'."
    # nothing was stored
    assert contoso.get(f"{PARTNERS}/{PARTNER_A}").json()["inboundTrust"] is None
    assert contoso.get(f"{PARTNERS}/{partner_ids(1)[0]}").status_code == 404


@pytest.mark.parametrize("body", [
    {"inboundTrust": {"isMfaAccepted": "true"}},
    {"inboundTrust": {"isMfaAccepted": 1}},
    {"inboundTrust": True},
    {"b2bCollaborationInbound": {"usersAndGroups": {"accessType": "sometimes"}}},
    {"b2bCollaborationInbound": {"usersAndGroups": {"targets": {"target": "AllUsers"}}}},
    {"isServiceProvider": "yes"},
])
def test_values_of_the_wrong_type_are_400(contoso, body):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    error = error_of(contoso.patch(f"{PARTNERS}/{PARTNER_A}", json=body), 400)
    assert error["code"] == "Request_BadRequest"
    assert error["message"].startswith("Invalid value specified for property")


@pytest.mark.parametrize("path, body", [
    (f"{PARTNERS}/{PARTNER_A}", {"isInMultiTenantOrganization": True}),
    (f"{PARTNERS}/{PARTNER_A}", {"tenantId": PARTNER_A}),
    (f"{POLICY}/default", {"isServiceDefault": False}),
])
def test_read_only_properties_are_refused(contoso, path, body):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    error = error_of(contoso.patch(path, json=body), 400)
    assert error["message"] == f"Property '{next(iter(body))}' is read-only and cannot be set."


def test_an_odata_type_annotation_must_name_the_type(contoso):
    ok = {"@odata.type": "#microsoft.graph.crossTenantAccessPolicyInboundTrust", "isMfaAccepted": True}
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    assert contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"inboundTrust": ok}).status_code == 204
    assert contoso.get(f"{PARTNERS}/{PARTNER_A}").json()["inboundTrust"] == {"isMfaAccepted": True}
    wrong = {**ok, "@odata.type": "#microsoft.graph.user"}
    assert contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"inboundTrust": wrong}).status_code == 400


def test_a_body_that_is_not_a_json_object_is_400(contoso):
    response = contoso.patch(f"{POLICY}/default", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert error_of(response, 400)["code"] == "BadRequest"


# ----- PATCH semantics
def test_patch_replaces_nested_objects_whole(contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A, "inboundTrust": {
        "isMfaAccepted": True, "isCompliantDeviceAccepted": True, "isHybridAzureADJoinedDeviceAccepted": True}})
    contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"automaticUserConsentSettings": {"inboundAllowed": True}})
    contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"inboundTrust": {"isMfaAccepted": False}})
    contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"automaticUserConsentSettings": {"outboundAllowed": True}})
    body = contoso.get(f"{PARTNERS}/{PARTNER_A}").json()
    assert body["inboundTrust"] == {"isMfaAccepted": False}
    assert body["automaticUserConsentSettings"] == {"inboundAllowed": None, "outboundAllowed": True}


def test_patch_null_resets_a_setting_to_inherit(contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A, "inboundTrust": {"isMfaAccepted": True}})
    assert contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"inboundTrust": None}).status_code == 204
    assert contoso.get(f"{PARTNERS}/{PARTNER_A}").json()["inboundTrust"] is None


def test_the_default_keeps_automatic_redemption_false(contoso):
    assert contoso.patch(f"{POLICY}/default", json={
        "automaticUserConsentSettings": {"inboundAllowed": True, "outboundAllowed": True}}).status_code == 204
    body = contoso.get(f"{POLICY}/default").json()
    assert body["automaticUserConsentSettings"] == {"inboundAllowed": False, "outboundAllowed": False}


def test_tenants_are_isolated(fresh_emulator, contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    with fresh_emulator.graph(FABRIKAM) as fabrikam:
        assert fabrikam.get(PARTNERS).json()["value"] == []
        assert fabrikam.get(f"{PARTNERS}/{PARTNER_A}").status_code == 404


# ----- identitySynchronization (FIELD-NOTES row 4)
def test_identity_sync_get_and_patch_of_a_missing_one_are_404_directory_object_not_found(contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    path = f"{PARTNERS}/{PARTNER_A}/identitySynchronization"
    for response in (contoso.get(path), contoso.patch(path, json={"userSyncInbound": {"isSyncAllowed": True}}),
                     contoso.delete(path)):
        error = error_of(response, 404)
        assert error["code"] == "Directory_ObjectNotFound"
        assert error["message"] == "Unable to read the company information from the directory."


def test_identity_sync_post_is_405(contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    response = contoso.post(f"{PARTNERS}/{PARTNER_A}/identitySynchronization",
                            json={"userSyncInbound": {"isSyncAllowed": True}})
    assert error_of(response, 405)["code"]


def test_identity_sync_put_needs_the_partner(contoso):
    response = contoso.put(f"{PARTNERS}/{PARTNER_A}/identitySynchronization",
                           json={"userSyncInbound": {"isSyncAllowed": True}})
    assert error_of(response, 404)["code"] == "Directory_ObjectNotFound"


def test_identity_sync_rejects_unknown_properties(contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    response = contoso.put(f"{PARTNERS}/{PARTNER_A}/identitySynchronization",
                           json={"userSyncInbound": {"isSyncallowed": True}})
    assert error_of(response, 400)["message"] == "Invalid property 'isSyncallowed'."


# ----- permissions
@pytest.mark.parametrize("method, path, body", [
    ("PATCH", POLICY, {"displayName": "x"}),
    ("PATCH", f"{POLICY}/default", {"inboundTrust": None}),
    ("POST", f"{POLICY}/default/resetToSystemDefault", None),
    ("POST", PARTNERS, {"tenantId": PARTNER_A}),
])
def test_writes_need_policy_readwrite_cross_tenant_access(fresh_emulator, method, path, body):
    with fresh_emulator.graph(CONTOSO_READONLY) as reader:
        assert reader.get(path if method != "POST" or path == PARTNERS else f"{POLICY}/default").status_code == 200
        error = error_of(reader.request(method, path, json=body), 403)
        assert (error["code"], error["message"]) == (
            "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


@pytest.mark.parametrize("path", [POLICY, f"{POLICY}/default", PARTNERS])
def test_reads_need_a_policy_permission(fresh_emulator, path):
    with fresh_emulator.graph(CONTOSO_NO_POLICY) as client:
        assert error_of(client.get(path), 403)["code"] == "Authorization_RequestDenied"


# ----- paging
def test_partners_page_with_next_links_until_every_partner_is_read(fresh_emulator, contoso):
    fresh_emulator.config(page_size=2)
    ids = partner_ids(5)
    for partner_id in ids:
        contoso.post(PARTNERS, json={"tenantId": partner_id}).raise_for_status()
    seen, url, pages = [], PARTNERS, 0
    while url and pages < 10:
        body = contoso.get(url).json()
        seen += [p["tenantId"] for p in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
        if url:
            assert url.startswith(f"{fresh_emulator.url}/v1.0{PARTNERS}?") and "$skiptoken=" in url
    assert (seen, pages) == (ids, 3)


def test_top_sets_the_page_size_and_is_kept_in_the_next_link(contoso):
    ids = partner_ids(3)
    for partner_id in ids:
        contoso.post(PARTNERS, json={"tenantId": partner_id})
    first = contoso.get(PARTNERS, params={"$top": "2"}).json()
    assert [p["tenantId"] for p in first["value"]] == ids[:2]
    second = contoso.get(first["@odata.nextLink"]).json()
    assert [p["tenantId"] for p in second["value"]] == ids[2:]
    assert "@odata.nextLink" not in second
    assert error_of(contoso.get(PARTNERS, params={"$top": "0"}), 400)["code"] == "Request_BadRequest"


def test_select_narrows_a_partner(contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A, "isServiceProvider": True})
    body = contoso.get(f"{PARTNERS}/{PARTNER_A}", params={"$select": "tenantId,isServiceProvider"}).json()
    assert {k: v for k, v in body.items() if not k.startswith("@")} == {"tenantId": PARTNER_A, "isServiceProvider": True}


# ----- policy root size limit (ENDPOINTS §4.6)
def test_the_policy_root_is_limited_in_size(fresh_emulator, contoso):
    fresh_emulator.config(policy_size_limit=200)
    assert contoso.patch(POLICY, json={"displayName": "x" * 100}).status_code == 204
    assert error_of(contoso.patch(POLICY, json={"displayName": "x" * 200}), 400)["code"] == "Request_BadRequest"
    assert contoso.get(POLICY).json()["displayName"] == "x" * 100


def test_policy_cloud_endpoints_take_documented_values_only(contoso):
    assert contoso.patch(POLICY, json={"allowedCloudEndpoints": ["microsoftonline.us"]}).status_code == 204
    assert contoso.patch(POLICY, json={"allowedCloudEndpoints": ["example.com"]}).status_code == 400
    assert contoso.patch(POLICY, json={"allowedCloudEndpoints": None}).status_code == 400


# ----- knobs for the product's field faults
def test_extra_partner_properties_are_returned_and_kept_when_sent_back(fresh_emulator, contoso):
    extra = {"protectedContentSharing": {"inboundAllowed": None, "outboundAllowed": None}}
    fresh_emulator.config(partner_extra_properties=extra)
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    assert contoso.get(PARTNERS).json()["value"][0]["protectedContentSharing"] == extra["protectedContentSharing"]
    sent_back = {"protectedContentSharing": {"inboundAllowed": True, "outboundAllowed": None}}
    assert contoso.patch(f"{PARTNERS}/{PARTNER_A}", json=sent_back).status_code == 204
    assert contoso.get(f"{PARTNERS}/{PARTNER_A}").json()["protectedContentSharing"]["inboundAllowed"] is True


def test_is_service_default_can_lag_behind_a_patch(fresh_emulator, contoso):
    fresh_emulator.config(service_default_stale_reads=2)
    contoso.patch(f"{POLICY}/default", json={"inboundTrust": {"isMfaAccepted": True}})
    flags = [contoso.get(f"{POLICY}/default").json()["isServiceDefault"] for _ in range(3)]
    assert flags == [True, True, False]


# ----- seeded cross-tenant access (the seed's optional section)
def test_seed_with_cross_tenant_access(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(f"""
tenants:
  contoso:
    tenant_id: {CONTOSO_ID}
    domains: [contoso.example]
    apps: [{{client_id: {CONTOSO.client_id}, secret: {CONTOSO.secret}, roles: [Policy.Read.All]}}]
    cross_tenant_access:
      policy: {{displayName: Seeded}}
      default: {{inboundTrust: {{isMfaAccepted: true}}}}
      partners:
        - tenantId: {FABRIKAM_ID}
          isInMultiTenantOrganization: true
          automaticUserConsentSettings: {{outboundAllowed: true}}
          identitySynchronization: {{displayName: Fabrikam, userSyncInbound: {{isSyncAllowed: true}}}}
""")
    with EmulatorProcess(tmp_path / "state", seed) as emu, emu.graph(CONTOSO) as client:
        assert client.get(POLICY).json()["displayName"] == "Seeded"
        default = client.get(f"{POLICY}/default").json()
        assert (default["isServiceDefault"], default["inboundTrust"]) == (False, {"isMfaAccepted": True})
        partner = client.get(f"{PARTNERS}/{FABRIKAM_ID}").json()
        assert partner["isInMultiTenantOrganization"] is True
        assert partner["automaticUserConsentSettings"] == {"inboundAllowed": None, "outboundAllowed": True}
        sync = client.get(f"{PARTNERS}/{FABRIKAM_ID}/identitySynchronization").json()
        assert sync["userSyncInbound"] == {"isSyncAllowed": True}
