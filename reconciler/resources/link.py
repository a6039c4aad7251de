"""A link's sync configuration in the source tenant (`<S>.link.<L>`), keyed by the link name.

Body: `{"displayName": <derived>, "targetTenantId": <T guid>, "managed": true}`; the live body adds
`"jobTemplateId"` (None while the service principal has no job). `targetTenantId` is a replace
path: a configuration whose job pushed users into one tenant is not re-pointed at another.

Live `targetTenantId`: the `CompanyId` secret when Graph returns it in clear, else the target tag
written with the marker, else None (a configuration never configured, e.g. one a crashed run left).

Create is check-then-act (instantiate is not idempotent, and a POST is not retried): a marked
configuration is reused, an adoptable one (exact derived name, no marker, no other target) is
tagged, and only otherwise is the template instantiated; then a bounded wait until the new
service principal is readable (FIELD-NOTES row 14), the tags, and the Azure2Azure job unless one
exists. Update converges the same way (adopt, rename, make the missing job). Delete removes the
application object, which takes its service principal and job with it (ENDPOINTS.md §2.1) — only
for a configuration that carries the marker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.errors import CrosstenantError, NotFoundError
from reconciler.plan import Change
from reconciler.resources import link_marker as marker
from reconciler.resources import link_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.link_observe import (
    Configurations,
    LinkConfiguration,
    forget_link,
    read_configurations,
    read_jobs,
    record,
)
from reconciler.sync.settings import MASK, from_secrets

# After instantiate: confirmations in a row before the service principal counts as replicated.
REPLICATION_CONFIRMATIONS = 3
REPLICATION_TIMEOUT = 120.0


class LinkConfigurationError(CrosstenantError):
    """A link's configuration is not in the shape a step needs (e.g. instantiate answered oddly)."""


def live_target(config: LinkConfiguration) -> str | None:
    typed, masked = from_secrets(config.secrets)
    if "targetTenantId" in typed and "targetTenantId" not in masked and typed["targetTenantId"]:
        return str(typed["targetTenantId"]).lower()
    tagged = marker.tagged_target(config.service_principal.get("tags"))
    return tagged.lower() if tagged else None


def link_body(config: LinkConfiguration) -> dict[str, Any]:
    job = config.job
    return {
        "displayName": config.display_name,
        "targetTenantId": live_target(config),
        "managed": config.managed,
        "jobTemplateId": job.get("templateId") if job else None,
    }


