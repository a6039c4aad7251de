"""The emulator process and its OAuth authority, through the real azure-identity credential."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reconciler.emulator.server import serve
from tests.support.emulator import CONTOSO, CONTOSO_ID, FABRIKAM, EmulatorProcess

POLICY = "/policies/crossTenantAccessPolicy"
SCOPE = "https://127.0.0.1/.default"


def credential(emu: EmulatorProcess, tenant: str, client_id: str, secret: str, **kwargs) -> ClientSecretCredential:
    return ClientSecretCredential(tenant, client_id, secret, authority=emu.url, disable_instance_discovery=True,
                                  **kwargs)


def token_request(emu: EmulatorProcess, tenant: str, **form: str) -> httpx.Response:
    data = {"client_id": CONTOSO.client_id, "client_secret": CONTOSO.secret, "scope": SCOPE,
            "grant_type": "client_credentials", **form}
    return emu.http.post(f"/{tenant}/oauth2/v2.0/token", data={k: v for k, v in data.items() if v is not None})


def oauth_error(response: httpx.Response, status: int, error: str, aadsts: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"}
    assert (body["error"], body["error_codes"]) == (error, [aadsts])
    assert body["error_description"].startswith(f"AADSTS{aadsts}: ")
    return body


# ----- the process
def test_startup_writes_the_endpoint_file_and_announces_it(tmp_path):
    emu = EmulatorProcess(tmp_path)
    with emu:
        endpoint = json.loads((tmp_path / "endpoint.json").read_text())
        assert endpoint == {"url": emu.url, "ca_bundle": str(tmp_path.resolve() / "ca.pem"), "pid": emu.pid}
        assert emu.url.startswith("https://127.0.0.1:") and int(emu.url.rsplit(":", 1)[1]) > 0
        assert emu.announcement == f"crosstenant emulator listening on {emu.url} (CA bundle: {endpoint['ca_bundle']})"
        assert emu.health()["status"] == "ok"


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_shuts_down_cleanly(tmp_path, signal_name):
    import signal

    emu = EmulatorProcess(tmp_path).start()
    proc = emu._proc
    assert proc is not None
    proc.send_signal(getattr(signal, signal_name))
    assert proc.wait(5) == 0
    assert not (tmp_path / "endpoint.json").exists()
    assert "Traceback" not in emu.stderr()
    emu.stop()


def test_state_ca_and_signing_key_survive_a_restart(tmp_path):
    with EmulatorProcess(tmp_path) as emu:
        ca = Path(emu.ca_bundle).read_bytes()
        token = emu.token(CONTOSO.tenant_id, CONTOSO.client_id, CONTOSO.secret)
        headers = {"Authorization": f"Bearer {token}"}
        emu.http.post(f"/v1.0{POLICY}/partners", json={"tenantId": FABRIKAM.tenant_id}, headers=headers)
        emu.http.patch(f"/v1.0{POLICY}/default", json={"inboundTrust": {"isMfaAccepted": True}}, headers=headers)
        emu.restart()
        assert Path(emu.ca_bundle).read_bytes() == ca
        partners = emu.http.get(f"/v1.0{POLICY}/partners", headers=headers).json()["value"]
        assert [p["tenantId"] for p in partners] == [FABRIKAM.tenant_id]
        # the seed is not applied again over existing state
        default = emu.http.get(f"/v1.0{POLICY}/default", headers=headers).json()
        assert (default["isServiceDefault"], default["inboundTrust"]) == (False, {"isMfaAccepted": True})


def test_serve_refuses_a_non_loopback_address(tmp_path):
    with pytest.raises(ValueError, match="loopback"):
        serve(0, tmp_path, None, host="0.0.0.0")
    assert not (tmp_path / "endpoint.json").exists()


def test_a_bad_seed_stops_the_process_with_a_message(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("tenants:\n  contoso: {tenant_id: not-a-guid}\n")
    out = subprocess.run([sys.executable, "-m", "reconciler.emulator", "serve", "--port", "0",
                          "--state", str(tmp_path / "state"), "--seed", str(seed)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "tenants.contoso.tenant_id: must be a GUID" in out.stderr


def test_the_emulator_does_not_import_the_graph_sdk():
    code = ("import sys\nfrom reconciler.emulator.app import _route_modules\n_route_modules()\n"
            "import reconciler.emulator.server\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('msgraph', 'kiota_abstractions', 'azure')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----- the real credential (azure-identity / MSAL)
def test_client_secret_credential_gets_a_token_that_graph_accepts(emulator):
    cred = credential(emulator, CONTOSO.tenant_id, CONTOSO.client_id, CONTOSO.secret,
                      connection_verify=emulator.ca_bundle)
    with cred:
        access = cred.get_token(SCOPE)
    claims = jwt.decode(access.token, options={"verify_signature": False})
    assert (claims["tid"], claims["appid"], claims["aud"]) == (CONTOSO_ID, CONTOSO.client_id, "https://127.0.0.1")
    assert claims["iss"] == f"{emulator.url}/{CONTOSO_ID}/v2.0"
    assert claims["exp"] - claims["iat"] == 3600
    assert "Policy.ReadWrite.CrossTenantAccess" in claims["roles"] and claims["oid"]
    response = httpx.get(f"{emulator.url}/v1.0{POLICY}/default", verify=emulator.ca_bundle,
                         headers={"Authorization": f"Bearer {access.token}"})
    assert response.status_code == 200 and response.json()["isServiceDefault"] in (True, False)


def test_the_ca_bundle_can_come_from_requests_ca_bundle(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    # the tenant named by its verified domain works as well
    cred = credential(emulator, FABRIKAM.domain, FABRIKAM.client_id, FABRIKAM.secret)
    with cred:
        claims = jwt.decode(cred.get_token(SCOPE).token, options={"verify_signature": False})
    assert claims["tid"] == FABRIKAM.tenant_id


def test_a_wrong_secret_fails_with_aadsts7000215(emulator):
    cred = credential(emulator, CONTOSO.tenant_id, CONTOSO.client_id, "not-the-secret",
                      connection_verify=emulator.ca_bundle)
    with cred, pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        cred.get_token(SCOPE)
    body = oauth_error(token_request(emulator, CONTOSO.tenant_id, client_secret="nope"), 401, "invalid_client",
                       7000215)
    assert "nope" not in json.dumps(body)


def test_openid_configuration_names_the_tenants_endpoints(emulator):
    config = emulator.http.get(f"/{CONTOSO.domain}/v2.0/.well-known/openid-configuration").json()
    assert config["token_endpoint"] == f"{emulator.url}/{CONTOSO_ID}/oauth2/v2.0/token"
    assert config["issuer"] == f"{emulator.url}/{CONTOSO_ID}/v2.0"
    keys = emulator.http.get(config["jwks_uri"]).json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"]
    unknown = emulator.http.get("/nowhere.example/v2.0/.well-known/openid-configuration")
    oauth_error(unknown, 400, "invalid_tenant", 90002)


def test_token_endpoint_errors_use_the_oauth_shape(emulator):
    oauth_error(token_request(emulator, "nowhere.example"), 400, "invalid_request", 90002)
    oauth_error(token_request(emulator, CONTOSO_ID, client_id="99999999-0000-0000-0000-000000000009"), 400,
                "unauthorized_client", 700016)
    # an app of another tenant is unknown here
    oauth_error(token_request(emulator, CONTOSO_ID, client_id=FABRIKAM.client_id, client_secret=FABRIKAM.secret),
                400, "unauthorized_client", 700016)
    oauth_error(token_request(emulator, CONTOSO_ID, scope="https://127.0.0.1/Policy.Read.All"), 400,
                "invalid_scope", 70011)
    oauth_error(token_request(emulator, CONTOSO_ID, grant_type="password"), 400, "unsupported_grant_type", 70003)
    oauth_error(token_request(emulator, CONTOSO_ID, client_secret=None), 401, "invalid_client", 7000218)


def test_client_secret_basic_is_accepted(emulator):
    response = emulator.http.post(f"/{CONTOSO_ID}/oauth2/v2.0/token", auth=(CONTOSO.client_id, CONTOSO.secret),
                                  data={"scope": SCOPE, "grant_type": "client_credentials"})
    assert response.status_code == 200
    assert set(response.json()) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert (response.json()["token_type"], response.json()["expires_in"]) == ("Bearer", 3599)


# ----- bearer tokens on /v1.0
def _sign(state_dir: Path, claims: dict, key=None) -> str:
    if key is None:
        key = serialization.load_pem_private_key((state_dir / "token-signing-key.pem").read_bytes(), password=None)
    return jwt.encode(claims, key, algorithm="RS256")


def _claims(**overrides) -> dict:
    now = int(time.time())
    return {"tid": CONTOSO_ID, "appid": CONTOSO.client_id, "roles": ["Policy.Read.All"], "iat": now, "nbf": now,
            "exp": now + 600, "aud": "https://127.0.0.1", **overrides}


@pytest.mark.parametrize("case, message", [
    ("none", "Access token is empty."),
    ("garbage", "Access token validation failure."),
    ("foreign_key", "Access token validation failure."),
    ("expired", "Lifetime validation failed, the token is expired."),
    ("unknown_tenant", "Access token validation failure. Invalid tenant."),
])
def test_graph_refuses_a_bad_token_with_401(emulator, case, message):
    state = Path(emulator.ca_bundle).parent
    now = int(time.time())
    token = {
        "none": None,
        "garbage": "not-a-jwt",
        "foreign_key": _sign(state, _claims(), rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "expired": _sign(state, _claims(iat=now - 7200, nbf=now - 7200, exp=now - 3600)),
        "unknown_tenant": _sign(state, _claims(tid="99999999-0000-0000-0000-000000000009")),
    }[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = emulator.http.get(f"/v1.0{POLICY}", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"] == message
    # a token forged with the emulator's own key is accepted: the signature is what is checked
    good = _sign(state, _claims())
    assert emulator.http.get(f"/v1.0{POLICY}", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_every_graph_response_carries_request_ids(emulator):
    with emulator.graph(CONTOSO) as client:
        ok = client.get(POLICY, headers={"client-request-id": "c0ffee00-0000-0000-0000-000000000001"})
        assert ok.headers["client-request-id"] == "c0ffee00-0000-0000-0000-000000000001"
        assert ok.headers["request-id"] and ok.headers["request-id"] != ok.headers["client-request-id"]
        missing = client.get(f"{POLICY}/partners/3d0f5dec-5d3d-455c-8016-e2af1ae4d31a")
        inner = missing.json()["error"]["innerError"]
        assert inner["request-id"] == missing.headers["request-id"] == missing.headers["client-request-id"]


def test_an_unknown_segment_is_graphs_400(emulator):
    with emulator.graph(CONTOSO) as client:
        response = client.get("/policies/crossTenantAccessPolicy/nothingHere")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert response.json()["error"]["message"] == "Resource not found for the segment 'nothingHere'."
