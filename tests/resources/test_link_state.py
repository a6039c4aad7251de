"""The link_state kind: start only when not running; quarantine is health, never a change."""

from __future__ import annotations

from reconciler.resources.link_state import LinkStateHandler, link_health
from reconciler.resources.memo import forget
from tests.resources.fake_graph import FakeGraph, apply_change, desired, plan_change, run
from tests.resources.test_link_configuration import LINK, converge

handler = LinkStateHandler()


def observe(gw: FakeGraph) -> dict:
    forget(gw)
    return run(handler.read(gw, "contoso-tid"))


def configured() -> tuple[FakeGraph, str]:
    gw = FakeGraph()
    converge(gw)
    (sp_id,) = gw.service_principals
    return gw, sp_id


def test_a_new_job_is_paused_and_is_started_once():
    gw, sp_id = configured()
    assert observe(gw)[LINK] == {"state": "paused"}  # a new job: Paused, schedule Disabled
    change = plan_change(handler, desired("link_state", LINK, {"state": "started"}), observe(gw)[LINK])
    forget(gw)
    run(apply_change(handler, gw, change))
    job_id = gw.job_of(sp_id)["id"]
    assert gw.writes()[-1] == ("POST", f"/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}/start")
    assert observe(gw)[LINK] == {"state": "started"}  # schedule Active, status NotRun
    starts = len(gw.bodies("POST", r".*/start"))
    forget(gw)
    run(apply_change(handler, gw, change))  # applied again (e.g. a stale plan): the job runs, no second start
    assert len(gw.bodies("POST", r".*/start")) == starts


def test_pause_only_a_running_job():
    gw, sp_id = configured()
    pause = desired("link_state", LINK, {"state": "paused"})
    assert plan_change(handler, pause, observe(gw)[LINK]) is None
    start = plan_change(handler, desired("link_state", LINK, {"state": "started"}), observe(gw)[LINK])
    forget(gw)
    run(apply_change(handler, gw, start))
    change = plan_change(handler, pause, observe(gw)[LINK])
    forget(gw)
    run(apply_change(handler, gw, change))
    assert gw.writes()[-1][1].endswith("/pause")
    assert observe(gw)[LINK] == {"state": "paused"}


def test_quarantine_counts_as_started_and_is_reported_as_health():
    gw, sp_id = configured()
    job = gw.job_of(sp_id)
    job["schedule"]["state"] = "Active"
    job["status"].update(code="Quarantine", quarantine={
        "currentBegan": "2024-05-02T10:00:00Z", "nextAttempt": "2024-05-02T22:00:00Z", "reason": "TooManyDeletes",
        "seriesBegan": "2024-05-01T10:00:00Z", "seriesCount": 3,
        "error": {"code": "TooManyDeletes", "message": "deletion threshold exceeded", "tenantActionable": True}})
    assert plan_change(handler, desired("link_state", LINK, {"state": "started"}), observe(gw)[LINK]) is None
    health = run(link_health(gw))[LINK]
    assert (health.quarantined, health.reason, health.since) == (True, "TooManyDeletes", "2024-05-01T10:00:00Z")
    assert health.last_error == "TooManyDeletes: deletion threshold exceeded"
