"""`/policies/crossTenantAccessPolicy`: the policy root, the default configuration, partners and
their identitySynchronization (ENDPOINTS §1.1-§1.4, examples `policy-*`, `default-*`,
`partners-*`, `identitysync-*`, `cts-howto-*`).

Stored bodies are what GET returns (the store contract the sync routes read): collections
`policy`/`self`, `default`/`self`, `partners`/<tenantId>, `identitySync`/<tenantId>.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.emulator import access_shapes as shapes
from reconciler.emulator.context import EmulatorContext
from reconciler.emulator.control import knob
from reconciler.emulator.errors import GraphHTTPError, bad_request, json_body
from reconciler.emulator.paging import odata_context, page, select

READ = ("Policy.Read.All", "Policy.ReadWrite.CrossTenantAccess")
WRITE = ("Policy.ReadWrite.CrossTenantAccess",)

BASE = "/v1.0/policies/crossTenantAccessPolicy"
PARTNERS_CONTEXT = "policies/crossTenantAccessPolicy/partners"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Error choices, in one place. Marked ones are not documented (uncertain).
def partner_not_found(tenant_id: str) -> GraphHTTPError:
    # Uncertain: the docs do not show GET/PATCH/DELETE of an unknown partner.
    return GraphHTTPError(404, "Request_ResourceNotFound",
                          f"Resource '{tenant_id}' does not exist or one of its queried reference-property "
                          "objects are not present.")


def identity_sync_not_found() -> GraphHTTPError:
    # Documented for PATCH on a missing identitySynchronization (status not shown; 404 presumed).
    return GraphHTTPError(404, "Directory_ObjectNotFound", "Unable to read the company information from the directory.")


def partner_exists() -> GraphHTTPError:
    # Code and message documented; the status is presumed (ENDPOINTS §1.3).
    return GraphHTTPError(409, "Request_MultipleObjectsWithSameKeyValue",
                          "Another object with the same value for property tenantId already exists.")


def identity_sync_exists() -> GraphHTTPError:
    message = "A conflicting object with one or more of the specified property values is present in the directory."
    return GraphHTTPError(409, "Request_MultipleObjectsWithSameKeyValue", message,
                          details=[{"code": "ConflictingObjects", "message": message}])


def partner_delete_blocked() -> GraphHTTPError:
    # Uncertain: the docs say the identitySynchronization must be deleted first, not how a DELETE fails.
    return GraphHTTPError(400, "Request_BadRequest",
                          "The partner configuration cannot be deleted while its identitySynchronization exists. "
                          "Delete the identitySynchronization first.")


def method_not_allowed(method: str) -> GraphHTTPError:
    # 405 is documented for POST on identitySynchronization (FIELD-NOTES row 4); the body is not (uncertain).
    return GraphHTTPError(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed for this resource.")


def policy_too_large(limit: int) -> GraphHTTPError:
    # Documented: 400 when the policy would exceed 25 KB; the code and message are not (uncertain).
    return GraphHTTPError(400, "Request_BadRequest",
                          f"The cross-tenant access policy would exceed the maximum size of {limit} bytes.")




class CrossTenantAccess:
    def __init__(self, ctx: EmulatorContext):
        self.ctx = ctx
        self.store = ctx.store
        # Reads left per tenant during which a customised default still says isServiceDefault: true
        # (FIELD-NOTES row 8: it changes some time after a PATCH). Off unless the knob is set.
        self._stale_default_reads: dict[str, int] = {}

    # ----- the policy root
    async def policy(self, request: Request) -> Response:
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ)
            body = self.store.get(caller.tenant_id, "policy", "self") or dict(shapes.DEFAULT_POLICY)
            return JSONResponse({"@odata.context": odata_context(request, "policies/crossTenantAccessPolicy/$entity"),
                                 "@odata.type": "#microsoft.graph.crossTenantAccessPolicy", **body})
        if request.method == "PATCH":
            caller = self.ctx.authorize(request, *WRITE)
            changes = shapes.POLICY.check_object(await json_body(request))
            endpoints = changes.get("allowedCloudEndpoints", [])
            if endpoints is None or not set(endpoints) <= shapes.ALLOWED_CLOUD_ENDPOINTS:
                raise shapes.invalid_value("allowedCloudEndpoints", shapes.POLICY.type_name)
            body = {**(self.store.get(caller.tenant_id, "policy", "self") or shapes.DEFAULT_POLICY), **changes}
            limit = int(knob(self.ctx, "policy_size_limit"))
            if len(json.dumps(body, separators=(",", ":")).encode()) > limit:
                raise policy_too_large(limit)
            self.store.put(caller.tenant_id, "policy", "self", body)
            return Response(status_code=204)
        raise method_not_allowed(request.method)

    # ----- the default configuration
    async def default(self, request: Request) -> Response:
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ)
            body = self.store.get(caller.tenant_id, "default", "self") or copy.deepcopy(shapes.SERVICE_DEFAULT)
            if self._stale_default_reads.get(caller.tenant_id, 0) > 0:
                self._stale_default_reads[caller.tenant_id] -= 1
                body["isServiceDefault"] = True
            body = {"@odata.context": odata_context(request, "policies/crossTenantAccessPolicy/default/$entity"),
                    **body}
            return JSONResponse(select(request, body))
        if request.method == "PATCH":
            caller = self.ctx.authorize(request, *WRITE)
            changes = shapes.DEFAULT.check_object(await json_body(request))
            # Accepted and kept false: Graph does not let the default allow automatic redemption (FIELD-NOTES row 7).
            changes.pop("automaticUserConsentSettings", None)
            body = self.store.get(caller.tenant_id, "default", "self") or copy.deepcopy(shapes.SERVICE_DEFAULT)
            body.update(changes)
            body["isServiceDefault"] = False
            self.store.put(caller.tenant_id, "default", "self", body)
            self._stale_default_reads[caller.tenant_id] = int(knob(self.ctx, "service_default_stale_reads"))
            return Response(status_code=204)
        raise method_not_allowed(request.method)

    async def reset_default(self, request: Request) -> Response:
        if request.method != "POST":
            raise method_not_allowed(request.method)
        caller = self.ctx.authorize(request, *WRITE)
        self.store.put(caller.tenant_id, "default", "self", copy.deepcopy(shapes.SERVICE_DEFAULT))
        self._stale_default_reads.pop(caller.tenant_id, None)
        return Response(status_code=204)

    # ----- partners
    async def partners(self, request: Request) -> Response:
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ)
            if "$filter" in request.query_params:
                raise GraphHTTPError(400, "Request_UnsupportedQuery",
                                     "The emulator does not support $filter on partners.")
            items = [self._present(caller.tenant_id, p, request) for p in self.store.list(caller.tenant_id, "partners")]
            return JSONResponse(page(request, items, int(knob(self.ctx, "page_size")), context=PARTNERS_CONTEXT))
        if request.method == "POST":
            caller = self.ctx.authorize(request, *WRITE)
            payload = await json_body(request)
            changes = self._check_partner(payload, creating=True)
            partner_id = changes.get("tenantId")
            if not isinstance(partner_id, str) or not GUID.match(partner_id):
                raise bad_request("The property 'tenantId' is required and must be a tenant id (a GUID).")
            partner_id = partner_id.lower()
            if self.store.get(caller.tenant_id, "partners", partner_id) is not None:
                raise partner_exists()
            body = shapes.new_partner(partner_id)
            body.update(changes, tenantId=partner_id)
            shapes.complete_consent_settings(body)
            self.store.put(caller.tenant_id, "partners", partner_id, body)
            presented = self._present(caller.tenant_id, body, None)
            return JSONResponse(
                {"@odata.context": odata_context(request, f"{PARTNERS_CONTEXT}/$entity"), **presented},
                status_code=201,
            )
        raise method_not_allowed(request.method)

    async def partner(self, request: Request) -> Response:
        partner_id = request.path_params["tenant_id"].lower()
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ)
            body = self._require_partner(caller.tenant_id, partner_id)
            presented = self._present(caller.tenant_id, body, request)
            return JSONResponse({"@odata.context": odata_context(request, f"{PARTNERS_CONTEXT}/$entity"), **presented})
        if request.method == "PATCH":
            caller = self.ctx.authorize(request, *WRITE)
            body = self._require_partner(caller.tenant_id, partner_id)
            body.update(self._check_partner(await json_body(request), creating=False))
            shapes.complete_consent_settings(body)
            self.store.put(caller.tenant_id, "partners", partner_id, body)
            return Response(status_code=204)
        if request.method == "DELETE":
            caller = self.ctx.authorize(request, *WRITE)
            self._require_partner(caller.tenant_id, partner_id)
            if self.store.get(caller.tenant_id, "identitySync", partner_id) is not None:
                raise partner_delete_blocked()
            self.store.delete(caller.tenant_id, "partners", partner_id)
            return Response(status_code=204)
        raise method_not_allowed(request.method)

    # ----- identitySynchronization
    async def identity_sync(self, request: Request) -> Response:
        partner_id = request.path_params["tenant_id"].lower()
        if request.method == "GET":
            caller = self.ctx.authorize(request, *READ)
            body = self.store.get(caller.tenant_id, "identitySync", partner_id)
            if body is None:
                raise identity_sync_not_found()
            context = f"{PARTNERS_CONTEXT}('{partner_id}')/identitySynchronization/$entity"
            return JSONResponse(select(request, {"@odata.context": odata_context(request, context), **body}))
        if request.method == "PUT":
            caller = self.ctx.authorize(request, *WRITE)
            changes = self._check_identity_sync(await json_body(request), partner_id, creating=True)
            if self.store.get(caller.tenant_id, "partners", partner_id) is None:
                # Uncertain: the how-to always creates the partner first; what Graph does otherwise is not shown.
                raise identity_sync_not_found()
            if self.store.get(caller.tenant_id, "identitySync", partner_id) is not None:
                raise identity_sync_exists()
            body = {"tenantId": partner_id, "displayName": None, "userSyncInbound": None}
            body.update(changes, tenantId=partner_id)
            self.store.put(caller.tenant_id, "identitySync", partner_id, body)
            return Response(status_code=204)
        if request.method == "PATCH":
            caller = self.ctx.authorize(request, *WRITE)
            changes = self._check_identity_sync(await json_body(request), partner_id, creating=False)
            body = self.store.get(caller.tenant_id, "identitySync", partner_id)
            if body is None:
                raise identity_sync_not_found()
            body.update(changes)
            self.store.put(caller.tenant_id, "identitySync", partner_id, body)
            return Response(status_code=204)
        if request.method == "DELETE":
            caller = self.ctx.authorize(request, *WRITE)
            if not self.store.delete(caller.tenant_id, "identitySync", partner_id):
                raise identity_sync_not_found()
            return Response(status_code=204)
        raise method_not_allowed(request.method)

    # ----- helpers
    def _require_partner(self, tenant_id: str, partner_id: str) -> dict[str, Any]:
        body = self.store.get(tenant_id, "partners", partner_id)
        if body is None:
            raise partner_not_found(partner_id)
        return body

    def _extra_properties(self) -> dict[str, Any]:
        return dict(knob(self.ctx, "partner_extra_properties"))

    def _check_partner(self, payload: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        # Properties Graph returns beyond the CSDL (the extra-properties knob) are Graph's own: accepted as sent.
        extras = {k: payload.pop(k) for k in list(payload) if k in self._extra_properties()}
        allow = frozenset({"tenantId"}) if creating else frozenset()
        return {**shapes.PARTNER.check_object(payload, allow_read_only=allow), **extras}

    @staticmethod
    def _check_identity_sync(payload: dict[str, Any], partner_id: str, *, creating: bool) -> dict[str, Any]:
        if creating and str(payload.get("tenantId", partner_id)).lower() == partner_id:
            payload.pop("tenantId", None)  # naming the partner in the body of a PUT is harmless
        return shapes.IDENTITY_SYNC.check_object(payload)

    def _present(self, tenant_id: str, body: dict[str, Any], request: Request | None) -> dict[str, Any]:
        """A stored partner as GET returns it: plus the extra-properties knob, `$expand`, `$select`."""
        presented = {**body, **{k: v for k, v in self._extra_properties().items() if k not in body}}
        if request is None:
            return presented
        expand = {e.strip() for e in request.query_params.get("$expand", "").split(",") if e.strip()}
        if expand - {"identitySynchronization"}:
            raise bad_request(f"Parsing OData Select and Expand failed: Could not find a property named "
                              f"'{sorted(expand - {'identitySynchronization'})[0]}'.")
        if expand:
            presented["identitySynchronization"] = self.store.get(tenant_id, "identitySync", body["tenantId"])
        return select(request, presented, always=tuple(expand))


def routes(ctx: EmulatorContext) -> list[BaseRoute]:
    api = CrossTenantAccess(ctx)
    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [
        Route(BASE, api.policy, methods=every),
        Route(f"{BASE}/default", api.default, methods=every),
        Route(f"{BASE}/default/resetToSystemDefault", api.reset_default, methods=every),
        Route(f"{BASE}/partners", api.partners, methods=every),
        Route(f"{BASE}/partners/{{tenant_id}}", api.partner, methods=every),
        Route(f"{BASE}/partners/{{tenant_id}}/identitySynchronization", api.identity_sync, methods=every),
    ]
