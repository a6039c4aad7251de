"""azure-identity credentials from a tenant's `auth` block. azure.identity is imported lazily.

Sync credential classes on purpose: kiota's token provider closed *async* credentials after each
token in some releases (kiota-python #528), and sync credentials are never closed by it. Token
acquisition is synchronous inside them (an HTTP call to Entra, or `az` as a subprocess), so
`OffLoopCredential` runs `get_token` in a worker thread: kiota awaits whatever `get_token`
returns, and the event loop keeps serving the other tenants meanwhile. The credential caches
its token, so the thread hop happens once per token, not once per request.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from reconciler.errors import AuthError
from reconciler.graph.connection import TenantConnection, is_public_authority
from reconciler.graph.redact import redact

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential

ENV_FEDERATED_TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE"
ENV_CLIENT_ID = "AZURE_CLIENT_ID"
# Set by GitHub Actions in jobs with `permissions: id-token: write` (ENDPOINTS §6).
ENV_GHA_REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
ENV_GHA_REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"

METHODS = ("client_secret", "certificate", "workload_identity", "azure_cli", "managed_identity")


class OffLoopCredential:
    """Wraps a sync TokenCredential so that kiota's `await get_token(...)` runs it in a thread,
    any failure to get a token becomes an AuthError naming the tenant, and a token issued by
    another tenant is refused (an `az` login or a managed identity lives in a tenant of its own:
    without this check, one tenant's desired state could be applied to another)."""

    def __init__(self, alias: str, credential: TokenCredential, tenant_id: str | None = None):
        self.alias = alias
        self.credential = credential
        self.tenant_id = tenant_id

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        try:
            token = await asyncio.to_thread(self.credential.get_token, *scopes, **kwargs)
        except AuthError:
            raise
        except Exception as err:  # ClientAuthenticationError, CredentialUnavailableError, MSAL's ValueError
            raise sign_in_error(self.alias, err) from None
        issued_by = token_tenant(token.token)
        if self.tenant_id and issued_by and issued_by.lower() != self.tenant_id.lower():
            raise AuthError(
                f"tenant {self.alias}: the credential signed in to tenant {issued_by}, "
                f"not {self.tenant_id}; refusing to use its token"
            )
        return token

    def close(self) -> None:
        close = getattr(self.credential, "close", None)
        if close is not None:
            close()


def token_tenant(token: str) -> str | None:
    """The `tid` claim of a JWT access token, read without verifying it (Graph verifies it);
    None for a token that is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    tid = claims.get("tid") if isinstance(claims, dict) else None
    return tid if isinstance(tid, str) else None


def build_credential(
    conn: TenantConnection,
    authority: str,
    ca_bundle: str | None,
    environ: Mapping[str, str] = os.environ,
) -> TokenCredential:
    """The sync credential for `conn`; raises AuthError naming what is missing (never a value)."""
    import azure.identity as identity

    auth = conn.auth
    where = f"tenant {conn.alias}: auth.{auth.method}"
    common: dict[str, Any] = {"authority": authority}
    if not is_public_authority(authority):
        # A generic rule for any custom authority (a sovereign deployment, a test authority):
        # Entra's instance discovery only knows the public clouds' hosts and would reject it.
        common["disable_instance_discovery"] = True
    if ca_bundle:
        common["connection_verify"] = ca_bundle  # azure-core's RequestsTransport `verify=`

    try:
        if auth.method == "client_secret":
            client_id = _required(auth.client_id, where, "client_id")
            secret = _env(environ, auth.secret_env, where, "secret_env")
            return identity.ClientSecretCredential(conn.tenant_id, client_id, secret, **common)
        if auth.method == "certificate":
            client_id = _required(auth.client_id, where, "client_id")
            path = _required(auth.certificate_path, where, "certificate_path")
            if not Path(path).is_file():
                raise AuthError(f"{where}: certificate_path {path} is not a readable file")
            password = _env(environ, auth.password_env, where, "password_env") if auth.password_env else None
            return identity.CertificateCredential(
                conn.tenant_id, client_id, certificate_path=path, password=password, **common
            )
        if auth.method == "workload_identity":
            client_id = auth.client_id or environ.get(ENV_CLIENT_ID)
            if not client_id:
                raise AuthError(f"{where}: set client_id, or the environment variable {ENV_CLIENT_ID}")
            assertion = federated_assertion_source(auth.token_file, environ, where)
            return identity.ClientAssertionCredential(conn.tenant_id, client_id, assertion, **common)
        if auth.method == "azure_cli":
            # `az` signs in to the cloud it is configured for (`az cloud set`); no authority here.
            return identity.AzureCliCredential(tenant_id=conn.tenant_id)
        if auth.method == "managed_identity":
            # The identity's tenant is fixed by the platform; client_id picks a user-assigned one.
            return identity.ManagedIdentityCredential(client_id=auth.client_id)
    except AuthError:
        raise
    except (ValueError, TypeError, OSError) as err:  # e.g. a certificate that does not load
        raise AuthError(f"{where}: {redact(str(err))}") from None
    raise AuthError(f"tenant {conn.alias}: unknown auth method {auth.method!r}; expected one of {', '.join(METHODS)}")


def federated_assertion_source(
    token_file: str | None, environ: Mapping[str, str], where: str, *, timeout: float = 30.0
) -> Callable[[], str]:
    """The callback ClientAssertionCredential calls each time it needs a new Entra token.

    A fresh assertion per exchange matters: a GitHub OIDC token lives 5-10 minutes, and
    WorkloadIdentityCredential would keep re-sending a file it reads at most every 10 minutes
    (ENDPOINTS §6). Sources, first match wins: `token_file`, `AZURE_FEDERATED_TOKEN_FILE`, then
    GitHub Actions' OIDC endpoint (asked for audience `api://AzureADTokenExchange`).
    """
    path = token_file or environ.get(ENV_FEDERATED_TOKEN_FILE)
    if path:

        def read_file() -> str:
            try:
                value = Path(path).read_text(encoding="utf-8").strip()
            except OSError as err:
                raise AuthError(f"{where}: cannot read the federated token file {path}: {err.strerror}") from None
            if not value:
                raise AuthError(f"{where}: the federated token file {path} is empty")
            return value

        return read_file

    url, bearer = environ.get(ENV_GHA_REQUEST_URL), environ.get(ENV_GHA_REQUEST_TOKEN)
    if url and bearer:

        def ask_github() -> str:
            sep = "&" if "?" in url else "?"
            request = urllib.request.Request(
                f"{url}{sep}audience={urllib.parse.quote(FEDERATION_AUDIENCE, safe='')}",
                headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL from the runner)
                    value = json.loads(response.read().decode("utf-8")).get("value")
            except (OSError, ValueError) as err:
                raise AuthError(f"{where}: the GitHub Actions OIDC token request failed: {redact(str(err))}") from None
            if not value:
                raise AuthError(f"{where}: the GitHub Actions OIDC response carried no token")
            return value

        return ask_github

    raise AuthError(
        f"{where}: no federated token: set auth.token_file, the environment variable "
        f"{ENV_FEDERATED_TOKEN_FILE}, or run in GitHub Actions with `permissions: id-token: write` "
        f"({ENV_GHA_REQUEST_URL} / {ENV_GHA_REQUEST_TOKEN})"
    )


def sign_in_error(alias: str, err: BaseException) -> AuthError:
    """The credential could not get a token. Keeps Entra's AADSTS code; never a secret."""
    text = " ".join(redact(str(getattr(err, "message", None) or err)).split())
    codes = re.findall(r"AADSTS\d+", text)
    code = f" [{codes[0]}]" if codes else ""
    return AuthError(f"tenant {alias}: could not get a token from Entra{code}: {text}")


def _required(value: str | None, where: str, name: str) -> str:
    if not value:
        raise AuthError(f"{where}: {name} is required")
    return value


def _env(environ: Mapping[str, str], name: str | None, where: str, field: str) -> str:
    if not name:
        raise AuthError(f"{where}: {field} (the name of an environment variable) is required")
    value = environ.get(name)
    if not value:
        raise AuthError(f"{where}: the environment variable {name} ({field}) is not set or empty")
    return value
