"""Job status → run state and health (documented job bodies)."""

from __future__ import annotations

from reconciler.sync.health import Health, job_health, run_state
from tests.resources.fake_graph import example


def job(name: str) -> dict:
    return example(name)["body"]


def test_a_new_job_is_paused_and_healthy():
    new = job("cts-howto-jobs-create.response.json")
    assert run_state(new) == "paused"
    assert job_health(new) == Health(quarantined=False)


def test_a_just_started_job_is_started_and_its_sentinel_failure_is_no_failure():
    started = job("cts-howto-jobs-get.response.json")  # Active + NotRun, lastExecution Failed at 0001-01-01
    assert run_state(started) == "started"
    assert job_health(started) == Health(quarantined=False, last_run_state=None, last_error=None)


def test_a_quarantined_job_counts_as_started_and_reports_reason_and_since():
    quarantined = job("cts-howto-jobs-get.response.json")
    quarantined["status"].update(code="Quarantine", quarantine={
        "currentBegan": "2024-05-02T10:00:00Z", "nextAttempt": "2024-05-03T10:00:00Z",
        "reason": "EncounteredQuarantineException", "seriesBegan": "2024-05-01T09:00:00Z", "seriesCount": 2,
        "error": {"code": "AzureDirectoryB2BManagementPolicyCheckFailure",
                  "message": "Policy permitting auto-redemption of invitations not configured.", "tenantActionable": True}})
    assert run_state(quarantined) == "started"
    health = job_health(quarantined)
    assert health.quarantined and health.reason == "EncounteredQuarantineException"
    assert health.since == "2024-05-01T09:00:00Z"
    assert health.last_error.startswith("AzureDirectoryB2BManagementPolicyCheckFailure: Policy permitting")
    assert health.to_json()["quarantined"] is True


def test_empty_quarantine_fields_of_the_doc_example_parse_leniently():
    paused = job("jobs-get.response.json")  # Paused, quarantine with "" dates and reason
    assert run_state(paused) == "paused"
    health = job_health(paused)
    assert not health.quarantined and health.since is None
    assert health.last_error.startswith("SalesforceInvalidCredentials: ")


def test_a_real_last_run_is_reported():
    ran = job("cts-howto-jobs-get.response.json")
    ran["status"]["code"] = "Active"
    ran["status"]["lastExecution"].update(state="EntryLevelErrors", timeBegan="2024-05-01T10:00:00Z",
                                          error={"code": "AzureActiveDirectoryForbidden", "message": "Guest invitations "
                                                 "not allowed for your company", "tenantActionable": True})
    health = job_health(ran)
    assert (health.quarantined, health.last_run_state) == (False, "EntryLevelErrors")
    assert health.last_error == "AzureActiveDirectoryForbidden: Guest invitations not allowed for your company"
