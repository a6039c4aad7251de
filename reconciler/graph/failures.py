"""Turn one failed Graph call into the project's typed error. Pure: no SDK import.

`client.py` reads the SDK's error (status, headers, Graph's parsed error body) into a `Failure`;
this module decides which `reconciler.errors` type it is and writes the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus

from reconciler.errors import (
    ConflictError,
    ForbiddenError,
    GraphError,
    NotFoundError,
    PermanentGraphError,
    TransientGraphError,
)

# Permission and role names as Graph writes them in messages: `Policy.ReadWrite.CrossTenantAccess`.
_PERMISSION = re.compile(r"\b[A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)+\b")


@dataclass(frozen=True)
class Failure:
    """A failed attempt: an HTTP error response, or (status 0) no response at all."""

    status: int
    code: str
    message: str
    request_id: str | None = None
    retry_after: float | None = None
    details: list[dict] = field(default_factory=list)
    # 401: the token problem Entra states in WWW-Authenticate (error_description), if any.
    auth_challenge: str | None = None


def error_class(status: int) -> type[GraphError]:
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status in (401, 403):
        return ForbiddenError
    if status == 0 or status == 429 or status >= 500:
        return TransientGraphError
    return PermanentGraphError


def to_error(failure: Failure, method: str, path: str, *, attempts: int = 1, note: str | None = None) -> GraphError:
    cls = error_class(failure.status)
    message = failure.message or "(no message)"
    if cls is ForbiddenError:
        message = _forbidden_message(failure)
    if attempts > 1:
        message = f"{message} (gave up after {attempts} attempts)"
    if note:
        message = f"{message} ({note})"
    return cls(
        status=failure.status,
        code=failure.code,
        message=message,
        request_id=failure.request_id,
        method=method,
        path=path,
        retry_after=failure.retry_after,
        details=list(failure.details),
    )


def http_fallback_code(status: int) -> str:
    """A code for an error response that carried no Graph error body (e.g. a proxy's HTML page)."""
    try:
        return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return f"HTTP{status}"


def _forbidden_message(failure: Failure) -> str:
    """Graph's message, plus whatever Graph said about the missing permission or role."""
    parts = [failure.message] if failure.message else []
    for detail in failure.details:
        text = str(detail.get("message") or "").strip()
        if text and text not in parts:
            parts.append(text)
    if failure.auth_challenge and failure.auth_challenge not in parts:
        parts.append(failure.auth_challenge)
    named = sorted({p for text in parts for p in _PERMISSION.findall(text)})
    message = "; ".join(parts) or "access denied"
    if named:
        return f"{message} [permission/role named by Graph: {', '.join(named)}]"
    if failure.status == 403:
        return f"{message} (the app lacks an application permission or directory role this call needs)"
    return f"{message} (the token was refused)"
