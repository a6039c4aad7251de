"""Waiting out Entra's replication lag: poll until an object is seen N times in a row.

terraform-provider-azuread's consistency helper does the same (5 consecutive confirmations,
bounded by a deadline): one successful read can come from a replica that has the write while
the next read hits one that does not yet.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from reconciler.errors import ForbiddenError, NotFoundError, TransientGraphError

FIRST_DELAY = 1.0  # after a miss; doubled per miss up to MAX_DELAY
MAX_DELAY = 8.0
CONFIRM_DELAY = 1.0  # between confirmations once the object was seen


async def wait_until(
    probe: Callable[[], Awaitable[bool]],
    *,
    what: str,
    consecutive: int = 3,
    timeout: float = 120.0,
    sleep: Callable[[float], Awaitable[None]],
    clock: Callable[[], float],
) -> None:
    """Return once `probe()` is True `consecutive` times in a row; raise TransientGraphError at
    `timeout`. A probe raising NotFoundError or ForbiddenError counts as "not yet": right after a
    create, Graph answers 404 or 403 until the object (or its service principal) has replicated."""
    if consecutive < 1:
        raise ValueError("consecutive must be at least 1")
    deadline = clock() + timeout
    seen = probes = 0
    miss_delay = FIRST_DELAY
    last_miss = "not seen yet"
    while True:
        probes += 1
        try:
            ok = await probe()
        except (NotFoundError, ForbiddenError) as err:
            ok, last_miss = False, f"last answer {err.status} {err.code}"
        else:
            if not ok:
                last_miss = "the last read did not show it"
        if ok:
            seen += 1
            if seen >= consecutive:
                return
            delay = CONFIRM_DELAY
        else:
            seen = 0
            delay, miss_delay = miss_delay, min(MAX_DELAY, miss_delay * 2)
        remaining = deadline - clock()
        if remaining <= 0:
            raise TransientGraphError(
                status=0,
                code="ConsistencyTimeout",
                message=(
                    f"{what} was not consistently visible after {timeout:g}s "
                    f"({probes} reads, {seen} of {consecutive} confirmations in a row; {last_miss}). "
                    "Entra can take minutes to replicate a new object; a later run will pick up from here"
                ),
                method="WAIT",
                path=what,
            )
        await sleep(min(delay, remaining))
