"""The control API under `/_emulator/` for tests and benchmarks: no token, loopback callers only.

- `GET|DELETE /_emulator/requests`: the request log (`requestlog.py`).
- `GET|POST|DELETE /_emulator/faults`: fault rules (`faults.py`).
- `GET|POST /_emulator/config`: the knobs below.
- `POST /_emulator/reset`: back to the seeded state (store, log, faults, knobs).
- `GET /_emulator/health`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.emulator.context import EmulatorContext
from reconciler.emulator.faults import FaultRule, FaultRuleError, FaultRules
from reconciler.emulator.requestlog import RequestLog

LOOPBACK = frozenset({"127.0.0.1", "::1"})

# Knobs of the core and the cross-tenant access routes; `POST /_emulator/config` sets them.
# Other route modules keep their own state in `ctx.knobs` under their own names.
KNOB_DEFAULTS: dict[str, Any] = {
    "page_size": 100,  # default page size of every paged collection
    # Properties outside the CSDL that partners carry, as Graph's own responses sometimes do
    # (cts-howto-*-partners-create: crossCloudMeetingConfiguration); FIELD-NOTES row 18.
    "partner_extra_properties": {},
    # Compact-JSON bytes the policy root may take (ENDPOINTS §4.6: 25 KB, counting inferred).
    "policy_size_limit": 25 * 1024,
    # GETs of the default during which a PATCHed default still says isServiceDefault: true (FIELD-NOTES row 8).
    "service_default_stale_reads": 0,
}
_KNOB_CHECKS: dict[str, Callable[[Any], bool]] = {
    "page_size": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 999,
    "partner_extra_properties": lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
    "policy_size_limit": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "service_default_stale_reads": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
}


def knob(ctx: EmulatorContext, name: str) -> Any:
    return ctx.knobs.get(name, KNOB_DEFAULTS[name])


@dataclass
class ControlState:
    log: RequestLog
    faults: FaultRules
    reset: Callable[[], None]  # reseeds the store; provided by app.py


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "EmulatorControlError", "message": message}}, status_code=status)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


def control_routes(ctx: EmulatorContext, state: ControlState) -> list[BaseRoute]:
    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            state.log.clear()
            return Response(status_code=204)
        return JSONResponse({"value": state.log.entries()})

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"value": state.faults.list()})
        if request.method == "DELETE":
            state.faults.clear()
            return Response(status_code=204)
        try:
            rule = FaultRule.from_json(await _json(request))
        except (FaultRuleError, TypeError) as err:
            return _problem(400, str(err))
        state.faults.add(rule)
        return JSONResponse(rule.to_json(), status_code=201)

    async def config(request: Request) -> Response:
        if request.method == "POST":
            changes = await _json(request)
            if not isinstance(changes, dict):
                return _problem(400, "the config is a JSON object of knobs")
            for name, value in changes.items():
                if name not in KNOB_DEFAULTS:
                    return _problem(400, f"unknown knob {name!r}; known: {sorted(KNOB_DEFAULTS)}")
                if not _KNOB_CHECKS[name](value):
                    return _problem(400, f"invalid value for knob {name!r}")
            ctx.knobs.update(copy.deepcopy(changes))
        return JSONResponse({name: knob(ctx, name) for name in KNOB_DEFAULTS})

    async def reset(request: Request) -> Response:
        state.reset()
        state.log.clear()
        state.faults.clear()
        ctx.knobs.clear()
        return Response(status_code=204)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "tenants": list(ctx.store.tenants())})

    return [
        Route("/_emulator/requests", requests, methods=["GET", "DELETE"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/config", config, methods=["GET", "POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/health", health, methods=["GET"]),
    ]
