"""Unsafe reasons: forced kinds, prune, declared reasons and the octoDNS-style share of change."""

from __future__ import annotations

import pytest

from reconciler.errors import UnsafePlanError
from reconciler.plan import Change, Plan
from reconciler.safety import SafetyLimits, raise_if_unsafe, unsafe_reasons

TID = "00000000-0000-0000-0000-00000000c0de"


def ch(address: str, action: str, kind: str = "default", **meta) -> Change:
    return Change(address, kind, address.split(".")[0], TID, "", action, meta=meta)


def many(n: int, action: str) -> list[Change]:
    return [ch(f"t.default.{action}{i:02}", action) for i in range(n)]


@pytest.mark.parametrize(
    ("change", "reasons"),
    [
        (ch("f.partner.c", "delete", "partner"), ("deletes partner f.partner.c",)),
        (ch("f.partner.c", "replace", "partner"), ("replaces (deletes, then creates) partner f.partner.c",)),
        (ch("c.link.c-to-f", "delete", "link"), ("deletes link c.link.c-to-f",)),
        (ch("c.link.c-to-f.settings", "delete", "link_settings"), ()),  # parts go with their link
        (ch("f.partner.c", "update", "partner"), ()),
        (ch("f.partner.c", "create", "partner"), ()),
        (ch("c.linkage", "delete", "linkage"), ()),  # exact kinds, not prefixes
        (ch("f.partner.x", "delete", "partner", pruned=True), ("prune deletes partner f.partner.x (not declared)",)),
        (ch("f.policy", "delete", "policy", pruned=True), ("prune deletes policy f.policy (not declared)",)),
        (
            ch("c.link.c-to-f.assignments", "update", "link_assignments", unsafe_reason="removes 1200 users from scope"),
            ("c.link.c-to-f.assignments: removes 1200 users from scope",),
        ),
    ],
)
def test_reasons_per_change(change, reasons):
    assert unsafe_reasons([change], managed_count=0, limits=SafetyLimits()) == reasons


def test_force_kinds_are_configurable():
    c = ch("f.identity_sync", "delete", "identity_sync")
    assert unsafe_reasons([c], 0, SafetyLimits()) == ()
    assert unsafe_reasons([c], 0, SafetyLimits(force_kinds=frozenset({"identity_sync"}))) == (
        "deletes identity_sync f.identity_sync",
    )


def test_reasons_keep_plan_order_without_duplicates():
    a = ch("t.partner.a", "delete", "partner", unsafe_reason="r")
    b = ch("t.partner.b", "delete", "partner")
    assert unsafe_reasons([b, a, b], 0) == ("deletes partner t.partner.b", "deletes partner t.partner.a", "t.partner.a: r")


@pytest.mark.parametrize(
    ("updates", "deletes", "replaces", "managed", "unsafe"),
    [
        (3, 0, 0, 10, False),  # exactly 30%: not over
        (4, 0, 0, 10, True),  # just over
        (2, 1, 0, 10, False),
        (2, 1, 1, 10, True),  # replaces count too
        (9, 0, 0, 9, False),  # under min_existing: a small estate may change wholesale
        (0, 4, 0, 10, True),  # managed_count == min_existing: the limit applies
        (30, 0, 0, 100, False),
        (31, 0, 0, 100, True),
    ],
)
def test_share_of_change_just_under_and_just_over(updates, deletes, replaces, managed, unsafe):
    changes = many(updates, "update") + many(deletes, "delete") + many(replaces, "replace") + many(50, "create")
    reasons = unsafe_reasons(changes, managed, SafetyLimits())
    assert bool(reasons) is unsafe


def test_share_message_names_share_threshold_and_counts():
    (reason,) = unsafe_reasons(many(3, "update") + many(1, "delete"), 10)
    assert reason == (
        "too much change: 40.0% of the managed objects would be updated, deleted or replaced, "
        "over the 30.0% limit (4/10: 3 to update, 1 to delete, 0 to replace)"
    )


def test_share_thresholds_are_configurable():
    limits = SafetyLimits(max_change_fraction=0.5, min_existing=4)
    assert unsafe_reasons(many(2, "update"), 4, limits) == ()
    assert len(unsafe_reasons(many(3, "update"), 4, limits)) == 1
    assert unsafe_reasons(many(3, "update"), 3, limits) == ()


def test_creates_never_count_towards_the_share():
    assert unsafe_reasons(many(100, "create"), 10) == ()


@pytest.mark.parametrize("kwargs", [{"max_change_fraction": 1.5}, {"max_change_fraction": -0.1}, {"min_existing": -1}])
def test_limits_are_validated(kwargs):
    with pytest.raises(ValueError):
        SafetyLimits(**kwargs)


def test_raise_if_unsafe_lists_every_reason_unless_forced():
    plan = Plan(changes=(ch("t.partner.a", "delete", "partner"),), unsafe_reasons=("deletes partner t.partner.a", "r2"))
    with pytest.raises(UnsafePlanError) as excinfo:
        raise_if_unsafe(plan, force=False)
    assert excinfo.value.reasons == ["deletes partner t.partner.a", "r2"]
    assert "deletes partner t.partner.a" in str(excinfo.value)
    raise_if_unsafe(plan, force=True)
    with pytest.raises(UnsafePlanError):
        plan.raise_if_unsafe()
    raise_if_unsafe(Plan(changes=plan.changes), force=False)  # no reasons: nothing raised
