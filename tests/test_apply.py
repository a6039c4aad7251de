"""execute_plan: plan order, failures skip dependents (reversed for deletes), independents go on."""

from __future__ import annotations

import asyncio
import json

import pytest

from reconciler.apply import ApplyReport, ChangeOutcome, execute_plan
from reconciler.errors import ConflictError, GraphError
from reconciler.plan import Change, Plan, order_changes

TID = "00000000-0000-0000-0000-00000000c0de"


def ch(address: str, action: str = "create", depends_on=(), **meta) -> Change:
    kind = "identity_sync" if address.endswith("identity_sync") else "partner"
    return Change(address, kind, address.split(".")[0], TID, "", action, depends_on=tuple(depends_on), meta=meta)


def plan_of(*changes: Change) -> Plan:
    return Plan(changes=order_changes(changes))


class FakeRun:
    """Records the changes it is asked to run; raises the error mapped to an address."""

    def __init__(self, failures: dict[str, BaseException] | None = None):
        self.failures = failures or {}
        self.ran: list[str] = []

    async def __call__(self, change: Change) -> None:
        self.ran.append(change.address)
        await asyncio.sleep(0)  # a real await point, as a Graph call has
        if change.address in self.failures:
            raise self.failures[change.address]


def execute(plan: Plan, run: FakeRun, **kw) -> ApplyReport:
    return asyncio.run(execute_plan(plan, run, **kw))


def statuses(report: ApplyReport) -> dict[str, tuple]:
    return {o.address: (o.status, o.reason, o.blocked_by) for o in report.outcomes}


# The cross-tenant sync chain: target partner → its identity sync → the source's job.
CHAIN = (
    ch("t.partner.s"),
    ch("t.partner.s.identity_sync", depends_on=["t.partner.s"]),
    ch("s.link.s-to-t.job", depends_on=["t.partner.s.identity_sync", "s.partner.t"]),
    ch("s.partner.t"),
    ch("u.partner.v"),
)


def test_every_change_runs_once_in_plan_order():
    plan = plan_of(*CHAIN)
    run = FakeRun()
    report = execute(plan, run)
    assert run.ran == [c.address for c in plan.changes]
    assert [o.address for o in report.outcomes] == run.ran
    assert all(o.status == "applied" for o in report.outcomes)
    assert report.ok
    assert report.plan_checksum == plan.checksum


def test_a_failure_skips_its_dependents_transitively_and_not_the_independent_ones():
    run = FakeRun({"t.partner.s": ConflictError(409, "Request_MultipleObjectsWithSameKeyValue", "exists")})
    report = execute(plan_of(*CHAIN), run)
    assert statuses(report) == {
        "s.partner.t": ("applied", None, ()),
        "t.partner.s": ("failed", "ConflictError", ()),
        "t.partner.s.identity_sync": ("skipped", "DependencyFailed", ("t.partner.s",)),
        "s.link.s-to-t.job": ("skipped", "DependencyFailed", ("t.partner.s",)),
        "u.partner.v": ("applied", None, ()),
    }
    assert "t.partner.s.identity_sync" not in run.ran and "s.link.s-to-t.job" not in run.ran
    failed = next(o for o in report.outcomes if o.status == "failed")
    assert failed.error == "409 Request_MultipleObjectsWithSameKeyValue: exists"
    assert not report.ok


def test_a_skip_names_every_failed_root():
    run = FakeRun({"s.partner.t": GraphError(400, "BadRequest", "a"), "t.partner.s": GraphError(400, "BadRequest", "b")})
    report = execute(plan_of(*CHAIN), run)
    job = next(o for o in report.outcomes if o.address == "s.link.s-to-t.job")
    assert (job.status, job.blocked_by) == ("skipped", ("s.partner.t", "t.partner.s"))


def test_a_failed_child_delete_skips_its_parents_delete():
    # identity_sync must go before its partner (Graph refuses the partner delete otherwise)
    run = FakeRun({"t.partner.s.identity_sync": GraphError(500, "InternalServerError", "boom")})
    plan = plan_of(ch("t.partner.s", "delete"), ch("t.partner.s.identity_sync", "delete", ["t.partner.s"]),
                   ch("t.partner.q", "delete"))
    report = execute(plan, run)
    assert run.ran == ["t.partner.q", "t.partner.s.identity_sync"]
    assert statuses(report)["t.partner.s"] == ("skipped", "DependencyFailed", ("t.partner.s.identity_sync",))
    assert statuses(report)["t.partner.q"] == ("applied", None, ())


