"""The msgraph-sdk stack for one tenant, and one raw Graph request sent through it.

The only module that touches msgraph / msgraph_core / kiota, always inside functions, so that
importing it (or anything above it) never loads the SDK.

Stack: an httpx AsyncClient (base URL `{graph}/v1.0`, TLS trust from the CA bundle) →
`GraphClientFactory.create_with_default_middleware` (the SDK's middleware chain, RetryHandler
off: `retry.py` decides) → kiota's `AzureIdentityAuthenticationProvider` (scope and
`allowed_hosts` from the Graph host only) → `GraphRequestAdapter` → `GraphServiceClient`.

Requests are raw: `RequestInformation` with the full URL and a JSON body as bytes, sent with
`send_primitive_async(..., "bytes", {"XXX": ODataError})`. Graph's JSON goes back to callers as
plain dicts, so properties the typed models do not know are never lost. Error bodies are parsed
by the SDK into `ODataError` (APIError carries status and headers). A successful response's
status and headers (request-id) are not returned by `send_primitive_async`; an httpx response
hook records them into a per-task slot (a ContextVar), which sees the final response after the
whole middleware chain.
"""

from __future__ import annotations

import re
import ssl
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from reconciler.errors import ConfigError, Diagnostic, PermanentGraphError
from reconciler.graph.connection import ENV_CA_BUNDLE
from reconciler.graph.credentials import sign_in_error
from reconciler.graph.failures import Failure, http_fallback_code
from reconciler.graph.redact import redact
from reconciler.graph.retry import parse_retry_after

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

# Timeouts as the SDK's default client has them (kiota_client_factory).
TIMEOUT = httpx.Timeout(100.0, connect=30.0)


@dataclass
class WireResponse:
    status: int
    headers: httpx.Headers
    content: bytes


class AttemptFailed(Exception):
    """Graph answered with an error status."""

    def __init__(self, failure: Failure):
        super().__init__(f"{failure.status} {failure.code}")
        self.failure = failure


class ConnectionFailed(Exception):
    """No HTTP response. `sent` False: the connection was never opened (the request cannot
    have reached Graph). `permanent`: retrying cannot help (TLS verification failed)."""

    def __init__(self, message: str, *, sent: bool, permanent: bool = False):
        super().__init__(message)
        self.sent = sent
        self.permanent = permanent


@dataclass
class _Slot:
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)


_current_slot: ContextVar[_Slot | None] = ContextVar("crosstenant_graph_slot", default=None)


async def _record_response(response: httpx.Response) -> None:
    slot = _current_slot.get()
    if slot is not None:
        slot.status = response.status_code
        slot.headers = response.headers


