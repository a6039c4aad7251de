"""Change, Plan: the ordered changes plus warnings, unmanaged objects and unsafe reasons.

A plan is a plain, JSON-serialisable value: `Plan.to_json()` is what every renderer reads and
what a saved plan file holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["create", "update", "delete", "replace"]


@dataclass(frozen=True)
class FieldChange:
    path: tuple[str, ...]  # Graph property path, e.g. ("inboundTrust", "isMfaAccepted")
    before: Any  # live value; None when absent (use MISSING semantics in rendering: "(none)")
    after: Any  # declared value; None means Graph's null (`inherit`)


@dataclass(frozen=True)
class Change:
    address: str
    kind: str
    tenant: str  # alias
    tenant_id: str
    key: str
    action: Action
    fields: tuple[FieldChange, ...] = ()
    payload: dict[str, Any] | None = None  # request body for create / update
    depends_on: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unmanaged:
    """A live object nobody declared: reported apart from the changes, never touched."""

    address: str
    tenant: str
    kind: str
    key: str
    note: str = ""


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    warnings: tuple[str, ...] = ()
    unsafe_reasons: tuple[str, ...] = ()
    managed_count: int = 0  # live managed objects, for the share-of-change safety limit
    desired_digest: str = ""
    live_fingerprints: dict[str, str] = field(default_factory=dict)
