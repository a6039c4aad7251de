"""A link's assignments (`<S>.link.<L>.assignments`): the users and groups in its scope.

Body: `{"users": [object ids], "groups": [object ids]}`, sorted; names are resolved to ids
before the diff. A key left out is not managed (its assignments are neither added nor removed).
Live: `GET /servicePrincipals/{id}/appRoleAssignedTo`, principal types User and Group (of any
app role; the configuration's only role is `msiam_access`). Group assignment puts the group's
*direct* members in scope.

Write: add what is missing (POST, role `msiam_access`; 409 = already assigned: done), remove
what is extra (DELETE by assignment id; 404 = gone: done).
"""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.errors import ConflictError, CrosstenantError, NotFoundError
from reconciler.plan import Change
from reconciler.resources import link_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.link_observe import LinkConfiguration, read_configurations
from reconciler.resources.link_part import ConfigurationPart
from reconciler.resources.link_settings import require_configuration

PRINCIPAL_TYPES = {"users": "User", "groups": "Group"}


async def read_assignments(gw: Any, config: LinkConfiguration) -> list[dict[str, Any]]:
    try:
        return list(await gw.list(paths.assignments(config.id)))
    except NotFoundError:
        return []


def assignments_body(assignments: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {
        key: sorted({str(a["principalId"]) for a in assignments if a.get("principalType") == kind})
        for key, kind in PRINCIPAL_TYPES.items()
    }


class LinkAssignmentsHandler(ConfigurationPart):
    kind: ClassVar[str] = "link_assignments"
    order: ClassVar[int] = 43

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        configurations = await read_configurations(gw)
        return {
            link: assignments_body(await read_assignments(gw, config))
            for link, config in sorted(configurations.by_link.items())
        }

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        return {k: sorted(v) if k in PRINCIPAL_TYPES else v for k, v in body.items()}

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        return self.normalize(dict(desired.body))

    def narrowing_reasons(self, desired_body: dict[str, Any], live_body: dict[str, Any] | None,
                          link: str | None = None) -> list[str]:
        if live_body is None:
            return []
        removed = {
            key: sorted(set(live_body.get(key) or ()) - set(desired_body[key]))
            for key in PRINCIPAL_TYPES
            if key in desired_body
        }
        users, groups = len(removed.get("users", ())), len(removed.get("groups", ()))
        if not users and not groups:
            return []
        parts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((users, "user"), (groups, "group")) if n]
        name = f"link {link}" if link else "the link"
        return [f"{name} removes {' and '.join(parts)} from its assignments: the users no longer in scope "
                "are removed from the target tenant (when the link syncs assigned users only)"]


    async def _write(self, gw: Any, change: Change) -> None:
        desired = change.payload or {}
        config = await require_configuration(gw, change.key, "assignments")
        live = await read_assignments(gw, config)
        role_id: str | None = None
        for key, kind in PRINCIPAL_TYPES.items():
            if key not in desired:
                continue
            wanted = set(desired[key])
            have = {str(a["principalId"]): a for a in live if a.get("principalType") == kind}
            for principal in sorted(wanted - have.keys()):
                role_id = role_id or await self._access_role_id(gw, config)
                body = {"principalId": principal, "resourceId": config.id, "appRoleId": role_id}
                try:
                    await gw.post(paths.assignments(config.id), body)
                except ConflictError:
                    pass  # already assigned (a retried POST, or someone else): the end state holds
            for principal in sorted(have.keys() - wanted):
                try:
                    await gw.delete(paths.assignment(config.id, str(have[principal]["id"])))
                except NotFoundError:
                    pass

    async def _access_role_id(self, gw: Any, config: LinkConfiguration) -> str:
        roles = config.service_principal.get("appRoles")
        if not roles:
            sp = await gw.get(paths.service_principal(config.id), params={"$select": "appRoles"})
            roles = sp.get("appRoles") or []
            config.service_principal["appRoles"] = roles
        for role in roles:
            if paths.ACCESS_ROLE_NAME in (role.get("displayName"), role.get("value"), role.get("description")):
                return str(role["id"])
        raise CrosstenantError(
            f"link {config.link}: the configuration's service principal has no "
            f"{paths.ACCESS_ROLE_NAME!r} app role to assign users and groups with"
        )
