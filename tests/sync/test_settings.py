"""Typed link settings ↔ the synchronization secrets list (documented example bodies)."""

from __future__ import annotations

import json

import pytest

from reconciler.sync import settings
from tests.resources.fake_graph import example

TARGET = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"


def howto_secrets() -> list[dict]:
    secrets = example("cts-howto-secrets-put.request.json")["body"]["value"]
    next(s for s in secrets if s["key"] == "CompanyId")["value"] = TARGET
    return secrets


def test_the_howto_secrets_read_as_typed_fields():
    typed, masked = settings.from_secrets(howto_secrets())
    assert typed == {
        "authenticationType": "SyncPolicy",
        "targetTenantId": TARGET,
        "notifications": {"enabled": False, "deleteThresholdEnabled": False},
        "syncAll": False,
    }
    assert masked == frozenset()


def test_typed_fields_write_back_to_the_same_secrets_exactly():
    live = howto_secrets()
    typed, _ = settings.from_secrets(live)
    assert settings.to_secrets(typed, live) == live


def test_a_new_configuration_gets_every_key_in_the_howto_order():
    written = settings.to_secrets({"targetTenantId": TARGET, "authenticationType": "SyncPolicy", "syncAll": True,
                                   "notifications": {"enabled": True, "recipients": ["b@x.example", "a@x.example"],
                                                     "deleteThresholdEnabled": True, "deleteThresholdValue": 50}}, [])
    assert [s["key"] for s in written] == ["AuthenticationType", "CompanyId", "SyncNotificationSettings", "SyncAll"]
    assert written[3] == {"key": "SyncAll", "value": "true"}
    notification = json.loads(written[2]["value"])
    assert notification == {"Enabled": True, "DeleteThresholdEnabled": True, "HumanResourcesLookaheadQueryEnabled": False,
                            "Recipients": "a@x.example;b@x.example", "DeleteThresholdValue": 50}
    typed, _ = settings.from_secrets(written)
    assert typed["notifications"]["recipients"] == ["a@x.example", "b@x.example"]


def test_the_deletion_threshold_fragment_reads_typed():
    raw = json.dumps(example("fragment-syncnotificationsettings-azure2azure.json")["body"])
    typed, _ = settings.from_secrets([{"key": "SyncNotificationSettings", "value": raw}])
    assert typed["notifications"] == {"enabled": True, "recipients": ["email@domain.com"],
                                      "deleteThresholdEnabled": True, "deleteThresholdValue": 14}


def test_declared_notification_keys_are_laid_over_the_live_json():
    raw = json.dumps(example("fragment-syncnotificationsettings-azure2azure.json")["body"])
    written = settings.to_secrets({"notifications": {"deleteThresholdValue": 500}},
                                  [{"key": "SyncNotificationSettings", "value": raw}])
    merged = json.loads(written[0]["value"])
    assert merged == {**json.loads(raw), "DeleteThresholdValue": 500}


def test_a_masked_value_is_never_sent_back():
    live = example("secrets-get-masked.response.json")["body"]["value"]  # Password: "*"
    written = settings.to_secrets({"syncAll": False}, live)
    assert {s["key"] for s in written} == {"Domain", "SyncNotificationSettings", "UserName", "SyncAll"}
    assert all(s["value"] != settings.MASK for s in written)


def test_masked_managed_fields_are_named():
    typed, masked = settings.from_secrets([{"key": "CompanyId", "value": "*"}, {"key": "SyncAll", "value": "True"}])
    assert typed == {"targetTenantId": settings.MASKED, "syncAll": True}
    assert masked == {"targetTenantId"}


@pytest.mark.parametrize("raw, value", [("true", True), ("False", False), ("maybe", "maybe")])
def test_sync_all_parses_leniently_and_keeps_what_it_cannot_read(raw, value):
    assert settings.from_secrets([{"key": "SyncAll", "value": raw}])[0]["syncAll"] == value


def test_several_recipients_are_read_with_either_separator():
    assert settings.split_recipients("b@x.example; a@x.example,c@x.example") == ["a@x.example", "b@x.example",
                                                                                 "c@x.example"]
    assert settings.split_recipients("") == []


def test_field_hashes_ignore_key_order_and_tell_values_apart():
    a = settings.field_hash({"enabled": True, "deleteThresholdValue": 500})
    assert a == settings.field_hash({"deleteThresholdValue": 500, "enabled": True})
    assert a != settings.field_hash({"enabled": True, "deleteThresholdValue": 499})
    assert settings.field_hash(False) != settings.field_hash(0)


def test_the_test_connection_body_is_the_documented_one():
    body = example("cts-howto-validatecredentials.request.json")["body"]
    body["credentials"][0]["value"] = TARGET
    assert settings.credentials_check_body(TARGET) == body


def test_the_jobs_threshold_setting_is_read_from_the_documented_job():
    assert settings.quarantine_deletes_threshold(example("jobs-get.response.json")["body"]) == 500
    assert settings.quarantine_deletes_threshold(example("cts-howto-jobs-create.response.json")["body"]) is None


def test_a_masked_setting_nobody_declared_is_never_dropped_by_the_put():
    from reconciler.sync.settings import MaskedSettingsError, to_secrets

    live = [{"key": "CompanyId", "value": "t"}, {"key": "SyncNotificationSettings", "value": "*"}]
    with pytest.raises(MaskedSettingsError) as err:
        to_secrets({"targetTenantId": "t", "syncAll": False}, live)
    assert "declare notify and deletion_threshold" in str(err.value)
    declared = {"targetTenantId": "t", "notifications": {"enabled": False}}
    assert {s["key"] for s in to_secrets(declared, live)} == {"CompanyId", "SyncNotificationSettings"}
