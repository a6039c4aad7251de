"""`tenants:` — who the tenants are and how crosstenant signs in to each.

Secrets are never in YAML: auth names an environment variable, a certificate path or a
workload identity. Declaring a secret inline is an error whose message never echoes the value.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from reconciler.model.base import Guid, StrictModel

Cloud = Literal["global", "usgov", "china"]
Mode = Literal["managed", "read_only", "external"]

_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HTTPS_URL_RE = re.compile(r"^https://[^\s/?#]+(/[^\s]*)?$")
_DOMAIN_RE = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def _env_name(value: str) -> str:
    if not _ENV_NAME_RE.match(value):
        # Never echo the value: someone may have pasted the secret itself here.
        raise PydanticCustomError(
            "env_name", "expected the NAME of an environment variable ([A-Za-z_][A-Za-z0-9_]*), not its value"
        )
    return value


def _https_url(value: str) -> str:
    if not _HTTPS_URL_RE.match(value):
        raise PydanticCustomError("https_url", "expected an https:// URL")
    return value.rstrip("/")


def _non_empty(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("non_empty", "must not be empty")
    return value


def _domain(value: str) -> str:
    if len(value) > 253 or not _DOMAIN_RE.match(value):
        raise PydanticCustomError("domain", "expected a domain name such as contoso.com")
    return value.lower()


DomainName = Annotated[str, AfterValidator(_domain), Field(pattern=_DOMAIN_RE.pattern)]
EnvVarName = Annotated[str, AfterValidator(_env_name), Field(pattern=_ENV_NAME_RE.pattern)]
HttpsUrl = Annotated[str, AfterValidator(_https_url), Field(pattern=_HTTPS_URL_RE.pattern)]
NonEmptyStr = Annotated[str, AfterValidator(_non_empty), Field(min_length=1)]

_INLINE_SECRET = "inline secrets are not allowed; use secret_env"


class _AuthBase(StrictModel):
    forbidden_keys: ClassVar = {
        "secret": _INLINE_SECRET,
        "client_secret": _INLINE_SECRET,
        "password": "inline secrets are not allowed; use password_env",
    }


class ClientSecretAuth(_AuthBase):
    """An app registration's client secret, read from the environment variable `secret_env`."""

    forbidden_keys: ClassVar = {**_AuthBase.forbidden_keys, "password": _INLINE_SECRET}

    method: Literal["client_secret"]
    client_id: Guid
    secret_env: EnvVarName


class CertificateAuth(_AuthBase):
    method: Literal["certificate"]
    client_id: Guid
    certificate_path: NonEmptyStr
    password_env: EnvVarName | None = None


class WorkloadIdentityAuth(_AuthBase):
    """A federated token (e.g. GitHub Actions OIDC, Kubernetes) exchanged for the app's token."""

    method: Literal["workload_identity"]
    client_id: Guid
    token_file: NonEmptyStr | None = None


class AzureCliAuth(_AuthBase):
    method: Literal["azure_cli"]


class ManagedIdentityAuth(_AuthBase):
    method: Literal["managed_identity"]
    client_id: Guid | None = None  # a user-assigned identity; system-assigned when left out


AUTH_METHODS = ("client_secret", "certificate", "workload_identity", "azure_cli", "managed_identity")


def _auth_method(value: Any) -> str | None:
    method = value.get("method") if isinstance(value, dict) else getattr(value, "method", None)
    return f"{{method:{method}}}" if method in AUTH_METHODS else None


Auth = Annotated[
    Union[
        Annotated[ClientSecretAuth, Tag("{method:client_secret}")],
        Annotated[CertificateAuth, Tag("{method:certificate}")],
        Annotated[WorkloadIdentityAuth, Tag("{method:workload_identity}")],
        Annotated[AzureCliAuth, Tag("{method:azure_cli}")],
        Annotated[ManagedIdentityAuth, Tag("{method:managed_identity}")],
    ],
    Discriminator(
        _auth_method,
        custom_error_type="auth_method",
        custom_error_message=f"auth needs a method: one of {', '.join(AUTH_METHODS)}",
    ),
]


class Tenant(StrictModel):
    """One tenant, known by its alias; its identity is `tenant_id`.

    An external tenant may be declared by one of its verified domains instead: plan looks its
    tenant id up (`findTenantInformationByDomainName`). Given both, plan checks they agree.
    """

    tenant_id: Guid | None = None
    domain: DomainName | None = None
    cloud: Cloud = "global"
    mode: Mode = "managed"
    graph_url: HttpsUrl | None = None  # precedence: CLI flag > env > this > cloud default
    authority: HttpsUrl | None = None
    auth: Auth | None = None

    @model_validator(mode="after")
    def _known_by_id_or_domain(self) -> Tenant:
        if self.tenant_id is None and self.domain is None:
            raise PydanticCustomError("tenant_identity", "a tenant needs tenant_id (an external tenant may give domain instead)")
        if self.tenant_id is None and self.mode != "external":
            raise PydanticCustomError(
                "tenant_id_required",
                "a {mode} tenant needs tenant_id: crosstenant signs in to it (only an external tenant may be "
                "declared by domain alone)",
                {"mode": self.mode},
            )
        return self

    @model_validator(mode="after")
    def _reachable_tenants_need_auth(self) -> Tenant:
        if self.mode != "external" and self.auth is None:
            raise PydanticCustomError(
                "auth_required",
                "auth is required for a {mode} tenant (only an external tenant may leave it out)",
                {"mode": self.mode},
            )
        return self
