"""Applications and service principals in the source tenant: instantiating the cross-tenant sync
template, finding, patching and deleting the pair, and the app role assignments that put users
and groups in a configuration's scope (ENDPOINTS §2, §2.1, §4.5; examples `cts-howto-instantiate`,
`serviceprincipal-*`, `serviceprincipals-*`, `application-delete`, `*approleassignedto-create`).

Also the control route for replication lag: `POST /_emulator/replication {"lagRequests": N}`.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.emulator import crosstenant_template as cts
from reconciler.emulator.access_shapes import invalid_property, invalid_value, read_only_property
from reconciler.emulator.context import Caller, EmulatorContext
from reconciler.emulator.errors import GraphHTTPError, bad_request, json_body
from reconciler.emulator.odata_filter import FilterSupport, filter_items, is_advanced_query, select
from reconciler.emulator.paging import odata_context, page
from reconciler.emulator.replication import lag, not_yet_replicated

# Permissions (ENDPOINTS §0). The Directory.* ones are Graph's usual higher-privileged options.
INSTANTIATE = ("Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.ReadWrite.All")
READ_APPS = ("Application.Read.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All",
             "Directory.Read.All", "Directory.ReadWrite.All")
WRITE_APPS = ("Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.ReadWrite.All")
READ_ASSIGNMENTS = ("Application.Read.All", "Directory.Read.All", "AppRoleAssignment.ReadWrite.All",
                    "Application.ReadWrite.All", "Directory.ReadWrite.All")
WRITE_ASSIGNMENTS = ("AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "Directory.ReadWrite.All")

# `$filter` support without advanced query parameters, per ENDPOINTS §4.5.
_EQ, _EQ_SW, _ANY = frozenset({"eq"}), frozenset({"eq", "startsWith"}), frozenset({"any"})
SERVICE_PRINCIPAL_FILTERS = FilterSupport(
    resource="ServicePrincipal",
    default={"id": _EQ, "tags": _ANY, "displayName": _EQ_SW, "appId": _EQ, "applicationTemplateId": _EQ,
             "servicePrincipalType": _EQ, "accountEnabled": _EQ, "appDisplayName": _EQ_SW},
    advanced={"notes": _EQ_SW, "description": _EQ_SW, "appRoleAssignmentRequired": _EQ,
              "appOwnerOrganizationId": _EQ},
)
APPLICATION_FILTERS = FilterSupport(
    resource="Application",
    default={"id": _EQ, "tags": _ANY, "displayName": _EQ_SW, "appId": _EQ, "applicationTemplateId": _EQ},
    advanced={"notes": _EQ_SW, "description": _EQ_SW, "serviceManagementReference": _EQ},
)

# What PATCH may set (v1.0 update pages; `notes` is a CSDL property the SP update page does not
# list: settable, inferred). Everything else that exists is read-only; anything unknown is a 400.
# Each value: the JSON type check for it.
_STRINGS = ("list of strings", lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v))
_STRING = ("string", lambda v: v is None or isinstance(v, str))
_BOOL = ("boolean", lambda v: isinstance(v, bool))
_ANYTHING = ("value", lambda v: True)
SP_UPDATABLE: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "accountEnabled": _BOOL, "appRoleAssignmentRequired": _BOOL, "tags": _STRINGS, "notes": _STRING,
    "displayName": _STRING, "description": _STRING, "notificationEmailAddresses": _STRINGS,
    "loginUrl": _STRING, "logoutUrl": _STRING, "homepage": _STRING, "preferredSingleSignOnMode": _STRING,
    "replyUrls": _STRINGS, "alternativeNames": _STRINGS, "servicePrincipalNames": _STRINGS,
    "appRoles": _ANYTHING, "info": _ANYTHING, "samlSingleSignOnSettings": _ANYTHING, "keyCredentials": _ANYTHING,
}
APP_UPDATABLE: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "displayName": _STRING, "description": _STRING, "notes": _STRING, "tags": _STRINGS,
    "serviceManagementReference": _STRING, "identifierUris": _STRINGS, "signInAudience": _STRING,
    "groupMembershipClaims": _STRING, "isFallbackPublicClient": _BOOL, "appRoles": _ANYTHING, "api": _ANYTHING,
    "info": _ANYTHING, "web": _ANYTHING, "publicClient": _ANYTHING, "requiredResourceAccess": _ANYTHING,
    "optionalClaims": _ANYTHING, "parentalControlSettings": _ANYTHING, "keyCredentials": _ANYTHING,
}
NOTES_MAX = 1024  # servicePrincipal.notes / application.notes


# -- error choices, in one place --------------------------------------------------------------

def not_found(obj_id: str) -> GraphHTTPError:
    return GraphHTTPError(404, "Request_ResourceNotFound",
                          f"Resource '{obj_id}' does not exist or one of its queried reference-property objects "
                          "are not present.")


def template_not_found(template_id: str) -> GraphHTTPError:
    # Uncertain: the emulator knows only the cross-tenant sync template; the code Graph gives for
    # an unknown template id is not documented.
    return GraphHTTPError(404, "Request_ResourceNotFound", f"Application template '{template_id}' was not found.")


def assignment_exists() -> GraphHTTPError:
    # Graph's answer to a duplicate app role assignment in the field is 400 with this message
    # (not in the reference; uncertain).
    return GraphHTTPError(400, "Request_BadRequest", "Permission being assigned already exists on the object")


def role_not_found(app_id: str) -> GraphHTTPError:
    # Field wording for an appRoleId the resource does not define (uncertain).
    return GraphHTTPError(400, "Request_BadRequest", f"Permission being assigned was not found on application '{app_id}'.")


def principal_not_found(principal_id: str) -> GraphHTTPError:
    # The brief asks for 400; wording is the emulator's (uncertain).
    return GraphHTTPError(400, "Request_BadRequest",
                          f"The principal '{principal_id}' is not a user, group or service principal in this tenant.")


# -- shared helpers ---------------------------------------------------------------------------



def service_principal(ctx: EmulatorContext, request: Request, tenant_id: str, sp_id: str) -> dict[str, Any]:
    """The caller's service principal `sp_id`, or the 404 Graph gives (missing, or not replicated yet)."""
    body = ctx.store.get(tenant_id, cts.SERVICE_PRINCIPALS, sp_id)
    if body is None:
        raise not_found(sp_id)
    if not lag(ctx).visible(request, tenant_id, body["id"]):
        raise not_yet_replicated(sp_id)
    return body


