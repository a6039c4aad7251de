"""`access:` — a tenant's cross-tenant access policy, default configuration and partners.

Field names are the YAML's; `compile.py` maps them to Graph's (`inbound_trust.mfa` →
`inboundTrust.isMfaAccepted`). Checked against graph-reference/TYPES.md
(crossTenantAccessPolicyConfigurationDefault / …Partner, v1.0). Left out on purpose (an unknown
key for now): `invitationRedemptionIdentityProviderConfiguration`, `m365CollaborationInbound`,
`m365CollaborationOutbound`, `appServiceConnectInbound`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from reconciler.model.base import (
    READ_ONLY,
    Guid,
    OrAbsent,
    OrInherit,
    Seq,
    StrictModel,
    is_alias,
    is_guid,
)

AccessType = Literal["allowed", "blocked"]
CloudEndpoint = Literal["microsoftonline.com", "microsoftonline.us", "partner.microsoftonline.cn"]

USER_KEYWORDS = ("AllUsers",)
# ENDPOINTS §1.3 (doc conflict): the target page lists both `AllApplications` and the reserved
# `AllMicrosoftApps`; `Office365` is the documented Microsoft 365 keyword. All three are accepted.
APPLICATION_KEYWORDS = ("AllApplications", "AllMicrosoftApps", "Office365")


class UserTarget(StrictModel):
    user: Guid  # object id


class GroupTarget(StrictModel):
    group: Annotated[str, Field(min_length=1)]  # object id, or a display name resolved at plan time


class ApplicationTarget(StrictModel):
    application: Guid  # appId


def _keyword(allowed: tuple[str, ...], kind: str) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError(
                "target_keyword",
                "'{value}' is not a {kind} keyword (expected {expected}, or a mapping such as {example})",
                {
                    "value": value,
                    "kind": kind,
                    "expected": " or ".join(allowed),
                    "example": "{group: <GUID or name>}" if kind == "users-and-groups" else "{application: <appId>}",
                },
            )
        return value

    return AfterValidator(check)


def _target_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "{keyword}"
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return f"{{{key}}}" if key in ("user", "group", "application") else None
    return None


UserOrGroupTarget = Annotated[
    Union[
        Annotated[str, _keyword(USER_KEYWORDS, "users-and-groups"), Tag("{keyword}")],
        Annotated[UserTarget, Tag("{user}")],
        Annotated[GroupTarget, Tag("{group}")],
    ],
    Discriminator(
        _target_kind,
        custom_error_type="target",
        custom_error_message="a users-and-groups target is AllUsers, {user: <GUID>} or {group: <GUID or name>}",
    ),
]

AppTarget = Annotated[
    Union[
        Annotated[str, _keyword(APPLICATION_KEYWORDS, "applications"), Tag("{keyword}")],
        Annotated[ApplicationTarget, Tag("{application}")],
    ],
    Discriminator(
        _target_kind,
        custom_error_type="target",
        custom_error_message="an applications target is AllApplications, AllMicrosoftApps, Office365 "
        "or {application: <appId>}",
    ),
]


def _target_text(target: Any) -> str:
    return target if isinstance(target, str) else json.dumps(target.declared()).replace('"', "")


def _unique_targets(targets: tuple[Any, ...]) -> tuple[Any, ...]:
    if not targets:
        raise PydanticCustomError("targets_empty", "targets must list at least one target")
    seen: set[str] = set()
    for target in targets:
        text = _target_text(target)
        if text.lower() in seen:
            raise PydanticCustomError("target_twice", "target {target} is listed twice", {"target": text})
        seen.add(text.lower())
    return targets


class UsersAndGroupsAccess(StrictModel):
    """crossTenantAccessPolicyTargetConfiguration for users and groups."""

    access: OrInherit[AccessType] | None = None
    targets: Annotated[Seq(UserOrGroupTarget), AfterValidator(_unique_targets)] | None = None


class ApplicationsAccess(StrictModel):
    """crossTenantAccessPolicyTargetConfiguration for applications."""

    access: OrInherit[AccessType] | None = None
    targets: Annotated[Seq(AppTarget), AfterValidator(_unique_targets)] | None = None


class B2BSetting(StrictModel):
    """crossTenantAccessPolicyB2BSetting (b2b collaboration / direct connect, in or out)."""

    users_and_groups: OrInherit[UsersAndGroupsAccess] | None = None
    applications: OrInherit[ApplicationsAccess] | None = None


class DevicesFilter(StrictModel):
    mode: OrInherit[AccessType] | None = None
    rule: OrInherit[str] | None = None


class TenantRestrictions(B2BSetting):
    """crossTenantAccessPolicyTenantRestrictions: a B2B setting plus a device filter."""

    devices: OrInherit[DevicesFilter] | None = None


class InboundTrust(StrictModel):
    mfa: OrInherit[bool] | None = None
    compliant_device: OrInherit[bool] | None = None
    hybrid_joined_device: OrInherit[bool] | None = None


class AutomaticRedemption(StrictModel):
    """automaticUserConsentSettings: both sides must allow it for invitations to be redeemed."""

    inbound: OrInherit[bool] | None = None
    outbound: OrInherit[bool] | None = None


class UserSyncInbound(StrictModel):
    """The partner's identitySynchronization (set in the target to let the source push users)."""

    allowed: bool | None = None
    display_name: str | None = None


