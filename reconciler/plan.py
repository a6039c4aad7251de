"""Change, Plan: the ordered changes plus warnings, unmanaged objects and unsafe reasons.

A plan is a plain, JSON-serialisable value: `Plan.to_json()` is what every renderer reads and
what a saved plan file holds; `Plan.from_json(plan.to_json()) == plan`.

In a plan's JSON a field change that comes from (create) or goes to (delete) nothing has no
`before` (or no `after`) key at all, while Graph's `null` is an explicit `null`: "absent" and
"inherit" stay apart. In Python the absent side is the `MISSING` marker.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import reconciler
from reconciler.errors import CrosstenantError
from reconciler.safety import SafetyLimits, raise_if_unsafe, unsafe_reasons

FORMAT_VERSION = "1.0"

Action = Literal["create", "update", "delete", "replace"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "replace")
# Terraform-style action lists: scanning for "delete" also finds replaces.
_ACTION_LISTS: dict[Action, tuple[str, ...]] = {
    "create": ("create",),
    "update": ("update",),
    "delete": ("delete",),
    "replace": ("delete", "create"),
}
# Why a change is planned (a fixed vocabulary, like Terraform's action reasons).
REASONS = ("missing_in_live", "differs_from_declared", "immutable_field_changed", "ensure_absent", "pruned")
ABSENT_FINGERPRINT = "absent"


class _Missing:
    """The marker for a property that is not there at all (as opposed to Graph's `null`)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Missing:
        return self


MISSING: Any = _Missing()


class PlanFormatError(CrosstenantError):
    """A saved plan cannot be read: unknown format version, edited content, bad shape."""


@dataclass(frozen=True)
class FieldChange:
    path: tuple[str, ...]  # Graph property path, e.g. ("inboundTrust", "isMfaAccepted")
    before: Any  # live value; MISSING when the property (or the object) is absent
    after: Any  # declared value; None means Graph's null (`inherit`); MISSING on a delete

    @property
    def dotted_path(self) -> str:
        return ".".join(self.path)

    def to_json(self) -> dict[str, Any]:
        # `path_parts` is the exact path (a property name may hold a dot); `path` is for people.
        data: dict[str, Any] = {"path": self.dotted_path, "path_parts": list(self.path)}
        if self.before is not MISSING:
            data["before"] = _jsonable(self.before)
        if self.after is not MISSING:
            data["after"] = _jsonable(self.after)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldChange:
        parts = data.get("path_parts")
        path = tuple(parts) if parts is not None else tuple(str(data["path"]).split("."))
        return cls(path=path, before=data.get("before", MISSING), after=data.get("after", MISSING))


@dataclass(frozen=True)
class Change:
    address: str
    kind: str
    tenant: str  # alias
    tenant_id: str
    key: str
    action: Action
    fields: tuple[FieldChange, ...] = ()
    payload: dict[str, Any] | None = None  # request body for create / update / replace
    depends_on: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # one of REASONS

    @property
    def actions(self) -> tuple[str, ...]:
        return _ACTION_LISTS[self.action]

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "tenant": self.tenant,
            "tenant_id": self.tenant_id,
            "key": self.key,
            "actions": list(self.actions),
            "reason": self.reason,
            "fields": [f.to_json() for f in self.fields],
            "payload": _jsonable(self.payload),
            "depends_on": list(self.depends_on),
            "meta": _jsonable(self.meta),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            address=data["address"],
            kind=data["kind"],
            tenant=data["tenant"],
            tenant_id=data["tenant_id"],
            key=data["key"],
            action=_action_from_list(data["actions"]),
            fields=tuple(FieldChange.from_json(f) for f in data.get("fields", ())),
            payload=data.get("payload"),
            depends_on=tuple(data.get("depends_on", ())),
            meta=dict(data.get("meta") or {}),
            reason=data.get("reason", ""),
        )


