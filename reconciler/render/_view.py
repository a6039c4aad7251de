"""Turn a plan's JSON into what the templates iterate over: changes grouped by tenant, markers.

Everything here reads the dict from `Plan.to_json()` (or a saved plan file), never Python
objects, so a saved plan renders exactly as the fresh one did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MARKERS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+"}
NO_CHANGES = "No changes. The tenants match the desired state."


def action_of(change: Mapping[str, Any]) -> str:
    actions = list(change["actions"])
    return "replace" if actions == ["delete", "create"] else actions[0]


def summary_line(plan_json: Mapping[str, Any]) -> str:
    s = plan_json["summary"]
    if not any(s.values()):
        return NO_CHANGES
    return (
        f"Plan: {s['create']} to create, {s['update']} to update, "
        f"{s['delete']} to delete, {s['replace']} to replace."
    )


def change_notes(change: Mapping[str, Any]) -> list[str]:
    """Short remarks shown next to a change's address."""
    meta = change.get("meta") or {}
    notes = []
    if action_of(change) == "replace":
        notes.append("replaced: a field that cannot be updated changed")
    if meta.get("pruned"):
        notes.append("pruned: not declared")
    if meta.get("held"):
        notes.append(f"held: {meta['held']}")
    return notes


def tenant_groups(changes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Changes grouped by tenant alias (sorted), each group in plan order."""
    groups: dict[str, dict[str, Any]] = {}
    for change in changes:
        group = groups.setdefault(
            change["tenant"], {"tenant": change["tenant"], "tenant_id": change["tenant_id"], "changes": []}
        )
        action = action_of(change)
        group["changes"].append(
            {**change, "action": action, "marker": MARKERS[action], "notes": change_notes(change)}
        )
    return [groups[t] for t in sorted(groups)]