def test_a_failed_parent_delete_does_not_undo_its_childs_delete():
    run = FakeRun({"t.partner.s": GraphError(500, "InternalServerError", "boom")})
    plan = plan_of(ch("t.partner.s", "delete"), ch("t.partner.s.identity_sync", "delete", ["t.partner.s"]))
    report = execute(plan, run)
    assert statuses(report) == {
        "t.partner.s.identity_sync": ("applied", None, ()),
        "t.partner.s": ("failed", "GraphError", ()),
    }


def test_a_failed_delete_does_not_block_creates_and_a_failed_create_no_delete():
    run = FakeRun({"t.partner.a": GraphError(500, "x", "y")})
    plan = plan_of(ch("t.partner.a", "delete"), ch("t.partner.b", "create", ["t.partner.a"]))
    assert statuses(execute(plan, run))["t.partner.b"] == ("applied", None, ())


def test_a_failed_replace_skips_what_depends_on_it():
    run = FakeRun({"t.partner.s": GraphError(500, "x", "y")})
    plan = plan_of(ch("t.partner.s", "replace"), ch("t.partner.s.identity_sync", "update", ["t.partner.s"]))
    assert statuses(execute(plan, run))["t.partner.s.identity_sync"][0] == "skipped"


def test_an_unexpected_exception_fails_the_change_with_its_type_name():
    run = FakeRun({"u.partner.v": KeyError("tenantId")})
    report = execute(plan_of(ch("u.partner.v"), ch("w.partner.x")), run)
    outcome = report.outcomes[0]
    assert (outcome.status, outcome.reason, outcome.error) == ("failed", "KeyError", "KeyError: 'tenantId'")
    assert report.outcomes[1].status == "applied"


@pytest.mark.parametrize("interrupt", [asyncio.CancelledError(), KeyboardInterrupt()])
def test_interrupts_are_not_swallowed(interrupt):
    run = FakeRun({"a.partner.a": interrupt})
    with pytest.raises(type(interrupt)):
        execute(plan_of(ch("a.partner.a"), ch("b.partner.b")), run)
    assert run.ran == ["a.partner.a"]


def test_callbacks_see_each_start_and_every_outcome():
    started, done = [], []
    run = FakeRun({"t.partner.s": GraphError(403, "Authorization_RequestDenied", "no")})
    execute(plan_of(*CHAIN), run, on_start=lambda c: started.append(c.address), on_done=done.append)
    assert started == run.ran
    assert [o.address for o in done] == [c.address for c in plan_of(*CHAIN).changes]
    assert [o.status for o in done].count("skipped") == 2


def test_held_changes_are_not_attempted_fail_the_apply_and_skip_their_dependents():
    run = FakeRun()
    plan = plan_of(ch("s.link.l", held="its target's prerequisites are not in place: t.partner.s"),
                   ch("s.link.l.state", "create", ["s.link.l"]), ch("s.partner.t"))
    report = execute(plan, run)
    assert run.ran == ["s.partner.t"]
    assert statuses(report) == {
        "s.partner.t": ("applied", None, ()),
        "s.link.l": ("failed", "PreconditionNotMet", ()),
        "s.link.l.state": ("skipped", "DependencyFailed", ("s.link.l",)),
    }
    assert next(o for o in report.outcomes if o.address == "s.link.l").error == (
        "its target's prerequisites are not in place: t.partner.s")
    assert not report.ok


def test_report_json_round_trips_and_counts():
    run = FakeRun({"t.partner.s": GraphError(400, "Request_BadRequest", "Invalid property", request_id="r-1")})
    report = execute(plan_of(*CHAIN), run)
    data = json.loads(json.dumps(report.to_json()))
    assert data["ok"] is False
    assert data["summary"] == {"applied": 2, "failed": 1, "skipped": 2}
    assert data["plan_checksum"] == report.plan_checksum
    failed = next(o for o in data["outcomes"] if o["status"] == "failed")
    assert failed == {
        "address": "t.partner.s",
        "action": "create",
        "status": "failed",
        "error": "400 Request_BadRequest: Invalid property (request-id r-1)",
        "reason": "GraphError",
        "blocked_by": [],
    }
    assert ApplyReport.from_json(data) == report


def test_an_empty_plan_reports_nothing_and_is_ok():
    report = execute(Plan(), FakeRun())
    assert (report.outcomes, report.ok) == ((), True)
    assert ChangeOutcome("a", "create", "applied").to_json()["blocked_by"] == []


def test_a_plan_out_of_dependency_order_is_refused_before_any_write():
    run = FakeRun()
    plan = Plan(changes=(ch("t.partner.s.identity_sync", depends_on=["t.partner.s"]), ch("t.partner.s")))
    with pytest.raises(ValueError, match="t.partner.s.identity_sync is ordered before t.partner.s"):
        execute(plan, run)
    assert run.ran == []
