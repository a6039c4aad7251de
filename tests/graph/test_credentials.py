"""Credentials from the `auth` block: what is built, what is refused, and the real
ClientSecretCredential over TLS against a loopback authority with its own CA."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reconciler.errors import AuthError
from reconciler.graph.connection import AuthSpec, Overrides
from reconciler.graph.credentials import OffLoopCredential, build_credential, federated_assertion_source

from .conftest import TENANT_ID, connection, example
from .tls_server import AuthorityAndGraph

CLIENT_ID = "11111111-0000-0000-0000-000000000001"
SECRET = "emulator-only-secret-value"
PUBLIC = "https://login.microsoftonline.com"
ASSERTION = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZy9yZXBvIn0.c2ln"


class Recorder:
    """Stands in for an azure.identity class: records how it was built."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


@pytest.fixture
def recorded(monkeypatch):
    import azure.identity

    for name in ("ClientSecretCredential", "CertificateCredential", "ClientAssertionCredential",
                 "AzureCliCredential", "ManagedIdentityCredential"):
        monkeypatch.setattr(azure.identity, name, type(name, (Recorder,), {}))


def test_client_secret_reads_the_named_variable(recorded):
    conn = connection(auth=AuthSpec("client_secret", client_id=CLIENT_ID, secret_env="CONTOSO_SECRET"))
    cred = build_credential(conn, PUBLIC, None, {"CONTOSO_SECRET": SECRET})
    assert type(cred).__name__ == "ClientSecretCredential"
    assert cred.args == (TENANT_ID, CLIENT_ID, SECRET)
    assert cred.kwargs == {"authority": PUBLIC}, "public authority: instance discovery stays on"


def test_custom_authority_disables_instance_discovery_and_gets_the_ca_bundle(recorded):
    conn = connection(auth=AuthSpec("client_secret", client_id=CLIENT_ID, secret_env="S"))
    cred = build_credential(conn, "https://127.0.0.1:8443", "/state/ca.pem", {"S": SECRET})
    assert cred.kwargs == {"authority": "https://127.0.0.1:8443", "disable_instance_discovery": True,
                           "connection_verify": "/state/ca.pem"}


def test_a_missing_secret_variable_is_named_and_no_value_shown():
    conn = connection(auth=AuthSpec("client_secret", client_id=CLIENT_ID, secret_env="CONTOSO_SECRET"))
    with pytest.raises(AuthError) as caught:
        build_credential(conn, PUBLIC, None, {"OTHER": SECRET, "CONTOSO_SECRET": ""})
    message = str(caught.value)
    assert "tenant contoso" in message and "environment variable CONTOSO_SECRET" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (AuthSpec("client_secret", secret_env="S"), "client_id is required"),
        (AuthSpec("client_secret", client_id=CLIENT_ID), "secret_env"),
        (AuthSpec("certificate", client_id=CLIENT_ID), "certificate_path is required"),
        (AuthSpec("certificate", client_id=CLIENT_ID, certificate_path="/nonexistent/app.pem"), "not a readable file"),
        (AuthSpec("workload_identity"), "AZURE_CLIENT_ID"),
        (AuthSpec("workload_identity", client_id=CLIENT_ID), "no federated token"),
        (AuthSpec("kerberos"), "unknown auth method 'kerberos'"),
    ],
)
def test_refusals(auth, message):
    with pytest.raises(AuthError, match=message):
        build_credential(connection(auth=auth), PUBLIC, None, {"S": SECRET})


def test_certificate_password_comes_from_its_variable(recorded, tmp_path):
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\n")
    auth = AuthSpec("certificate", client_id=CLIENT_ID, certificate_path=str(pem), password_env="CERT_PW")
    cred = build_credential(connection(auth=auth), PUBLIC, None, {"CERT_PW": "pw"})
    assert cred.kwargs == {"certificate_path": str(pem), "password": "pw", "authority": PUBLIC}
    with pytest.raises(AuthError, match="CERT_PW"):
        build_credential(connection(auth=auth), PUBLIC, None, {})


