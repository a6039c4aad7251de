"""`/servicePrincipals/{id}/synchronization`: templates, jobs and their actions, secrets, schema,
and the credential check that stands for the portal's *test connection* (ENDPOINTS §2, §2.2,
§3.1, §3.3; examples `cts-howto-jobs-*`, `jobs-*`, `cts-howto-secrets-put`, `secrets-*`,
`cts-howto-schema-get`, `schema-*`, `cts-howto-validatecredentials`).

The provisioning engine (sync cycles) is a later piece: `on_job_started` is its seam.
Control route: `POST /_emulator/synchronization` `{"maskAllSecrets": bool}` and
`POST /_emulator/synchronization/quarantine` to put a job into quarantine.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.emulator import crosstenant_template as cts
from reconciler.emulator.context import Caller, EmulatorContext
from reconciler.emulator.errors import GraphHTTPError, bad_request, json_body
from reconciler.emulator.expression_syntax import parse_response
from reconciler.emulator.paging import odata_context
from reconciler.emulator.routes.applications import service_principal

# Permissions (ENDPOINTS §0; the 2023 pages list Synchronization.* and Application.ReadWrite.OwnedBy;
# Application.ReadWrite.All / Directory.ReadWrite.All are the how-to's consent set — accepting them
# is inferred from that how-to working with them).
READ = ("Synchronization.Read.All", "Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy",
        "Application.ReadWrite.All", "Directory.ReadWrite.All")
WRITE = ("Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All",
         "Directory.ReadWrite.All")

KNOB = "synchronization"  # ctx.knobs["synchronization"] = {"maskAllSecrets": bool}

# Secret masking on GET (ENDPOINTS §2.2). Documented: credentials (e.g. `Password`) come back as
# "*", settings (`Domain`, `UserName`, `SyncNotificationSettings`) in clear. UNCERTAIN: whether
# Azure2Azure's `CompanyId`, `AuthenticationType`, `SyncAll` are masked is not documented; the
# emulator returns them in clear, and masks only these credential-type keys. The control knob
# `maskAllSecrets` masks every value, to exercise clients against the other reading.
MASKED_SECRET_KEYS = frozenset({
    "Password", "SecretToken", "AppKey", "ClientSecret", "ConsumerSecret", "TokenKey", "Oauth2AccessToken",
    "Oauth2RefreshToken", "Oauth2ClientSecret", "Oauth2AuthorizationCode", "ConnectionString",
})
MASK = "*"

# synchronizationSecret enum names (TYPES.md); a key outside it is a 400.
SECRET_KEYS = frozenset({
    "None", "UserName", "Password", "SecretToken", "AppKey", "BaseAddress", "ClientIdentifier", "ClientSecret",
    "SingleSignOnType", "Sandbox", "Url", "Domain", "ConsumerKey", "ConsumerSecret", "TokenKey", "TokenExpiration",
    "Oauth2AccessToken", "Oauth2AccessTokenCreationTime", "Oauth2RefreshToken", "SyncAll", "InstanceName",
    "Oauth2ClientId", "Oauth2ClientSecret", "CompanyId", "UpdateKeyOnSoftDelete", "SynchronizationSchedule",
    "SystemOfRecord", "SandboxName", "EnforceDomain", "SyncNotificationSettings", "SkipOutOfScopeDeletions",
    "Oauth2AuthorizationCode", "Oauth2RedirectUri", "ApplicationTemplateIdentifier", "Oauth2TokenExchangeUri",
    "Oauth2AuthorizationUri", "AuthenticationType", "Server", "PerformInboundEntitlementGrants",
    "HardDeletesEnabled", "SyncAgentCompatibilityKey", "SyncAgentADContainer", "ValidateDomain", "TestReferences",
    "ConnectionString",
})

RESET_SCOPES = frozenset({"None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full",
                          "ForceDeletes"})
QUARANTINE_REASONS = frozenset({
    "EncounteredBaseEscrowThreshold", "EncounteredTotalEscrowThreshold", "EncounteredEscrowProportionThreshold",
    "EncounteredQuarantineException", "Unknown", "QuarantinedOnDemand", "TooManyDeletes", "IngestionInterrupted",
})
MATCHING_RULE = "USER_INBOUND_USER"  # the cross-tenant rule whose matching attribute is fixed


# -- error choices, in one place (codes marked uncertain are not documented) -------------------

# Of the two documented names (§3.3) the emulator answers the older one; clients must accept both.
POLICY_CHECK_FAILURE = "AzureDirectoryB2BManagementPolicyCheckFailure"


def policy_check_failed(message: str) -> GraphHTTPError:
    # The HTTP status and body of a failing validateCredentials are not documented (uncertain: 400).
    return GraphHTTPError(400, POLICY_CHECK_FAILURE, message)


def job_not_found(job_id: str) -> GraphHTTPError:
    # Uncertain: the sync API's code for an unknown job is not documented.
    return GraphHTTPError(404, "Request_ResourceNotFound", f"The synchronization job '{job_id}' was not found.")


def unknown_template(template_id: Any) -> GraphHTTPError:
    # Uncertain code and wording.
    return bad_request(f"The synchronization template '{template_id}' is not available for this service principal.")


def job_exists(template_id: str) -> GraphHTTPError:
    # Uncertain: the docs do not say whether a second job from the same template is refused; the
    # emulator refuses it so that a non-idempotent create shows up.
    return GraphHTTPError(409, "Conflict", f"A synchronization job for template '{template_id}' already exists.")


def schema_invalid(message: str) -> GraphHTTPError:
    # `schemaInvalid` is documented (§3.3); the status and wording are the emulator's reading.
    return GraphHTTPError(400, "schemaInvalid", message)


# -- the provisioning engine's seam -----------------------------------------------------------

def on_job_started(ctx: EmulatorContext, tenant_id: str, sp_id: str, job: dict[str, Any]) -> None:
    """Called after `start` and `restart` have set a job running. The provisioning engine (a
    later issue) hooks in here to run cycles; until then a started job stays `NotRun`."""


# -- validation -------------------------------------------------------------------------------

def _key_values(value: Any, what: str) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise bad_request(f"'{what}' must be a list of {{key, value}} pairs.")
    pairs: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"key", "value"} or not isinstance(item.get("key"), str):
            raise bad_request(f"Each entry of '{what}' must be an object with 'key' and 'value'.")
        if item["key"] not in SECRET_KEYS:
            raise bad_request(f"'{item['key']}' is not a valid synchronizationSecret key.")
        if item.get("value") is not None and not isinstance(item["value"], str):
            raise bad_request(f"The value of secret '{item['key']}' must be a string.")
        pairs.append({"key": item["key"], "value": item.get("value")})
    keys = [p["key"] for p in pairs]
    if len(keys) != len(set(keys)):
        raise bad_request(f"'{what}' lists a key more than once.")  # uncertain: Graph may keep the last
    return pairs


def _check_schema_shape(schema: Any) -> None:
    """A PUT body must be a synchronizationSchema: rules with object mappings with attribute
    mappings, each with a target name and a typed source."""
    if not isinstance(schema, dict) or not isinstance(schema.get("synchronizationRules"), list):
        raise bad_request("The schema must be an object with a 'synchronizationRules' list.")
    if not isinstance(schema.get("directories", []), list):
        raise bad_request("'directories' must be a list.")
    for rule in schema["synchronizationRules"]:
        if not isinstance(rule, dict) or not isinstance(rule.get("objectMappings", []), list):
            raise bad_request("Each synchronization rule must be an object with an 'objectMappings' list.")
        for mapping in rule.get("objectMappings", []):
            if not isinstance(mapping, dict) or not isinstance(mapping.get("attributeMappings") or [], list):
                raise bad_request("Each object mapping must be an object with an 'attributeMappings' list.")
            if mapping.get("scope") is not None and not isinstance(mapping["scope"], dict):
                raise bad_request("An object mapping's 'scope' must be a filter object.")
            for attribute in mapping.get("attributeMappings") or []:
                _check_attribute_mapping(attribute)


def _check_attribute_mapping(attribute: Any) -> None:
    if not isinstance(attribute, dict) or not isinstance(attribute.get("targetAttributeName"), str):
        raise bad_request("Each attribute mapping needs a 'targetAttributeName'.")
    source = attribute.get("source")
    if not isinstance(source, dict) or source.get("type") not in ("Attribute", "Constant", "Function"):
        raise bad_request(f"The mapping to '{attribute['targetAttributeName']}' needs a source of type "
                          "Attribute, Constant or Function.")
    priority = attribute.get("matchingPriority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise bad_request(f"'matchingPriority' of '{attribute['targetAttributeName']}' must be an integer.")


def _matching_attributes(schema: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str, str, int]]:
    """(rule name, object mapping name) → matching mapping, for every mapping with a matching
    priority; the source is compared by type, name (case-insensitive) and whitespace-free expression."""
    found: dict[tuple[str, str], tuple[str, str, str, int]] = {}
    for rule in schema.get("synchronizationRules", []):
        for mapping in rule.get("objectMappings", []) or []:
            for attribute in mapping.get("attributeMappings") or []:
                if attribute.get("matchingPriority", 0) > 0:
                    source = attribute.get("source") or {}
                    found[(rule.get("name") or "", f"{mapping.get('name')}|{attribute['targetAttributeName']}")] = (
                        source.get("type", ""), str(source.get("name") or "").lower(),
                        re.sub(r"\s+", "", source.get("expression") or ""), attribute["matchingPriority"])
    return found


def check_matching_unchanged(current: dict[str, Any], proposed: dict[str, Any]) -> None:
    """Cross-tenant sync fixes the matching attribute: changing it, removing it or adding another
    → `schemaInvalid` (ENDPOINTS §2 / §3.3; which edits exactly the service refuses is the
    emulator's reading — uncertain)."""
    before, after = _matching_attributes(current), _matching_attributes(proposed)
    if before == after:
        return
    added = sorted(k[1].split("|")[1] for k in after.keys() - before.keys())
    if added and not (before.keys() - after.keys()):
        raise schema_invalid(f"Adding matching attributes is not supported for cross-tenant synchronization "
                             f"(added: {', '.join(added)}).")
    raise schema_invalid("The matching attribute of the cross-tenant synchronization schema "
                         "(alternativeSecurityIds from AltSecIdFromNetId([netId])) cannot be changed.")


# -- the policy check behind validateCredentials ----------------------------------------------

def cross_tenant_policy_problem(ctx: EmulatorContext, source_tid: str, target_tid: str) -> tuple[str, str] | None:
    """Why syncing users from `source_tid` to `target_tid` would be refused, as (code, message);
    None when it is allowed. Documented (§2, §3.3): the source's partner entry for the target must
    allow outbound automatic redemption and the target's for the source inbound; the target must
    allow inbound user sync. That the last one is part of this same check is inferred (the 2026
    configure page says the details distinguish "source outbound" from "target inbound sync").
    Cross-cloud pairs fail as documented for configurations made without the cross-cloud option."""
    store = ctx.store
    source_org = store.get(source_tid, "organization", "self") or {}
    target_org = store.get(target_tid, "organization", "self")
    if target_org is None:
        return POLICY_CHECK_FAILURE, f"The target tenant '{target_tid}' was not found."
    if source_org.get("cloud", "global") != target_org.get("cloud", "global"):
        return "ExternalTenantNotFound", f"The target tenant '{target_tid}' was not found in this cloud."
    outbound = ((store.get(source_tid, "partners", target_tid) or {}).get("automaticUserConsentSettings") or {})
    if outbound.get("outboundAllowed") is not True:
        return POLICY_CHECK_FAILURE, ("Policy permitting auto-redemption of invitations not configured: the source "
                                      f"tenant does not allow outbound automatic redemption for '{target_tid}'.")
    inbound = ((store.get(target_tid, "partners", source_tid) or {}).get("automaticUserConsentSettings") or {})
    if inbound.get("inboundAllowed") is not True:
        return POLICY_CHECK_FAILURE, ("Policy permitting auto-redemption of invitations not configured: the target "
                                      f"tenant does not allow inbound automatic redemption for '{source_tid}'.")
    sync = (store.get(target_tid, "identitySync", source_tid) or {}).get("userSyncInbound") or {}
    if sync.get("isSyncAllowed") is not True:
        return POLICY_CHECK_FAILURE, (f"The target tenant does not allow inbound user synchronization from "
                                      f"'{source_tid}'.")
    return None


# -- routes -----------------------------------------------------------------------------------

class SynchronizationRoutes:
    def __init__(self, ctx: EmulatorContext):
        self.ctx = ctx
        self.store = ctx.store

    def _sp(self, request: Request, *roles: str) -> tuple[Caller, dict[str, Any]]:
        caller = self.ctx.authorize(request, *roles)
        return caller, service_principal(self.ctx, request, caller.tenant_id, request.path_params["sp_id"])

    def _job(self, caller: Caller, sp: dict[str, Any], job_id: str) -> dict[str, Any]:
        job = self.store.get(caller.tenant_id, cts.SYNC_JOBS, f"{sp['id']}/{job_id}")
        if job is None:
            raise job_not_found(job_id)
        return job

    def _offers_template(self, sp: dict[str, Any], template_id: Any) -> bool:
        return sp.get("applicationTemplateId") == cts.TEMPLATE_ID and template_id == cts.JOB_TEMPLATE_ID

    # templates
    async def templates(self, request: Request) -> Response:
        _, sp = self._sp(request, *READ)
        offered = [cts.synchronization_template(sp["appId"])] if sp.get("applicationTemplateId") == cts.TEMPLATE_ID else []
        return JSONResponse({"@odata.context": odata_context(
            request, f"servicePrincipals('{sp['id']}')/synchronization/templates"), "value": offered})

    async def template_schema(self, request: Request) -> Response:
        _, sp = self._sp(request, *READ)
        template_id = request.path_params["template_id"]
        if not self._offers_template(sp, template_id):
            raise GraphHTTPError(404, "Request_ResourceNotFound", f"The template '{template_id}' was not found.")
        return JSONResponse(cts.template_schema())

    # jobs
    async def jobs(self, request: Request) -> Response:
        if request.method == "GET":
            caller, sp = self._sp(request, *READ)
            items = self.store.list(caller.tenant_id, cts.SYNC_JOBS, f"{sp['id']}/")
            return JSONResponse({"@odata.context": odata_context(
                request, f"servicePrincipals('{sp['id']}')/synchronization/jobs"), "value": items})
        caller, sp = self._sp(request, *WRITE)
        payload = await json_body(request)
        template_id = payload.get("templateId")
        if not self._offers_template(sp, template_id):
            raise unknown_template(template_id)
        if any(job["templateId"] == template_id
               for job in self.store.list(caller.tenant_id, cts.SYNC_JOBS, f"{sp['id']}/")):
            raise job_exists(template_id)
        job = cts.new_job(cts.new_job_id(caller.tenant_id))
        self.store.put(caller.tenant_id, cts.SYNC_JOBS, f"{sp['id']}/{job['id']}", job)
        self.store.put(caller.tenant_id, cts.SYNC_SCHEMAS, f"{sp['id']}/{job['id']}", cts.default_schema(job["id"]))
        context = odata_context(request, f"servicePrincipals('{sp['id']}')/synchronization/jobs/$entity")
        return JSONResponse({"@odata.context": context, **job}, status_code=201)

    async def job_item(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        if request.method == "GET":
            caller, sp = self._sp(request, *READ)
            job = self._job(caller, sp, job_id)
            return JSONResponse({"@odata.context": odata_context(
                request, f"servicePrincipals('{sp['id']}')/synchronization/jobs/$entity"), **job})
        caller, sp = self._sp(request, *WRITE)
        self._job(caller, sp, job_id)
        self.store.delete(caller.tenant_id, cts.SYNC_JOBS, f"{sp['id']}/{job_id}")
        self.store.delete(caller.tenant_id, cts.SYNC_SCHEMAS, f"{sp['id']}/{job_id}")
        return Response(status_code=204)

    def action(self, action: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self._job_action(request, action)
        return endpoint

    async def _job_action(self, request: Request, action: str) -> Response:
        caller, sp = self._sp(request, *WRITE)
        job = self._job(caller, sp, request.path_params["job_id"])
        status, schedule = job["status"], job["schedule"]
        if action == "start":
            # Resumes a paused job, lifts quarantine; a running job is left as it is (§2 Start).
            if status["code"] in ("Paused", "Quarantine", "NotConfigured"):
                self._set_running(job)
        elif action == "pause":
            schedule["state"] = "Disabled"
            status["code"] = "Paused"
        else:  # restart
            payload = await json_body(request) if await request.body() else {}
            scope = self._reset_scope(payload)
            if scope & {"QuarantineState", "Full"} or not scope:
                status["quarantine"] = None
            self._set_running(job)
        self.store.put(caller.tenant_id, cts.SYNC_JOBS, f"{sp['id']}/{job['id']}", job)
        if action != "pause":
            on_job_started(self.ctx, caller.tenant_id, sp["id"], job)
        return Response(status_code=204)

    @staticmethod
    def _set_running(job: dict[str, Any]) -> None:
        status = job["status"]
        job["schedule"]["state"] = "Active"
        status["quarantine"] = None
        if status.get("lastSuccessfulExecution") is None:
            status["code"] = "NotRun"
            status["lastExecution"] = status.get("lastExecution") or cts.not_yet_run_execution()
            status["troubleshootingUrl"] = status.get("troubleshootingUrl") or ""
        else:
            status["code"] = "Active"

    @staticmethod
    def _reset_scope(payload: dict[str, Any]) -> set[str]:
        criteria = payload.get("criteria")
        if criteria is None:
            return set()
        if not isinstance(criteria, dict) or not isinstance(criteria.get("resetScope", ""), str):
            raise bad_request("'criteria' must be an object with a 'resetScope' string.")
        flags = {flag.strip() for flag in criteria.get("resetScope", "").split(",") if flag.strip()}
        unknown = flags - RESET_SCOPES
        if unknown:
            raise bad_request(f"Unknown resetScope value(s): {', '.join(sorted(unknown))}.")
        return flags

    # validateCredentials
    async def validate_credentials(self, request: Request) -> Response:
        caller, sp = self._sp(request, *WRITE)
        job_id = request.path_params.get("job_id")
        if job_id is not None:
            self._job(caller, sp, job_id)
        payload = await json_body(request)
        template_id = payload.get("templateId")
        if (template_id is not None or job_id is None) and not self._offers_template(sp, template_id):
            raise unknown_template(template_id)
        use_saved = payload.get("useSavedCredentials", False)
        if not isinstance(use_saved, bool):
            raise bad_request("'useSavedCredentials' must be a boolean.")
        if use_saved:
            pairs = (self.store.get(caller.tenant_id, cts.SYNC_SECRETS, sp["id"]) or {}).get("value", [])
        else:
            pairs = _key_values(payload.get("credentials", []), "credentials")
        target = next((p["value"] for p in pairs if p["key"] == "CompanyId"), None)
        if not target:
            # Uncertain: what the service says without a target tenant id.
            raise bad_request("The credentials must include 'CompanyId' (the target tenant id).")
        problem = cross_tenant_policy_problem(self.ctx, caller.tenant_id, target.lower())
        if problem is not None:
            code, message = problem
            raise GraphHTTPError(400, code, message)
        return Response(status_code=204)

    # secrets
    async def secrets(self, request: Request) -> Response:
        if request.method == "GET":
            caller, sp = self._sp(request, *READ)
            stored = (self.store.get(caller.tenant_id, cts.SYNC_SECRETS, sp["id"]) or {}).get("value", [])
            mask_all = bool(self.ctx.knobs.get(KNOB, {}).get("maskAllSecrets"))
            shown = [{"key": p["key"], "value": MASK if mask_all or p["key"] in MASKED_SECRET_KEYS else p["value"]}
                     for p in stored]
            return JSONResponse({"value": shown})
        caller, sp = self._sp(request, *WRITE)
        payload = await json_body(request)
        if "value" not in payload:
            raise bad_request("The request body must be {\"value\": [{key, value}, ...]}.")
        pairs = _key_values(payload["value"], "value")
        # Full replacement: PATCH is not supported and PUT must carry every secret to keep (§2.2).
        self.store.put(caller.tenant_id, cts.SYNC_SECRETS, sp["id"], {"id": sp["id"], "value": pairs})
        return Response(status_code=204)

    # schema
    async def schema(self, request: Request) -> Response:
        roles = READ if request.method == "GET" else WRITE
        caller, sp = self._sp(request, *roles)
        job = self._job(caller, sp, request.path_params["job_id"])
        key = f"{sp['id']}/{job['id']}"
        current = self.store.get(caller.tenant_id, cts.SYNC_SCHEMAS, key) or cts.default_schema(job["id"])
        if request.method == "GET":
            context = odata_context(request, f"servicePrincipals('{sp['id']}')/synchronization/jobs('{job['id']}')"
                                             "/schema/$entity")
            return JSONResponse({"@odata.context": context, **current})
        proposed = await json_body(request)
        _check_schema_shape(proposed)
        if job["templateId"] == cts.JOB_TEMPLATE_ID:
            check_matching_unchanged(current, proposed)
        stored = {k: v for k, v in proposed.items() if not k.startswith("@odata.")}
        stored["id"] = job["id"]
        stored.setdefault("version", current.get("version"))
        stored.setdefault("directories", current.get("directories", []))
        self.store.put(caller.tenant_id, cts.SYNC_SCHEMAS, key, stored)
        return Response(status_code=204)

    async def schema_functions(self, request: Request) -> Response:
        caller, sp = self._sp(request, *READ)
        self._job(caller, sp, request.path_params["job_id"])
        return JSONResponse({"@odata.context": odata_context(request, "functions"), "value": cts.functions()})

    async def schema_filter_operators(self, request: Request) -> Response:
        caller, sp = self._sp(request, *READ)
        self._job(caller, sp, request.path_params["job_id"])
        return JSONResponse({"@odata.context": odata_context(request, "filterOperators"),
                             "value": cts.filter_operators()})

    async def parse_expression(self, request: Request) -> Response:
        caller, sp = self._sp(request, *WRITE)
        self._job(caller, sp, request.path_params["job_id"])
        payload = await json_body(request)
        expression = payload.get("expression")
        if not isinstance(expression, str):
            raise bad_request("'expression' is required and must be a string.")
        return JSONResponse(parse_response(expression, cts.functions()))

    # control
    async def knob(self, request: Request) -> Response:
        state = self.ctx.knobs.setdefault(KNOB, {"maskAllSecrets": False})
        if request.method == "POST":
            payload = await json_body(request)
            value = payload.get("maskAllSecrets")
            if not isinstance(value, bool):
                raise bad_request("maskAllSecrets must be a boolean.")
            state["maskAllSecrets"] = value
        return JSONResponse(dict(state))

    async def quarantine(self, request: Request) -> Response:
        """Put a job into quarantine (for tests of health reporting, FIELD-NOTES row 12)."""
        payload = await json_body(request)
        tenant_id, sp_id, job_id = (payload.get(k) for k in ("tenantId", "servicePrincipalId", "jobId"))
        reason = payload.get("reason", "EncounteredQuarantineException")
        if reason not in QUARANTINE_REASONS:
            raise bad_request(f"Unknown quarantine reason '{reason}'.")
        if not all(isinstance(v, str) for v in (tenant_id, sp_id, job_id)):
            raise bad_request("tenantId, servicePrincipalId and jobId are required.")
        key = f"{sp_id}/{job_id}"
        job = self.store.get(tenant_id, cts.SYNC_JOBS, key)
        if job is None:
            raise job_not_found(job_id)
        now = cts.utc_now()
        error = payload.get("error") or {"code": "AzureDirectoryB2BManagementPolicyCheckFailure",
                                         "message": "Policy permitting auto-redemption of invitations not configured.",
                                         "tenantActionable": True}
        job["status"]["code"] = "Quarantine"
        job["status"]["quarantine"] = {"currentBegan": now, "nextAttempt": now, "reason": reason,
                                       "seriesBegan": now, "seriesCount": 1, "error": error}
        self.store.put(tenant_id, cts.SYNC_JOBS, key, job)
        return JSONResponse(job)


def routes(ctx: EmulatorContext) -> list[BaseRoute]:
    r = SynchronizationRoutes(ctx)
    base = "/v1.0/servicePrincipals/{sp_id}/synchronization"
    job = base + "/jobs/{job_id}"
    return [
        Route(base + "/templates", r.templates, methods=["GET"]),
        Route(base + "/templates/{template_id}/schema", r.template_schema, methods=["GET"]),
        Route(base + "/secrets", r.secrets, methods=["GET", "PUT"]),
        Route(base + "/jobs", r.jobs, methods=["GET", "POST"]),
        Route(base + "/jobs/validateCredentials", r.validate_credentials, methods=["POST"]),
        Route(job, r.job_item, methods=["GET", "DELETE"]),
        Route(job + "/start", r.action("start"), methods=["POST"]),
        Route(job + "/pause", r.action("pause"), methods=["POST"]),
        Route(job + "/restart", r.action("restart"), methods=["POST"]),
        Route(job + "/validateCredentials", r.validate_credentials, methods=["POST"]),
        Route(job + "/schema", r.schema, methods=["GET", "PUT"]),
        Route(job + "/schema/functions", r.schema_functions, methods=["GET"]),
        Route(job + "/schema/filterOperators", r.schema_filter_operators, methods=["GET"]),
        Route(job + "/schema/parseExpression", r.parse_expression, methods=["POST"]),
    ]


def control_routes(ctx: EmulatorContext) -> list[BaseRoute]:
    r = SynchronizationRoutes(ctx)
    return [
        Route("/_emulator/synchronization", r.knob, methods=["GET", "POST"]),
        Route("/_emulator/synchronization/quarantine", r.quarantine, methods=["POST"]),
    ]
