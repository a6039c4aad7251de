"""Field faults for access settings, end to end: unmanaged partners, prune, failures mid-apply,
ambiguous names (FIELD-NOTES rows 3, 5, 9, 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Crosstenant, TENANTS_YAML
from tests.e2e.test_access_cycle import ONE_TO_ONE, PARTNERS
from tests.support.emulator import CONTOSO, DEMO_SEED, FABRIKAM, EmulatorProcess

SUPPORT_TENANT = "5a5a5a5a-0000-4000-8000-0000000005a5"


def _add_support_partner(crosstenant: Crosstenant) -> None:
    with crosstenant.graph(FABRIKAM) as g:
        assert g.post(PARTNERS, json={"tenantId": SUPPORT_TENANT}).status_code == 201


def _fabrikam_partner_ids(crosstenant: Crosstenant) -> set[str]:
    with crosstenant.graph(FABRIKAM) as g:
        return {p["tenantId"] for p in g.get(PARTNERS).json()["value"]}


def test_unmanaged_partner_is_reported_and_left_alone(crosstenant):
    _add_support_partner(crosstenant)
    crosstenant.write("access.yaml", ONE_TO_ONE)
    assert crosstenant("apply", "--auto-approve").exit_code == 0

    result = crosstenant("plan")
    assert result.exit_code == 0  # unmanaged objects are not changes
    assert f"fabrikam.partner.{SUPPORT_TENANT}" in result.output
    assert "Unmanaged" in result.output
    assert SUPPORT_TENANT in _fabrikam_partner_ids(crosstenant)


def test_ignored_partner_is_neither_reported_nor_pruned(crosstenant):
    _add_support_partner(crosstenant)
    crosstenant.write("access.yaml", ONE_TO_ONE.replace(
        "  fabrikam:\n    partners:", f"  fabrikam:\n    prune: true\n    ignore: [{SUPPORT_TENANT}]\n    partners:"))
    result = crosstenant("plan")
    assert result.exit_code == 2
    assert SUPPORT_TENANT not in result.output
    assert "UNSAFE" not in result.output
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    assert SUPPORT_TENANT in _fabrikam_partner_ids(crosstenant)


def test_prune_is_unsafe_and_needs_force(crosstenant):
    _add_support_partner(crosstenant)
    crosstenant.write("access.yaml", ONE_TO_ONE.replace("  fabrikam:\n    partners:", "  fabrikam:\n    prune: true\n    partners:"))
    assert crosstenant("apply", "--auto-approve", "--tenant", "contoso").exit_code == 0

    plan = crosstenant("plan")
    assert plan.exit_code == 2
    assert f"- fabrikam.partner.{SUPPORT_TENANT}" in plan.output
    assert "UNSAFE" in plan.output and "prune" in plan.output

    refused = crosstenant("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "unsafe" in refused.output.lower()
    assert SUPPORT_TENANT in _fabrikam_partner_ids(crosstenant)

    forced = crosstenant("apply", "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert _fabrikam_partner_ids(crosstenant) == {CONTOSO.tenant_id}


def test_deleting_a_partner_deletes_its_identity_sync_first_and_is_unsafe(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    crosstenant.write("access.yaml", ONE_TO_ONE.split("\n  fabrikam:\n")[0] + "\n  fabrikam:\n    partners:\n      contoso: {ensure: absent}\n")

    plan = crosstenant("plan")
    assert plan.exit_code == 2
    assert plan.output.index("- fabrikam.partner.contoso.identity_sync") < plan.output.index("- fabrikam.partner.contoso\n")
    assert crosstenant("apply", "--auto-approve").exit_code == 1  # unsafe without --force
    assert crosstenant("apply", "--auto-approve", "--force").exit_code == 0
    assert CONTOSO.tenant_id not in _fabrikam_partner_ids(crosstenant)
    assert crosstenant("plan").exit_code == 0


def test_a_5xx_mid_apply_fails_that_change_skips_dependents_and_the_next_apply_converges(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    # The second partner POST of the run (fabrikam's partner for contoso) gets a 500.
    crosstenant.emulator.add_fault(method="POST", path=PARTNERS, nth=2, status=500, code="InternalServerError")

    failed = crosstenant("apply", "--auto-approve")
    assert failed.exit_code == 1
    assert "FAILED fabrikam.partner.contoso" in failed.output
    assert "skipped fabrikam.partner.contoso.identity_sync" in failed.output
    assert "ok contoso.partner.fabrikam" in failed.output.replace("     ok", "ok")

    resumed = crosstenant("apply", "--auto-approve")
    assert resumed.exit_code == 0, resumed.output
    assert "2 applied, 0 failed, 0 skipped" in resumed.output
    assert crosstenant("plan").exit_code == 0


def test_throttled_read_is_retried_after_retry_after(crosstenant):
    crosstenant.write("access.yaml", ONE_TO_ONE)
    crosstenant.emulator.add_fault(method="GET", path=PARTNERS, status=429, code="TooManyRequests", retry_after=0.2)
    result = crosstenant("plan")
    assert result.exit_code == 2, result.output
    statuses = [r["status"] for r in crosstenant.graph_requests() if r["path"] == f"/v1.0{PARTNERS}"]
    assert statuses[0] == 429 and 200 in statuses


GROUP_TARGET = """
access:
  contoso:
    partners:
      fabrikam:
        b2b_collaboration_outbound:
          users_and_groups: {access: allowed, targets: [{group: %s}]}
