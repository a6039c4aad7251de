"""The emulator as its own OAuth authority, and the bearer-token check of every `/v1.0` call.

MSAL (behind azure-identity's `ClientSecretCredential(..., authority="https://127.0.0.1:PORT",
disable_instance_discovery=True)`) reads `/{tenant}/v2.0/.well-known/openid-configuration`, then
posts the client-credentials grant to the `token_endpoint` it names. The access token is an
RS256 JWT signed with the emulator's own key (kept in the state folder, so tokens outlive a
restart); its `roles` are the application permissions the seed grants the app.

Trusting the emulator's CA from azure-identity: both the credential's `connection_verify=<ca.pem>`
keyword (azure-core transport option) and `REQUESTS_CA_BUNDLE=<ca.pem>` work (tests/emulator/test_server.py).
Client assertions (certificates, workload identity federation) are not emulated: client secrets only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.emulator.context import Caller
from reconciler.emulator.errors import GraphHTTPError
from reconciler.emulator.paging import base_url
from reconciler.emulator.store import Store
from reconciler.emulator.tls import write_private

TOKEN_LIFETIME = 3600  # seconds; Entra's app tokens last about an hour
EXPIRES_IN = TOKEN_LIFETIME - 1  # what Entra reports (auth-entra-token.response.json: 3599)
CLOCK_SKEW = 300  # seconds of leeway on nbf, as Entra allows
OID_NAMESPACE = uuid.UUID("0b5ad1f0-7a1c-4c3e-9c52-6a5e2f1c0de0")  # service-principal ids of seeded apps


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def service_principal_id(tenant_id: str, client_id: str) -> str:
    """The deterministic object id the token's `oid` carries for a seeded app."""
    return str(uuid.uuid5(OID_NAMESPACE, f"{tenant_id}:{client_id}"))


def resolve_tenant(store: Store, name: str) -> str | None:
    """A tenant id from the path segment: the GUID or a verified domain (case-insensitive)."""
    wanted = name.lower()
    for tenant_id in store.tenants():
        org = store.get(tenant_id, "organization", "self")
        if org is None:
            continue
        if tenant_id == wanted or wanted in (d.lower() for d in org.get("verifiedDomains", [])):
            return tenant_id
    return None


class SigningKey:
    """The RSA key that signs access tokens, created once per state folder."""

    def __init__(self, path: Path):
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
        self.private_key = key
        self.public_key = key.public_key()
        der = self.public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")

    def jwk(self) -> dict[str, Any]:
        numbers = self.public_key.public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "x5t": self.kid,
                "n": _b64uint(numbers.n), "e": _b64uint(numbers.e)}


class TokenService:
    def __init__(self, store: Store, key: SigningKey, clock: Callable[[], float] = time.time):
        self.store, self.key, self.clock = store, key, clock

    # ----- issuing
    def issue(self, tenant_id: str, client_id: str, roles: list[str], audience: str, issuer: str) -> str:
        now = int(self.clock())
        oid = service_principal_id(tenant_id, client_id)
        claims = {
            "aud": audience, "iss": issuer, "iat": now, "nbf": now, "exp": now + TOKEN_LIFETIME,
            "tid": tenant_id, "appid": client_id, "azp": client_id, "oid": oid, "sub": oid,
            "idtyp": "app", "ver": "1.0", "roles": sorted(roles), "uti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})

    # ----- checking (EmulatorContext.verify_token)
    def verify(self, request: Request) -> Caller:
        cached = getattr(request.state, "caller", None)
        if cached is not None:
            return cached
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated("Access token is empty.")
        try:
            claims = jwt.decode(token.strip(), self.key.public_key, algorithms=["RS256"],
                                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                         "verify_iat": False, "require": ["exp", "nbf", "tid", "appid"]})
        except jwt.InvalidTokenError:
            raise unauthenticated("Access token validation failure.")
        now = self.clock()
        if now >= claims["exp"]:
            raise unauthenticated("Lifetime validation failed, the token is expired.")
        if now + CLOCK_SKEW < claims["nbf"]:
            raise unauthenticated("Lifetime validation failed, the token is not yet valid.")
        tenant_id = str(claims["tid"]).lower()
        if self.store.get(tenant_id, "organization", "self") is None:
            raise unauthenticated("Access token validation failure. Invalid tenant.")
        caller = Caller(tenant_id=tenant_id, app_id=str(claims["appid"]), roles=frozenset(claims.get("roles", [])))
        request.state.caller = caller
        request.state.tenant_id = tenant_id  # for the request log
        return caller


def unauthenticated(message: str) -> GraphHTTPError:
    # Messages as Graph words them, from memory of live responses (uncertain in detail).
    return GraphHTTPError(401, "InvalidAuthenticationToken", message)


