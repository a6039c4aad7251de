"""An apply that dies right after instantiate leaves an untagged configuration; the next apply
adopts it instead of making a second one (issue 3 item 6; instantiate is not idempotent)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.e2e.test_links import LINK, configurations

HOLD_SECONDS = 60  # the emulator holds the request after instantiate; the test kills the apply meanwhile
DEADLINE = 60.0


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_apply_killed_after_instantiate_then_reapplied_leaves_exactly_one_configuration(crosstenant):
    crosstenant.write("links.yaml", LINK)
    emulator = crosstenant.emulator
    # The first write to the new service principal (tagging it with the marker) is held.
    emulator.add_fault(method="PATCH", path="/servicePrincipals/*", delay=HOLD_SECONDS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve"],
        env={**os.environ, **crosstenant.env()}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(lambda: any(f["seen"] >= 1 for f in emulator.faults()), "the held request after instantiate")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)  # reaps it and closes its pipe
    emulator.clear_faults()

    [orphan] = configurations(crosstenant)
    assert "crosstenant:link:contoso-to-fabrikam" not in orphan["tags"]  # it died before tagging

    plan = crosstenant("plan")
    assert plan.exit_code == 2
    assert "managed: false -> true" in plan.output  # adopted, not instantiated again
    assert "UNSAFE" not in plan.output

    applied = crosstenant("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    [configuration] = configurations(crosstenant)
    assert configuration["id"] == orphan["id"]
    assert "crosstenant:link:contoso-to-fabrikam" in configuration["tags"]
    instantiations = [r for r in crosstenant.graph_requests() if r["path"].endswith("/instantiate")]
    assert len(instantiations) == 1
    assert crosstenant("plan").exit_code == 0
