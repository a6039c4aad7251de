"""Graph paths and property sets of the cross-tenant access policy (ENDPOINTS.md §1, TYPES.md)."""

POLICY = "/policies/crossTenantAccessPolicy"
DEFAULT = f"{POLICY}/default"
PARTNERS = f"{POLICY}/partners"


def partner(tenant_id: str) -> str:
    return f"{PARTNERS}/{tenant_id}"


def identity_sync(tenant_id: str) -> str:
    return f"{PARTNERS}/{tenant_id}/identitySynchronization"


# Settings crosstenant knows (v1.0 CSDL, 2026-08-20). A live property outside these sets is
# kept untouched and reported as an unmanaged field (FIELD-NOTES row 18).
_SHARED_SETTINGS = frozenset({
    "appServiceConnectInbound", "automaticUserConsentSettings", "b2bCollaborationInbound",
    "b2bCollaborationOutbound", "b2bDirectConnectInbound", "b2bDirectConnectOutbound",
    "inboundTrust", "m365CollaborationInbound", "m365CollaborationOutbound", "tenantRestrictions",
})
PARTNER_PROPERTIES = _SHARED_SETTINGS | {"tenantId", "isInMultiTenantOrganization", "isServiceProvider"}
DEFAULT_PROPERTIES = _SHARED_SETTINGS | {
    "id", "isServiceDefault", "invitationRedemptionIdentityProviderConfiguration",
}
POLICY_PROPERTIES = frozenset({"id", "displayName", "description", "allowedCloudEndpoints",
                               "definition", "isOrganizationDefault", "deletedDateTime"})
IDENTITY_SYNC_PROPERTIES = frozenset({"tenantId", "displayName", "userSyncInbound"})
