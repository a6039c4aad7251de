"""The cross-tenant access types as the v1.0 CSDL defines them (graph-reference/TYPES.md), and the
strict validation of request bodies against them.

Graph rejects a property it does not know, with any casing mistake, at any depth (FIELD-NOTES
row 6: `b2BCollaborationInbound` → 400), so the emulator never stores an unknown key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.emulator.errors import GraphHTTPError

# Error wording, kept in one place.
# `Request_BadRequest` "Invalid property '<name>'." is what Graph answers for a mis-cased top-level
# property (Microsoft365DSC#6065, msgraph-sdk-powershell#3320). That it names the leaf property for a
# nested one, and the wording for type errors and read-only properties, are assumptions (uncertain).
BAD_REQUEST = "Request_BadRequest"


def invalid_property(name: str) -> GraphHTTPError:
    return GraphHTTPError(400, BAD_REQUEST, f"Invalid property '{name}'.")


def invalid_value(name: str, type_name: str) -> GraphHTTPError:
    return GraphHTTPError(400, BAD_REQUEST, f"Invalid value specified for property '{name}' of resource '{type_name}'.")


def read_only_property(name: str) -> GraphHTTPError:
    return GraphHTTPError(400, BAD_REQUEST, f"Property '{name}' is read-only and cannot be set.")


class Shape:
    """A property type; `check` returns the value to store or raises Graph's 400."""

    def check(self, value: Any, name: str, owner: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Primitive(Shape):
    python_type: type

    def check(self, value: Any, name: str, owner: str) -> Any:
        # bool is an int in Python; Graph's Edm.Boolean and Edm.String take neither the other nor a number.
        if value is None:
            return None
        if type(value) is not self.python_type:
            raise invalid_value(name, owner)
        return value


@dataclass(frozen=True)
class Enum(Shape):
    members: frozenset[str]

    def check(self, value: Any, name: str, owner: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, str) or value not in self.members:
            raise invalid_value(name, owner)
        return value


@dataclass(frozen=True)
class Collection(Shape):
    item: Shape

    def check(self, value: Any, name: str, owner: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            raise invalid_value(name, owner)
        return [self.item.check(v, name, owner) for v in value]


@dataclass(frozen=True)
class Complex(Shape):
    """A complex type or entity. Writing one replaces it whole (DESIGN: the strict reading of PATCH)."""

    type_name: str
    properties: dict[str, Shape] = field(hash=False)
    read_only: frozenset[str] = frozenset()

    def check(self, value: Any, name: str, owner: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid_value(name, owner)
        return self.check_object(value)

    def check_object(self, body: dict[str, Any], *, allow_read_only: frozenset[str] = frozenset()) -> dict[str, Any]:
        cleaned: dict[str, Any] = {}
        for key, value in body.items():
            if key.startswith("@"):
                self._check_annotation(key, value)
                continue
            shape = self.properties.get(key)
            if shape is None:
                raise invalid_property(key)
            if key in self.read_only and key not in allow_read_only:
                raise read_only_property(key)
            cleaned[key] = shape.check(value, key, self.type_name)
        return cleaned

    def _check_annotation(self, key: str, value: Any) -> None:
        # Serializers may send `@odata.type`; it must name this type. Other instance annotations are ignored.
        if key == "@odata.type" and value != f"#microsoft.graph.{self.type_name}":
            raise invalid_value(key, self.type_name)


BOOLEAN = Primitive(bool)
STRING = Primitive(str)

ACCESS_TYPE = Enum(frozenset({"allowed", "blocked", "unknownFutureValue"}))
TARGET_TYPE = Enum(frozenset({"user", "group", "application", "unknownFutureValue"}))

TARGET = Complex("crossTenantAccessPolicyTarget", {"target": STRING, "targetType": TARGET_TYPE})
TARGET_CONFIGURATION = Complex(
    "crossTenantAccessPolicyTargetConfiguration", {"accessType": ACCESS_TYPE, "targets": Collection(TARGET)}
)
B2B_SETTING = Complex(
    "crossTenantAccessPolicyB2BSetting",
    {"usersAndGroups": TARGET_CONFIGURATION, "applications": TARGET_CONFIGURATION},
)
DEVICES_FILTER = Complex("devicesFilter", {"mode": ACCESS_TYPE, "rule": STRING})
TENANT_RESTRICTIONS = Complex(
    "crossTenantAccessPolicyTenantRestrictions",
    {"usersAndGroups": TARGET_CONFIGURATION, "applications": TARGET_CONFIGURATION, "devices": DEVICES_FILTER},
)
INBOUND_TRUST = Complex(
    "crossTenantAccessPolicyInboundTrust",
    {"isMfaAccepted": BOOLEAN, "isCompliantDeviceAccepted": BOOLEAN, "isHybridAzureADJoinedDeviceAccepted": BOOLEAN},
)
INBOUND_OUTBOUND = Complex("inboundOutboundPolicyConfiguration", {"inboundAllowed": BOOLEAN, "outboundAllowed": BOOLEAN})
APP_SERVICE_CONNECT = Complex(
    "crossTenantAccessPolicyAppServiceConnectSetting", {"applications": TARGET_CONFIGURATION}
)
M365_INBOUND = Complex("crossTenantAccessPolicyM365CollaborationInboundSetting", {"users": TARGET_CONFIGURATION})
M365_OUTBOUND = Complex(
    "crossTenantAccessPolicyM365CollaborationOutboundSetting", {"usersAndGroups": TARGET_CONFIGURATION}
)
# Not in graph-reference/TYPES.md: from the v1.0 resource page of the type (learn.microsoft.com,
# defaultinvitationredemptionidentityproviderconfiguration); the enum members are b2bIdentityProvidersType's.
B2B_IDENTITY_PROVIDER = Enum(frozenset({
    "azureActiveDirectory", "externalFederation", "socialIdentityProviders", "emailOneTimePasscode",
    "microsoftAccount", "defaultConfiguredIdp", "unknownFutureValue",
}))
INVITATION_REDEMPTION = Complex(
    "defaultInvitationRedemptionIdentityProviderConfiguration",
    {"primaryIdentityProviderPrecedenceOrder": Collection(B2B_IDENTITY_PROVIDER),
     "fallbackIdentityProvider": B2B_IDENTITY_PROVIDER},
)

# The settings a partner and the default share.
_SETTINGS: dict[str, Shape] = {
    "inboundTrust": INBOUND_TRUST,
    "automaticUserConsentSettings": INBOUND_OUTBOUND,
    "b2bCollaborationInbound": B2B_SETTING,
    "b2bCollaborationOutbound": B2B_SETTING,
    "b2bDirectConnectInbound": B2B_SETTING,
    "b2bDirectConnectOutbound": B2B_SETTING,
    "tenantRestrictions": TENANT_RESTRICTIONS,
    "m365CollaborationInbound": M365_INBOUND,
    "m365CollaborationOutbound": M365_OUTBOUND,
    "appServiceConnectInbound": APP_SERVICE_CONNECT,
}

POLICY = Complex("crossTenantAccessPolicy", {"displayName": STRING, "allowedCloudEndpoints": Collection(STRING)})

DEFAULT = Complex(
    "crossTenantAccessPolicyConfigurationDefault",
    {**_SETTINGS, "invitationRedemptionIdentityProviderConfiguration": INVITATION_REDEMPTION,
     "isServiceDefault": BOOLEAN},
    read_only=frozenset({"isServiceDefault"}),
)

PARTNER = Complex(
    "crossTenantAccessPolicyConfigurationPartner",
    {**_SETTINGS, "tenantId": STRING, "isServiceProvider": BOOLEAN, "isInMultiTenantOrganization": BOOLEAN},
    # tenantId is the key: set on create only.
    read_only=frozenset({"tenantId", "isInMultiTenantOrganization"}),
)
# The partner's settable top-level properties, in the order GET shows them (partners-get example).
PARTNER_PROPERTY_ORDER = (
    "tenantId", "isServiceProvider", "inboundTrust", "isInMultiTenantOrganization", "automaticUserConsentSettings",
    "b2bCollaborationInbound", "b2bCollaborationOutbound", "b2bDirectConnectOutbound", "b2bDirectConnectInbound",
    "tenantRestrictions", "m365CollaborationInbound", "m365CollaborationOutbound", "appServiceConnectInbound",
)

USER_SYNC_INBOUND = Complex("crossTenantUserSyncInbound", {"isSyncAllowed": BOOLEAN})
IDENTITY_SYNC = Complex(
    "crossTenantIdentitySyncPolicyPartner",
    {"tenantId": STRING, "displayName": STRING, "userSyncInbound": USER_SYNC_INBOUND},
    read_only=frozenset({"tenantId"}),
)

# Documented values of allowedCloudEndpoints (ENDPOINTS §1.1); other values are refused (inferred).
ALLOWED_CLOUD_ENDPOINTS = frozenset({"microsoftonline.com", "microsoftonline.us", "partner.microsoftonline.cn"})


# The service default (ENDPOINTS §1.2 from the default-get example). automaticUserConsentSettings is
# "always false and can't be updated in the default configuration" (resource page); the doc example
# is truncated, so the settings it does not show (tenantRestrictions, m365*, ...) are left out (uncertain).
SERVICE_DEFAULT: dict[str, Any] = {
    "isServiceDefault": True,
    "inboundTrust": {"isMfaAccepted": False, "isCompliantDeviceAccepted": False,
                     "isHybridAzureADJoinedDeviceAccepted": False},
    **{
        name: {
            "usersAndGroups": {"accessType": access, "targets": [{"target": "AllUsers", "targetType": "user"}]},
            "applications": {"accessType": access,
                             "targets": [{"target": "AllApplications", "targetType": "application"}]},
        }
        for name, access in (("b2bCollaborationOutbound", "allowed"), ("b2bCollaborationInbound", "allowed"),
                             ("b2bDirectConnectOutbound", "blocked"), ("b2bDirectConnectInbound", "blocked"))
    },
    "automaticUserConsentSettings": {"inboundAllowed": False, "outboundAllowed": False},
}

DEFAULT_POLICY: dict[str, Any] = {"displayName": "CrossTenantAccessPolicy", "allowedCloudEndpoints": []}


def complete_consent_settings(body: dict[str, Any]) -> None:
    """automaticUserConsentSettings always reads as an object of both flags (partners-get, cts-howto-*)."""
    value = body.get("automaticUserConsentSettings") or {}
    body["automaticUserConsentSettings"] = {"inboundAllowed": value.get("inboundAllowed"),
                                            "outboundAllowed": value.get("outboundAllowed")}


def new_partner(tenant_id: str) -> dict[str, Any]:
    """A partner with every setting unset: `null` means inherit from the default (partners-create)."""
    body: dict[str, Any] = {name: None for name in PARTNER_PROPERTY_ORDER}
    body["tenantId"] = tenant_id
    body["isInMultiTenantOrganization"] = False
    complete_consent_settings(body)
    return body
