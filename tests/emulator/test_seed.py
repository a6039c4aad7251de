"""The seed file and the store contract the route modules share (organization, credentials,
users, groups, groupMembers, policy, default)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator.seed import SeedError, apply_seed, group_id, load_seed, seed_if_empty, user_id
from reconciler.emulator.store import Store
from tests.support.emulator import CONTOSO, CONTOSO_ID, DEMO_SEED, FABRIKAM_ID


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "state.sqlite")
    yield s
    s.close()


def test_the_demo_seed_fills_the_store_contract(store):
    assert seed_if_empty(store, DEMO_SEED) is True
    assert sorted(store.tenants()) == [CONTOSO_ID, FABRIKAM_ID]
    assert store.get(CONTOSO_ID, "organization", "self") == {
        "id": CONTOSO_ID, "displayName": "Contoso", "verifiedDomains": ["contoso.example"], "cloud": "global"}
    credential = store.get(CONTOSO_ID, "credentials", CONTOSO.client_id)
    assert set(credential) == {"clientId", "displayName", "secretSha256", "roles"}
    assert "Policy.ReadWrite.CrossTenantAccess" in credential["roles"] and len(credential["roles"]) == 11
    assert CONTOSO.secret not in json.dumps(store.list(CONTOSO_ID, "credentials"))
    readonly = store.get(CONTOSO_ID, "credentials", "33333333-0000-0000-0000-000000000003")
    assert readonly["roles"] == ["Policy.Read.All"]

    adele = store.get(CONTOSO_ID, "users", user_id(CONTOSO_ID, "adele@contoso.example"))
    assert adele == {
        "id": user_id(CONTOSO_ID, "adele@contoso.example"), "userPrincipalName": "adele@contoso.example",
        "displayName": "Adele Vance", "givenName": "Adele", "surname": "Vance", "mail": "adele@contoso.example",
        "department": "Sales", "jobTitle": "Retail Manager", "userType": "Member", "accountEnabled": True}
    assert [u["department"] for u in store.list(CONTOSO_ID, "users")] == ["Sales", "Sales", "Marketing", "Engineering"]
    assert len(store.list(FABRIKAM_ID, "users")) == 2

    sales = store.get(CONTOSO_ID, "groups", group_id(CONTOSO_ID, "Sales"))
    assert sales == {"id": sales["id"], "displayName": "Sales", "mailEnabled": False, "securityEnabled": True,
                     "description": "Sales team"}
    members = store.list(CONTOSO_ID, "groupMembers", f"{sales['id']}/")
    assert members == [{"groupId": sales["id"], "memberId": user_id(CONTOSO_ID, u)}
                       for u in ("adele@contoso.example", "alex@contoso.example")]
    assert store.get(CONTOSO_ID, "default", "self")["isServiceDefault"] is True
    assert store.get(CONTOSO_ID, "policy", "self") == {"displayName": "CrossTenantAccessPolicy",
                                                      "allowedCloudEndpoints": []}
    assert store.list(CONTOSO_ID, "partners") == []


def test_the_seed_is_applied_once(store):
    assert seed_if_empty(store, DEMO_SEED) is True
    store.delete(CONTOSO_ID, "users", user_id(CONTOSO_ID, "adele@contoso.example"))
    assert seed_if_empty(store, DEMO_SEED) is False
    assert store.get(CONTOSO_ID, "users", user_id(CONTOSO_ID, "adele@contoso.example")) is None


def test_ids_are_deterministic_per_tenant():
    assert user_id(CONTOSO_ID, "Adele@Contoso.example") == user_id(CONTOSO_ID, "adele@contoso.example")
    assert user_id(CONTOSO_ID, "a@x") != user_id(FABRIKAM_ID, "a@x")


@pytest.mark.parametrize("tenant, message", [
    ({"tenant_id": "x"}, "tenants.t.tenant_id: must be a GUID"),
    ({"tenant_id": CONTOSO_ID, "colour": 1}, "tenants.t: unknown keys ['colour']"),
    ({"tenant_id": CONTOSO_ID, "apps": [{"client_id": CONTOSO.client_id}]}, "tenants.t.apps[0].secret: required"),
    ({"tenant_id": CONTOSO_ID, "groups": [{"displayName": "G", "members": ["nobody@x"]}]},
     "tenants.t.groups[0].members: 'nobody@x' is neither"),
    ({"tenant_id": CONTOSO_ID, "cross_tenant_access": {"partners": [{"tenantId": FABRIKAM_ID,
                                                                      "b2BCollaborationInbound": {}}]}},
     "Invalid property 'b2BCollaborationInbound'."),
])
def test_seed_errors_name_the_place(store, tenant, message):
    with pytest.raises(SeedError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        apply_seed(store, {"tenants": {"t": tenant}})


def test_a_seed_file_without_tenants_is_refused(tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text("users: []\n")
    with pytest.raises(SeedError, match="'tenants' mapping"):
        load_seed(path)
