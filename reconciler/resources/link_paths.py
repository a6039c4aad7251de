"""Graph paths of a cross-tenant sync configuration (ENDPOINTS.md §2, §2.1)."""

from __future__ import annotations

from reconciler.odata import literal

# The cross-tenant synchronization application template and its job template (configure-graph how-to).
APPLICATION_TEMPLATE_ID = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"
JOB_TEMPLATE_ID = "Azure2Azure"
# The app role users and groups are assigned with (instantiate response: the SP's only appRole).
ACCESS_ROLE_NAME = "msiam_access"

SERVICE_PRINCIPALS = "/servicePrincipals"
APPLICATIONS = "/applications"
INSTANTIATE = f"/applicationTemplates/{APPLICATION_TEMPLATE_ID}/instantiate"
# `applicationTemplateId eq` is default-filterable (directory-objects-filter table; using it to list
# cross-tenant sync configurations is inferred, ENDPOINTS.md §2.1).
CONFIGURATIONS_FILTER = f"applicationTemplateId eq '{APPLICATION_TEMPLATE_ID}'"


def service_principal(sp_id: str) -> str:
    return f"{SERVICE_PRINCIPALS}/{sp_id}"


def application(app_object_id: str) -> str:
    return f"{APPLICATIONS}/{app_object_id}"


def app_id_filter(app_id: str) -> str:
    return f"appId eq {literal(app_id)}"


def jobs(sp_id: str) -> str:
    return f"{service_principal(sp_id)}/synchronization/jobs"


def job(sp_id: str, job_id: str) -> str:
    return f"{jobs(sp_id)}/{job_id}"


def validate_credentials(sp_id: str) -> str:
    return f"{jobs(sp_id)}/validateCredentials"


def schema(sp_id: str, job_id: str) -> str:
    return f"{job(sp_id, job_id)}/schema"


def start(sp_id: str, job_id: str) -> str:
    return f"{job(sp_id, job_id)}/start"


def pause(sp_id: str, job_id: str) -> str:
    return f"{job(sp_id, job_id)}/pause"


def secrets(sp_id: str) -> str:
    return f"{service_principal(sp_id)}/synchronization/secrets"


def assignments(sp_id: str) -> str:
    return f"{service_principal(sp_id)}/appRoleAssignedTo"


def assignment(sp_id: str, assignment_id: str) -> str:
    return f"{assignments(sp_id)}/{assignment_id}"
