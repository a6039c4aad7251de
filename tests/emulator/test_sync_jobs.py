"""Synchronization templates, jobs and their run state, secrets, validateCredentials."""

from __future__ import annotations

import json

import pytest

from tests.emulator.sync_app import CONTOSO, FABRIKAM, Harness, example, same_shape


@pytest.fixture
def h(tmp_path):
    return Harness.create(tmp_path)


@pytest.fixture
def sp(h):
    return h.instantiate("Fabrikam")["servicePrincipal"]


def _jobs(sp):
    return f"/v1.0/servicePrincipals/{sp['id']}/synchronization/jobs"


def test_create_job_replays_the_documented_exchange(h, sp):
    request, documented = example("cts-howto-jobs-create.request.json"), example("cts-howto-jobs-create.response.json")
    response = h.call("POST", _jobs(sp), json=request["body"])
    assert response.status_code == documented["status"] == 201
    job = response.json()
    assert same_shape(job, documented["body"]) == []
    assert (job["schedule"], job["status"]["code"]) == (documented["body"]["schedule"], "Paused")
    assert job["synchronizationJobSettings"] == documented["body"]["synchronizationJobSettings"]
    assert job["id"].startswith("Azure2Azure.")
    listed = h.call("GET", _jobs(sp)).json()
    assert same_shape(listed, example("jobs-list.response.json")["body"]) == []
    assert [j["id"] for j in listed["value"]] == [job["id"]]


def test_create_job_errors(h, sp):
    assert h.call("POST", _jobs(sp), json={"templateId": "BoxOutDelta"}).status_code == 400
    assert h.call("POST", _jobs(sp), json={}).status_code == 400
    h.new_job(sp["id"])
    assert h.call("POST", _jobs(sp), json={"templateId": "Azure2Azure"}).status_code == 409
    assert h.call("POST", "/v1.0/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs",
                  json={"templateId": "Azure2Azure"}).status_code == 404
    assert h.call("POST", _jobs(sp), json={"templateId": "Azure2Azure"},
                  roles=("Synchronization.Read.All",)).status_code == 403


def test_templates_list(h, sp):
    body = h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}/synchronization/templates").json()
    assert same_shape(body, example("templates-list.response.json")["body"]) == []
    assert [t["id"] for t in body["value"]] == ["Azure2Azure"]
    assert body["value"][0]["applicationId"] == sp["appId"]


def test_start_pause_restart_drive_the_status(h, sp):
    job = h.new_job(sp["id"])
    url = f"{_jobs(sp)}/{job['id']}"
    assert h.call("POST", url + "/start").status_code == example("cts-howto-jobs-start.response.json")["status"]
    started = h.call("GET", url).json()
    documented = example("cts-howto-jobs-get.response.json")["body"]
    assert same_shape(started, documented) == []
    assert (started["schedule"]["state"], started["status"]["code"]) == ("Active", "NotRun")
    assert started["status"]["lastExecution"]["error"]["code"] == "None"  # sentinel, not a failure
    assert h.call("POST", url + "/pause").status_code == 204
    paused = h.call("GET", url).json()
    assert (paused["schedule"]["state"], paused["status"]["code"]) == ("Disabled", "Paused")
    restart = example("jobs-restart.request.json")["body"]
    assert h.call("POST", url + "/restart", json=restart).status_code == 204
    assert h.call("GET", url).json()["status"]["code"] == "NotRun"
    assert h.call("POST", url + "/restart", json={"criteria": {"resetScope": "Everything"}}).status_code == 400
    assert h.call("POST", url + "/restart", json=example("jobs-restart-forcedeletes.request.json")["body"]
                  ).status_code == 204


def test_start_lifts_quarantine(h, sp):
    job = h.new_job(sp["id"])
    quarantined = h.call("POST", "/_emulator/synchronization/quarantine", json={
        "tenantId": CONTOSO, "servicePrincipalId": sp["id"], "jobId": job["id"], "reason": "TooManyDeletes"}).json()
    assert quarantined["status"]["code"] == "Quarantine"
    url = f"{_jobs(sp)}/{job['id']}"
    got = h.call("GET", url).json()
    assert got["status"]["quarantine"]["reason"] == "TooManyDeletes"
    h.call("POST", url + "/start")
    got = h.call("GET", url).json()
    assert (got["status"]["code"], got["status"]["quarantine"]) == ("NotRun", None)


def test_delete_job(h, sp):
    job = h.new_job(sp["id"])
    url = f"{_jobs(sp)}/{job['id']}"
    assert h.call("DELETE", url).status_code == example("jobs-delete.response.json")["status"]
    assert h.call("GET", url).status_code == 404
    assert h.call("GET", url + "/schema").status_code == 404


