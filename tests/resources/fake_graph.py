"""A small in-memory Graph gateway for the link handler tests: one source tenant.

It answers the calls the link kinds make, with bodies built from Graph's documented examples
(copied from graph-reference/examples into ./fixtures): instantiate from
`cts-howto-instantiate.response.json`, a new job from `cts-howto-jobs-create.response.json`, its
default schema from `azure2azure-default-schema.json` (the project's reconstruction of the
Azure2Azure default, documented in reconciler/emulator/data/README.md; Graph prints only an
excerpt), a started job as in `cts-howto-jobs-get.response.json`, assignments as in
`cts-howto-approleassignedto-create.response.json`. It enforces what the handlers must cope with:
instantiate is not idempotent, a duplicate assignment is a 409, a new service principal can be
unreadable for its first reads (replication), secrets can come back masked, and a query it does
not know is a test failure rather than a silent empty answer.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from reconciler.errors import (
    ConflictError,
    ForbiddenError,
    GraphError,
    NotFoundError,
    PermanentGraphError,
    TransientGraphError,
)
from reconciler.plan import Change, change_for
from reconciler.resources.base import Resource

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE_ID = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"


def example(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _not_found(path: str) -> NotFoundError:
    return NotFoundError(status=404, code="Request_ResourceNotFound",
                         message=f"Resource '{path}' does not exist", method="GET", path=path)


class FakeGraph:
    def __init__(self, *, replication_misses: int = 0, masked_keys: frozenset[str] = frozenset(),
                 validate_error: GraphError | None = None, max_wait_probes: int = 50):
        self.service_principals: dict[str, dict[str, Any]] = {}
        self.applications: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, list[dict[str, Any]]] = {}
        self.schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self.secrets: dict[str, list[dict[str, Any]]] = {}
        self.assignments: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.replication_misses = replication_misses
        self._unreadable: dict[str, int] = {}
        self.masked_keys = masked_keys
        self.validate_error = validate_error
        self.max_wait_probes = max_wait_probes
        self.principal_types: dict[str, str] = {}  # principal id → "User" | "Group"
        self.assignment_conflicts: set[str] = set()  # principals someone else assigns as we POST
        self._counter = 0

    # -- seeding -------------------------------------------------------------------------------

    def add_configuration(self, display_name: str, *, tags: list[str] | None = None, job: bool = True,
                          secrets: list[dict[str, Any]] | None = None, notes: str | None = None) -> str:
        """A configuration as instantiate (and optionally job create) leaves it; returns the SP id."""
        sp_id = self._instantiate(display_name)
        if tags is not None:
            self.service_principals[sp_id]["tags"] = list(tags)
        if notes is not None:
            self.service_principals[sp_id]["notes"] = notes
        if job:
            self._create_job(sp_id)
        if secrets is not None:
            self.secrets[sp_id] = copy.deepcopy(secrets)
        return sp_id

    def add_other_service_principal(self, display_name: str) -> str:
        """A service principal of another template (never one of the link kinds' business)."""
        sp_id = self._new_id("sp")
        self.service_principals[sp_id] = {"id": sp_id, "appId": self._new_id("app"), "displayName": display_name,
                                          "applicationTemplateId": None, "tags": []}
        return sp_id

    # -- what happened -------------------------------------------------------------------------

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.calls if m not in ("GET", "WAIT")]

    def bodies(self, method: str, pattern: str) -> list[Any]:
        return [b for m, p, b in self.calls if m == method and re.fullmatch(pattern, p)]

    def job_of(self, sp_id: str) -> dict[str, Any]:
        (job,) = self.jobs[sp_id]
        return job

    # -- the gateway API -------------------------------------------------------------------------

    async def get(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> dict:
        self.calls.append(("GET", path, params))
        return copy.deepcopy(self._get(path, params or {}))

    async def list(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> list[dict]:
        self.calls.append(("GET", path, params))
        return copy.deepcopy(self._get(path, params or {})["value"])

    async def post(self, path: str, body: dict | None = None) -> dict | None:
        self.calls.append(("POST", path, copy.deepcopy(body)))
        return copy.deepcopy(self._post(path, body or {}))

    async def patch(self, path: str, body: dict) -> dict | None:
        self.calls.append(("PATCH", path, copy.deepcopy(body)))
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)", path):
            self._sp(m[1]).update(copy.deepcopy(body))
            return None
        raise AssertionError(f"fake Graph: unexpected PATCH {path}")

    async def put(self, path: str, body: dict) -> dict | None:
        self.calls.append(("PUT", path, copy.deepcopy(body)))
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/secrets", path):
            self._sp(m[1])
            self.secrets[m[1]] = copy.deepcopy(body["value"])
            return None
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/jobs/([^/]+)/schema", path):
            self._job(m[1], m[2])
            self.schemas[(m[1], m[2])] = copy.deepcopy(body)
            return None
        raise AssertionError(f"fake Graph: unexpected PUT {path}")

    async def delete(self, path: str) -> None:
        self.calls.append(("DELETE", path, None))
        if m := re.fullmatch(r"/applications/([^/]+)", path):
            app = self.applications.pop(m[1], None)
            if app is None:
                raise _not_found(path)
            for sp_id in [s for s, sp in self.service_principals.items() if sp["appId"] == app["appId"]]:
                self._drop_service_principal(sp_id)
            return
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/appRoleAssignedTo/([^/]+)", path):
            items = self.assignments.get(m[1], [])
            if not any(a["id"] == m[2] for a in items):
                raise _not_found(path)
            self.assignments[m[1]] = [a for a in items if a["id"] != m[2]]
            return
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)", path):
            self._sp(m[1])
            self._drop_service_principal(m[1])
            return
        raise AssertionError(f"fake Graph: unexpected DELETE {path}")

    async def wait_until(self, probe: Callable[[], Awaitable[bool]], *, what: str, consecutive: int = 3,
                         timeout: float = 120.0) -> None:
        """As graph/consistency.py: N successes in a row; 404/403 count as "not yet"; bounded."""
        self.calls.append(("WAIT", what, consecutive))
        seen = 0
        for _ in range(self.max_wait_probes):
            try:
                ok = await probe()
            except (NotFoundError, ForbiddenError):
                ok = False
            seen = seen + 1 if ok else 0
            if seen >= consecutive:
                return
        raise TransientGraphError(status=0, code="ConsistencyTimeout", message=f"{what} was not consistently visible",
                                  method="WAIT", path=what)

    # -- routes ----------------------------------------------------------------------------------

    def _get(self, path: str, params: dict) -> dict[str, Any]:
        if path == "/servicePrincipals":
            wanted = f"applicationTemplateId eq '{TEMPLATE_ID}'"
            if params.get("$filter") != wanted:
                raise AssertionError(f"fake Graph: unexpected query {params!r}")
            return {"value": [sp for sp in self.service_principals.values() if sp.get("applicationTemplateId") == TEMPLATE_ID]}
        if path == "/applications":
            m = re.fullmatch(r"appId eq '([^']+)'", params.get("$filter", ""))
            if not m:
                raise AssertionError(f"fake Graph: unexpected query {params!r}")
            return {"value": [a for a in self.applications.values() if a["appId"] == m[1]]}
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)", path):
            return self._readable_sp(m[1], path)
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/jobs", path):
            self._readable_sp(m[1], path)
            return {"value": self.jobs.get(m[1], [])}
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/jobs/([^/]+)", path):
            return self._job(m[1], m[2])
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/jobs/([^/]+)/schema", path):
            self._job(m[1], m[2])
            return self.schemas[(m[1], m[2])]
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/secrets", path):
            self._sp(m[1])
            return {"value": [{"key": s["key"], "value": "*" if s["key"] in self.masked_keys else s["value"]}
                              for s in self.secrets.get(m[1], [])]}
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/appRoleAssignedTo", path):
            self._sp(m[1])
            return {"value": self.assignments.get(m[1], [])}
        raise AssertionError(f"fake Graph: unexpected GET {path}")

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if path == f"/applicationTemplates/{TEMPLATE_ID}/instantiate":
            sp_id = self._instantiate(body["displayName"])
            self._unreadable[sp_id] = self.replication_misses
            sp = self.service_principals[sp_id]
            app = next(a for a in self.applications.values() if a["appId"] == sp["appId"])
            response = example("cts-howto-instantiate.response.json")["body"]
            response["application"].update(copy.deepcopy(app))
            response["servicePrincipal"].update(copy.deepcopy(sp))
            return response
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/jobs/validateCredentials", path):
            self._readable_sp(m[1], path)
            if self.validate_error is not None:
                raise self.validate_error
            return None
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/jobs", path):
            self._readable_sp(m[1], path)
            if body.get("templateId") != "Azure2Azure":
                raise PermanentGraphError(status=400, code="BadRequest", message="unknown templateId")
            return self._create_job(m[1])
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/synchronization/jobs/([^/]+)/(start|pause)", path):
            job = self._job(m[1], m[2])
            if m[3] == "start":  # as cts-howto-jobs-get: schedule Active, code NotRun until the first cycle
                job["schedule"]["state"] = "Active"
                job["status"]["code"] = "NotRun"
                job["status"]["quarantine"] = None
            else:
                job["schedule"]["state"] = "Paused"
                job["status"]["code"] = "Paused"
            return None
        if m := re.fullmatch(r"/servicePrincipals/([^/]+)/appRoleAssignedTo", path):
            sp = self._sp(m[1])
            items = self.assignments.setdefault(m[1], [])
            if body["principalId"] in self.assignment_conflicts or any(a["principalId"] == body["principalId"] and a["appRoleId"] == body["appRoleId"] for a in items):
                raise ConflictError(status=409, code="Request_BadRequest",
                                    message="Permission being assigned already exists on the object")
            if body["appRoleId"] not in {r["id"] for r in sp["appRoles"]} or body["resourceId"] != m[1]:
                raise PermanentGraphError(status=400, code="Request_BadRequest", message="bad app role assignment")
            assignment = example("cts-howto-approleassignedto-create.response.json")["body"]
            assignment.pop("@odata.context")
            assignment.update(id=self._new_id("asg"), appRoleId=body["appRoleId"], principalId=body["principalId"],
                              principalType=self.principal_types.get(body["principalId"], "User"),
                              resourceId=m[1], resourceDisplayName=sp["displayName"])
            items.append(assignment)
            return assignment
        raise AssertionError(f"fake Graph: unexpected POST {path}")

    # -- state -----------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter:04d}"

    def _instantiate(self, display_name: str) -> str:
        template = example("cts-howto-instantiate.response.json")["body"]
        app, sp = template["application"], template["servicePrincipal"]
        app_id, role_id = self._new_id("appid"), self._new_id("role")
        app.update(id=self._new_id("app"), appId=app_id, displayName=display_name)
        sp.update(id=self._new_id("sp"), appId=app_id, displayName=display_name, appDisplayName=display_name,
                  servicePrincipalNames=[app_id])
        for role in app["appRoles"] + sp["appRoles"]:
            role["id"] = role_id
        self.applications[app["id"]] = app
        self.service_principals[sp["id"]] = sp
        return sp["id"]

    def _create_job(self, sp_id: str) -> dict[str, Any]:
        job = example("cts-howto-jobs-create.response.json")["body"]
        job.pop("@odata.context")
        job["id"] = self._new_id("Azure2Azure.job")
        schema = example("azure2azure-default-schema.json")
        schema["id"] = job["id"]
        schema["synchronizationRules"][0]["id"] = self._new_id("rule")
        self.jobs.setdefault(sp_id, []).append(job)
        self.schemas[(sp_id, job["id"])] = schema
        return job

    def _sp(self, sp_id: str) -> dict[str, Any]:
        if sp_id not in self.service_principals:
            raise _not_found(f"/servicePrincipals/{sp_id}")
        return self.service_principals[sp_id]

    def _readable_sp(self, sp_id: str, path: str) -> dict[str, Any]:
        sp = self._sp(sp_id)
        if self._unreadable.get(sp_id, 0) > 0:
            self._unreadable[sp_id] -= 1
            raise _not_found(path)
        return sp

    def _job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        self._sp(sp_id)
        for job in self.jobs.get(sp_id, []):
            if job["id"] == job_id:
                return job
        raise _not_found(f"/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}")

    def _drop_service_principal(self, sp_id: str) -> None:
        self.service_principals.pop(sp_id, None)
        for job in self.jobs.pop(sp_id, []):
            self.schemas.pop((sp_id, job["id"]), None)
        self.secrets.pop(sp_id, None)
        self.assignments.pop(sp_id, None)


