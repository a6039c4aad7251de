"""Graph's error body: `{"error": {"code", "message", "innerError": {date, request-id, client-request-id}}}`."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import JSONResponse


class GraphHTTPError(Exception):
    """Raise from a route; the app turns it into Graph's error response."""

    def __init__(self, status: int, code: str, message: str, details: list[dict] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.details = details or []
        self.headers = headers or {}


def request_id(request: Request) -> str:
    """The request id the app middleware assigned (also sent as the `request-id` header)."""
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.state.request_id = str(uuid.uuid4())
    return rid


def error_response(request: Request, err: GraphHTTPError) -> JSONResponse:
    inner = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id(request),
        "client-request-id": request.headers.get("client-request-id", request_id(request)),
    }
    body: dict = {"code": err.code, "message": err.message, "innerError": inner}
    if err.details:
        body["details"] = err.details
    return JSONResponse({"error": body}, status_code=err.status, headers=err.headers)


async def json_body(request: Request) -> dict:
    """The request's JSON object, or Graph's 400 for a body that is not one."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GraphHTTPError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type "
                                                "header is set and payload is of valid JSON format.")
    return body


def not_found(message: str = "Resource not found.", code: str = "Request_ResourceNotFound") -> GraphHTTPError:
    return GraphHTTPError(404, code, message)


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphHTTPError:
    return GraphHTTPError(400, code, message)
