"""Server-side paging and `$select`, shared by every route module.

A collection answers one page: `{"@odata.context", "value", "@odata.nextLink"?}`. The next link
is the request's own URL with an opaque `$skiptoken` (ENDPOINTS §4.2: clients follow it verbatim).
`$top` sets the page size, as Graph's directory collections do.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from reconciler.emulator.errors import GraphHTTPError, bad_request

DEFAULT_PAGE_SIZE = 100
MAX_TOP = 999


def page(request: Request, items: list[dict[str, Any]], page_size: int = DEFAULT_PAGE_SIZE,
         *, context: str | None = None) -> dict[str, Any]:
    """One page of `items` for this request; `context` is the `$metadata#…` fragment (default: the path)."""
    size = _top(request) or page_size
    offset = _offset(request)
    chunk = items[offset:offset + size]
    body: dict[str, Any] = {"@odata.context": odata_context(request, context), "value": chunk}
    if offset + size < len(items):
        body["@odata.nextLink"] = _next_link(request, offset + size)
    return body


def odata_context(request: Request, fragment: str | None = None) -> str:
    """`https://host:port/v1.0/$metadata#<fragment>`; the fragment defaults to the path after /v1.0/."""
    if fragment is None:
        fragment = request.url.path.split("/v1.0/", 1)[-1]
    return f"{base_url(request)}/v1.0/$metadata#{fragment}"


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def select(request: Request, body: dict[str, Any], always: tuple[str, ...] = ()) -> dict[str, Any]:
    """Apply `$select` (top-level properties only); annotations and `always` are kept."""
    raw = request.query_params.get("$select")
    if not raw:
        return body
    wanted = {name.strip() for name in raw.split(",") if name.strip()} | set(always)
    return {k: v for k, v in body.items() if k in wanted or k.startswith("@")}


def _top(request: Request) -> int | None:
    raw = request.query_params.get("$top")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise bad_request(f"Invalid value '{raw}' for $top: must be an integer between 1 and {MAX_TOP}.")
    return int(raw)


def _offset(request: Request) -> int:
    token = request.query_params.get("$skiptoken")
    if token is None:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode() + b"==").decode().removeprefix("offset:"))
    except ValueError:
        raise GraphHTTPError(400, "Request_BadRequest", "The specified page token value has expired or is invalid.")
    return max(offset, 0)


def _next_link(request: Request, offset: int) -> str:
    token = base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "$skiptoken"]
    params.append(("$skiptoken", token))
    query = urlencode(params, safe="$,()'=")
    return f"{base_url(request)}{request.url.path}?{query}"
