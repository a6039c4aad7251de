"""The cross-tenant synchronization application template: what instantiating it and creating its
`Azure2Azure` job produce, and where those objects live in the store.

Shapes follow the documented examples (`cts-howto-instantiate`, `cts-howto-jobs-create`,
`cts-howto-schema-get`); the default schema comes from `data/azure2azure-schema.json` (its
provenance, and what is inferred in it, is in `data/README.md`).
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any

from reconciler.emulator.store import Store

TEMPLATE_ID = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"  # cross-tenant sync application template
JOB_TEMPLATE_ID = "Azure2Azure"
APP_ROLE_NAME = "msiam_access"
INTEGRATED_APP_TAG = "WindowsAzureActiveDirectoryIntegratedApp"
HOMEPAGE = (
    "https://account.activedirectory.windowsazure.com:444/applications/default.aspx"
    "?metadata=aad2aadsync|ISV9.1|primary|z"
)
NEVER = "0001-01-01T00:00:00Z"  # Graph's sentinel for "not yet" timestamps

# Store collections (per tenant). Sub-resources of a service principal are keyed "<spId>/<id>".
APPLICATIONS = "applications"
SERVICE_PRINCIPALS = "servicePrincipals"
APP_ROLE_ASSIGNMENTS = "appRoleAssignments"  # "<spId>/<assignmentId>"
SYNC_JOBS = "syncJobs"  # "<spId>/<jobId>"
SYNC_SCHEMAS = "syncSchemas"  # "<spId>/<jobId>"
SYNC_SECRETS = "syncSecrets"  # "<spId>" -> {"value": [{key, value}]}


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _oauth2_scope(display_name: str, scope_id: str) -> dict[str, Any]:
    return {
        "adminConsentDescription": f"Allow the application to access {display_name} on behalf of the signed-in user.",
        "adminConsentDisplayName": f"Access {display_name}",
        "id": scope_id,
        "isEnabled": True,
        "type": "User",
        "userConsentDescription": f"Allow the application to access {display_name} on your behalf.",
        "userConsentDisplayName": f"Access {display_name}",
        "value": "user_impersonation",
    }


def _msiam_access_role(role_id: str) -> dict[str, Any]:
    return {
        "allowedMemberTypes": ["User"],
        "displayName": APP_ROLE_NAME,
        "id": role_id,
        "isEnabled": True,
        "description": APP_ROLE_NAME,
        "value": None,
        "origin": "Application",
    }


def _info() -> dict[str, Any]:
    return {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None,
            "termsOfServiceUrl": None}


def _verified_publisher() -> dict[str, Any]:
    return {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


def new_configuration(tenant_id: str, display_name: str,
                      service_management_reference: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new (application, servicePrincipal) pair, as instantiate returns them."""
    app_id, role_id, scope_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    application = {
        "id": str(uuid.uuid4()),
        "appId": app_id,
        "applicationTemplateId": TEMPLATE_ID,
        "createdDateTime": utc_now(),
        "deletedDateTime": None,
        "displayName": display_name,
        "description": None,
        "groupMembershipClaims": None,
        "identifierUris": [],
        "isFallbackPublicClient": False,
        "notes": None,
        "serviceManagementReference": service_management_reference,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "defaultRedirectUri": None,
        "optionalClaims": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": None,
            "oauth2PermissionScopes": [_oauth2_scope(display_name, scope_id)],
            "preAuthorizedApplications": [],
        },
        "appRoles": [_msiam_access_role(role_id)],
        "info": _info(),
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": [],
        "verifiedPublisher": _verified_publisher(),
        "web": {"homePageUrl": HOMEPAGE, "redirectUris": [], "logoutUrl": None},
    }
    service_principal = {
        "id": str(uuid.uuid4()),
        "deletedDateTime": None,
        "accountEnabled": True,
        "appId": app_id,
        "applicationTemplateId": TEMPLATE_ID,
        "appDisplayName": display_name,
        "alternativeNames": [],
        "appOwnerOrganizationId": tenant_id,
        "description": None,
        "displayName": display_name,
        "appRoleAssignmentRequired": True,
        "loginUrl": None,
        "logoutUrl": None,
        "homepage": HOMEPAGE,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "tags": [INTEGRATED_APP_TAG],
        "tokenEncryptionKeyId": None,
        "samlSingleSignOnSettings": None,
        "addIns": [],
        "appRoles": [_msiam_access_role(role_id)],
        "info": _info(),
        "keyCredentials": [],
        "oauth2PermissionScopes": [_oauth2_scope(display_name, scope_id)],
        "passwordCredentials": [],
        "verifiedPublisher": _verified_publisher(),
    }
    return application, service_principal


