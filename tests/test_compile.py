"""compile: Graph-shaped desired resources, their addresses and order, the digest."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reconciler.compile import CompiledState, compile_state
from reconciler.errors import ConfigError, Diagnostic, SourceLocation
from reconciler.load import load_policies
from reconciler.model import DesiredState
from reconciler.resources.base import Resource

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
GOLDEN = FIXTURES / "full-partner.golden.json"

CONTOSO = "00000000-0000-0000-0000-00000000c0de"
FABRIKAM = "00000000-0000-0000-0000-0000000fab00"
NORTHWIND = "00000000-0000-0000-0000-0000000a0b1d"


@pytest.fixture
def full(monkeypatch: pytest.MonkeyPatch) -> CompiledState:
    monkeypatch.chdir(FIXTURES / "full")
    return compile_state(load_policies(Path(".")))


def state(data: dict) -> DesiredState:
    return DesiredState.from_data(data)


def tenants(**modes: str) -> dict:
    ids = {"contoso": CONTOSO, "fabrikam": FABRIKAM, "northwind": NORTHWIND}
    return {
        alias: {"tenant_id": ids[alias], "mode": mode}
        | ({} if mode == "external" else {"auth": {"method": "azure_cli"}})
        for alias, mode in modes.items()
    }


def test_golden_full_partner_uses_graphs_exact_property_names(full: CompiledState) -> None:
    partner = full.by_address()["fabrikam.partner.contoso"]
    if os.environ.get("CROSSTENANT_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(partner.body, indent=2) + "\n", encoding="utf-8")
    assert partner.body == json.loads(GOLDEN.read_text(encoding="utf-8"))
    # FIELD-NOTES 6: Graph answers 400 to `b2BCollaborationInbound`; pin the spelling explicitly too.
    assert list(partner.body) == [
        "inboundTrust",
        "b2bCollaborationInbound",
        "b2bCollaborationOutbound",
        "b2bDirectConnectInbound",
        "b2bDirectConnectOutbound",
        "tenantRestrictions",
        "automaticUserConsentSettings",
    ]
    assert "tenantId" not in partner.body  # the key, not a diffable field; the handler adds it on create


def test_full_policy_set_compiles_to_one_resource_per_object(full: CompiledState) -> None:
    assert [(r.address, r.kind, r.key, r.ensure, r.depends_on) for r in full.resources] == [
        ("contoso.partner.fabrikam", "partner", FABRIKAM, "present", ()),
        ("fabrikam.policy", "policy", "", "present", ()),
        ("fabrikam.default", "default", "", "present", ()),
        ("fabrikam.partner.3c3c3c3c-0000-0000-0000-000000000003", "partner",
         "3c3c3c3c-0000-0000-0000-000000000003", "absent", ()),
        ("fabrikam.partner.contoso", "partner", CONTOSO, "present", ()),
        ("fabrikam.partner.northwind", "partner", NORTHWIND, "present", ()),
        ("fabrikam.partner.3c3c3c3c-0000-0000-0000-000000000003.identity_sync", "identity_sync",
         "3c3c3c3c-0000-0000-0000-000000000003", "absent",
         ("fabrikam.partner.3c3c3c3c-0000-0000-0000-000000000003",)),
        ("fabrikam.partner.contoso.identity_sync", "identity_sync", CONTOSO, "present",
         ("fabrikam.partner.contoso",)),
        ("fabrikam.partner.northwind.identity_sync", "identity_sync", NORTHWIND, "absent",
         ("fabrikam.partner.northwind",)),
    ]
    assert {r.tenant_id for r in full.resources if r.tenant == "fabrikam"} == {FABRIKAM}
    assert full.scopes["fabrikam"].ignore == frozenset({"00000000-0000-0000-0000-0000000005a5"})
    assert full.scopes["fabrikam"].prune is False
    assert set(full.scopes) == {"contoso", "fabrikam"}
    assert sorted(full.tenants) == ["contoso", "fabrikam", "northwind"]
    assert full.warnings == ()


def test_bodies_hold_only_declared_fields(full: CompiledState) -> None:
    by_address = full.by_address()
    assert by_address["fabrikam.policy"].body == {
        "displayName": "Fabrikam cross-tenant policy",
        "allowedCloudEndpoints": ["microsoftonline.us"],
    }
    assert by_address["fabrikam.default"].body == {
        "inboundTrust": {"isMfaAccepted": False},
        "b2bCollaborationInbound": {
            "usersAndGroups": {"accessType": "allowed", "targets": [{"target": "AllUsers", "targetType": "user"}]},
            "applications": {
                "accessType": "allowed",
                "targets": [{"target": "AllApplications", "targetType": "application"}],
            },
        },
    }
    assert by_address["contoso.partner.fabrikam"].body == {"automaticUserConsentSettings": {"outboundAllowed": True}}
    assert by_address["fabrikam.partner.northwind"].body == {}
    assert by_address["fabrikam.partner.contoso.identity_sync"].body == {
        "displayName": "Contoso",
        "userSyncInbound": {"isSyncAllowed": True},
    }


def test_resources_carry_the_location_of_their_declaration(full: CompiledState) -> None:
    by_address = full.by_address()
    assert by_address["fabrikam.partner.contoso"].source == SourceLocation("access/fabrikam.yaml", 12, 7)
    assert by_address["fabrikam.partner.contoso.identity_sync"].source == SourceLocation("access/fabrikam.yaml", 15, 9)
    assert by_address["fabrikam.partner.northwind"].source == SourceLocation("access/fabrikam-more.yml", 5, 7)


def test_targets_are_typed_sorted_and_names_left_for_the_engine() -> None:
    compiled = compile_state(
        state(
            {
                "tenants": tenants(contoso="managed", fabrikam="managed"),
                "access": {
                    "fabrikam": {
                        "partners": {
                            "contoso": {
                                "b2b_collaboration_inbound": {
                                    "users_and_groups": {
                                        "access": "blocked",
                                        "targets": [
                                            {"group": "Sales"},
                                            {"user": "5C5C5C5C-0000-0000-0000-000000000001"},
                                            "AllUsers",
                                            {"group": "6F546279-4DA5-4B53-A095-09EA0CEF9971"},
                                        ],
                                    },
                                    "applications": {"access": "allowed", "targets": ["Office365", "AllMicrosoftApps"]},
                                }
                            }
                        }
                    }
                },
            }
        )
    )
    setting = compiled.by_address()["fabrikam.partner.contoso"].body["b2bCollaborationInbound"]
    assert setting["usersAndGroups"] == {
        "accessType": "blocked",
        "targets": [
            {"target": "6f546279-4da5-4b53-a095-09ea0cef9971", "targetType": "group"},
            {"target": {"name": "Sales", "resolve": "group"}, "targetType": "group"},
            {"target": "5c5c5c5c-0000-0000-0000-000000000001", "targetType": "user"},
            {"target": "AllUsers", "targetType": "user"},
        ],
    }
    assert setting["applications"]["targets"] == [
        {"target": "AllMicrosoftApps", "targetType": "application"},
        {"target": "Office365", "targetType": "application"},
    ]


def test_inherit_compiles_to_null_at_every_level() -> None:
    compiled = compile_state(
        state(
            {
                "tenants": tenants(contoso="managed", fabrikam="managed"),
                "access": {
                    "fabrikam": {
                        "partners": {
                            "contoso": {
                                "inbound_trust": "inherit",
                                "automatic_redemption": {"inbound": "inherit"},
                                "tenant_restrictions": {"devices": {"mode": "inherit", "rule": "inherit"}},
                            }
                        }
                    }
                },
            }
        )
    )
    assert compiled.by_address()["fabrikam.partner.contoso"].body == {
        "inboundTrust": None,
        "tenantRestrictions": {"devices": {"mode": None, "rule": None}},
        "automaticUserConsentSettings": {"inboundAllowed": None},
    }


def test_read_only_tenant_resources_are_marked_and_prune_warns() -> None:
    compiled = compile_state(
        state(
            {
                "tenants": tenants(contoso="managed", fabrikam="read_only"),
                "access": {"fabrikam": {"prune": True, "partners": {"contoso": {"automatic_redemption": {"inbound": True}}}}},
            }
        )
    )
    (partner,) = compiled.resources
    assert partner.meta == {"read_only": True}
    assert compiled.warnings == (
        Diagnostic("prune has no effect: the tenant is read_only", "access.fabrikam.prune", None, "warning"),
    )


def test_external_tenant_cannot_hold_access_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / "external-with-access"
    monkeypatch.chdir(folder)
    with pytest.raises(ConfigError) as caught:
        compile_state(load_policies(Path(".")))
    assert str(caught.value) == (folder / "expected-compile.txt").read_text(encoding="utf-8").rstrip("\n")
    assert caught.value.diagnostics[0].location == SourceLocation("policies.yaml", 9, 3)


def test_a_partner_both_declared_and_ignored_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_state(
            state(
                {
                    "tenants": tenants(contoso="managed", fabrikam="managed"),
                    "access": {"fabrikam": {"ignore": [CONTOSO.upper()], "partners": {"contoso": {}}}},
                }
            )
        )
    assert [(d.path, d.message) for d in caught.value.diagnostics] == [
        ("access.fabrikam.partners.contoso", f"partner {CONTOSO} is both declared and listed under ignore")
    ]


def test_partner_declared_by_guid_of_a_known_tenant_is_addressed_by_alias() -> None:
    compiled = compile_state(
        state({"tenants": tenants(contoso="managed", fabrikam="managed"), "access": {"fabrikam": {"partners": {CONTOSO: {}}}}})
    )
    assert [(r.address, r.key) for r in compiled.resources] == [("fabrikam.partner.contoso", CONTOSO)]


def _digest_of(folder: Path) -> str:
    return compile_state(load_policies(folder)).digest


def test_digest_is_stable_across_file_order_key_order_and_location(tmp_path: Path) -> None:
    reference = _digest_of(FIXTURES / "full")
    assert len(reference) == 64

    moved = tmp_path / "elsewhere"
    shutil.copytree(FIXTURES / "full", moved)
    assert _digest_of(moved) == reference  # no paths in the digest

    # Same declarations, other files, other key order, other target order.
    regrouped = tmp_path / "regrouped"
    regrouped.mkdir()
    original = (FIXTURES / "full" / "access" / "fabrikam.yaml").read_text(encoding="utf-8")
    reordered = original.replace(
        "targets: [{group: Sales}, {user: 5C5C5C5C-0000-0000-0000-000000000001}, {group: 6f546279-4da5-4b53-a095-09ea0cef9971}]",
        "targets: [{group: 6F546279-4DA5-4B53-A095-09EA0CEF9971}, {group: Sales}, {user: 5c5c5c5c-0000-0000-0000-000000000001}]",
    ).replace(
        "inbound_trust: {mfa: true, compliant_device: true, hybrid_joined_device: inherit}",
        "inbound_trust: {hybrid_joined_device: inherit, mfa: true, compliant_device: true}",
    )
    assert reordered != original
    (regrouped / "0-access.yaml").write_text(reordered, encoding="utf-8")
    (regrouped / "1-more.yaml").write_text(
        (FIXTURES / "full" / "access" / "fabrikam-more.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (regrouped / "2-tenants.yaml").write_text((FIXTURES / "full" / "tenants.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert _digest_of(regrouped) == reference


def test_digest_changes_with_any_declared_value(tmp_path: Path) -> None:
    base = {"tenants": tenants(contoso="managed", fabrikam="managed"), "access": {"fabrikam": {"partners": {"contoso": {"inbound_trust": {"mfa": True}}}}}}
    changed = json.loads(json.dumps(base))
    changed["access"]["fabrikam"]["partners"]["contoso"]["inbound_trust"]["mfa"] = False
    pruned = json.loads(json.dumps(base))
    pruned["access"]["fabrikam"]["prune"] = True
    digests = {compile_state(state(d)).digest for d in (base, changed, pruned)}
    assert len(digests) == 3


def test_compiled_resources_are_resource_values(full: CompiledState) -> None:
    assert all(isinstance(r, Resource) for r in full.resources)
    assert full.resources_in("contoso") == (full.by_address()["contoso.partner.fabrikam"],)