class AccessSettings(StrictModel):
    """What a default configuration and a partner configuration have in common."""

    inbound_trust: OrInherit[InboundTrust] | None = None
    b2b_collaboration_inbound: OrInherit[B2BSetting] | None = None
    b2b_collaboration_outbound: OrInherit[B2BSetting] | None = None
    b2b_direct_connect_inbound: OrInherit[B2BSetting] | None = None
    b2b_direct_connect_outbound: OrInherit[B2BSetting] | None = None
    tenant_restrictions: OrInherit[TenantRestrictions] | None = None


class DefaultSettings(AccessSettings):
    forbidden_keys: ClassVar = {
        "automatic_redemption": "automatic redemption cannot be set on the default configuration "
        "(Graph keeps it false there); set it per partner, under partners.<partner>.automatic_redemption",
        "is_service_default": READ_ONLY,
        "isServiceDefault": READ_ONLY,
    }


class PartnerSettings(AccessSettings):
    ensure: Literal["present", "absent"] = "present"
    automatic_redemption: OrInherit[AutomaticRedemption] | None = None
    user_sync_inbound: OrAbsent[UserSyncInbound] | None = None

    forbidden_keys: ClassVar = {
        "is_in_multi_tenant_organization": READ_ONLY,
        "isInMultiTenantOrganization": READ_ONLY,
        "is_service_provider": READ_ONLY,
        "isServiceProvider": READ_ONLY,
        "tenant_id": "is read-only: a partner's tenant id is its key under partners",
        "tenantId": "is read-only: a partner's tenant id is its key under partners",
    }

    @model_validator(mode="after")
    def _absent_takes_nothing_else(self) -> PartnerSettings:
        others = sorted(set(self.declared()) - {"ensure"})
        if self.ensure == "absent" and others:
            raise PydanticCustomError(
                "absent_with_settings",
                "a partner with ensure: absent is deleted, so it takes no other settings (found: {keys})",
                {"keys": ", ".join(others)},
            )
        return self


class PolicySettings(StrictModel):
    """The crossTenantAccessPolicy singleton."""

    display_name: str | None = None
    allowed_cloud_endpoints: Seq(CloudEndpoint) | None = None


def _partner_key(value: str) -> str:
    if is_guid(value):
        return value.lower()
    if is_alias(value):
        return value
    raise PydanticCustomError("partner_key", "a partner is a declared tenant alias or a tenant id (GUID)")


PartnerKey = Annotated[str, AfterValidator(_partner_key)]


class TenantAccess(StrictModel):
    """Everything under `access.<alias>`: settings that live in that tenant."""

    prune: bool = False  # true: undeclared partners are deleted (unsafe: needs --force)
    ignore: Seq(Guid) = ()  # partners never touched nor reported
    policy: PolicySettings | None = None
    default: DefaultSettings | None = None
    partners: dict[PartnerKey, PartnerSettings] = Field(default_factory=dict)
