"""The link_settings kind: test connection first, typed fields as secrets, masked values by hash."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import PermanentGraphError
from reconciler.resources.link import LinkHandler
from reconciler.resources.link_settings import LinkSettingsHandler, MissingConfigurationError, TestConnectionError
from reconciler.resources.memo import forget
from reconciler.sync.settings import MASKED
from tests.resources.fake_graph import TARGET_TID, FakeGraph, apply_change, desired, example, plan_change, run
from tests.resources.test_link_configuration import LINK, converge

handler = LinkSettingsHandler()
SETTINGS = {
    "targetTenantId": TARGET_TID,
    "authenticationType": "SyncPolicy",
    "syncAll": False,
    "notifications": {"enabled": True, "recipients": ["idops@contoso.example"], "deleteThresholdEnabled": True,
                      "deleteThresholdValue": 500},
}


def wanted(**changes):
    return desired("link_settings", LINK, {**SETTINGS, **changes})


def observe(gw: FakeGraph) -> dict:
    forget(gw)
    return run(handler.read(gw, "contoso-tid"))


def write(gw: FakeGraph, resource) -> None:
    change = plan_change(handler, resource, observe(gw).get(LINK))
    assert change is not None
    forget(gw)
    run(apply_change(handler, gw, change))


def configured() -> tuple[FakeGraph, str]:
    gw = FakeGraph()
    converge(gw)
    (sp_id,) = gw.service_principals
    return gw, sp_id


def test_create_tests_the_connection_then_puts_the_whole_list_then_keeps_the_hashes():
    gw, sp_id = configured()
    before = len(gw.writes())
    assert observe(gw) == {}  # no secrets yet: the settings are to be created
    write(gw, wanted())
    assert gw.writes()[before:] == [
        ("POST", f"/servicePrincipals/{sp_id}/synchronization/jobs/validateCredentials"),
        ("PUT", f"/servicePrincipals/{sp_id}/synchronization/secrets"),
        ("PATCH", f"/servicePrincipals/{sp_id}"),
    ]
    check = example("cts-howto-validatecredentials.request.json")["body"]
    check["credentials"][0]["value"] = TARGET_TID
    assert gw.bodies("POST", r".*/validateCredentials") == [check]
    (put,) = gw.bodies("PUT", r".*/synchronization/secrets")
    assert put == {"value": [
        {"key": "AuthenticationType", "value": "SyncPolicy"},
        {"key": "CompanyId", "value": TARGET_TID},
        {"key": "SyncNotificationSettings", "value": json.dumps(
            {"Enabled": True, "DeleteThresholdEnabled": True, "HumanResourcesLookaheadQueryEnabled": False,
             "Recipients": "idops@contoso.example", "DeleteThresholdValue": 500}, separators=(",", ":"))},
        {"key": "SyncAll", "value": "false"},
    ]}
    live = observe(gw)[LINK]
    assert {k: live[k] for k in SETTINGS} == SETTINGS
    assert live["masked"] == {}
    assert plan_change(handler, wanted(), live) is None


def test_an_update_keeps_secrets_and_notification_keys_it_does_not_manage():
    gw, sp_id = configured()
    gw.secrets[sp_id] = example("cts-howto-secrets-put.request.json")["body"]["value"]
    gw.secrets[sp_id][1]["value"] = TARGET_TID
    gw.secrets[sp_id].append({"key": "SynchronizationSchedule", "value": "PT40M"})
    live = observe(gw)[LINK]
    assert live["notifications"] == {"enabled": False, "deleteThresholdEnabled": False}
    write(gw, wanted())
    stored = {s["key"]: s["value"] for s in gw.secrets[sp_id]}
    assert stored["SynchronizationSchedule"] == "PT40M"
    assert json.loads(stored["SyncNotificationSettings"])["HumanResourcesLookaheadQueryEnabled"] is False


def test_masked_values_are_compared_through_the_hash_crosstenant_kept():
    gw, sp_id = configured()
    gw.masked_keys = frozenset({"CompanyId", "SyncNotificationSettings"})
    write(gw, wanted())
    live = observe(gw)[LINK]
    assert live["targetTenantId"] == MASKED and live["notifications"] == MASKED
    assert set(live["masked"]) == {"targetTenantId", "notifications"}
    assert plan_change(handler, wanted(), live) is None  # same declared values: no perpetual diff

    changed = wanted(notifications={**SETTINGS["notifications"], "deleteThresholdValue": 50})
    change = plan_change(handler, changed, live)
    assert [(f.path, f.before) for f in change.fields] == [(("notifications",), MASKED)]
    forget(gw)
    run(apply_change(handler, gw, change))
    puts = gw.bodies("PUT", r".*/synchronization/secrets")
    assert all(s["value"] != "*" for body in puts for s in body["value"])  # the mask is never sent back
    assert json.loads({s["key"]: s["value"] for s in gw.secrets[sp_id]}["SyncNotificationSettings"])[
        "DeleteThresholdValue"] == 50
    assert plan_change(handler, changed, observe(gw)[LINK]) is None


def test_a_masked_value_without_a_kept_hash_is_a_change():
    gw, sp_id = configured()
    gw.secrets[sp_id] = [{"key": "CompanyId", "value": TARGET_TID}]
    gw.masked_keys = frozenset({"CompanyId"})
    change = plan_change(handler, wanted(), observe(gw)[LINK])
    assert ("targetTenantId",) in [f.path for f in change.fields]


@pytest.mark.parametrize("code", ["AzureDirectoryB2BManagementPolicyCheckFailure",
                                  "AzureActiveDirectoryCrossTenantSyncPolicyCheckFailure"])
def test_a_failed_test_connection_surfaces_graphs_code_and_writes_nothing(code):
    gw, sp_id = configured()
    gw.validate_error = PermanentGraphError(status=400, code=code, message="Policy permitting auto-redemption of "
                                            "invitations not configured.", request_id="rid-1")
    change = plan_change(handler, wanted(), None)
    with pytest.raises(TestConnectionError) as caught:
        run(apply_change(handler, gw, change))
    error = caught.value
    assert (error.status, error.code, error.request_id) == (400, code, "rid-1")
    assert error.policy_check_failed
    assert str(error).startswith(f"test connection failed: 400 {code}: Policy permitting auto-redemption")
    assert str(error).count(code) == 1 and str(error).endswith("(request-id rid-1)")
    assert "inbound in the target" in str(error)
    assert gw.bodies("PUT", r".*/synchronization/secrets") == []


def test_another_test_connection_failure_is_not_called_a_policy_problem():
    gw, _ = configured()
    gw.validate_error = PermanentGraphError(status=400, code="ExternalTenantNotFound", message="not found")
    with pytest.raises(TestConnectionError) as caught:
        run(apply_change(handler, gw, plan_change(handler, wanted(), None)))
    assert not caught.value.policy_check_failed and "automatic redemption" not in str(caught.value)


def test_settings_of_a_link_without_a_configuration_say_so():
    gw = FakeGraph()
    with pytest.raises(MissingConfigurationError, match="contoso-to-fabrikam"):
        run(apply_change(handler, gw, plan_change(handler, wanted(), None)))


def test_the_jobs_deletion_threshold_setting_is_reported():
    gw, sp_id = configured()
    gw.jobs[sp_id][0]["synchronizationJobSettings"] = example("jobs-get.response.json")["body"][
        "synchronizationJobSettings"]
    write(gw, wanted())
    assert observe(gw)[LINK]["quarantineTooManyDeletesThreshold"] == 500


def test_narrowing_scope_from_all_to_assigned_is_named():
    reasons = handler.narrowing_reasons(wanted().body, {**SETTINGS, "syncAll": True}, link=LINK)
    assert len(reasons) == 1 and "link contoso-to-fabrikam" in reasons[0] and "assigned" in reasons[0]
    assert handler.narrowing_reasons(wanted().body, {**SETTINGS, "syncAll": False}, link=LINK) == []
    assert handler.narrowing_reasons(wanted(syncAll=True).body, {**SETTINGS, "syncAll": False}, link=LINK) == []
    assert handler.narrowing_reasons(wanted().body, None, link=LINK) == []  # a new link syncs nobody yet
    masked = {**SETTINGS, "syncAll": MASKED, "masked": {"syncAll": None}}
    assert "masks" in handler.narrowing_reasons(wanted().body, masked, link=LINK)[0]


def test_loosening_the_accidental_deletion_threshold_is_named():
    notify = SETTINGS["notifications"]
    off = wanted(notifications={**notify, "deleteThresholdEnabled": False}).body
    assert handler.narrowing_reasons(off, SETTINGS, link=LINK) == [
        "link contoso-to-fabrikam turns its accidental-deletion threshold off"]
    raised = wanted(notifications={**notify, "deleteThresholdValue": 2000}).body
    assert handler.narrowing_reasons(raised, SETTINGS, link=LINK) == [
        "link contoso-to-fabrikam raises its accidental-deletion threshold from 500 to 2000"]
    lowered = wanted(notifications={**notify, "deleteThresholdValue": 50}).body
    assert handler.narrowing_reasons(lowered, SETTINGS, link=LINK) == []  # tighter is safe
    was_off = {**SETTINGS, "notifications": {**notify, "deleteThresholdEnabled": False}}
    assert handler.narrowing_reasons(raised, was_off, link=LINK) == []  # turning it on is safe


def test_the_link_handler_is_not_needed_to_read_settings_of_an_adoptable_configuration():
    gw = FakeGraph()
    gw.add_configuration("contoso-to-fabrikam (crosstenant)", secrets=[{"key": "SyncAll", "value": "True"}])
    assert observe(gw)[LINK]["syncAll"] is True
    assert run(LinkHandler().read(gw, "t"))[LINK]["managed"] is False