def _visible(ctx: EmulatorContext, request: Request, tenant_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    replication = lag(ctx)
    return [item for item in items if replication.visible(request, tenant_id, item["id"])]


def listing(request: Request, items: list[dict[str, Any]], support: FilterSupport, context: str,
            visible: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = lambda items: items,
            project: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> JSONResponse:
    """A filtered, replication-aware, projected, paged directory collection."""
    matched = visible(filter_items(request, items, support))
    body = page(request, [select(item, request, project) for item in matched], context=context)
    if is_advanced_query(request):
        # `$count=true` without ConsistencyLevel is silently ignored (ENDPOINTS §4.5).
        body = {"@odata.context": body["@odata.context"], "@odata.count": len(matched),
                **{k: v for k, v in body.items() if k != "@odata.context"}}
    return JSONResponse(body)


def apply_patch(body: dict[str, Any], patch: dict[str, Any], updatable: dict[str, tuple[str, Callable[[Any], bool]]],
                type_name: str) -> None:
    """Top-level properties are replaced whole; collections replace the list (ENDPOINTS §2.1, inferred)."""
    for name, value in patch.items():
        if name.startswith("@odata."):
            continue
        if name not in updatable:
            raise read_only_property(name) if name in body else invalid_property(name)
        _, valid = updatable[name]
        if not valid(value):
            raise invalid_value(name, type_name)
        if name == "notes" and isinstance(value, str) and len(value) > NOTES_MAX:
            raise invalid_value(name, type_name)
    body.update({k: v for k, v in patch.items() if not k.startswith("@odata.")})


def _now_precise() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _assignment_id(principal_id: str) -> str:
    """Opaque base64url id; Graph's start with the principal's GUID bytes (seen in the docs'
    example), the rest is the emulator's."""
    raw = uuid.UUID(principal_id).bytes_le + uuid.uuid4().bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- routes -----------------------------------------------------------------------------------

class ApplicationRoutes:
    def __init__(self, ctx: EmulatorContext):
        self.ctx = ctx
        self.store = ctx.store

    # instantiate
    async def instantiate(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *INSTANTIATE)
        template_id = request.path_params["template_id"]
        if template_id.lower() != cts.TEMPLATE_ID:
            raise template_not_found(template_id)
        payload = await json_body(request)
        for name in payload:
            if name not in ("displayName", "serviceManagementReference"):
                raise invalid_property(name)
        name = payload.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("The 'displayName' parameter is required and must be a non-empty string.")
        reference = payload.get("serviceManagementReference")
        if reference is not None and not isinstance(reference, str):
            raise invalid_value("serviceManagementReference", "applicationTemplate")
        application, sp = cts.new_configuration(caller.tenant_id, name, reference)
        self.store.put(caller.tenant_id, cts.APPLICATIONS, application["id"], application)
        self.store.put(caller.tenant_id, cts.SERVICE_PRINCIPALS, sp["id"], sp)
        lag(self.ctx).created(caller.tenant_id, application["id"], sp["id"])
        body = {"@odata.context": odata_context(request, "microsoft.graph.applicationServicePrincipal"),
                "application": application, "servicePrincipal": sp}
        return JSONResponse(body, status_code=201)

    # service principals
    async def service_principals(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *READ_APPS)
        items = self.store.list(caller.tenant_id, cts.SERVICE_PRINCIPALS)
        return listing(request, items, SERVICE_PRINCIPAL_FILTERS, "servicePrincipals",
                       visible=lambda found: _visible(self.ctx, request, caller.tenant_id, found))

    async def service_principal_count(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *READ_APPS)
        if request.headers.get("consistencylevel", "").lower() != "eventual":
            raise bad_request("$count is not currently supported.")
        items = _visible(self.ctx, request, caller.tenant_id, self.store.list(caller.tenant_id, cts.SERVICE_PRINCIPALS))
        return PlainTextResponse(str(len(items)))

    def _sp_by_path(self, request: Request, caller: Caller) -> dict[str, Any]:
        if "app_id" in request.path_params:
            app_id = _unquote(request.path_params["app_id"])
            for sp in self.store.list(caller.tenant_id, cts.SERVICE_PRINCIPALS):
                if sp.get("appId", "").lower() == app_id.lower():
                    return service_principal(self.ctx, request, caller.tenant_id, sp["id"])
            raise not_found(app_id)
        return service_principal(self.ctx, request, caller.tenant_id, request.path_params["sp_id"])

    async def service_principal_item(self, request: Request) -> Response:
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ_APPS)
            sp = self._sp_by_path(request, caller)
            return JSONResponse({"@odata.context": odata_context(request, "servicePrincipals/$entity"),
                                 **select(sp, request)})
        caller = self.ctx.authorize(request, *WRITE_APPS)
        sp = self._sp_by_path(request, caller)
        if request.method == "PATCH":
            apply_patch(sp, await json_body(request), SP_UPDATABLE, "ServicePrincipal")
            self.store.put(caller.tenant_id, cts.SERVICE_PRINCIPALS, sp["id"], sp)
        else:
            cts.purge_service_principal(self.store, caller.tenant_id, sp["id"])
        return Response(status_code=204)

    # applications
    async def applications(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *READ_APPS)
        items = self.store.list(caller.tenant_id, cts.APPLICATIONS)
        return listing(request, items, APPLICATION_FILTERS, "applications",
                       visible=lambda found: _visible(self.ctx, request, caller.tenant_id, found))

    def _application(self, request: Request, caller: Caller) -> dict[str, Any]:
        app_id = request.path_params["app_id"]
        body = self.store.get(caller.tenant_id, cts.APPLICATIONS, app_id)
        if body is None:
            raise not_found(app_id)
        if not lag(self.ctx).visible(request, caller.tenant_id, body["id"]):
            raise not_yet_replicated(app_id)
        return body

    async def application_item(self, request: Request) -> Response:
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ_APPS)
            app = self._application(request, caller)
            return JSONResponse({"@odata.context": odata_context(request, "applications/$entity"),
                                 **select(app, request)})
        caller = self.ctx.authorize(request, *WRITE_APPS)
        app = self._application(request, caller)
        if request.method == "PATCH":
            apply_patch(app, await json_body(request), APP_UPDATABLE, "Application")
            self.store.put(caller.tenant_id, cts.APPLICATIONS, app["id"], app)
            return Response(status_code=204)
        # Deleting the application also deletes its home-tenant service principal (§2.1).
        for sp in self.store.list(caller.tenant_id, cts.SERVICE_PRINCIPALS):
            if sp.get("appId") == app["appId"]:
                cts.purge_service_principal(self.store, caller.tenant_id, sp["id"])
                lag(self.ctx).forget(caller.tenant_id, sp["id"])
        self.store.delete(caller.tenant_id, cts.APPLICATIONS, app["id"])
        lag(self.ctx).forget(caller.tenant_id, app["id"])
        return Response(status_code=204)

    # app role assignments
    async def assignments(self, request: Request) -> Response:
        sp_id = request.path_params["sp_id"]
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ_ASSIGNMENTS)
            sp = service_principal(self.ctx, request, caller.tenant_id, sp_id)
            items = self.store.list(caller.tenant_id, cts.APP_ROLE_ASSIGNMENTS, f"{sp['id']}/")
            return JSONResponse(page(request, [select(item, request) for item in items],
                                     context=f"servicePrincipals('{sp['id']}')/appRoleAssignedTo"))
        caller = self.ctx.authorize(request, *WRITE_ASSIGNMENTS)
        sp = service_principal(self.ctx, request, caller.tenant_id, sp_id)
        assignment = self._new_assignment(caller, sp, await json_body(request))
        self.store.put(caller.tenant_id, cts.APP_ROLE_ASSIGNMENTS, f"{sp['id']}/{assignment['id']}", assignment)
        context = odata_context(request, f"servicePrincipals('{sp['id']}')/appRoleAssignedTo/$entity")
        return JSONResponse({"@odata.context": context, **assignment}, status_code=201)

    def _new_assignment(self, caller: Caller, sp: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        for name in payload:
            if name not in ("principalId", "resourceId", "appRoleId", "principalType", "principalDisplayName",
                            "resourceDisplayName") and not name.startswith("@odata."):
                raise invalid_property(name)
        principal_id, resource_id, role_id = (payload.get(k) for k in ("principalId", "resourceId", "appRoleId"))
        for name, value in (("principalId", principal_id), ("resourceId", resource_id), ("appRoleId", role_id)):
            if not isinstance(value, str) or not _is_guid(value):
                raise invalid_value(name, "AppRoleAssignment")
        if resource_id.lower() != sp["id"].lower():
            raise bad_request(f"The resourceId '{resource_id}' does not match the service principal in the URL.")
        principal, principal_type = self._principal(caller.tenant_id, principal_id)
        role = next((r for r in sp.get("appRoles", []) if r.get("id", "").lower() == role_id.lower()
                     and r.get("isEnabled", True)), None)
        member_type = "Application" if principal_type == "ServicePrincipal" else "User"
        if role is None or member_type not in role.get("allowedMemberTypes", []):
            raise role_not_found(sp["appId"])
        for existing in self.store.list(caller.tenant_id, cts.APP_ROLE_ASSIGNMENTS, f"{sp['id']}/"):
            if existing["principalId"].lower() == principal_id.lower() and existing["appRoleId"] == role["id"]:
                raise assignment_exists()
        return {
            "id": _assignment_id(principal["id"]),
            "deletedDateTime": None,
            "appRoleId": role["id"],
            "createdDateTime": _now_precise(),
            "principalDisplayName": principal.get("displayName"),
            "principalId": principal["id"],
            "principalType": principal_type,
            "resourceDisplayName": sp.get("displayName"),
            "resourceId": sp["id"],
        }

    def _principal(self, tenant_id: str, principal_id: str) -> tuple[dict[str, Any], str]:
        for collection, principal_type in (("users", "User"), ("groups", "Group"),
                                           (cts.SERVICE_PRINCIPALS, "ServicePrincipal")):
            found = self.store.get(tenant_id, collection, principal_id)
            if found is not None:
                return found, principal_type
        raise principal_not_found(principal_id)

    async def assignment_item(self, request: Request) -> Response:
        sp_id, assignment_id = request.path_params["sp_id"], request.path_params["assignment_id"]
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ_ASSIGNMENTS)
        else:
            caller = self.ctx.authorize(request, *WRITE_ASSIGNMENTS)
        sp = service_principal(self.ctx, request, caller.tenant_id, sp_id)
        key = f"{sp['id']}/{assignment_id}"
        found = self.store.get(caller.tenant_id, cts.APP_ROLE_ASSIGNMENTS, key)
        if found is None or found["id"] != assignment_id:  # ids are case-sensitive; store keys are not
            raise not_found(assignment_id)
        if request.method == "GET":
            return JSONResponse({"@odata.context": odata_context(
                request, f"servicePrincipals('{sp['id']}')/appRoleAssignedTo/$entity"), **select(found, request)})
        self.store.delete(caller.tenant_id, cts.APP_ROLE_ASSIGNMENTS, key)
        return Response(status_code=204)

    # control
    async def replication_knob(self, request: Request) -> Response:
        replication = lag(self.ctx)
        if request.method == "POST":
            payload = await json_body(request)
            value = payload.get("lagRequests")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad_request("lagRequests must be a non-negative integer (0 turns replication lag off).")
            replication.configure(value)
        return JSONResponse({"lagRequests": replication.lag_requests})


