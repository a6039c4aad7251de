"""A link's job settings (`<S>.link.<L>.settings`): typed fields kept as synchronization secrets.

Body: `{"targetTenantId", "authenticationType", "syncAll", "notifications": {"enabled",
"recipients", "deleteThresholdEnabled", "deleteThresholdValue"}}` (`reconciler/sync/settings.py`
converts it to and from the secrets list). The live body adds, for reports only:
`"masked"` (field → the hash crosstenant stored when it last wrote it, or None) and
`"quarantineTooManyDeletesThreshold"` (the job setting, ENDPOINTS.md §2.2).

Masked values (FIELD-NOTES row 13): a field Graph returns as `"*"` reads as `MASKED`; the engine
hook `live_for_diff` replaces it with the declared value when the hash of the declared value
equals the hash kept in the service principal's `notes`, so the plan shows a change only when
the declared value differs from what crosstenant last wrote.

Create and update: test connection first (`validateCredentials`, not bound to a job); its
failure is raised as `TestConnectionError` with Graph's code and message. Then the whole secrets
list is PUT, then the hashes are written to `notes`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.errors import CrosstenantError, GraphError
from reconciler.plan import Change
from reconciler.resources import link_marker as marker
from reconciler.resources import link_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.link_observe import LinkConfiguration, configuration_for, read_configurations, read_secrets
from reconciler.resources.link_part import ConfigurationPart
from reconciler.sync import settings

# Test connection fails with one of these when automatic redemption / inbound sync is missing
# (the older and the 2026 name of the same policy check; ENDPOINTS.md §3.3).
POLICY_CHECK_CODES = frozenset({
    "AzureDirectoryB2BManagementPolicyCheckFailure",
    "AzureActiveDirectoryCrossTenantSyncPolicyCheckFailure",
})


class TestConnectionError(GraphError):
    """`validateCredentials` failed: Graph's status, code and message, with what to check."""

    __test__ = False  # not a pytest test class, whatever its name says

    def __str__(self) -> str:
        rid = f" (request-id {self.request_id})" if self.request_id else ""
        return f"test connection failed: {self.status} {self.code}: {self.message}{rid}"

    @classmethod
    def from_error(cls, error: GraphError) -> "TestConnectionError":
        hint = ""
        if error.code in POLICY_CHECK_CODES:
            hint = (" — automatic redemption must be allowed outbound in the source and inbound in the "
                    "target, and the target must allow user sync inbound from the source")
        return cls(
            status=error.status,
            code=error.code,
            message=f"{error.message}{hint}",
            request_id=error.request_id,
            method=error.method,
            path=error.path,
            retry_after=error.retry_after,
            details=list(error.details),
        )

    @property
    def policy_check_failed(self) -> bool:
        return self.code in POLICY_CHECK_CODES


class MissingConfigurationError(CrosstenantError):
    """A part of a link was to be written while the link's configuration does not exist."""

    def __init__(self, link: str, part: str):
        super().__init__(f"link {link}: cannot write its {part}: the sync configuration does not exist "
                         "(its create failed or was skipped; apply again)")


async def require_configuration(gw: Any, link: str, part: str) -> LinkConfiguration:
    config = await configuration_for(gw, link)
    if config is None:
        raise MissingConfigurationError(link, part)
    return config


def settings_body(config: LinkConfiguration) -> dict[str, Any] | None:
    typed, masked = settings.from_secrets(config.secrets)
    if not typed:
        return None  # never configured: the settings are to be created
    stored = marker.settings_hashes(config.service_principal.get("notes"))
    return {
        **typed,
        "masked": {field: stored.get(field) for field in sorted(masked)},
        "quarantineTooManyDeletesThreshold": settings.quarantine_deletes_threshold(config.job),
    }


class LinkSettingsHandler(ConfigurationPart):
    kind: ClassVar[str] = "link_settings"
    order: ClassVar[int] = 41

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        configurations = await read_configurations(gw)
        found = {link: settings_body(config) for link, config in sorted(configurations.by_link.items())}
        return {link: body for link, body in found.items() if body is not None}

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(body)

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        return dict(desired.body)

    def live_for_diff(self, desired_body: dict[str, Any], live_body: dict[str, Any]) -> dict[str, Any]:
        """Masked fields compared through their stored hash (engine hook; pure)."""
        result = dict(live_body)
        for field, stored in (live_body.get("masked") or {}).items():
            if field in desired_body and stored is not None and stored == settings.field_hash(desired_body[field]):
                result[field] = desired_body[field]
        return result

    def narrowing_reasons(self, desired_body: dict[str, Any], live_body: dict[str, Any] | None,
                          link: str | None = None) -> list[str]:
        if live_body is None:
            return []
        name = f"link {link}" if link else "the link"
        return [r for r in (self._scope_narrowed(desired_body, live_body, name),
                            self._guard_loosened(desired_body, live_body, name)) if r]

    def _scope_narrowed(self, desired_body: dict[str, Any], live_body: dict[str, Any], name: str) -> str | None:
        if "syncAll" not in desired_body or desired_body["syncAll"] is not False:
            return None
        if live_body.get("syncAll") is True:
            return (f"{name} changes its scope from all users to assigned users only: every unassigned "
                    "user it synced leaves the target tenant")
        if "syncAll" in (live_body.get("masked") or {}) and self.live_for_diff(desired_body, live_body).get(
                "syncAll") is not False:
            return (f"{name} sets its scope to assigned users only, and Graph masks the current scope: "
                    "users may leave the target tenant")
        return None

    def _guard_loosened(self, desired_body: dict[str, Any], live_body: dict[str, Any], name: str) -> str | None:
        """Turning the accidental-deletion threshold off, or raising it, lets more deletions through."""
        wanted = desired_body.get("notifications") or {}
        live = live_body.get("notifications") or {}
        if live.get("deleteThresholdEnabled") is not True:
            return None
        if wanted.get("deleteThresholdEnabled") is False:
            return f"{name} turns its accidental-deletion threshold off"
        before, after = live.get("deleteThresholdValue"), wanted.get("deleteThresholdValue")
        if isinstance(before, int) and isinstance(after, int) and after > before:
            return f"{name} raises its accidental-deletion threshold from {before} to {after}"
        return None

    async def _write(self, gw: Any, change: Change) -> None:
        desired = dict(change.payload or {})
        config = await require_configuration(gw, change.key, "settings")
        target = desired.get("targetTenantId") or change.meta.get("target_tenant_id")
        if not target:
            raise CrosstenantError(f"link {change.key}: the settings declare no target tenant id")
        body = settings.credentials_check_body(str(target), desired.get("authenticationType") or "SyncPolicy")
        try:
            await gw.post(paths.validate_credentials(config.id), body)
        except GraphError as error:
            raise TestConnectionError.from_error(error) from error
        live = await read_secrets(gw, config.id)  # fresh: PUT replaces the whole list
        secrets = settings.to_secrets(desired, live)
        await gw.put(paths.secrets(config.id), {"value": secrets})
        config.secrets = secrets
        hashes = {field: settings.field_hash(desired[field]) for field in settings.FIELD_SECRETS if field in desired}
        notes = marker.notes_with_hashes(config.service_principal.get("notes"), hashes)
        if notes != (config.service_principal.get("notes") or ""):
            await gw.patch(paths.service_principal(config.id), {"notes": notes})
            config.service_principal["notes"] = notes
