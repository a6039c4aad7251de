"""Where a tenant's Graph and sign-in live: plain data and the endpoint rules. No SDK import.

Precedence for the Graph URL and the authority: CLI flag > environment (`CROSSTENANT_*`) >
the tenant's own field > the cloud's default. `Overrides` carries the first two, already merged;
`resolve_endpoints` applies the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler.errors import ConfigError, Diagnostic

# Graph host and Entra authority per cloud. Graph hosts as in msgraph_core's NationalClouds,
# authorities as in azure.identity.AzureAuthorityHosts.
CLOUDS: dict[str, tuple[str, str]] = {
    "global": ("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usgov": ("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "china": ("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}

# Authority hosts Entra's instance discovery knows; any other authority is custom.
PUBLIC_AUTHORITY_HOSTS = frozenset(urlsplit(authority).hostname for _, authority in CLOUDS.values())

ENV_GRAPH_URL = "CROSSTENANT_GRAPH_URL"
ENV_AUTHORITY = "CROSSTENANT_AUTHORITY"
ENV_CA_BUNDLE = "CROSSTENANT_CA_BUNDLE"

# kiota sends tokens over plain http only to these hosts (azure_identity_access_token_provider).
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class AuthSpec:
    """The YAML's `auth` block: how to get a token. Holds references to secrets, never secrets."""

    method: str  # client_secret | certificate | workload_identity | azure_cli | managed_identity
    client_id: str | None = None
    secret_env: str | None = None  # client_secret: the NAME of the env var holding the secret
    certificate_path: str | None = None  # certificate (+ password_env)
    password_env: str | None = None
    token_file: str | None = None  # workload_identity (else AZURE_FEDERATED_TOKEN_FILE)


@dataclass(frozen=True)
class TenantConnection:
    alias: str
    tenant_id: str
    auth: AuthSpec
    cloud: str = "global"  # global | usgov | china
    graph_url: str | None = None  # tenant-level override
    authority: str | None = None


@dataclass(frozen=True)
class Overrides:
    """Run-level overrides: a CLI flag wins over its environment variable."""

    graph_url: str | None = None  # CROSSTENANT_GRAPH_URL
    authority: str | None = None  # CROSSTENANT_AUTHORITY
    ca_bundle: str | None = None  # CROSSTENANT_CA_BUNDLE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **cli_flags: str | None) -> Overrides:
        unknown = set(cli_flags) - {"graph_url", "authority", "ca_bundle"}
        if unknown:
            raise TypeError(f"unknown override(s): {', '.join(sorted(unknown))}")

        def pick(flag: str, env: str) -> str | None:
            return cli_flags.get(flag) or environ.get(env) or None

        return cls(
            graph_url=pick("graph_url", ENV_GRAPH_URL),
            authority=pick("authority", ENV_AUTHORITY),
            ca_bundle=pick("ca_bundle", ENV_CA_BUNDLE),
        )


def resolve_endpoints(conn: TenantConnection, overrides: Overrides) -> tuple[str, str]:
    """(Graph root URL without `/v1.0`, authority URL) for this tenant. Pure; raises ConfigError."""
    if conn.cloud not in CLOUDS:
        raise _invalid(conn, "cloud", f"unknown cloud {conn.cloud!r}; expected one of {', '.join(CLOUDS)}")
    default_graph, default_authority = CLOUDS[conn.cloud]
    graph_url, graph_from = _first(
        (overrides.graph_url, ENV_GRAPH_URL), (conn.graph_url, "graph_url"), (default_graph, "cloud")
    )
    authority, authority_from = _first(
        (overrides.authority, ENV_AUTHORITY), (conn.authority, "authority"), (default_authority, "cloud")
    )
    graph_url = _clean_url(graph_url)
    if graph_url.endswith("/v1.0"):
        graph_url = graph_url[: -len("/v1.0")]
    authority = _clean_url(authority)
    _check_url(conn, graph_from, graph_url, allow_loopback_http=True)
    _check_url(conn, authority_from, authority, allow_loopback_http=False)
    if urlsplit(authority).path:
        raise _invalid(conn, authority_from, f"{authority!r} must be scheme://host[:port]; the tenant is added per request")
    return graph_url, authority


def is_public_authority(authority: str) -> bool:
    return urlsplit(authority).hostname in PUBLIC_AUTHORITY_HOSTS


def _first(*candidates: tuple[str | None, str]) -> tuple[str, str]:
    for value, source in candidates:
        if value:
            return value, source
    raise AssertionError("the cloud default is always set")


def _clean_url(url: str) -> str:
    return url.strip().rstrip("/")


def _check_url(conn: TenantConnection, source: str, url: str, *, allow_loopback_http: bool) -> None:
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise _invalid(conn, source, f"{url!r} is not an absolute http(s) URL")
    if parts.scheme == "http" and not (allow_loopback_http and parts.hostname in _LOOPBACK_HOSTS):
        # Tokens only travel over TLS; the SDK refuses plain http except to loopback Graph hosts,
        # and azure-identity refuses any non-https authority.
        raise _invalid(conn, source, f"{url!r} must use https")
    if parts.query or parts.fragment:
        raise _invalid(conn, source, f"{url!r} must not carry a query or fragment")


def _invalid(conn: TenantConnection, source: str, message: str) -> ConfigError:
    if source.startswith("CROSSTENANT_"):
        return ConfigError([Diagnostic(message=f"{message} (from {source} or its CLI flag)")])
    return ConfigError([Diagnostic(message=message, path=f"tenants.{conn.alias}.{source}")])