class GraphStack:
    """One tenant's SDK objects. `service_client` is kept for `$batch` (BatchRequestBuilder)."""

    def __init__(self, *, alias: str, http_client: httpx.AsyncClient, adapter: Any, service_client: Any,
                 credential: Any, pools: list[httpx.AsyncBaseTransport] | None = None):
        self.alias = alias
        self.http_client = http_client
        self._pools = pools or []
        self.adapter = adapter
        self.service_client = service_client
        self.credential = credential
        self._closed = False

    async def send(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> WireResponse:
        """One attempt, no retry. Raises AttemptFailed, ConnectionFailed or AuthError."""
        from azure.core.exceptions import ClientAuthenticationError
        from kiota_abstractions.api_error import APIError
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation
        from kiota_authentication_azure._exceptions import KiotaAuthenticationError
        from kiota_http._exceptions import KiotaHTTPXError
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        info = RequestInformation(method=Method(method))
        info.url = url
        info.headers.try_add("Accept", "application/json")
        for name, value in headers.items():
            info.headers.add(name, value)
        if content is not None:
            info.set_stream_content(content, "application/json")

        slot = _Slot()
        token = _current_slot.set(slot)
        try:
            body = await self.adapter.send_primitive_async(info, "bytes", {"XXX": ODataError})
        except APIError as err:
            raise AttemptFailed(_failure_from(err)) from None
        except ClientAuthenticationError as err:
            raise sign_in_error(self.alias, err) from None
        except httpx.TransportError as err:
            raise _connection_failed(err) from None
        except (KiotaHTTPXError, KiotaAuthenticationError) as err:  # e.g. a redirect loop; retrying cannot help
            raise PermanentGraphError(status=0, code=type(err).__name__, message=redact(str(err)), method=method,
                                      path=urlsplit(url).path) from None
        finally:
            _current_slot.reset(token)
        return WireResponse(status=slot.status or 200, headers=slot.headers, content=body or b"")

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.http_client.aclose()
            for pool in self._pools:
                await pool.aclose()
        finally:
            close = getattr(self.credential, "close", None)
            if close is not None:
                close()


def build_stack(
    alias: str,
    graph_url: str,
    credential: TokenCredential | Any,
    *,
    ca_bundle: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> GraphStack:
    """The SDK stack for one tenant. `transport` replaces the network (tests: httpx.MockTransport)."""
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.middleware.options import HeadersInspectionHandlerOption, RetryHandlerOption
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.graph_request_adapter import options as sdk_options
    from msgraph_core import GraphClientFactory

    parts = urlsplit(graph_url)
    host = parts.hostname or ""
    http_client = httpx.AsyncClient(
        base_url=f"{graph_url}/v1.0",
        verify=_tls_context(ca_bundle),
        timeout=TIMEOUT,
        transport=transport,
        event_hooks={"response": [_record_response]},
    )
    options = {
        **sdk_options,  # what GraphRequestAdapter itself configures (telemetry, /me replacement)
        RetryHandlerOption.get_key(): RetryHandlerOption(delay=0, max_retries=0, should_retry=False),
        # The default inspection option would keep every request's headers (the token) in memory.
        HeadersInspectionHandlerOption.get_key(): HeadersInspectionHandlerOption(
            inspect_request_headers=False, inspect_response_headers=False
        ),
    }
    # msgraph_core's AsyncGraphTransport, which the factory wraps around these, does not forward
    # aclose() (kiota's AsyncKiotaTransport does): without closing them ourselves, every run would
    # leave its pooled connections open.
    pools = [http_client._transport, *(t for t in http_client._mounts.values() if t is not None)]
    http_client = GraphClientFactory.create_with_default_middleware(client=http_client, options=options)
    auth = AzureIdentityAuthenticationProvider(
        credential,
        # `.default` of the Graph host, without a port: Entra rejects ports in scopes.
        scopes=[f"{parts.scheme}://{_bracket(host)}/.default"],
        # Tokens go to the Graph host only (an empty list would mean any host).
        allowed_hosts=[host],
    )
    adapter = GraphRequestAdapter(auth, client=http_client)
    service_client = GraphServiceClient(request_adapter=adapter)
    return GraphStack(alias=alias, http_client=http_client, adapter=adapter, service_client=service_client,
                      credential=credential, pools=pools)


def _tls_context(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """Trust exactly the given bundle (as REQUESTS_CA_BUNDLE does), or the default store."""
    if not ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as err:
        raise ConfigError(
            [Diagnostic(message=f"the CA bundle {ca_bundle} cannot be loaded ({err}) (from {ENV_CA_BUNDLE} or --ca-bundle)")]
        ) from None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _failure_from(err: Any) -> Failure:
    status = int(err.response_status_code or 0)
    headers = httpx.Headers(err.response_headers or {})
    retry_after = parse_retry_after(headers.get("retry-after"), datetime.now(timezone.utc))
    challenge = _challenge_description(headers.get("www-authenticate"))
    main = getattr(err, "error", None)  # ODataError.error: MainError, when Graph sent its error body
    if main is None:
        return Failure(
            status=status,
            code=http_fallback_code(status),
            message="the response carried no Graph error body",
            request_id=headers.get("request-id"),
            retry_after=retry_after,
            auth_challenge=challenge,
        )
    inner = main.inner_error
    request_id = None
    if inner is not None:
        # innerError.request-id today; errors.md's older example writes innerError.requestId.
        request_id = inner.request_id or (inner.additional_data or {}).get("requestId")
    details = [
        {k: v for k, v in (("code", d.code), ("message", d.message), ("target", d.target)) if v is not None}
        for d in (main.details or [])
    ]
    return Failure(
        status=status,
        code=main.code or http_fallback_code(status),
        message=main.message or "",
        request_id=request_id or headers.get("request-id"),
        retry_after=retry_after,
        details=details,
        auth_challenge=challenge,
    )


def _challenge_description(header: str | None) -> str | None:
    if not header:
        return None
    match = re.search(r'error_description="([^"]*)"', header)
    return redact(match.group(1)) if match else None


def _connection_failed(err: httpx.TransportError) -> ConnectionFailed:
    message = redact(f"{type(err).__name__}: {err}".rstrip(": "))
    if _caused_by(err, ssl.SSLCertVerificationError):
        return ConnectionFailed(
            f"TLS certificate verification failed ({message}); if a private CA signs this endpoint, "
            f"point {ENV_CA_BUNDLE} at its bundle",
            sent=False,
            permanent=True,
        )
    never_sent = isinstance(err, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return ConnectionFailed(message, sent=not never_sent)


def _caused_by(err: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