def new_job_id(tenant_id: str) -> str:
    """`Azure2Azure.<tenant hex>.<random hex>`: the form job ids take in the field (inferred; the
    docs only show `{jobId}`)."""
    return f"{JOB_TEMPLATE_ID}.{uuid.UUID(tenant_id).hex}.{uuid.uuid4().hex}"


def new_job(job_id: str) -> dict[str, Any]:
    """A just-created Azure2Azure job: paused, schedule disabled (cts-howto-jobs-create)."""
    return {
        "id": job_id,
        "templateId": JOB_TEMPLATE_ID,
        "schedule": {"expiration": None, "interval": "PT40M", "state": "Disabled"},
        "status": {
            "countSuccessiveCompleteFailures": 0,
            "escrowsPruned": False,
            "code": "Paused",
            "lastExecution": None,
            "lastSuccessfulExecution": None,
            "lastSuccessfulExecutionWithExports": None,
            "quarantine": None,
            "steadyStateFirstAchievedTime": NEVER,
            "steadyStateLastAchievedTime": NEVER,
            "troubleshootingUrl": None,
            "progress": [],
            "synchronizedEntryCountByType": [],
        },
        "synchronizationJobSettings": [
            {"name": "AzureIngestionAttributeOptimization", "value": "False"},
            {"name": "LookaheadQueryEnabled", "value": "False"},
        ],
    }


def not_yet_run_execution() -> dict[str, Any]:
    """`lastExecution` of a started job before its first cycle (cts-howto-jobs-get): state
    `Failed` with sentinel times and error code `None` — not a real failure."""
    return {
        "activityIdentifier": None,
        "countEntitled": 0, "countEntitledForProvisioning": 0, "countEscrowed": 0, "countEscrowedRaw": 0,
        "countExported": 0, "countExports": 0, "countImported": 0, "countImportedDeltas": 0,
        "countImportedReferenceDeltas": 0,
        "state": "Failed",
        "timeBegan": NEVER,
        "timeEnded": NEVER,
        "error": {"code": "None", "message": "", "tenantActionable": False},
    }


@lru_cache(maxsize=None)
def _data(name: str) -> Any:
    text = resources.files("reconciler.emulator").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


def default_schema(job_id: str) -> dict[str, Any]:
    """The template's default cross-tenant schema, for a new job."""
    schema = copy.deepcopy(_data("azure2azure-schema.json"))
    schema["id"] = job_id
    for rule in schema["synchronizationRules"]:
        rule["id"] = uuid.uuid4().hex
    for directory in schema["directories"]:
        directory["id"] = uuid.uuid4().hex
    return schema


def template_schema() -> dict[str, Any]:
    """The schema as the template holds it (`…/templates/Azure2Azure/schema`)."""
    return default_schema(JOB_TEMPLATE_ID)


def functions() -> list[dict[str, Any]]:
    return copy.deepcopy(_data("functions.json"))


def filter_operators() -> list[dict[str, Any]]:
    return copy.deepcopy(_data("filter-operators.json"))


def synchronization_template(app_id: str) -> dict[str, Any]:
    """The one synchronization template a cross-tenant sync service principal offers. Only `id`
    is documented (`Azure2Azure`); the other values are the CSDL properties filled in plainly
    (inferred). The documented list example (templates-list) carries the schema inline."""
    return {
        "id": JOB_TEMPLATE_ID,
        "applicationId": app_id,
        "default": True,
        "description": None,
        "discoverable": True,
        "factoryTag": JOB_TEMPLATE_ID,
        "metadata": [],
        "schema": template_schema(),
    }


def purge_service_principal(store: Store, tenant_id: str, sp_id: str) -> None:
    """Delete a service principal with everything hanging off it: jobs, schemas, secrets, app
    role assignments."""
    prefix = f"{sp_id}/"
    for collection in (SYNC_JOBS, SYNC_SCHEMAS, APP_ROLE_ASSIGNMENTS):
        for obj in store.list(tenant_id, collection, prefix):
            store.delete(tenant_id, collection, prefix + obj["id"])
    store.delete(tenant_id, SYNC_SECRETS, sp_id)
    store.delete(tenant_id, SERVICE_PRINCIPALS, sp_id)
