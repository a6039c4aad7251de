"""Body helpers shared by the resource kinds: normalising what Graph returns, building writes."""

from __future__ import annotations

from typing import Any


def strip_annotations(body: dict[str, Any]) -> dict[str, Any]:
    """Drop OData annotations (`@odata.context`, `x@odata.type`): they are not settings."""
    return {k: v for k, v in body.items() if "@odata." not in k and not k.startswith("@")}


def sort_targets(value: Any) -> Any:
    """Order every `targets` list by (targetType, target), so list order never shows as drift."""
    if isinstance(value, dict):
        return {
            k: (sorted(v, key=_target_key) if k == "targets" and isinstance(v, list) else sort_targets(v))
            for k, v in value.items()
        }
    return value


def _target_key(t: Any) -> tuple[str, str]:
    if isinstance(t, dict):
        return (str(t.get("targetType", "")), str(t.get("target", "")))
    return ("", str(t))


def overlay(live: Any, declared: Any) -> Any:
    """The live value with the declared fields laid over it (dicts recursively; anything else replaced)."""
    if isinstance(declared, dict) and isinstance(live, dict):
        merged = dict(live)
        for key, value in declared.items():
            merged[key] = overlay(live.get(key), value)
        return merged
    return declared


def write_body(declared: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
    """A PATCH body that sends each touched top-level property whole.

    Graph does not document whether PATCH merges nested objects, so every top-level property
    we touch goes out complete: live value (unknown sub-properties included, never nulled)
    with the declared fields laid over it. Untouched top-level properties are not sent.
    """
    live = live or {}
    return {key: overlay(live.get(key), value) for key, value in declared.items()}
