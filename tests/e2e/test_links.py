"""Links end to end: one sync configuration declared once, both tenants configured in order
(issue 3; FIELD-NOTES rows 1, 2, 12-17)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Crosstenant
from tests.support.emulator import CONTOSO, FABRIKAM

TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"
PARTNERS = "/policies/crossTenantAccessPolicy/partners"

LINK = """
links:
  contoso-to-fabrikam:
    from: contoso
    to: fabrikam
    scope: assigned
    assign: {groups: [Sales]}
    mappings:
      userType: {constant: Member}
      showInAddressList: {constant: "True"}
    notify: {emails: [idops@contoso.example], on_failure: true}
    deletion_threshold: 500
    state: started
"""


@pytest.fixture(autouse=True)
def replication_lag(crosstenant):
    """New service principals stay invisible for a few requests, as Entra's replication does
    (FIELD-NOTES row 14): every test here has to wait for what it made."""
    crosstenant.emulator.http.post("/_emulator/replication", json={"lagRequests": 3}).raise_for_status()


def configurations(ct: Crosstenant) -> list[dict]:
    with ct.graph(CONTOSO) as g:
        return g.get("/servicePrincipals", params={"$filter": f"applicationTemplateId eq '{TEMPLATE}'"}).json()["value"]


def test_a_link_configures_both_tenants_in_order_and_converges(crosstenant):
    crosstenant.write("links.yaml", LINK)
    plan = crosstenant("plan", "--format", "json")
    assert plan.exit_code == 2, plan.output
    addresses = [c["address"] for c in json.loads(plan.stdout)["changes"]]
    # The prerequisites in both tenants come before the configuration, its parts, and last its start.
    link = "contoso.link.contoso-to-fabrikam"
    for prerequisite in ("fabrikam.partner.contoso", "fabrikam.partner.contoso.identity_sync",
                         "contoso.partner.fabrikam"):
        assert addresses.index(prerequisite) < addresses.index(link)
    assert addresses.index(link) < addresses.index(f"{link}.settings") < addresses.index(f"{link}.state")
    assert addresses[-1] == f"{link}.state"

    applied = crosstenant("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Checks after apply" not in applied.output  # both redemption flags read back true
    assert crosstenant("plan").exit_code == 0

    [sp] = configurations(crosstenant)
    assert sp["displayName"] == "contoso-to-fabrikam (crosstenant)"
    assert "crosstenant:link:contoso-to-fabrikam" in sp["tags"]
    base = f"/servicePrincipals/{sp['id']}"
    with crosstenant.graph(CONTOSO) as g:
        [job] = g.get(f"{base}/synchronization/jobs").json()["value"]
        secrets = {s["key"]: s["value"] for s in g.get(f"{base}/synchronization/secrets").json()["value"]}
        assigned = g.get(f"{base}/appRoleAssignedTo").json()["value"]
        sales = g.get("/groups", params={"$filter": "displayName eq 'Sales'"}).json()["value"][0]
        schema = g.get(f"{base}/synchronization/jobs/{job['id']}/schema").json()
    assert job["templateId"] == "Azure2Azure"
    assert job["schedule"]["state"] == "Active"
    assert secrets["CompanyId"] == FABRIKAM.tenant_id
    assert secrets["AuthenticationType"] == "SyncPolicy"
    assert secrets["SyncAll"] == "false"
    assert [(a["principalId"], a["principalType"]) for a in assigned] == [(sales["id"], "Group")]
    [rule] = [r for r in schema["synchronizationRules"] if r["name"] == "USER_INBOUND_USER"]
    mappings = {m["targetAttributeName"]: m["source"] for m in rule["objectMappings"][0]["attributeMappings"]}
    assert mappings["showInAddressList"]["type"] == "Constant" and mappings["showInAddressList"]["name"] == "True"
    assert mappings["userType"]["name"] == "Member"
    with crosstenant.graph(FABRIKAM) as g:
        partner = g.get(f"{PARTNERS}/{CONTOSO.tenant_id}").json()
        sync = g.get(f"{PARTNERS}/{CONTOSO.tenant_id}/identitySynchronization").json()
    assert partner["automaticUserConsentSettings"]["inboundAllowed"] is True
    assert sync["userSyncInbound"]["isSyncAllowed"] is True


def test_removing_a_link_is_unsafe_and_deletes_only_its_configuration(crosstenant):
    crosstenant.write("links.yaml", LINK)
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    crosstenant.write("links.yaml", "links: {}\n")

    plan = crosstenant("plan")
    assert plan.exit_code == 2
    assert "- contoso.link.contoso-to-fabrikam" in plan.output
    assert "UNSAFE" in plan.output
    assert crosstenant("apply", "--auto-approve").exit_code == 1
    assert len(configurations(crosstenant)) == 1
    assert crosstenant("apply", "--auto-approve", "--force").exit_code == 0
    assert configurations(crosstenant) == []
    # The implied access settings stay (DESIGN: unless declared absent or pruned).
    with crosstenant.graph(FABRIKAM) as g:
        assert g.get(f"{PARTNERS}/{CONTOSO.tenant_id}").status_code == 200


def test_removing_an_assignment_is_unsafe(crosstenant):
    crosstenant.write("links.yaml", LINK)
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    crosstenant.write("links.yaml", LINK.replace("assign: {groups: [Sales]}", "assign: {groups: [Marketing]}"))
    plan = crosstenant("plan")
    assert plan.exit_code == 2
    assert "UNSAFE" in plan.output and "contoso-to-fabrikam" in plan.output
    assert crosstenant("apply", "--auto-approve").exit_code == 1
    assert crosstenant("apply", "--auto-approve", "--force").exit_code == 0
    assert crosstenant("plan").exit_code == 0


def test_a_configuration_made_by_hand_is_reported_and_left_alone(crosstenant):
    crosstenant.emulator.http.post("/_emulator/replication", json={"lagRequests": 0})  # made long ago
    with crosstenant.graph(CONTOSO) as g:
        made = g.post(f"/applicationTemplates/{TEMPLATE}/instantiate", json={"displayName": "Hand-made sync"})
        assert made.status_code == 201
    crosstenant.write("links.yaml", LINK)
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    plan = crosstenant("plan")
    assert plan.exit_code == 0
    assert "Hand-made sync" in plan.output
    assert sorted(sp["displayName"] for sp in configurations(crosstenant)) == [
        "Hand-made sync", "contoso-to-fabrikam (crosstenant)"]


def test_a_quarantined_job_is_health_not_a_change(crosstenant):
    crosstenant.write("links.yaml", LINK)
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    [sp] = configurations(crosstenant)
    with crosstenant.graph(CONTOSO) as g:
        [job] = g.get(f"/servicePrincipals/{sp['id']}/synchronization/jobs").json()["value"]
    crosstenant.emulator.http.post("/_emulator/synchronization/quarantine", json={
        "tenantId": CONTOSO.tenant_id, "servicePrincipalId": sp["id"], "jobId": job["id"], "reason": "TooManyDeletes"})
    plan = crosstenant("plan")
    assert plan.exit_code == 0, plan.output
    assert "quarantine" in plan.output and "TooManyDeletes" in plan.output


def test_an_expression_syntax_error_fails_validate_with_its_position(crosstenant):
    crosstenant.write("links.yaml", LINK.replace(
        'showInAddressList: {constant: "True"}', "displayName: {expression: 'Join(\" \", [givenName], [surname]'}"))
    crosstenant.emulator.clear_requests()
    result = crosstenant("validate")
    assert result.exit_code == 1
    # Line 10 of the file; column 66 is the end of the expression, where the ')' is missing.
    assert "links.yaml:10:66: links.contoso-to-fabrikam.mappings.displayName" in result.output
    assert crosstenant.emulator.requests() == []


@pytest.mark.parametrize("changed", [
    "automatic_redemption: {inbound: false}",
    "user_sync_inbound: {allowed: false, display_name: Contoso}",
])
def test_a_setting_that_contradicts_a_link_is_an_error_naming_both_places(crosstenant, changed):
    crosstenant.write("links.yaml", LINK)
    crosstenant.write("access.yaml", f"""
        access:
          fabrikam:
            partners:
              contoso:
                {changed}
        """)
    result = crosstenant("validate")
    assert result.exit_code == 1
    assert "access.yaml:" in result.output and "links.yaml:" in result.output


def test_a_read_only_target_is_checked_by_reading_never_written(crosstenant):
    tenants = crosstenant.policies / "tenants.yaml"
    tenants.write_text(tenants.read_text().replace(
        "  fabrikam:\n", "  fabrikam:\n    mode: read_only\n"))
    crosstenant.write("links.yaml", LINK)
    plan = crosstenant("plan")
    assert plan.exit_code == 2, plan.output
    assert "fabrikam.partner.contoso: missing in read-only tenant fabrikam" in plan.output
    assert "+ fabrikam.partner.contoso" not in plan.output  # checked, never planned as a write
    assert "held: its target's prerequisites are not in place" in plan.output

    # The link is held: nothing of it is made in the source, the rest (contoso's partner) goes on.
    held = crosstenant("apply", "--auto-approve")
    assert held.exit_code == 1
    assert "FAILED contoso.link.contoso-to-fabrikam: its target's prerequisites are not in place" in held.output
    assert "ok contoso.partner.fabrikam" in " ".join(held.output.split())
    assert configurations(crosstenant) == []

    # Once fabrikam's admins have done their part, the check is quiet.
    with crosstenant.graph(FABRIKAM) as g:
        g.post(PARTNERS, json={"tenantId": CONTOSO.tenant_id,
                               "automaticUserConsentSettings": {"inboundAllowed": True}}).raise_for_status()
        g.put(f"{PARTNERS}/{CONTOSO.tenant_id}/identitySynchronization",
              json={"displayName": "contoso", "userSyncInbound": {"isSyncAllowed": True}}).raise_for_status()
    plan = crosstenant("plan")
    assert "read-only tenant" not in plan.output, plan.output
    applied = crosstenant("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    writes = [r for r in crosstenant.graph_requests() if r["tenantId"] == FABRIKAM.tenant_id and r["method"] != "GET"]
    assert len(writes) == 2  # only the two made by hand above


def test_a_job_that_failed_to_be_made_is_made_by_the_next_apply(crosstenant):
    crosstenant.write("links.yaml", LINK)
    crosstenant.emulator.add_fault(method="POST", path="/servicePrincipals/*/synchronization/jobs", status=500)
    failed = crosstenant("apply", "--auto-approve")
    assert failed.exit_code == 1
    assert "FAILED contoso.link.contoso-to-fabrikam" in failed.output

    plan = crosstenant("plan")
    assert "jobTemplateId: null -> \"Azure2Azure\"" in plan.output  # the missing job is a planned update
    resumed = crosstenant("apply", "--auto-approve")
    assert resumed.exit_code == 0, resumed.output
    assert crosstenant("plan").exit_code == 0
    [sp] = configurations(crosstenant)
    with crosstenant.graph(CONTOSO) as g:
        [job] = g.get(f"/servicePrincipals/{sp['id']}/synchronization/jobs").json()["value"]
    assert job["schedule"]["state"] == "Active"