def _unquote(value: str) -> str:
    """`'abc'` → `abc` (OData key literal in the URL, quotes doubled inside)."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def routes(ctx: EmulatorContext) -> list[BaseRoute]:
    r = ApplicationRoutes(ctx)
    return [
        Route("/v1.0/applicationTemplates/{template_id}/instantiate", r.instantiate, methods=["POST"]),
        Route("/v1.0/applications", r.applications, methods=["GET"]),
        Route("/v1.0/applications/{app_id}", r.application_item, methods=["GET", "PATCH", "DELETE"]),
        Route("/v1.0/servicePrincipals", r.service_principals, methods=["GET"]),
        Route("/v1.0/servicePrincipals/$count", r.service_principal_count, methods=["GET"]),
        Route("/v1.0/servicePrincipals(appId={app_id})", r.service_principal_item, methods=["GET", "PATCH", "DELETE"]),
        Route("/v1.0/servicePrincipals/{sp_id}", r.service_principal_item, methods=["GET", "PATCH", "DELETE"]),
        Route("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo", r.assignments, methods=["GET", "POST"]),
        Route("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}", r.assignment_item,
              methods=["GET", "DELETE"]),
    ]


def control_routes(ctx: EmulatorContext) -> list[BaseRoute]:
    r = ApplicationRoutes(ctx)
    return [Route("/_emulator/replication", r.replication_knob, methods=["GET", "POST"])]
