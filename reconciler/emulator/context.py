"""What every route module gets: the store, the caller's identity and the emulator's knobs.

Route modules live in `routes/`, one per Graph area; each exposes
`def routes(ctx: EmulatorContext) -> list[starlette.routing.BaseRoute]` with paths under
`/v1.0/...`, and raises `errors.GraphHTTPError` for Graph's error responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.requests import Request

from reconciler.emulator.errors import GraphHTTPError
from reconciler.emulator.store import Store


@dataclass(frozen=True)
class Caller:
    tenant_id: str  # the token's `tid`: every read and write is in this tenant
    app_id: str  # the token's `appid`
    roles: frozenset[str]  # the application permissions granted (`roles` claim)


@dataclass
class EmulatorContext:
    store: Store
    # Verifies the bearer token; set by auth.py when the app is built.
    verify_token: Callable[[Request], Caller]
    # Free-form knobs that the control API sets (replication lag and the like), by area.
    knobs: dict[str, Any] = field(default_factory=dict)

    def authorize(self, request: Request, *any_of: str) -> Caller:
        """The caller, if its token carries one of `any_of`; else Graph's 403."""
        caller = self.verify_token(request)
        if any_of and not caller.roles.intersection(any_of):
            raise GraphHTTPError(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        return caller
