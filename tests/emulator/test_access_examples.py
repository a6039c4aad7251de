"""Replay Graph's documented cross-tenant access examples against the running emulator: the same
request gets the documented status and a body with the documented keys and values."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.emulator.access_examples import assert_documented, example, graph_path, settings_only
from tests.support.emulator import CONTOSO, CONTOSO_ID, FABRIKAM, FABRIKAM_ID, EmulatorProcess


@pytest.fixture
def contoso(fresh_emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with fresh_emulator.graph(CONTOSO) as client:
        yield client


@pytest.fixture
def fabrikam(fresh_emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with fresh_emulator.graph(FABRIKAM) as client:
        yield client


def send(client: httpx.Client, request_example: str) -> httpx.Response:
    fixture = example(request_example)
    return client.request(fixture["method"], graph_path(fixture), json=fixture["body"])


def assert_status(response: httpx.Response, response_example: str) -> dict:
    documented = example(response_example)
    assert response.status_code == documented["status"], response.text
    return documented


# ----- policy root
def test_policy_update_then_get_show_the_documented_policy(contoso):
    update = send(contoso, "policy-update.request.json")
    assert_status(update, "policy-update.response.json")
    assert update.content == b""
    documented = example("policy-get.response.json")["body"]["value"]  # the doc's `value` wrapper is an artifact
    contoso.patch("/policies/crossTenantAccessPolicy", json={"allowedCloudEndpoints": documented["allowedCloudEndpoints"]})
    response = send(contoso, "policy-get.request.json")
    assert_status(response, "policy-get.response.json")
    assert_documented(documented, response.json())
    assert response.json()["@odata.context"].endswith("$metadata#policies/crossTenantAccessPolicy/$entity")


def test_policy_update_is_read_back(contoso):
    send(contoso, "policy-update.request.json")
    assert contoso.get("/policies/crossTenantAccessPolicy").json()["allowedCloudEndpoints"] == ["microsoftonline.us"]


# ----- default configuration
def test_default_get_is_the_documented_service_default(contoso):
    response = send(contoso, "default-get.request.json")
    assert_status(response, "default-get.response.json")
    body = response.json()
    assert_documented(example("default-get.response.json")["body"], body)
    assert body["automaticUserConsentSettings"] == {"inboundAllowed": False, "outboundAllowed": False}


def test_default_update_is_read_back_and_is_no_longer_the_service_default(contoso):
    request = example("default-update.request.json")
    response = send(contoso, "default-update.request.json")
    assert_status(response, "default-update.response.json")
    body = contoso.get("/policies/crossTenantAccessPolicy/default").json()
    assert body["b2bCollaborationOutbound"] == request["body"]["b2bCollaborationOutbound"]
    assert body["isServiceDefault"] is False
    # untouched settings keep the service default
    assert body["b2bDirectConnectInbound"] == example("default-get.response.json")["body"]["b2bDirectConnectInbound"]


def test_reset_to_system_default_restores_the_documented_default(contoso):
    send(contoso, "default-update.request.json")
    response = send(contoso, "default-resettosystemdefault.request.json")
    assert_status(response, "default-resettosystemdefault.response.json")
    body = contoso.get("/policies/crossTenantAccessPolicy/default").json()
    assert_documented(example("default-get.response.json")["body"], body)
    assert body["isServiceDefault"] is True


# ----- partners
def test_partners_create_answers_the_documented_partner(contoso):
    response = send(contoso, "partners-create.request.json")
    assert_status(response, "partners-create.response.json")
    body = response.json()
    assert_documented(example("partners-create.response.json")["body"], body)
    assert body["@odata.context"].endswith("$metadata#policies/crossTenantAccessPolicy/partners/$entity")
    # the settings the doc does not show (it is truncated) are unset as well
    assert body["automaticUserConsentSettings"] == {"inboundAllowed": None, "outboundAllowed": None}
    assert body["isInMultiTenantOrganization"] is False


def test_partners_get_returns_the_documented_partner(contoso):
    documented = example("partners-get.response.json")["body"]
    contoso.post("/policies/crossTenantAccessPolicy/partners", json=settings_only(documented)).raise_for_status()
    response = send(contoso, "partners-get.request.json")
    assert_status(response, "partners-get.response.json")
    assert_documented(documented, response.json())


def test_partners_list_returns_the_documented_collection(contoso):
    documented = example("partners-list.response.json")["body"]
    contoso.post("/policies/crossTenantAccessPolicy/partners",
                 json=settings_only(documented["value"][0])).raise_for_status()
    response = send(contoso, "partners-list.request.json")
    assert_status(response, "partners-list.response.json")
    body = response.json()
    assert_documented(documented, body)
    assert body["@odata.context"].endswith("$metadata#policies/crossTenantAccessPolicy/partners")
    assert "@odata.nextLink" not in body


def test_partners_list_with_select_and_expand_is_exactly_the_documented_body(fabrikam):
    documented = example("partners-list-expand-identitysync.response.json")["body"]
    item = documented["value"][0]
    fabrikam.post("/policies/crossTenantAccessPolicy/partners", json={"tenantId": item["tenantId"]}).raise_for_status()
    sync = item["identitySynchronization"]
    fabrikam.put(f"/policies/crossTenantAccessPolicy/partners/{item['tenantId']}/identitySynchronization",
                 json={"displayName": sync["displayName"], "userSyncInbound": sync["userSyncInbound"]}).raise_for_status()
    response = send(fabrikam, "partners-list-expand-identitysync.request.json")
    assert_status(response, "partners-list-expand-identitysync.response.json")
    assert response.json()["value"] == documented["value"]


def test_partners_update_is_read_back(contoso):
    request = example("partners-update.request.json")
    partner_id = graph_path(request).rsplit("/", 1)[1]
    contoso.post("/policies/crossTenantAccessPolicy/partners", json={"tenantId": partner_id}).raise_for_status()
    response = send(contoso, "partners-update.request.json")
    assert_status(response, "partners-update.response.json")
    assert response.content == b""
    body = contoso.get(f"/policies/crossTenantAccessPolicy/partners/{partner_id}").json()
    assert body["inboundTrust"] == request["body"]["inboundTrust"]


def test_partners_delete_removes_the_partner(contoso):
    request = example("partners-delete.request.json")
    partner_id = graph_path(request).rsplit("/", 1)[1]
    contoso.post("/policies/crossTenantAccessPolicy/partners", json={"tenantId": partner_id}).raise_for_status()
    response = send(contoso, "partners-delete.request.json")
    assert_status(response, "partners-delete.response.json")
    assert contoso.get(graph_path(request)).status_code == 404


# ----- identitySynchronization
def _with_partner(client: httpx.Client, request_example: str) -> str:
    partner_id = graph_path(example(request_example)).split("/partners/", 1)[1].split("/", 1)[0]
    client.post("/policies/crossTenantAccessPolicy/partners", json={"tenantId": partner_id}).raise_for_status()
    return partner_id


def test_identitysync_put_then_get_returns_the_documented_policy(fabrikam):
    put = example("identitysync-put.request.json")
    partner_id = _with_partner(fabrikam, "identitysync-put.request.json")
    response = send(fabrikam, "identitysync-put.request.json")
    assert_status(response, "identitysync-put.response.json")
    body = fabrikam.get(graph_path(put)).json()
    assert_documented({"tenantId": partner_id, **put["body"]}, body)


def test_identitysync_get_has_the_documented_shape(fabrikam):
    documented = example("identitysync-get.response.json")["body"]
    partner_id = _with_partner(fabrikam, "identitysync-get.request.json")
    fabrikam.put(f"/policies/crossTenantAccessPolicy/partners/{partner_id}/identitySynchronization",
                 json={"displayName": documented["displayName"], "userSyncInbound": documented["userSyncInbound"]})
    response = send(fabrikam, "identitysync-get.request.json")
    assert_status(response, "identitysync-get.response.json")
    body = response.json()
    assert_documented(documented, body)
    assert set(body) == {"@odata.context", "tenantId", "displayName", "userSyncInbound"}


def test_identitysync_update_is_read_back(fabrikam):
    partner_id = _with_partner(fabrikam, "identitysync-update.request.json")
    path = f"/policies/crossTenantAccessPolicy/partners/{partner_id}/identitySynchronization"
    fabrikam.put(path, json={"displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": False}}).raise_for_status()
    response = send(fabrikam, "identitysync-update.request.json")
    assert_status(response, "identitysync-update.response.json")
    body = fabrikam.get(path).json()
    assert body["userSyncInbound"] == {"isSyncAllowed": True}
    assert body["displayName"] == "Contoso"  # not in the PATCH: kept


def test_identitysync_delete_removes_it(fabrikam):
    partner_id = _with_partner(fabrikam, "identitysync-delete.request.json")
    path = f"/policies/crossTenantAccessPolicy/partners/{partner_id}/identitySynchronization"
    fabrikam.put(path, json={"userSyncInbound": {"isSyncAllowed": True}}).raise_for_status()
    response = send(fabrikam, "identitysync-delete.request.json")
    assert_status(response, "identitysync-delete.response.json")
    assert fabrikam.get(path).status_code == 404


# ----- the cross-tenant sync how-to, both sides
def test_howto_target_side(fresh_emulator, fabrikam):
    create = send(fabrikam, "cts-howto-target-partners-create.request.json")
    assert_status(create, "cts-howto-target-partners-create.response.json")
    documented = example("cts-howto-target-partners-create.response.json")["body"]
    # crossCloudMeetingConfiguration is outside the CSDL: everything else matches as the emulator ships
    assert_documented({k: v for k, v in documented.items() if k != "crossCloudMeetingConfiguration"}, create.json())
    assert "crossCloudMeetingConfiguration" not in create.json()

    consent = send(fabrikam, "cts-howto-target-partners-update-inbound-consent.request.json")
    assert_status(consent, "cts-howto-target-partners-update-inbound-consent.response.json")
    partner = fabrikam.get(f"/policies/crossTenantAccessPolicy/partners/{CONTOSO_ID}").json()
    assert partner["automaticUserConsentSettings"] == {"inboundAllowed": True, "outboundAllowed": None}
    assert partner["inboundTrust"] is None

    sync = send(fabrikam, "cts-howto-target-identitysync-put.request.json")
    assert_status(sync, "cts-howto-target-identitysync-put.response.json")
    again = send(fabrikam, "cts-howto-target-identitysync-put.request.json")
    conflict = example("error-identitysync-put-conflict.response.json")
    assert again.status_code == conflict["status"]
    error = again.json()["error"]
    assert error["code"] == "Request_MultipleObjectsWithSameKeyValue"
    assert conflict["bodyVerbatim"].startswith(
        '{"error":{"code":"Request_MultipleObjectsWithSameKeyValue","message":"' + error["message"] + '"')
    assert error["details"][0]["code"] == "ConflictingObjects"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert error["innerError"]["request-id"] == again.headers["request-id"]


def test_howto_source_side(contoso):
    create = send(contoso, "cts-howto-source-partners-create.request.json")
    assert_status(create, "cts-howto-source-partners-create.response.json")
    assert create.json()["tenantId"] == FABRIKAM_ID
    consent = send(contoso, "cts-howto-source-partners-update-outbound-consent.request.json")
    assert_status(consent, "cts-howto-source-partners-update-outbound-consent.response.json")
    partner = contoso.get(f"/policies/crossTenantAccessPolicy/partners/{FABRIKAM_ID}").json()
    assert partner["automaticUserConsentSettings"] == {"inboundAllowed": None, "outboundAllowed": True}


def test_howto_partner_response_matches_whole_with_the_extra_property_knob(fresh_emulator, fabrikam):
    fresh_emulator.config(partner_extra_properties={
        "crossCloudMeetingConfiguration": {"inboundAllowed": None, "outboundAllowed": None}})
    create = send(fabrikam, "cts-howto-target-partners-create.request.json")
    documented = example("cts-howto-target-partners-create.response.json")["body"]
    assert_documented(documented, create.json())