class LinkHandler:
    kind: ClassVar[str] = "link"
    order: ClassVar[int] = 40
    replace_paths: ClassVar[frozenset[tuple[str, ...]]] = frozenset({("targetTenantId",)})

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        configurations = await read_configurations(gw)
        return {link: link_body(config) for link, config in sorted(configurations.by_link.items())}

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(body)

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        return dict(desired.body)

    def live_for_diff(self, desired_body: dict[str, Any], live_body: dict[str, Any]) -> dict[str, Any]:
        """The live body to diff against `desired_body` (engine hook; pure).

        A configuration that was never configured (no `CompanyId`, no target tag: what a run that
        died after instantiate leaves) has no target yet; it can become any link's configuration,
        so its target is the declared one rather than a replace.
        """
        if live_body.get("targetTenantId") is None and not live_body.get("managed"):
            return {**live_body, "targetTenantId": desired_body.get("targetTenantId")}
        return live_body

    async def create(self, gw: Any, change: Change) -> None:
        await self._converge(gw, change)

    async def update(self, gw: Any, change: Change) -> None:
        await self._converge(gw, change)

    async def delete(self, gw: Any, change: Change) -> None:
        configurations = await read_configurations(gw)
        config = configurations.by_link.get(change.key)
        if config is None or not config.managed:
            return  # nothing of ours: an unmarked configuration is never deleted
        app_object_id = config.application_id or await self._application_object_id(gw, config)
        if app_object_id is None:
            # Deleting the service principal alone would orphan the app registration where no
            # later run can see it; the application may just not have replicated yet.
            raise LinkConfigurationError(
                f"link {change.key}: the application of service principal {config.id} cannot be found "
                "(not replicated yet, or not readable with this app's permissions); nothing was deleted")
        try:
            await gw.delete(paths.application(app_object_id))  # takes its SP, job and assignments along
        except NotFoundError:
            pass  # already gone: the desired end state holds
        forget_link(configurations, change.key)

    # -- steps ------------------------------------------------------------------------------

    async def _converge(self, gw: Any, change: Change) -> None:
        link = change.key
        desired = change.payload or {}
        target = _target_of(change)
        name = desired.get("displayName") or marker.display_name_for(link)
        configurations = await read_configurations(gw)
        config = configurations.by_link.get(link)
        if config is not None and not config.managed and not _adoptable_for(config, target):
            # It holds another target's settings: leave it alone (reported as unmanaged) and make ours.
            configurations.unmanaged.append(configurations.by_link.pop(link).service_principal)
            config = None
        if config is None:
            config = await self._instantiate(gw, configurations, link, name)
        if not config.managed or marker.tagged_target(config.service_principal.get("tags")) != target:
            await self._tag(gw, config, target)
        if config.display_name != name:
            await gw.patch(paths.service_principal(config.id), {"displayName": name})
            config.service_principal["displayName"] = name
        await self._ensure_job(gw, config)

    async def _instantiate(self, gw: Any, configurations: Configurations, link: str, name: str) -> LinkConfiguration:
        made = await gw.post(paths.INSTANTIATE, {"displayName": name})
        sp = (made or {}).get("servicePrincipal") or {}
        if not sp.get("id"):
            raise LinkConfigurationError(f"link {link}: instantiate answered without a service principal id")
        config = LinkConfiguration(
            link=link,
            service_principal=dict(sp),
            managed=False,
            application_id=((made or {}).get("application") or {}).get("id"),
            made_in_run=True,
        )
        record(configurations, config)  # from here on a re-run of this step finds it, not a new one
        readable: dict[str, Any] = {}

        async def probe() -> bool:
            readable["sp"] = await gw.get(paths.service_principal(config.id))
            await gw.get(paths.jobs(config.id))  # the sync API must know it too before the job is made
            return True

        await gw.wait_until(
            probe,
            what=f"service principal {config.id} of link {link}'s new sync configuration",
            consecutive=REPLICATION_CONFIRMATIONS,
            timeout=REPLICATION_TIMEOUT,
        )
        if readable.get("sp"):
            config.service_principal = {**config.service_principal, **readable["sp"]}
        return config

    async def _tag(self, gw: Any, config: LinkConfiguration, target: str | None) -> None:
        tags = marker.tags_with_marker(config.service_principal.get("tags"), config.link, target)
        await gw.patch(paths.service_principal(config.id), {"tags": tags})
        config.service_principal["tags"] = tags
        config.managed = True

    async def _ensure_job(self, gw: Any, config: LinkConfiguration) -> None:
        if config.job is not None:
            return
        config.jobs = await read_jobs(gw, config.id)  # check-then-act: a job made since the read
        if config.job is not None:
            return
        made = await gw.post(paths.jobs(config.id), {"templateId": paths.JOB_TEMPLATE_ID})
        config.jobs = [made] if made and made.get("id") else await read_jobs(gw, config.id)
        if config.job is None:
            raise LinkConfigurationError(f"link {config.link}: the Azure2Azure job was created but cannot be read")

    async def _application_object_id(self, gw: Any, config: LinkConfiguration) -> str | None:
        app_id = config.service_principal.get("appId")
        if not app_id:
            return None
        apps = await gw.list(paths.APPLICATIONS, params={"$filter": paths.app_id_filter(str(app_id))})
        return str(apps[0]["id"]) if apps else None


def _target_of(change: Change) -> str | None:
    target = (change.payload or {}).get("targetTenantId") or change.meta.get("target_tenant_id")
    return str(target).lower() if target else None


def _adoptable_for(config: LinkConfiguration, target: str | None) -> bool:
    """An unmarked configuration is adopted only when it holds no settings for another target."""
    company = next((s.get("value") for s in config.secrets if s.get("key") == "CompanyId"), None)
    return company in (None, "", MASK) or target is None or str(company).lower() == target
