"""A link's run state (`<S>.link.<L>.state`): `{"state": "started" | "paused"}`.

Live state and health come from the job (`reconciler/sync/health.py`): a quarantined job counts
as started; its quarantine is reported through `link_health(gw)` — never part of the body, never
planned (FIELD-NOTES row 12). Write: `start` only when the job is not running (Graph: don't call
it repeatedly), `pause` only when it is; the job is read again first (check-then-act).
"""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.errors import CrosstenantError
from reconciler.plan import Change
from reconciler.resources import link_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.link_observe import read_configurations, read_fresh
from reconciler.resources.link_part import ConfigurationPart
from reconciler.resources.link_settings import require_configuration
from reconciler.sync.health import Health, job_health, run_state

STATES = ("started", "paused")


def state_body(job: dict[str, Any]) -> dict[str, Any]:
    # Health stays out of the body: it changes with every cycle and would make saved plans stale.
    return {"state": run_state(job)}


async def link_health(gw: Any) -> dict[str, Health]:
    """The health of every link's job in this tenant: quarantine and failures, reported as warnings."""
    configurations = await read_configurations(gw)
    return {link: job_health(c.job) for link, c in sorted(configurations.by_link.items()) if c.job is not None}


class LinkStateHandler(ConfigurationPart):
    kind: ClassVar[str] = "link_state"
    order: ClassVar[int] = 44

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        configurations = await read_configurations(gw)
        return {link: state_body(c.job) for link, c in sorted(configurations.by_link.items()) if c.job is not None}

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(body)

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        return {"state": desired.body["state"]}


    async def _write(self, gw: Any, change: Change) -> None:
        wanted = (change.payload or {}).get("state")
        if wanted not in STATES:
            raise CrosstenantError(f"link {change.key}: unknown run state {wanted!r} (started | paused)")
        config = await require_configuration(gw, change.key, "run state")
        if config.job is None:
            raise CrosstenantError(f"link {change.key}: cannot set its run state: the configuration has no job")
        job_id = str(config.job["id"])
        job = await read_fresh(gw, config, paths.job(config.id, job_id), what=f"link {change.key}'s new job")
        current = run_state(job)
        if current == wanted:
            return
        action = paths.start if wanted == "started" else paths.pause
        await gw.post(action(config.id, job_id))