def test_cli_and_managed_identity(recorded):
    cli = build_credential(connection(auth=AuthSpec("azure_cli")), PUBLIC, None, {})
    assert cli.kwargs == {"tenant_id": TENANT_ID}
    mi = build_credential(connection(auth=AuthSpec("managed_identity", client_id=CLIENT_ID)), PUBLIC, None, {})
    assert mi.kwargs == {"client_id": CLIENT_ID}


def test_workload_identity_reads_the_token_file_every_time(recorded, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("first.jwt.value\n")
    conn = connection(auth=AuthSpec("workload_identity", token_file=str(token_file)))
    cred = build_credential(conn, PUBLIC, None, {"AZURE_CLIENT_ID": CLIENT_ID})
    assert type(cred).__name__ == "ClientAssertionCredential"
    tenant, client, assertion = cred.args
    assert (tenant, client) == (TENANT_ID, CLIENT_ID)
    assert assertion() == "first.jwt.value"
    token_file.write_text("rotated.jwt.value")
    assert assertion() == "rotated.jwt.value"
    token_file.unlink()
    with pytest.raises(AuthError, match="cannot read the federated token file"):
        assertion()


def test_workload_identity_falls_back_to_azure_federated_token_file(tmp_path):
    path = tmp_path / "t"
    path.write_text("from-env")
    assert federated_assertion_source(None, {"AZURE_FEDERATED_TOKEN_FILE": str(path)}, "w")() == "from-env"


def test_workload_identity_asks_github_actions_for_a_fresh_token():
    seen: list[tuple[str, str | None]] = []

    class OIDC(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            data = json.dumps({"value": f"github.jwt.{len(seen)}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), OIDC)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        env = {"ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{server.server_address[1]}/token?api-version=2.0",
               "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token"}
        assertion = federated_assertion_source(None, env, "w")
        assert (assertion(), assertion()) == ("github.jwt.1", "github.jwt.2")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    # As the documented request: the runner's URL + &audience=api%3A%2F%2FAzureADTokenExchange
    assert seen[0] == ("/token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange",
                       "Bearer runner-request-token")


def test_off_loop_credential_runs_in_a_thread_and_names_the_tenant():
    class Sync:
        def __init__(self):
            self.thread = None

        def get_token(self, *scopes, **kw):
            self.thread = threading.current_thread()
            raise ValueError(f"Authentication failed: AADSTS700024: Client assertion is not within its valid "
                             f"time range. client_assertion=eyJhbGciOi.eyJzdWIiOi.sig")

    inner = Sync()
    with pytest.raises(AuthError) as caught:
        asyncio.run(OffLoopCredential("fabrikam", inner).get_token("https://graph.microsoft.com/.default"))
    assert inner.thread is not threading.main_thread()
    message = str(caught.value)
    assert message.startswith("tenant fabrikam: could not get a token from Entra [AADSTS700024]")
    assert "eyJhbGciOi" not in message


# -- the real credential over TLS ------------------------------------------------------------


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    error_body = example("auth-entra-token-error.response.json")["body"]
    with AuthorityAndGraph(tmp_path_factory.mktemp("tls"), tenant_id=TENANT_ID, client_id=CLIENT_ID,
                           client_secret=SECRET, assertion=ASSERTION, token_error=error_body) as server:
        yield server


def _tls_run(authority: AuthorityAndGraph, env: dict[str, str], monkeypatch):
    from reconciler.graph.gateway import open_gateways

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    overrides = Overrides(graph_url=authority.url, authority=authority.url, ca_bundle=str(authority.ca))
    conn = connection(auth=AuthSpec("client_secret", client_id=CLIENT_ID, secret_env="CONTOSO_SECRET"))

    async def scenario():
        async with open_gateways([conn], overrides) as gateways:
            return await gateways["contoso"].get("/policies/crossTenantAccessPolicy")

    return asyncio.run(scenario())


def test_client_secret_credential_signs_in_over_tls_with_the_ca_bundle(authority, monkeypatch):
    body = _tls_run(authority, {"CONTOSO_SECRET": SECRET}, monkeypatch)
    assert body["displayName"] == "CrossTenantAccessPolicy"
    form = authority.token_requests[-1]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["https://127.0.0.1/.default"], "scope has no port"
    path, auth_header = authority.graph_requests[-1]
    assert path == "/v1.0/policies/crossTenantAccessPolicy" and auth_header.startswith("Bearer ")


def test_a_refused_secret_is_an_auth_error_with_the_aadsts_code_and_no_secret(authority, monkeypatch):
    with pytest.raises(AuthError) as caught:
        _tls_run(authority, {"CONTOSO_SECRET": "wrong-secret-value"}, monkeypatch)
    message = str(caught.value)
    assert "tenant contoso" in message and "[AADSTS7000215]" in message
    assert "wrong-secret-value" not in message and SECRET not in message


def test_workload_identity_exchanges_the_federated_token_over_tls(authority, tmp_path):
    token_file = tmp_path / "federated-token"
    token_file.write_text(ASSERTION)
    conn = connection(auth=AuthSpec("workload_identity", client_id=CLIENT_ID, token_file=str(token_file)))
    credential = OffLoopCredential("contoso", build_credential(conn, authority.url, str(authority.ca), {}))
    try:
        token = asyncio.run(credential.get_token("https://127.0.0.1/.default"))
    finally:
        credential.close()
    assert token.token in authority.issued
    form = authority.token_requests[-1]
    assert form["client_assertion"] == [ASSERTION]
    assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]


def test_the_documented_token_error_surfaces_its_code(authority):
    conn = connection(auth=AuthSpec("client_secret", client_id=CLIENT_ID, secret_env="S"))
    credential = OffLoopCredential("contoso", build_credential(conn, authority.url, str(authority.ca), {"S": SECRET}))
    try:
        with pytest.raises(AuthError, match=r"\[AADSTS70011\].*The scope https://foo.microsoft.com/.default is not valid"):
            asyncio.run(credential.get_token("https://foo.microsoft.com/.default"))
    finally:
        credential.close()


def test_a_ca_bundle_that_does_not_sign_the_server_fails_clearly(authority, tmp_path):
    from reconciler.errors import PermanentGraphError
    from reconciler.graph.gateway import connect

    from .conftest import FakeCredential
    from .tls_server import write_ca_and_cert

    wrong_ca, _, _ = write_ca_and_cert(tmp_path)
    conn = connection(auth=AuthSpec("client_secret", client_id=CLIENT_ID, secret_env="S"))
    overrides = Overrides(graph_url=authority.url, authority=authority.url, ca_bundle=str(wrong_ca))

    async def scenario():
        gw = connect(conn, overrides, credential=FakeCredential())
        try:
            await gw.get("/policies/crossTenantAccessPolicy")
        finally:
            await gw.aclose()

    with pytest.raises(PermanentGraphError) as caught:
        asyncio.run(scenario())
    assert caught.value.code == "TlsVerificationFailed"
    assert "CROSSTENANT_CA_BUNDLE" in caught.value.message


def _jwt(claims: dict) -> str:
    import base64

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


class _Issuing:
    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kw):
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, 4102444800)


def test_a_token_from_another_tenant_is_refused():
    other = "99999999-0000-0000-0000-000000000009"
    credential = OffLoopCredential("contoso", _Issuing(_jwt({"tid": other})), TENANT_ID)
    with pytest.raises(AuthError, match=f"signed in to tenant {other}, not {TENANT_ID}"):
        asyncio.run(credential.get_token("https://graph.microsoft.com/.default"))


@pytest.mark.parametrize("token", [_jwt({"tid": TENANT_ID.upper()}), _jwt({"aud": "x"}), "opaque-token"])
def test_a_token_for_the_right_tenant_or_without_tid_is_used(token):
    credential = OffLoopCredential("contoso", _Issuing(token), TENANT_ID)
    assert asyncio.run(credential.get_token("https://graph.microsoft.com/.default")).token == token