def test_secrets_put_is_full_replacement_and_get_shows_settings(h, sp):
    request = example("cts-howto-secrets-put.request.json")
    body = json.loads(json.dumps(request["body"]).replace("{targetTenantId}", FABRIKAM))
    url = f"/v1.0/servicePrincipals/{sp['id']}/synchronization/secrets"
    assert h.call("PUT", url, json=body).status_code == example("cts-howto-secrets-put.response.json")["status"]
    assert h.call("GET", url).json() == {"value": body["value"]}
    assert h.call("PUT", url, json={"value": [{"key": "SyncAll", "value": "true"}]}).status_code == 204
    assert h.call("GET", url).json() == {"value": [{"key": "SyncAll", "value": "true"}]}
    generic = example("secrets-put.request.json")["body"]
    h.call("PUT", url, json=generic)
    shown = {p["key"]: p["value"] for p in h.call("GET", url).json()["value"]}
    assert shown["SecretToken"] == "*" and shown["BaseAddress"] == "user@domain.com"  # credentials masked


def test_secrets_mask_all_knob(h, sp):
    url = f"/v1.0/servicePrincipals/{sp['id']}/synchronization/secrets"
    h.call("PUT", url, json={"value": [{"key": "CompanyId", "value": FABRIKAM}]})
    assert h.call("POST", "/_emulator/synchronization", json={"maskAllSecrets": True}).json() == {
        "maskAllSecrets": True}
    assert h.call("GET", url).json() == {"value": [{"key": "CompanyId", "value": "*"}]}


@pytest.mark.parametrize("body", [
    {"credentials": [{"key": "SyncAll", "value": "false"}]},  # doc-table name; the examples use "value"
    {"value": [{"key": "NotAKey", "value": "x"}]},
    {"value": [{"key": "SyncAll", "value": False}]},
    {"value": "SyncAll"},
])
def test_secrets_put_rejects_malformed_bodies(h, sp, body):
    assert h.call("PUT", f"/v1.0/servicePrincipals/{sp['id']}/synchronization/secrets", json=body).status_code == 400


def _validate(h, sp, target=FABRIKAM, path=None, **body):
    request = example("cts-howto-validatecredentials.request.json")["body"]
    payload = json.loads(json.dumps(request).replace("{targetTenantId}", target)) | body
    return h.call("POST", path or f"{_jobs(sp)}/validateCredentials", json=payload)


def test_validate_credentials_passes_when_both_sides_allow(h, sp):
    h.allow_sync()
    response = _validate(h, sp)
    assert response.status_code == example("cts-howto-validatecredentials.response.json")["status"] == 204


@pytest.mark.parametrize("missing, side", [
    ("source outbound", "source tenant"),
    ("target inbound", "target tenant does not allow inbound automatic redemption"),
    ("target sync", "inbound user synchronization"),
    ("target partner", "target tenant"),
])
def test_validate_credentials_names_the_missing_side(h, sp, missing, side):
    h.allow_sync()
    if missing == "source outbound":
        h.partner(CONTOSO, FABRIKAM, outbound=False)
    elif missing == "target inbound":
        h.partner(FABRIKAM, CONTOSO, inbound=False)
    elif missing == "target sync":
        h.identity_sync(FABRIKAM, CONTOSO, False)
    else:
        h.store.delete(FABRIKAM, "partners", CONTOSO)
    response = _validate(h, sp)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "AzureDirectoryB2BManagementPolicyCheckFailure"
    assert side in error["message"]


def test_validate_credentials_unknown_target_and_cross_cloud(h, sp):
    h.allow_sync()
    unknown = _validate(h, sp, target="11111111-1111-1111-1111-111111111111")
    assert unknown.json()["error"]["code"] == "AzureDirectoryB2BManagementPolicyCheckFailure"
    h.tenant(FABRIKAM, "Fabrikam", ["fabrikam.example"], cloud="usgov")
    assert _validate(h, sp).json()["error"]["code"] == "ExternalTenantNotFound"


def test_validate_credentials_with_saved_secrets_on_a_job(h, sp):
    h.allow_sync()
    job = h.new_job(sp["id"])
    path = f"{_jobs(sp)}/{job['id']}/validateCredentials"
    assert h.call("POST", path, json={"useSavedCredentials": True}).status_code == 400  # nothing saved yet
    h.call("PUT", f"/v1.0/servicePrincipals/{sp['id']}/synchronization/secrets",
           json={"value": [{"key": "CompanyId", "value": FABRIKAM}, {"key": "AuthenticationType",
                                                                     "value": "SyncPolicy"}]})
    assert h.call("POST", path, json={"useSavedCredentials": True, "credentials": []}).status_code == 204
    assert _validate(h, sp, templateId="BoxOutDelta").status_code == 400
