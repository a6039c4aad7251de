"""plan → apply → plan against the emulator, through the real CLI, SDK and credentials."""

from __future__ import annotations

import json

from tests.support.emulator import CONTOSO, CONTOSO_NO_POLICY, FABRIKAM

PARTNERS = "/policies/crossTenantAccessPolicy/partners"

ONE_TO_ONE = """
access:
  contoso:
    partners:
      fabrikam:
        inbound_trust: {mfa: true, compliant_device: false}
        automatic_redemption: {outbound: true}
  fabrikam:
    partners:
      contoso:
        inbound_trust: {mfa: true, compliant_device: true, hybrid_joined_device: inherit}
        automatic_redemption: {inbound: true}
        user_sync_inbound: {allowed: true, display_name: Contoso}
        b2b_collaboration_inbound:
          users_and_groups: {access: allowed, targets: [AllUsers]}
"""


def test_plan_apply_plan_converges_and_sets_both_tenants(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)

    first = crosstenant("plan")
    assert first.exit_code == 2, first.output
    assert "+ contoso.partner.fabrikam" in first.output
    assert "+ fabrikam.partner.contoso.identity_sync" in first.output
    assert "Plan: 3 to create, 0 to update, 0 to delete, 0 to replace." in first.output

    applied = crosstenant("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "3 applied, 0 failed, 0 skipped" in applied.output

    second = crosstenant("plan")
    assert second.exit_code == 0, second.output
    assert "No changes." in second.output

    with crosstenant.graph(FABRIKAM) as g:
        partner = g.get(f"{PARTNERS}/{CONTOSO.tenant_id}").json()
        sync = g.get(f"{PARTNERS}/{CONTOSO.tenant_id}/identitySynchronization").json()
    assert partner["inboundTrust"] == {
        "isMfaAccepted": True, "isCompliantDeviceAccepted": True, "isHybridAzureADJoinedDeviceAccepted": None,
    }
    assert partner["automaticUserConsentSettings"]["inboundAllowed"] is True
    assert partner["b2bCollaborationInbound"]["usersAndGroups"] == {
        "accessType": "allowed", "targets": [{"target": "AllUsers", "targetType": "user"}],
    }
    assert sync["displayName"] == "Contoso" and sync["userSyncInbound"] == {"isSyncAllowed": True}
    with crosstenant.graph(CONTOSO) as g:
        partner = g.get(f"{PARTNERS}/{FABRIKAM.tenant_id}").json()
    assert partner["automaticUserConsentSettings"]["outboundAllowed"] is True
    assert partner["inboundTrust"]["isMfaAccepted"] is True


def test_out_of_band_change_is_drift_and_apply_corrects_it(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    assert crosstenant("apply", "--auto-approve").exit_code == 0

    with crosstenant.graph(FABRIKAM) as g:
        live = g.get(f"{PARTNERS}/{CONTOSO.tenant_id}").json()
        trust = dict(live["inboundTrust"], isMfaAccepted=False)
        assert g.patch(f"{PARTNERS}/{CONTOSO.tenant_id}", json={"inboundTrust": trust}).status_code == 204

    drift = crosstenant("plan")
    assert drift.exit_code == 2
    assert "~ fabrikam.partner.contoso" in drift.output
    assert "inboundTrust.isMfaAccepted: false -> true" in drift.output
    assert "Plan: 0 to create, 1 to update, 0 to delete, 0 to replace." in drift.output

    assert crosstenant("apply", "--auto-approve").exit_code == 0
    with crosstenant.graph(FABRIKAM) as g:
        live = g.get(f"{PARTNERS}/{CONTOSO.tenant_id}").json()
    # The whole inboundTrust object went back, the untouched fields intact.
    assert live["inboundTrust"] == {
        "isMfaAccepted": True, "isCompliantDeviceAccepted": True, "isHybridAzureADJoinedDeviceAccepted": None,
    }
    assert crosstenant("plan").exit_code == 0


def test_existing_partner_is_updated_never_posted_again(crosstenant):
    with crosstenant.graph(FABRIKAM) as g:
        assert g.post(PARTNERS, json={"tenantId": CONTOSO.tenant_id}).status_code == 201
    crosstenant.write("access.yaml", ONE_TO_ONE)
    crosstenant.emulator.clear_requests()

    result = crosstenant("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "~ fabrikam.partner.contoso" in result.output
    fabrikam_posts = [r for r in crosstenant.graph_requests()
                      if r["method"] == "POST" and r["path"] == f"/v1.0{PARTNERS}" and r["tenantId"] == FABRIKAM.tenant_id]
    assert fabrikam_posts == []
    identity_puts = [r for r in crosstenant.graph_requests()
                     if r["method"] == "PUT" and r["path"].endswith("/identitySynchronization")]
    assert len(identity_puts) == 1
    assert crosstenant("apply", "--auto-approve").output.strip().endswith("Nothing to do.")


def test_unknown_live_properties_are_kept_and_reported(crosstenant):
    crosstenant.emulator.config(partner_extra_properties={"protectedContentSharing": {"mode": "enabled"}})
    crosstenant.write("access.yaml", ONE_TO_ONE)
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    result = crosstenant("plan")
    assert result.exit_code == 0
    assert "live property 'protectedContentSharing' is not managed by crosstenant" in result.output


def test_json_plan_is_parseable_and_complete(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    result = crosstenant("plan", "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["format_version"] == "1.0"
    assert [c["address"] for c in data["changes"]] == [
        "contoso.partner.fabrikam", "fabrikam.partner.contoso", "fabrikam.partner.contoso.identity_sync",
    ]
    assert data["changes"][2]["actions"] == ["create"]
    assert data["changes"][2]["depends_on"] == ["fabrikam.partner.contoso"]


def test_missing_permission_fails_the_plan_without_a_diff(crosstenant):
    crosstenant.write("tenants.yaml", f"""
        tenants:
          contoso:
            tenant_id: {CONTOSO.tenant_id}
            auth: {{method: client_secret, client_id: {CONTOSO_NO_POLICY.client_id}, secret_env: CONTOSO_CLIENT_SECRET}}
          fabrikam:
            tenant_id: {FABRIKAM.tenant_id}
            auth: {{method: client_secret, client_id: {FABRIKAM.client_id}, secret_env: FABRIKAM_CLIENT_SECRET}}
        """)
    crosstenant.secrets["CONTOSO_CLIENT_SECRET"] = CONTOSO_NO_POLICY.secret
    crosstenant.write("access.yaml", ONE_TO_ONE)
    result = crosstenant("plan")
    assert result.exit_code == 1
    assert "403 Authorization_RequestDenied" in result.output
    assert "Plan:" not in result.output and "+ " not in result.output


def test_validate_and_a_failing_load_send_nothing(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    crosstenant.emulator.clear_requests()
    assert crosstenant("validate").exit_code == 0

    crosstenant.write("access.yaml", ONE_TO_ONE.replace("{mfa: true, compliant_device: false}", "{mfaa: true}"))
    for command in (("validate",), ("plan",), ("apply", "--auto-approve")):
        result = crosstenant(*command)
        assert result.exit_code == 1
        assert "access.yaml:6:25: access.contoso.partners.fabrikam.inbound_trust.mfaa: unknown key" in result.output
        assert "nothing was sent to any tenant" in result.output
    assert crosstenant.emulator.requests() == []


def test_secret_never_appears_in_output_even_with_debug(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    result = crosstenant("--debug", "apply", "--auto-approve")
    assert result.exit_code == 0
    assert CONTOSO.secret not in result.output and FABRIKAM.secret not in result.output
    assert "eyJ" not in result.output  # no JWT


def test_a_saved_plan_applies_only_while_it_is_not_stale(crosstenant, tmp_path):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    saved = tmp_path / "plan.json"
    assert crosstenant("plan", "--out", str(saved)).exit_code == 2
    shown = crosstenant("show", str(saved))
    assert shown.exit_code == 0 and "Plan: 3 to create" in shown.output

    # Someone changes a tenant after the plan was reviewed: the saved plan is refused.
    with crosstenant.graph(CONTOSO) as g:
        assert g.post(PARTNERS, json={"tenantId": FABRIKAM.tenant_id}).status_code == 201
    stale = crosstenant("apply", str(saved))
    assert stale.exit_code == 1
    assert "is stale" in stale.output
    with crosstenant.graph(FABRIKAM) as g:
        assert g.get(PARTNERS).json()["value"] == []  # nothing was applied

    assert crosstenant("plan", "--out", str(saved)).exit_code == 2
    fresh = crosstenant("apply", str(saved))
    assert fresh.exit_code == 0, fresh.output
    assert crosstenant("plan").exit_code == 0
