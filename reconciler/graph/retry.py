"""When a failed Graph attempt is tried again, and after how long. Pure: no I/O, no SDK.

The SDK's own RetryHandler is switched off (it retries POST on 503/504, where the create may
already have happened); this policy replaces it:

- GET, PUT, PATCH, DELETE are retried on 429, 503, 504 and on connection errors;
- POST is retried only on 429 (Graph did not process the request) and when the connection
  could not even be opened (the request never left). A POST that hit a 5xx or a dropped
  connection is not repeated: the caller re-reads and decides (check-then-act).
"""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

RETRYABLE_STATUSES = frozenset({429, 503, 504})
# Every method but POST is idempotent on Graph's resources (PUT and PATCH set values).
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # attempts in all, the first included
    base_delay: float = 1.0  # first backoff, doubled per attempt
    max_delay: float = 60.0  # cap on one wait; a longer Retry-After ends the retries

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(f"invalid retry policy {self}")

    def backoff(self, attempt: int, rand: Callable[[], float]) -> float:
        """Exponential backoff with jitter before attempt `attempt + 1` (`attempt` is 1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * rand())  # "equal jitter": between half and all of it

    def delay_before_next(
        self, attempt: int, retry_after: float | None, rand: Callable[[], float]
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        return self.backoff(attempt, rand)


def may_retry(method: str, status: int | None, *, sent: bool = True) -> bool:
    """Whether this outcome may be retried at all. `status` None means a connection error;
    `sent` False means the connection was never opened, so the request cannot have been seen."""
    method = method.upper()
    if status is None:
        return method in _IDEMPOTENT or not sent
    if status == 429:
        return True
    return status in RETRYABLE_STATUSES and method in _IDEMPOTENT


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds (Graph sends fractions, e.g. `2.128`) or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)