# ----- the OAuth endpoints
class OAuthError(Exception):
    def __init__(self, status: int, error: str, aadsts: int, description: str):
        super().__init__(error)
        self.status, self.error, self.aadsts, self.description = status, error, aadsts, description

    def response(self) -> JSONResponse:
        """Entra's OAuth error shape (auth-entra-token-error.response.json), not Graph's envelope."""
        trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
        timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        description = (f"AADSTS{self.aadsts}: {self.description}\r\nTrace ID: {trace_id}\r\n"
                       f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}")
        return JSONResponse({"error": self.error, "error_description": description, "error_codes": [self.aadsts],
                             "timestamp": timestamp, "trace_id": trace_id, "correlation_id": correlation_id},
                            status_code=self.status)


def unknown_tenant(name: str, error: str = "invalid_request") -> OAuthError:
    return OAuthError(400, error, 90002, f"Tenant '{name}' not found. Check to make sure you have the correct "
                                         "tenant ID and are signing into the correct cloud.")


class OAuthEndpoints:
    def __init__(self, tokens: TokenService):
        self.tokens = tokens
        self.store = tokens.store

    async def openid_configuration(self, request: Request) -> Response:
        name = request.path_params["tenant"]
        tenant_id = resolve_tenant(self.store, name)
        if tenant_id is None:
            return unknown_tenant(name, "invalid_tenant").response()
        request.state.tenant_id = tenant_id
        base = f"{base_url(request)}/{tenant_id}"
        return JSONResponse({
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": None,
            "cloud_instance_name": request.url.netloc,
            "msgraph_host": request.url.netloc,
        })

    async def keys(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.tokens.key.jwk()]})

    async def token(self, request: Request) -> Response:
        try:
            return self._grant(request, _form(await request.body()))
        except OAuthError as err:
            return err.response()

    def _grant(self, request: Request, form: dict[str, str]) -> Response:
        name = request.path_params["tenant"]
        tenant_id = resolve_tenant(self.store, name)
        if tenant_id is None:
            raise unknown_tenant(name)
        request.state.tenant_id = tenant_id
        client_id, secret = _client_credentials(request, form)
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", 70003,
                             f"The app requested an unsupported grant type '{grant}'. The emulator supports "
                             "only client_credentials.")
        if not client_id:
            raise OAuthError(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'client_id'.")
        credential = self.store.get(tenant_id, "credentials", client_id)
        if credential is None:
            raise OAuthError(400, "unauthorized_client", 700016,
                             f"Application with identifier '{client_id}' was not found in the directory "
                             f"'{tenant_id}'. This can happen if the application has not been installed by the "
                             "administrator of the tenant or consented to by any user in the tenant. You may have "
                             "sent your authentication request to the wrong tenant.")
        if "client_assertion" in form:
            # Federated / certificate assertions are not emulated (not required; see the report).
            raise OAuthError(401, "invalid_client", 700027,
                             "Client assertion failed signature validation. The emulator accepts client secrets only.")
        if secret is None:
            raise OAuthError(401, "invalid_client", 7000218,
                             "The request body must contain the following parameter: 'client_assertion' or "
                             "'client_secret'.")
        if not hmac.compare_digest(secret_sha256(secret), credential["secretSha256"]):
            raise OAuthError(401, "invalid_client", 7000215,
                             "Invalid client secret provided. Ensure the secret being sent in the request is the "
                             f"client secret value, not the client secret ID, for a secret added to app '{client_id}'.")
        scopes = form.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise OAuthError(400, "invalid_scope", 70011,
                             "The provided value for the input parameter 'scope' is not valid. The scope "
                             f"{form.get('scope', '')} is not valid.")
        audience = scopes[0].removesuffix("/.default")
        issuer = f"{base_url(request)}/{tenant_id}/v2.0"
        token = self.tokens.issue(tenant_id, client_id, list(credential.get("roles", [])), audience, issuer)
        return JSONResponse({"token_type": "Bearer", "expires_in": EXPIRES_IN, "ext_expires_in": EXPIRES_IN,
                             "access_token": token})


def oauth_routes(tokens: TokenService) -> list[BaseRoute]:
    endpoints = OAuthEndpoints(tokens)
    return [
        Route("/{tenant}/v2.0/.well-known/openid-configuration", endpoints.openid_configuration, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", endpoints.keys, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", endpoints.token, methods=["POST"]),
    ]


def is_token_path(path: str) -> bool:
    return path.endswith("/oauth2/v2.0/token")


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """client_secret_post, or client_secret_basic (RFC 6749 §2.3.1)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return unquote(user), unquote(password)
        except ValueError:
            raise OAuthError(401, "invalid_client", 7000215, "The client credentials in the header are malformed.")
    return form.get("client_id", ""), form.get("client_secret")


def _b64uint(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode().rstrip("=")