"""


def test_group_named_in_a_target_is_resolved_to_its_id(crosstenant):
    crosstenant.write("access.yaml", GROUP_TARGET % "Sales")
    assert crosstenant("apply", "--auto-approve").exit_code == 0
    with crosstenant.graph(CONTOSO) as g:
        sales = g.get("/groups", params={"$filter": "displayName eq 'Sales'"}).json()["value"]
        partner = g.get(f"{PARTNERS}/{FABRIKAM.tenant_id}").json()
    assert partner["b2bCollaborationOutbound"]["usersAndGroups"]["targets"] == [
        {"target": sales[0]["id"], "targetType": "group"}
    ]
    assert crosstenant("plan").exit_code == 0


def test_missing_group_name_is_a_plan_error(crosstenant):
    crosstenant.write("access.yaml", GROUP_TARGET % "Nobody")
    result = crosstenant("plan")
    assert result.exit_code == 1
    assert "group 'Nobody' in tenant contoso was not found" in result.output
    # Said where it was declared: access.yaml, the partner entry on line 5.
    assert "access.yaml:5:7: contoso.partner.fabrikam: b2bCollaborationOutbound.usersAndGroups.targets.target: group" in result.output
    assert "Plan:" not in result.output


@pytest.fixture
def twin_groups_emulator(tmp_path: Path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(DEMO_SEED.read_text().replace(
        "      - {displayName: Marketing,", "      - {id: 5a1e5000-0000-4000-8000-00000000e4ea, displayName: Sales, description: Sales (EMEA)}\n      - {displayName: Marketing,"))
    with EmulatorProcess(tmp_path / "state", seed) as emu:
        yield emu


def test_ambiguous_group_name_is_a_plan_error_naming_the_candidates(twin_groups_emulator, tmp_path):
    ct = Crosstenant(twin_groups_emulator, tmp_path / "policies",
                     {"CONTOSO_CLIENT_SECRET": CONTOSO.secret, "FABRIKAM_CLIENT_SECRET": FABRIKAM.secret})
    ct.write("tenants.yaml", TENANTS_YAML)
    ct.write("access.yaml", GROUP_TARGET % "Sales")
    result = ct("plan")
    assert result.exit_code == 1
    assert "group 'Sales' in tenant contoso is ambiguous: 2 groups match:" in result.output
    with ct.graph(CONTOSO) as g:
        ids = [grp["id"] for grp in g.get("/groups", params={"$filter": "displayName eq 'Sales'"}).json()["value"]]
    assert all(i in result.output for i in ids)
