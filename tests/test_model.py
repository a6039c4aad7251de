"""The models on their own: strict, frozen, inherit, auth methods, the JSON Schema."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from reconciler.model import (
    INHERIT,
    CertificateAuth,
    ClientSecretAuth,
    DesiredState,
    InboundTrust,
    ManagedIdentityAuth,
    PartnerSettings,
    Tenant,
    json_schema,
)
from reconciler.model.access import GroupTarget
from reconciler.model.references import resolve_partner

CONTOSO = "00000000-0000-0000-0000-00000000c0de"


def test_strict_no_coercion() -> None:
    for value in ("true", 1, "yes"):
        with pytest.raises(ValidationError):
            InboundTrust.model_validate({"mfa": value})
    assert InboundTrust.model_validate({"mfa": True}).mfa is True


def test_inherit_is_a_value_of_its_own() -> None:
    trust = InboundTrust.model_validate({"mfa": "inherit", "compliant_device": False})
    assert trust.mfa == INHERIT
    assert trust.declared() == {"mfa": INHERIT, "compliant_device": False}  # hybrid_joined_device: unmanaged


def test_models_are_frozen() -> None:
    trust = InboundTrust.model_validate({"mfa": True})
    with pytest.raises(ValidationError):
        trust.mfa = False  # type: ignore[misc]


def test_auth_is_discriminated_on_method() -> None:
    tenant = Tenant.model_validate(
        {"tenant_id": CONTOSO.upper(), "auth": {"method": "certificate", "client_id": CONTOSO, "certificate_path": "c.pem"}}
    )
    assert isinstance(tenant.auth, CertificateAuth)
    assert tenant.tenant_id == CONTOSO  # GUIDs are kept lower-case
    assert (tenant.cloud, tenant.mode) == ("global", "managed")
    assert isinstance(Tenant.model_validate({"tenant_id": CONTOSO, "auth": {"method": "managed_identity"}}).auth,
                      ManagedIdentityAuth)
    with pytest.raises(ValidationError) as caught:
        Tenant.model_validate({"tenant_id": CONTOSO, "auth": {"method": "client_secret", "client_id": CONTOSO}})
    assert [e["loc"] for e in caught.value.errors()] == [("auth", "{method:client_secret}", "secret_env")]


def test_a_url_override_must_be_https() -> None:
    auth = {"method": "azure_cli"}
    assert Tenant.model_validate({"tenant_id": CONTOSO, "auth": auth, "graph_url": "https://127.0.0.1:8443/"}).graph_url == (
        "https://127.0.0.1:8443"
    )
    with pytest.raises(ValidationError):
        Tenant.model_validate({"tenant_id": CONTOSO, "auth": auth, "authority": "http://login.example"})


def test_client_secret_auth_holds_only_a_reference() -> None:
    auth = ClientSecretAuth.model_validate({"method": "client_secret", "client_id": CONTOSO, "secret_env": "CONTOSO_SECRET"})
    assert auth.secret_env == "CONTOSO_SECRET"
    assert "secret" not in ClientSecretAuth.model_fields


def test_user_sync_inbound_may_be_absent() -> None:
    assert PartnerSettings.model_validate({"user_sync_inbound": "absent"}).user_sync_inbound == "absent"
    sync = PartnerSettings.model_validate({"user_sync_inbound": {"allowed": False}}).user_sync_inbound
    assert sync.allowed is False and sync.display_name is None


def test_group_target_keeps_a_display_name() -> None:
    assert GroupTarget.model_validate({"group": "Sales"}).group == "Sales"


def test_resolve_partner() -> None:
    ids = {"contoso": CONTOSO}
    assert resolve_partner("contoso", ids) == CONTOSO
    assert resolve_partner(CONTOSO.upper(), ids) == CONTOSO
    assert resolve_partner("northwind", ids) is None


def test_a_state_built_in_code_has_no_locations() -> None:
    state = DesiredState.from_data({"tenants": {"contoso": {"tenant_id": CONTOSO, "auth": {"method": "azure_cli"}}}})
    assert state.location_of(("tenants", "contoso")) is None
    assert state.tenant_ids() == {"contoso": CONTOSO}


def test_json_schema_describes_the_yaml() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False and set(schema["properties"]) == {"tenants", "access", "links", "topologies"}
    assert "__problems__" not in text and '"problems"' not in text
    defs = schema["$defs"]
    assert defs["InboundTrust"]["properties"]["mfa"] == {
        "title": "Mfa",
        "oneOf": [{"const": "inherit", "type": "string"}, {"type": "boolean"}],
    }
    assert set(defs["PartnerSettings"]["properties"]) == {
        "inbound_trust",
        "b2b_collaboration_inbound",
        "b2b_collaboration_outbound",
        "b2b_direct_connect_inbound",
        "b2b_direct_connect_outbound",
        "tenant_restrictions",
        "ensure",
        "automatic_redemption",
        "user_sync_inbound",
    }
    assert "automatic_redemption" not in defs["DefaultSettings"]["properties"]
    assert all(d.get("additionalProperties") is False for d in defs.values() if d.get("type") == "object")