# -- helpers for the tests: desired resources and the engine's diff, as the engine does it ----------

SOURCE_TID = "00000000-0000-0000-0000-00000000c0de"
TARGET_TID = "00000000-0000-0000-0000-0000000fab1c"


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def desired(kind: str, link: str, body: dict[str, Any]) -> Resource:
    part = "" if kind == "link" else "." + kind.removeprefix("link_")
    meta = {"link": link, "source": "contoso", "target": "fabrikam",
            "source_tenant_id": SOURCE_TID, "target_tenant_id": TARGET_TID}
    depends = () if kind == "link" else (f"contoso.link.{link}",)
    return Resource(address=f"contoso.link.{link}{part}", kind=kind, tenant="contoso", tenant_id=SOURCE_TID,
                    key=link, body=body, depends_on=depends, meta=meta)


def plan_change(handler: Any, resource: Resource, live: dict[str, Any] | None) -> Change | None:
    """The change the engine plans: the handler's `live_for_diff` hook, then the declared diff."""
    if live is not None and hasattr(handler, "live_for_diff"):
        live = handler.live_for_diff(resource.body, live)
    return change_for(resource, live, payload=handler.payload,
                      replace_paths=lambda kind: getattr(handler, "replace_paths", frozenset()))


async def apply_change(handler: Any, gw: Any, change: Change) -> None:
    """As engine.run_change, after the engine's `forget(gw)`: the handlers act on fresh reads."""
    if change.action == "replace":
        await handler.delete(gw, change)
        await handler.create(gw, change)
    else:
        await getattr(handler, change.action)(gw, change)
