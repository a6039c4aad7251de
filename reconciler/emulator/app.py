"""The emulator's ASGI application: OAuth authority, `/v1.0` route modules and the control API.

Every `/v1.0` request passes `GraphMiddleware`: it assigns the `request-id`, answers or drops
it when a fault rule says so, and records it in the request log. Route modules are mounted
by a fixed list; one not written yet is skipped.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulator.auth import SigningKey, TokenService, is_token_path, oauth_routes
from reconciler.emulator.context import EmulatorContext
from reconciler.emulator.control import LOOPBACK, ControlState, control_routes
from reconciler.emulator.errors import GraphHTTPError, error_response
from reconciler.emulator.faults import FaultRules
from reconciler.emulator.requestlog import RequestLog
from reconciler.emulator.seed import seed_if_empty
from reconciler.emulator.store import Store

ROUTE_MODULES = ("crosstenant_access", "applications", "synchronization", "directory")
GRAPH_PREFIX = "/v1.0"
DB_FILE = "emulator.sqlite"
SIGNING_KEY_FILE = "token-signing-key.pem"

log = logging.getLogger("crosstenant.emulator")


@dataclass
class Emulator:
    """The application and the state behind it (tests use the parts directly)."""

    app: ASGIApp
    ctx: EmulatorContext
    store: Store
    tokens: TokenService
    requests: RequestLog
    faults: FaultRules


def build_emulator(state_dir: Path, seed: Path | None, *, clock: Callable[[], float] = time.time,
                   sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> Emulator:
    state_dir.mkdir(parents=True, exist_ok=True)
    store = Store(state_dir / DB_FILE)
    seed_if_empty(store, seed)
    tokens = TokenService(store, SigningKey(state_dir / SIGNING_KEY_FILE), clock)
    ctx = EmulatorContext(store=store, verify_token=tokens.verify)
    requests, faults = RequestLog(), FaultRules()

    def reset() -> None:
        store.clear()
        seed_if_empty(store, seed)

    routes: list[BaseRoute] = [*oauth_routes(tokens), *control_routes(ctx, ControlState(requests, faults, reset))]
    for module in _route_modules():
        routes.extend(module.routes(ctx))
        if hasattr(module, "control_routes"):
            routes.extend(module.control_routes(ctx))
    starlette = Starlette(routes=routes, exception_handlers={
        GraphHTTPError: _graph_error, HTTPException: _http_error, Exception: _unexpected_error,
    })
    app = GraphMiddleware(starlette, tokens, requests, faults, sleep)
    return Emulator(app, ctx, store, tokens, requests, faults)


def _route_modules() -> list[Any]:
    modules = []
    for name in ROUTE_MODULES:
        qualified = f"reconciler.emulator.routes.{name}"
        if importlib.util.find_spec(qualified) is not None:
            modules.append(importlib.import_module(qualified))
    return modules


async def _graph_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GraphHTTPError)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing misses, in Graph's words under /v1.0 (an unknown segment is a 400 there)."""
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith(GRAPH_PREFIX + "/"):
        return JSONResponse({"error": {"code": "NotFound", "message": exc.detail}}, status_code=exc.status_code)
    if exc.status_code == 405:
        err = GraphHTTPError(405, "Request_BadRequest",
                             f"The HTTP method '{request.method}' is not allowed for this resource.")
    else:
        segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        err = GraphHTTPError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    return error_response(request, err)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, GraphHTTPError(500, "InternalServerError", "An internal server error occurred."))


class GraphMiddleware:
    """Request ids, fault rules and the request log; the control API answers loopback callers only."""

    def __init__(self, app: ASGIApp, tokens: TokenService, requests: RequestLog, faults: FaultRules,
                 sleep: Callable[[float], Awaitable[Any]]):
        self.app, self.tokens, self.requests, self.faults, self.sleep = app, tokens, requests, faults, sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/_emulator/"):
            client = scope.get("client") or ("", 0)
            if client[0] not in LOOPBACK:
                await JSONResponse({"error": {"code": "Forbidden", "message": "loopback only"}}, 403)(
                    scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        graph = path == GRAPH_PREFIX or path.startswith(GRAPH_PREFIX + "/")
        request_id = str(uuid.uuid4())
        client_request_id = Headers(scope=scope).get("client-request-id") or request_id
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = [500]

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["request-id"] = request_id
                headers["client-request-id"] = client_request_id
            await send(message)

        started = time.perf_counter()
        try:
            if graph:
                self._identify_caller(scope)
                fault = self.faults.take(scope["method"], path[len(GRAPH_PREFIX):] or "/")
                if fault is not None:
                    if fault.delay:
                        await self.sleep(fault.delay)
                    if fault.reset:
                        status[0] = 0  # logged as 0: no response was sent
                        _drop_connection(send)
                        return
                    if fault.status is not None:
                        await error_response(Request(scope), fault.error())(scope, receive, send_with_ids)
                        return
            await self.app(scope, receive, send_with_ids)
        finally:
            if graph or is_token_path(path):
                self.requests.record(scope["method"], path, scope.get("query_string", b"").decode("latin-1"),
                                     state.get("tenant_id"), status[0], (time.perf_counter() - started) * 1000)

    def _identify_caller(self, scope: Scope) -> None:
        """Check the token up front, so the log knows the tenant even of a faulted request."""
        try:
            self.tokens.verify(Request(scope))
        except GraphHTTPError:
            pass  # the route answers 401 itself


def _drop_connection(send: Send) -> None:
    """Close the connection without a response (a `reset` fault).

    uvicorn's `send` is a method of its request cycle, which holds the transport; marking the
    cycle disconnected keeps uvicorn from answering 500 in our place. Without uvicorn (in-process
    tests) the drop surfaces as ConnectionResetError.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionResetError("emulator fault: connection reset")
    cycle.disconnected = True  # type: ignore[union-attr]
    transport.abort()
