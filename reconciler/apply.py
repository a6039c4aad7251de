"""Run a plan's changes in order; a failure skips what depends on it, independent chains go on.

The executor knows nothing about Graph: it calls the `run` it is given for each change (the
engine dispatches to the resource handlers) and records an outcome for every change. Each
handler step is check-then-act, so running the next plan completes whatever this one left.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.errors import CrosstenantError
from reconciler.graph.redact import redact
from reconciler.plan import FORMAT_VERSION, Change, Plan, execution_prerequisites

Status = Literal["applied", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("applied", "failed", "skipped")

# Condition reasons (CamelCase, like Kubernetes conditions).
DEPENDENCY_FAILED = "DependencyFailed"  # a prerequisite failed, or was itself skipped for that
PRECONDITION_NOT_MET = "PreconditionNotMet"  # held at plan time (meta["held"] says why); not attempted


@dataclass(frozen=True)
class ChangeOutcome:
    address: str
    action: str
    status: Status
    error: str | None = None  # for a failure: what went wrong
    reason: str | None = None  # CamelCase: the exception type of a failure, or why a change was skipped
    blocked_by: tuple[str, ...] = ()  # for a skip: the failed (or held back) changes at its root

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "action": self.action,
            "status": self.status,
            "error": self.error,
            "reason": self.reason,
            "blocked_by": list(self.blocked_by),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChangeOutcome:
        return cls(
            address=data["address"],
            action=data["action"],
            status=data["status"],
            error=data.get("error"),
            reason=data.get("reason"),
            blocked_by=tuple(data.get("blocked_by", ())),
        )


@dataclass(frozen=True)
class ApplyReport:
    outcomes: tuple[ChangeOutcome, ...]
    plan_checksum: str
    warnings: tuple[str, ...] = ()  # checks made after the changes (e.g. flags read back)

    @property
    def ok(self) -> bool:
        return not any(o.status == "failed" for o in self.outcomes)

    @property
    def summary(self) -> dict[str, int]:
        return {s: sum(1 for o in self.outcomes if o.status == s) for s in STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "plan_checksum": self.plan_checksum,
            "ok": self.ok,
            "summary": self.summary,
            "outcomes": [o.to_json() for o in self.outcomes],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApplyReport:
        return cls(
            outcomes=tuple(ChangeOutcome.from_json(o) for o in data.get("outcomes", ())),
            plan_checksum=data.get("plan_checksum", ""),
            warnings=tuple(data.get("warnings", ())),
        )


def _ignore(_: Any) -> None:
    return None


async def execute_plan(
    plan: Plan,
    run: Callable[[Change], Awaitable[None]],
    *,
    on_start: Callable[[Change], None] = _ignore,
    on_done: Callable[[ChangeOutcome], None] = _ignore,
) -> ApplyReport:
    """Run every change of `plan` in plan order, one at a time, and report each one's outcome.

    - `run` raising any `Exception` fails that change (a `CrosstenantError` is reported by its
      message, anything else also names its type); `KeyboardInterrupt` and
      `asyncio.CancelledError` are not caught: an interrupted apply stops at once.
    - A change whose prerequisites (see `plan.execution_prerequisites`: what it depends on, or
      for a delete the deletes of its dependents) failed or were skipped is skipped with
      reason `DependencyFailed`, naming the failed changes at the root.
    - A change marked `meta["held"]` is not attempted: it fails (`PreconditionNotMet`, the
      reason as its error), so the apply does not count as done; its dependents are skipped.
    `on_start` is called before each run, `on_done` with every outcome, skipped ones too.
    """
    needs = execution_prerequisites(plan.changes)
    _require_dependency_order(plan.changes, needs)
    # For a change that did not apply: the failed changes at the root of it.
    blocked: dict[str, frozenset[str]] = {}
    outcomes: list[ChangeOutcome] = []

    for change in plan.changes:
        causes = [blocked[p] for p in sorted(needs[change.address]) if p in blocked]
        if causes:
            roots = frozenset().union(*causes)
            blocked[change.address] = roots
            outcome = ChangeOutcome(
                address=change.address,
                action=change.action,
                status="skipped",
                reason=DEPENDENCY_FAILED,
                blocked_by=tuple(sorted(roots)),
            )
        elif change.meta.get("held"):
            blocked[change.address] = frozenset({change.address})
            outcome = ChangeOutcome(change.address, change.action, "failed", error=str(change.meta["held"]),
                                    reason=PRECONDITION_NOT_MET)
        else:
            outcome = await _run_one(change, run, on_start)
            if outcome.status == "failed":
                blocked[change.address] = frozenset({change.address})
        outcomes.append(outcome)
        on_done(outcome)

    return ApplyReport(outcomes=tuple(outcomes), plan_checksum=plan.checksum)


def _require_dependency_order(changes: tuple[Change, ...], needs: dict[str, frozenset[str]]) -> None:
    """Refuse, before any write, a plan whose order would run a change before a prerequisite."""
    seen: set[str] = set()
    for change in changes:
        early = sorted(needs[change.address] - seen)
        if early:
            raise ValueError(f"{change.address} is ordered before {', '.join(early)}, which it needs")
        seen.add(change.address)


async def _run_one(
    change: Change, run: Callable[[Change], Awaitable[None]], on_start: Callable[[Change], None]
) -> ChangeOutcome:
    on_start(change)
    try:
        await run(change)
    except CrosstenantError as e:
        return ChangeOutcome(change.address, change.action, "failed", error=str(e), reason=type(e).__name__)
    except Exception as e:  # a bug or an unexpected library error: still reported per change
        return ChangeOutcome(  # a library's text may quote a request: never let a token through
            change.address, change.action, "failed", error=redact(f"{type(e).__name__}: {e}"), reason=type(e).__name__
        )
    return ChangeOutcome(change.address, change.action, "applied")
