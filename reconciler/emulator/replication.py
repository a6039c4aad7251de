"""Replication lag for objects just created (FIELD-NOTES row 14).

In Entra a freshly instantiated application and service principal may be unreadable for seconds
to minutes. The emulator models that deterministically: when lag is on (`lagRequests` N > 0), an
object registered at creation stays invisible for the next N requests to its tenant's
application and synchronization area (a GET by id, a `$filter` list, a call on a sub-resource),
then appears. Requests stand in for the passing of time: an object nobody asks about still
replicates. Counting requests instead of seconds keeps tests free of clocks; one request counts
once, however many objects it looks at.

State lives in `ctx.knobs["replication"]` (set through `POST /_emulator/replication`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from starlette.requests import Request

from reconciler.emulator.context import EmulatorContext
from reconciler.emulator.errors import GraphHTTPError

KNOB = "replication"


@dataclass
class ReplicationLag:
    lag_requests: int = 0
    # (tenant id, object id) -> requests still to be hidden from
    _pending: dict[tuple[str, str], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, lag_requests: int) -> None:
        """Set N for objects created from now on; 0 turns lag off and reveals everything."""
        with self._lock:
            self.lag_requests = lag_requests
            if lag_requests == 0:
                self._pending.clear()

    def created(self, tenant_id: str, *object_ids: str) -> None:
        with self._lock:
            if self.lag_requests <= 0:
                return
            for obj_id in object_ids:
                self._pending[(tenant_id, obj_id.lower())] = self.lag_requests

    def visible(self, request: Request, tenant_id: str, obj_id: str) -> bool:
        """Whether this request may see the object; the first call of a request counts it."""
        key = (tenant_id, obj_id.lower())
        seen: dict[tuple[str, str], bool] = _request_memo(request)
        if key in seen:
            return seen[key]
        with self._lock:
            hidden = getattr(request.state, "replication_hidden", None)
            if hidden is None:  # this request's first look: what it cannot see yet, then count it
                hidden = request.state.replication_hidden = {k for k in self._pending if k[0] == tenant_id}
                self._tick(tenant_id)
            seen[key] = key not in hidden
        return seen[key]

    def _tick(self, tenant_id: str) -> None:
        """One more request to the tenant: every object still replicating there is one closer."""
        for key in [k for k in self._pending if k[0] == tenant_id]:
            self._pending[key] -= 1
            if self._pending[key] <= 0:
                del self._pending[key]

    def forget(self, tenant_id: str, obj_id: str) -> None:
        with self._lock:
            self._pending.pop((tenant_id, obj_id.lower()), None)


def _request_memo(request: Request) -> dict[tuple[str, str], bool]:
    memo = getattr(request.state, "replication_seen", None)
    if memo is None:
        memo = request.state.replication_seen = {}
    return memo


def lag(ctx: EmulatorContext) -> ReplicationLag:
    state = ctx.knobs.get(KNOB)
    if not isinstance(state, ReplicationLag):
        state = ctx.knobs[KNOB] = ReplicationLag()
    return state


def not_yet_replicated(obj_id: str) -> GraphHTTPError:
    """What Graph answers for an object it cannot see yet: the same 404 as for a missing one.
    For sub-resource calls (appRoleAssignedTo, synchronization jobs) the field reports 400/403/404
    alike; the emulator answers 404 everywhere (an assumption, kept here)."""
    return GraphHTTPError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{obj_id}' does not exist or one of its queried reference-property objects are not present.",
    )
