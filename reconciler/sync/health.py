"""A synchronization job's status read two ways: its run state, and its health.

FIELD-NOTES row 12: a new job is Paused, and a quarantined job still runs (at a reduced rate), so
the desired run state (started / paused) and health (quarantine, reason, since) are kept apart.
Health is reported, never planned as a change.

Run state (ENDPOINTS.md §3.1, cts-howto jobs examples):
- `status.code` `Quarantine` → started (the job runs; that it is unhealthy is health);
- `status.code` `Paused` → paused (a new job: `Paused` with `schedule.state` `Disabled`);
- otherwise `schedule.state` `Active` → started (a just-started job reads `Active` + `NotRun`),
  anything else (`Disabled`, `Paused`; `NotConfigured`) → paused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

RunState = Literal["started", "paused"]

_NEVER = "0001-01-01T00:00:00"  # DateTimeOffset.MinValue: Graph's "never" (jobs-get example)


@dataclass(frozen=True)
class Health:
    quarantined: bool
    reason: str | None = None  # quarantine reason (`TooManyDeletes`, `EncounteredQuarantineException`, ...)
    since: str | None = None  # when the quarantine series began
    last_run_state: str | None = None  # `Succeeded` | `Failed` | `EntryLevelErrors`; None: never ran
    last_error: str | None = None  # "code: message" of the quarantine or the last run

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_state(job: Mapping[str, Any]) -> RunState:
    status = job.get("status") or {}
    code = status.get("code")
    if code == "Quarantine":
        return "started"
    if code == "Paused":
        return "paused"
    return "started" if (job.get("schedule") or {}).get("state") == "Active" else "paused"


def job_health(job: Mapping[str, Any]) -> Health:
    status = job.get("status") or {}
    quarantine = status.get("quarantine") or None
    last = status.get("lastExecution") or None
    ran = bool(last) and not _is_never(last.get("timeBegan"))
    last_run_state = last.get("state") if ran else None
    error = _error_text((quarantine or {}).get("error")) or (_error_text(last.get("error")) if ran else None)
    if status.get("code") != "Quarantine":
        return Health(quarantined=False, last_run_state=last_run_state, last_error=error)
    q = quarantine or {}
    since = _time(q.get("seriesBegan")) or _time(q.get("currentBegan"))
    return Health(
        quarantined=True,
        reason=q.get("reason") or None,
        since=since,
        last_run_state=last_run_state,
        last_error=error,
    )


def _is_never(value: Any) -> bool:
    return not value or str(value).startswith(_NEVER)


def _time(value: Any) -> str | None:
    return None if _is_never(value) else str(value)


def _error_text(error: Mapping[str, Any] | None) -> str | None:
    """`code: message`; a sentinel error (`code "None"`, jobs-get example) is no error."""
    if not error:
        return None
    code = error.get("code")
    if not code or code == "None":
        return None
    message = error.get("message")
    return f"{code}: {message}" if message else str(code)