@dataclass(frozen=True)
class Unmanaged:
    """A live object nobody declared: reported apart from the changes, never touched."""

    address: str
    tenant: str
    kind: str
    key: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "tenant": self.tenant, "kind": self.kind, "key": self.key, "note": self.note}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Unmanaged:
        return cls(data["address"], data["tenant"], data["kind"], data["key"], data.get("note", ""))


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    warnings: tuple[str, ...] = ()
    unsafe_reasons: tuple[str, ...] = ()
    managed_count: int = 0  # live managed objects, for the share-of-change safety limit
    desired_digest: str = ""
    live_fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        return {action: sum(1 for c in self.changes if c.action == action) for action in ACTIONS}

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def is_unsafe(self) -> bool:
        return bool(self.unsafe_reasons)

    @property
    def checksum(self) -> str:
        """sha256 over the changes, the desired-state digest and the live fingerprints.

        Warnings, unmanaged objects and the tool version are left out on purpose: a re-plan
        that would do exactly the same writes against the same live objects must match.
        """
        material = {
            "changes": [c.to_json() for c in self.changes],
            "desired_digest": self.desired_digest,
            "live_fingerprints": self.live_fingerprints,
        }
        return hashlib.sha256(canonical_json(material).encode()).hexdigest()

    def raise_if_unsafe(self, force: bool = False) -> None:
        raise_if_unsafe(self, force)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "tool_version": reconciler.__version__,
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [u.to_json() for u in self.unmanaged],
            "warnings": list(self.warnings),
            "unsafe": {"is_unsafe": self.is_unsafe, "reasons": list(self.unsafe_reasons)},
            "summary": self.summary,
            "managed_count": self.managed_count,
            "desired_digest": self.desired_digest,
            "live_fingerprints": dict(sorted(self.live_fingerprints.items())),
            "checksum": self.checksum,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """Read a saved plan; refuses another major format version or content that was edited."""
        version = str(data.get("format_version", ""))
        if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
            raise PlanFormatError(f"unsupported plan format_version {version!r} (this tool reads {FORMAT_VERSION})")
        try:
            plan = cls(
                changes=tuple(Change.from_json(c) for c in data.get("changes", ())),
                unmanaged=tuple(Unmanaged.from_json(u) for u in data.get("unmanaged", ())),
                warnings=tuple(data.get("warnings", ())),
                unsafe_reasons=tuple((data.get("unsafe") or {}).get("reasons", ())),
                managed_count=int(data.get("managed_count", 0)),
                desired_digest=data.get("desired_digest", ""),
                live_fingerprints=dict(data.get("live_fingerprints") or {}),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise PlanFormatError(f"malformed plan: {type(e).__name__}: {e}") from e
        expected = data.get("checksum")
        if expected is not None and expected != plan.checksum:
            raise PlanFormatError("the plan's checksum does not match its content (was the file edited?)")
        return plan


def canonical_json(value: Any) -> str:
    """The one serialisation hashes are taken over: sorted keys, no whitespace, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def fingerprint(body: Mapping[str, Any] | None) -> str:
    """A stable hash of a live body (key order does not matter); `"absent"` for no object."""
    if body is None:
        return ABSENT_FINGERPRINT
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


class DesiredResource(Protocol):
    """What planning reads of a desired resource: `resources.base.Resource` satisfies it.

    A protocol rather than an import keeps the pure core free of the resources layer.
    """

    @property
    def address(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def body(self) -> dict[str, Any]: ...
    @property
    def ensure(self) -> str: ...
    @property
    def depends_on(self) -> tuple[str, ...]: ...
    @property
    def meta(self) -> dict[str, Any]: ...


# The resource argument is typed Any: a handler's `payload(desired: Resource, ...)` must fit.
PayloadBuilder = Callable[[Any, "dict[str, Any] | None"], "dict[str, Any]"]
ReplacePaths = Callable[[str], frozenset[tuple[str, ...]]]


def build_plan(
    pairs: Iterable[tuple[DesiredResource, dict[str, Any] | None]],
    *,
    payload: PayloadBuilder,
    replace_paths: ReplacePaths = lambda kind: frozenset(),
    unmanaged: Iterable[Unmanaged] = (),
    warnings: Iterable[str] = (),
    managed_count: int | None = None,
    limits: SafetyLimits = SafetyLimits(),
    desired_digest: str = "",
    live_fingerprints: Mapping[str, str] | None = None,
    kind_order: Callable[[str], int] | None = None,
) -> Plan:
    """Pair each desired resource with its live body (None: absent) and plan the difference.

    `managed_count` defaults to the number of pairs whose object exists live, and
    `live_fingerprints` to a fingerprint of every live body read (absent ones included, so an
    object appearing after the plan makes it stale). `kind_order` breaks ordering ties between
    kinds (the handlers' `order`: lower first on create, last on delete).
    """
    pairs = tuple(pairs)
    _require_unique(r.address for r, _ in pairs)
    changes = [c for r, live in pairs if (c := change_for(r, live, payload=payload, replace_paths=replace_paths))]
    ordered = order_changes(changes, kind_order=kind_order)
    if managed_count is None:
        managed_count = sum(1 for _, live in pairs if live is not None)
    if live_fingerprints is None:
        live_fingerprints = {r.address: fingerprint(live) for r, live in pairs}
    return Plan(
        changes=ordered,
        unmanaged=tuple(sorted(unmanaged, key=lambda u: u.address)),
        warnings=tuple(warnings),
        unsafe_reasons=unsafe_reasons(ordered, managed_count, limits),
        managed_count=managed_count,
        desired_digest=desired_digest,
        live_fingerprints=dict(sorted(live_fingerprints.items())),
    )


def change_for(
    resource: DesiredResource,
    live: dict[str, Any] | None,
    *,
    payload: PayloadBuilder,
    replace_paths: ReplacePaths = lambda kind: frozenset(),
) -> Change | None:
    """The change that makes `live` what `resource` declares, or None when nothing is to do."""
    # Imported here: diff.py builds FieldChange values from this module.
    from reconciler.diff import declared_leaves, diff_declared

    def make(action: Action, reason: str, fields: tuple[FieldChange, ...], body: dict[str, Any] | None) -> Change:
        try:
            return Change(
                address=resource.address,
                kind=resource.kind,
                tenant=resource.tenant,
                tenant_id=resource.tenant_id,
                key=resource.key,
                action=action,
                fields=tuple(FieldChange(f.path, _jsonable_side(f.before), _jsonable_side(f.after)) for f in fields),
                payload=_jsonable(body),
                depends_on=tuple(resource.depends_on),
                meta=_jsonable(dict(resource.meta)),
                reason=reason,
            )
        except (TypeError, ValueError) as e:  # a plan must be JSON: refuse it here, not when saving
            raise ValueError(f"{resource.address}: the change is not JSON-serialisable: {e}") from e

    if resource.ensure == "absent":
        if live is None:
            return None
        gone = tuple(FieldChange((k,), live[k], MISSING) for k in sorted(live))
        return make("delete", "pruned" if resource.meta.get("pruned") else "ensure_absent", gone, None)
    if live is None:
        return make("create", "missing_in_live", declared_leaves(resource.body), payload(resource, None))
    fields = diff_declared(resource.body, live)
    if not fields:
        return None
    if _touches(fields, replace_paths(resource.kind)):
        # The object is deleted and made anew, so its body is built as for a create.
        return make("replace", "immutable_field_changed", fields, payload(resource, None))
    return make("update", "differs_from_declared", fields, payload(resource, live))


def execution_prerequisites(changes: Iterable[Change]) -> dict[str, frozenset[str]]:
    """For each change, the changes of the same plan that must succeed before it may run.

    `depends_on` reads "made after, deleted before" what it names, so:
    - a create, update or replace needs the non-delete changes it depends on;
    - a delete needs the deletes of its dependents (an identity_sync before its partner).
    A delete never waits for a create or the other way round: deletes run first (see
    `order_changes`), and a dependency between the two phases would be a contradiction the
    compiler does not produce.
    """
    changes = tuple(changes)
    deletes = {c.address for c in changes if c.action == "delete"}
    others = {c.address for c in changes if c.action != "delete"}
    needs: dict[str, set[str]] = {c.address: set() for c in changes}
    for c in changes:
        if c.action == "delete":
            for target in c.depends_on:
                if target in deletes and target != c.address:
                    needs[target].add(c.address)
        else:
            needs[c.address].update(d for d in c.depends_on if d in others)
        if c.address in c.depends_on:
            raise ValueError(f"{c.address} depends on itself")
    return {address: frozenset(n) for address, n in needs.items()}


def order_changes(
    changes: Iterable[Change], *, kind_order: Callable[[str], int] | None = None
) -> tuple[Change, ...]:
    """Deterministic apply order.

    All deletes come first (as octoDNS does, so a name or slot is free before anything is
    made), dependents before what they depend on; then creates, updates and replaces, each
    after what it depends on. Within those constraints, ties go by `kind_order` (lower first,
    reversed for deletes) and then by address. A dependency cycle raises ValueError.
    """
    changes = tuple(changes)
    _require_unique(c.address for c in changes)
    rank = kind_order or (lambda kind: 0)
    needs = execution_prerequisites(changes)
    deletes = [c for c in changes if c.action == "delete"]
    others = [c for c in changes if c.action != "delete"]
    return (
        *_topological(deletes, needs, lambda c: (-rank(c.kind), c.address)),
        *_topological(others, needs, lambda c: (rank(c.kind), c.address)),
    )


def _topological(
    changes: list[Change], needs: dict[str, frozenset[str]], key: Callable[[Change], tuple[int, str]]
) -> tuple[Change, ...]:
    by_address = {c.address: c for c in changes}
    waiting = {c.address: set(needs[c.address]) & by_address.keys() for c in changes}
    unlocks: dict[str, list[str]] = {a: [] for a in by_address}
    for address, prereqs in waiting.items():
        for p in prereqs:
            unlocks[p].append(address)
    ready = [(key(c), c.address) for c in changes if not waiting[c.address]]
    heapq.heapify(ready)
    ordered: list[Change] = []
    while ready:
        _, address = heapq.heappop(ready)
        ordered.append(by_address[address])
        for dependent in unlocks[address]:
            waiting[dependent].discard(address)
            if not waiting[dependent]:
                heapq.heappush(ready, (key(by_address[dependent]), dependent))
    if len(ordered) != len(changes):
        stuck = sorted(a for a, w in waiting.items() if w)
        raise ValueError(f"dependency cycle among: {', '.join(stuck)}")
    return tuple(ordered)


def _touches(fields: tuple[FieldChange, ...], paths: frozenset[tuple[str, ...]]) -> bool:
    """Whether a changed path is, lies under, or contains one of `paths`."""
    return any(f.path[: len(p)] == p or p[: len(f.path)] == f.path for f in fields for p in paths)


def _require_unique(addresses: Iterable[str]) -> None:
    seen: set[str] = set()
    for a in addresses:
        if a in seen:
            raise ValueError(f"two resources share the address {a}")
        seen.add(a)


def _action_from_list(actions: Iterable[str]) -> Action:
    listed = tuple(actions)
    for action, as_list in _ACTION_LISTS.items():
        if as_list == listed:
            return action
    raise PlanFormatError(f"unknown actions {list(listed)!r}")


def _jsonable(value: Any) -> Any:
    """The value as it reads back from JSON (tuples become lists): keeps the round-trip exact."""
    return json.loads(json.dumps(value, allow_nan=False))


def _jsonable_side(value: Any) -> Any:
    return value if value is MISSING else _jsonable(value)
