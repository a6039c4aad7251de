"""The cross-tenant sync configurations of one tenant, read once per run and shared by the link kinds.

`read_configurations(gw)` lists the service principals made from the cross-tenant sync template
(`$filter=applicationTemplateId eq '518e…'`), sorts them into the ones standing for a link (the
marker tag, or an exact derived display name: `link_marker.py`) and the unmanaged rest, and reads
the jobs and secrets of the former. The value is memoised per gateway (`memo.once`): the plan's
reads share it, apply starts from a fresh one (the engine forgets the memo before it acts) and
every write here updates it, so a kind applied after the link's create sees the new objects
without a list query that replication may not have caught up with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from reconciler.aio import gather_or_cancel
from reconciler.errors import NotFoundError
from reconciler.resources import link_marker as marker
from reconciler.resources import link_paths as paths
from reconciler.resources.memo import once

_MEMO_KEY = "link_configurations"
_CONCURRENT_READS = 8


@dataclass
class LinkConfiguration:
    """One configuration standing for a link: its service principal, jobs and secrets."""

    link: str
    service_principal: dict[str, Any]
    managed: bool  # carries the marker; False: adoptable by its derived display name
    jobs: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)
    application_id: str | None = None  # the application object's id, when known
    made_in_run: bool = False  # instantiated by this run: reads may have to wait for replication

    @property
    def id(self) -> str:
        return str(self.service_principal["id"])

    @property
    def display_name(self) -> str | None:
        return self.service_principal.get("displayName")

    @property
    def job(self) -> dict[str, Any] | None:
        """The configuration's Azure2Azure job (the first, by id, if there were ever several)."""
        candidates = [j for j in self.jobs if j.get("templateId") == paths.JOB_TEMPLATE_ID]
        return min(candidates, key=lambda j: str(j.get("id"))) if candidates else None


@dataclass
class Configurations:
    by_link: dict[str, LinkConfiguration] = field(default_factory=dict)
    unmanaged: list[dict[str, Any]] = field(default_factory=list)  # raw service principals


async def read_configurations(gw: Any) -> Configurations:
    return await once(gw, _MEMO_KEY, lambda: _read(gw))


async def configuration_for(gw: Any, link: str) -> LinkConfiguration | None:
    return (await read_configurations(gw)).by_link.get(link)


async def unmanaged_configurations(gw: Any, declared: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Configurations crosstenant never touches, as `{id, displayName}`, sorted.

    Without the marker and not adoptable; with `declared`, also the adoptable ones whose link is
    not declared (nothing will adopt them). Marked configurations of undeclared links are not
    here: they are removed links, to be deleted.
    """
    configurations = await read_configurations(gw)
    found = [{"id": sp.get("id"), "displayName": sp.get("displayName")} for sp in configurations.unmanaged]
    if declared is not None:
        found += [
            {"id": c.id, "displayName": c.display_name}
            for name, c in configurations.by_link.items()
            if not c.managed and name not in declared
        ]
    return sorted(found, key=lambda c: (str(c["displayName"]), str(c["id"])))


async def read_secrets(gw: Any, sp_id: str) -> list[dict[str, Any]]:
    try:
        body = await gw.get(paths.secrets(sp_id))
    except NotFoundError:
        return []
    return list((body or {}).get("value") or [])


async def read_jobs(gw: Any, sp_id: str) -> list[dict[str, Any]]:
    try:
        return list(await gw.list(paths.jobs(sp_id)))
    except NotFoundError:
        return []


async def read_fresh(gw: Any, config: LinkConfiguration, path: str, what: str) -> dict[str, Any]:
    """GET `path`; for an object made in this run, wait (bounded) until it is readable first.

    Only objects this run created are waited for (FIELD-NOTES row 14): anything else that is
    missing is missing, and the error says so at once.
    """
    if not config.made_in_run:
        return await gw.get(path)
    found: dict[str, Any] = {}

    async def probe() -> bool:
        found["body"] = await gw.get(path)  # 404/403 count as "not yet" (graph/consistency.py)
        return True

    await gw.wait_until(probe, what=what, consecutive=1, timeout=120.0)
    return found["body"] if "body" in found else await gw.get(path)


def record(configurations: Configurations, config: LinkConfiguration) -> None:
    """Note a configuration this run made or adopted, so later kinds of the same apply find it."""
    configurations.by_link[config.link] = config
    configurations.unmanaged = [sp for sp in configurations.unmanaged if sp.get("id") != config.id]


def forget_link(configurations: Configurations, link: str) -> None:
    """Drop a configuration this run deleted from the run's view of the tenant."""
    configurations.by_link.pop(link, None)


async def _read(gw: Any) -> Configurations:
    principals = await gw.list(paths.SERVICE_PRINCIPALS, params={"$filter": paths.CONFIGURATIONS_FILTER})
    result = Configurations()
    claims: dict[str, list[tuple[bool, dict[str, Any]]]] = {}
    for sp in sorted(principals, key=lambda p: str(p.get("id"))):
        link = marker.marked_link(sp.get("tags"))
        managed = link is not None
        link = link or marker.adoptable_link(sp)
        if link is None:
            result.unmanaged.append(sp)
        else:
            claims.setdefault(link, []).append((managed, sp))
    for link, candidates in claims.items():
        # A marked one wins over an adoptable one; among equals the lowest id (deterministic).
        candidates.sort(key=lambda c: (not c[0], str(c[1].get("id"))))
        (managed, sp), rest = candidates[0], candidates[1:]
        result.by_link[link] = LinkConfiguration(link=link, service_principal=sp, managed=managed)
        result.unmanaged.extend(other for _, other in rest)
    gate = asyncio.Semaphore(_CONCURRENT_READS)

    async def details(config: LinkConfiguration) -> None:
        async with gate:
            config.jobs = await read_jobs(gw, config.id)
            config.secrets = await read_secrets(gw, config.id)

    await gather_or_cancel(*(details(c) for c in result.by_link.values()))
    return result
