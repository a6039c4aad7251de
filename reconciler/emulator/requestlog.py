"""The log of `/v1.0` and token requests that the control API serves to tests and benchmarks.

Only what identifies a call is kept: never headers, bodies or anything that may carry a secret.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

MAX_ENTRIES = 10_000  # oldest entries are dropped beyond this


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    method: str
    path: str
    query: str
    tenantId: str | None
    status: int
    durationMs: float


class RequestLog:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: deque[LoggedRequest] = deque(maxlen=max_entries)
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, method: str, path: str, query: str, tenant_id: str | None, status: int,
               duration_ms: float) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append(
                LoggedRequest(self._seq, method, path, query, tenant_id, status, round(duration_ms, 3))
            )

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
