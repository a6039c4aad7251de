"""`GraphGateway`: the one door to Microsoft Graph for one tenant, for one run.

Paths are relative to `/v1.0` (`/policies/crossTenantAccessPolicy/partners`), params are OData
query parameters (`$filter`, `$select`, `$top`), bodies and results are plain JSON dicts with
Graph's exact property names. Everything raised is a `reconciler.errors` type.

Per request: build the URL → `client.GraphStack.send` (one attempt through the SDK) → on
failure, `retry.py` decides whether and when to try again → `failures.py` names the error.
`$batch` fits the same seam later: the stack keeps the SDK's `GraphServiceClient` (`.batch`),
items are built from the same (method, path, params, body) shapes, and each item's status goes
through `retry.may_retry` / `failures.to_error` like a single request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from reconciler.errors import GraphError, PermanentGraphError
from reconciler.graph.client import AttemptFailed, ConnectionFailed, GraphStack, WireResponse, build_stack
from reconciler.graph.connection import Overrides, TenantConnection, resolve_endpoints
from reconciler.graph.consistency import wait_until
from reconciler.graph.credentials import OffLoopCredential, build_credential
from reconciler.graph.failures import Failure, to_error
from reconciler.graph.retry import RetryPolicy, may_retry

log = logging.getLogger("crosstenant.graph")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

MAX_PAGES = 10_000  # a bound on any paging loop; Graph's pages hold 100+ items


class GraphGateway:
    """One tenant's Graph access for one run. Create with `open_gateways`."""

    def __init__(
        self,
        alias: str,
        tenant_id: str,
        stack: GraphStack,
        base_url: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rand: Callable[[], float] = random.random,
    ):
        self.alias = alias
        self.tenant_id = tenant_id
        self.base_url = base_url  # `{graph}/v1.0`
        self._stack = stack
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._rand = rand

    # -- reads -------------------------------------------------------------------------------

    async def get(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> dict:
        url = self._url(path, params)
        return self._json(await self._call("GET", url, headers=headers), "GET", url) or {}

    async def list(
        self, path: str, *, params: dict | None = None, headers: dict | None = None, max_items: int | None = None
    ) -> list[dict]:
        """Every item of a collection, following `@odata.nextLink` verbatim (with the same headers)."""
        items: list[dict] = []
        url: str | None = self._url(path, params)
        seen_links: set[str] = set()
        for _ in range(MAX_PAGES):
            assert url is not None
            page = self._json(await self._call("GET", url, headers=headers), "GET", url) or {}
            values = page.get("value")
            if not isinstance(values, list):
                raise self._unexpected("GET", url, "a collection response without a `value` array")
            items.extend(values)
            if max_items is not None and len(items) >= max_items:
                return items[:max_items]
            url = page.get("@odata.nextLink")
            if not url:
                return items
            if url in seen_links:
                raise self._unexpected("GET", url, "@odata.nextLink repeated an earlier page")
            seen_links.add(url)
        raise self._unexpected("GET", self._url(path, params), f"more than {MAX_PAGES} pages")

    # -- writes ------------------------------------------------------------------------------

    async def post(self, path: str, body: dict | None = None) -> dict | None:
        return await self._write("POST", path, body)

    async def patch(self, path: str, body: dict) -> dict | None:
        return await self._write("PATCH", path, body)

    async def put(self, path: str, body: dict) -> dict | None:
        return await self._write("PUT", path, body)

    async def delete(self, path: str) -> None:
        await self._call("DELETE", self._url(path))

    async def _write(self, method: str, path: str, body: dict | None) -> dict | None:
        url = self._url(path)
        return self._json(await self._call(method, url, body=body), method, url)

    # -- eventual consistency ----------------------------------------------------------------

    async def wait_until(
        self,
        probe: Callable[[], Awaitable[bool]],
        *,
        what: str,
        consecutive: int = 3,
        timeout: float = 120.0,
    ) -> None:
        """Poll `probe` with backoff until it is True `consecutive` times in a row (see consistency.py)."""
        await wait_until(probe, what=f"{self.alias}: {what}", consecutive=consecutive, timeout=timeout,
                         sleep=self._sleep, clock=self._clock)

    async def aclose(self) -> None:
        await self._stack.aclose()

    # -- one request, with retries -----------------------------------------------------------

    async def _call(
        self, method: str, url: str, *, headers: dict | None = None, body: dict | None = None
    ) -> WireResponse:
        content = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        shown = _shown(url)
        for attempt in range(1, self._retry.max_attempts + 1):
            started = self._clock()
            try:
                response = await self._stack.send(method, url, dict(headers or {}), content)
            except AttemptFailed as err:
                failure, status, sent, permanent = err.failure, err.failure.status, True, False
            except ConnectionFailed as err:
                failure = Failure(status=0, code="ConnectionError", message=str(err))
                status, sent, permanent = None, err.sent, err.permanent
            else:
                self._log(method, shown, response.status, response.headers.get("request-id"), started, attempt)
                return response
            self._log(method, shown, failure.status or "-", failure.request_id, started, attempt, failure.code)
            if permanent:
                raise PermanentGraphError(status=0, code="TlsVerificationFailed", message=failure.message,
                                          method=method, path=shown)
            delay = None
            if may_retry(method, status, sent=sent):
                delay = self._retry.delay_before_next(attempt, failure.retry_after, self._rand)
            if delay is None:
                raise self._give_up(failure, method, shown, attempt)
            log.debug("%s: %s %s: retrying in %.2fs", self.alias, method, shown, delay)
            await self._sleep(delay)
        raise AssertionError("unreachable: the last attempt always gives up")

    def _give_up(self, failure: Failure, method: str, path: str, attempts: int) -> GraphError:
        note = None
        if failure.retry_after is not None and failure.retry_after > self._retry.max_delay:
            note = f"Graph asked to wait {failure.retry_after:g}s, longer than one wait of this run"
        return to_error(failure, method, path, attempts=attempts, note=note)

    def _log(self, method: str, shown: str, status: Any, request_id: str | None, started: float,
             attempt: int, code: str | None = None) -> None:
        if log.isEnabledFor(logging.DEBUG):
            elapsed = (self._clock() - started) * 1000
            outcome = f"{status} {code}" if code else f"{status}"
            log.debug("%s: %s %s -> %s request-id=%s %.0fms attempt=%d",
                      self.alias, method, shown, outcome, request_id or "-", elapsed, attempt)

    # -- URLs and bodies ---------------------------------------------------------------------

    def _url(self, path: str, params: dict | None = None) -> str:
        if not path.startswith("/") or "://" in path:
            raise ValueError(f"a Graph path relative to /v1.0 must start with '/': {path!r}")
        return f"{self.base_url}{path}{_query(params)}"

    def _json(self, response: WireResponse, method: str, url: str) -> dict | None:
        if not response.content.strip():
            return None
        try:
            data = json.loads(response.content)
        except ValueError:
            raise self._unexpected(method, url, "a response body that is not JSON", response.status) from None
        if not isinstance(data, dict):
            raise self._unexpected(method, url, "a JSON response that is not an object", response.status)
        return data

    def _unexpected(self, method: str, url: str, what: str, status: int = 200) -> PermanentGraphError:
        return PermanentGraphError(status=status, code="UnexpectedResponse", message=f"Graph returned {what}",
                                   method=method, path=_shown(url))


def _query(params: dict | None) -> str:
    """OData query string. Names keep their `$`; values are percent-encoded (`#` → %23, ' ' → %20)."""
    if not params:
        return ""
    pairs = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append(f"{quote(str(name), safe='$')}={quote(str(value), safe=_SAFE_IN_VALUES)}")
    return "?" + "&".join(pairs) if pairs else ""


# Characters OData expressions use a lot that are legal unescaped in a query (RFC 3986).
_SAFE_IN_VALUES = "$'(),:/@"


def _shown(url: str) -> str:
    """Path and query for logs and errors (no scheme or host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def connect(
    conn: TenantConnection,
    overrides: Overrides,
    *,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    credential: Any = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> GraphGateway:
    """One tenant's gateway. `credential` and `transport` replace the real ones (tests)."""
    graph_url, authority = resolve_endpoints(conn, overrides)
    if credential is None:
        credential = OffLoopCredential(conn.alias, build_credential(conn, authority, overrides.ca_bundle),
                                       conn.tenant_id)
    stack = build_stack(conn.alias, graph_url, credential, ca_bundle=overrides.ca_bundle, transport=transport)
    return GraphGateway(conn.alias, conn.tenant_id, stack, f"{graph_url}/v1.0", retry=retry, sleep=sleep,
                        clock=clock)


@asynccontextmanager
async def open_gateways(
    connections: Iterable[TenantConnection],
    overrides: Overrides,
    *,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[dict[str, GraphGateway]]:
    """A gateway per tenant, keyed by alias; all closed on exit (also when building one fails)."""
    async with AsyncExitStack() as stack:
        gateways: dict[str, GraphGateway] = {}
        for conn in connections:
            if conn.alias in gateways:
                raise ValueError(f"tenant {conn.alias} given twice")
            gateway = connect(conn, overrides, retry=retry, sleep=sleep, clock=clock, transport=transport)
            stack.push_async_callback(gateway.aclose)
            gateways[conn.alias] = gateway
        yield gateways
