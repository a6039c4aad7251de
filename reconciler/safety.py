"""When a plan is unsafe: the reasons `apply` refuses it without `--force` (octoDNS-style limits)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import UnsafePlanError

if TYPE_CHECKING:
    from reconciler.plan import Change, Plan


@dataclass(frozen=True)
class SafetyLimits:
    """Thresholds for the share-of-change check, and the kinds whose deletion always needs --force.

    The share is (updates + deletes + replaces) / managed objects; it only applies from
    `min_existing` managed objects on, so a small estate can be rebuilt freely (octoDNS's
    `MAX_SAFE_*_PCENT = 0.3`, `MIN_EXISTING_RECORDS = 10`).
    """

    max_change_fraction: float = 0.3
    min_existing: int = 10
    # Deleting or replacing one of these is unsafe whatever the counts. A link's parts
    # (`link_settings`, ...) are never deleted on their own: they go with the link.
    force_kinds: frozenset[str] = frozenset({"partner", "link"})

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_change_fraction <= 1.0:
            raise ValueError(f"max_change_fraction must be within [0, 1], got {self.max_change_fraction}")
        if self.min_existing < 0:
            raise ValueError(f"min_existing must not be negative, got {self.min_existing}")

    def forces(self, kind: str) -> bool:
        return kind in self.force_kinds


def unsafe_reasons(
    changes: Iterable[Change], managed_count: int, limits: SafetyLimits = SafetyLimits()
) -> tuple[str, ...]:
    """Every reason the changes need --force, per change in plan order, then the share limit."""
    changes = tuple(changes)
    reasons: list[str] = []
    for change in changes:
        if change.meta.get("pruned"):
            reasons.append(f"prune deletes {change.kind} {change.address} (not declared)")
        elif change.action in ("delete", "replace") and limits.forces(change.kind):
            verb = "deletes" if change.action == "delete" else "replaces (deletes, then creates)"
            reasons.append(f"{verb} {change.kind} {change.address}")
        if change.meta.get("unsafe_reason"):
            reasons.append(f"{change.address}: {change.meta['unsafe_reason']}")
    too_much = _too_much_change(changes, managed_count, limits)
    if too_much:
        reasons.append(too_much)
    return tuple(dict.fromkeys(reasons))  # de-duplicated, order kept


def _too_much_change(changes: tuple[Change, ...], managed_count: int, limits: SafetyLimits) -> str | None:
    if managed_count < limits.min_existing or managed_count <= 0:
        return None
    counts = {action: sum(1 for c in changes if c.action == action) for action in ("update", "delete", "replace")}
    touched = sum(counts.values())
    share = touched / managed_count
    if share <= limits.max_change_fraction:
        return None
    return (
        f"too much change: {share:.1%} of the managed objects would be updated, deleted or replaced, "
        f"over the {limits.max_change_fraction:.1%} limit ({touched}/{managed_count}: "
        f"{counts['update']} to update, {counts['delete']} to delete, {counts['replace']} to replace)"
    )


def raise_if_unsafe(plan: Plan, force: bool) -> None:
    """Refuse an unsafe plan unless forced: raises `UnsafePlanError` listing every reason."""
    if plan.unsafe_reasons and not force:
        raise UnsafePlanError(list(plan.unsafe_reasons))
