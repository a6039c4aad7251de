"""A partner configuration (`<tenant>.partner.<partner>`), keyed by the partner's tenant id.

Field fault 3: an existing partner is always updated (PATCH), never POSTed again. The create
is check-then-act, and a 409 on POST (a create that raced us, or a retried POST that had
succeeded) turns into a PATCH.
"""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.errors import ConflictError, NotFoundError
from reconciler.plan import Change
from reconciler.resources import access_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.bodies import sort_targets, strip_annotations, write_body
from reconciler.resources.memo import once


async def read_partners(gw: Any) -> dict[str, dict[str, Any]]:
    """Every partner of the tenant, by lower-case tenant id (read once per run)."""

    async def read() -> dict[str, dict[str, Any]]:
        items = await gw.list(paths.PARTNERS)
        return {str(p["tenantId"]).lower(): p for p in items}

    return await once(gw, "partners", read)


class PartnerHandler:
    kind: ClassVar[str] = "partner"
    order: ClassVar[int] = 20
    known_properties = paths.PARTNER_PROPERTIES

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        return {key: self.normalize(body) for key, body in (await read_partners(gw)).items()}

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        body = sort_targets(strip_annotations(body))
        body.pop("identitySynchronization", None)  # a child resource of its own
        return body

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        body = write_body(desired.body, live)
        if live is None:
            body = {"tenantId": desired.key, **body}
        return body

    async def create(self, gw: Any, change: Change) -> None:
        body = dict(change.payload or {})
        try:
            existing = await gw.get(paths.partner(change.key))
        except NotFoundError:
            existing = None
        if existing is not None:
            await gw.patch(paths.partner(change.key), self._patch_body(body, existing))
            return
        try:
            await gw.post(paths.PARTNERS, body)
        except ConflictError:
            existing = await gw.get(paths.partner(change.key))
            await gw.patch(paths.partner(change.key), self._patch_body(body, existing))

    async def update(self, gw: Any, change: Change) -> None:
        body = {k: v for k, v in (change.payload or {}).items() if k != "tenantId"}
        if body:
            await gw.patch(paths.partner(change.key), body)

    async def delete(self, gw: Any, change: Change) -> None:
        try:
            await gw.delete(paths.partner(change.key))
        except NotFoundError:
            pass  # already gone: the desired end state holds

    def _patch_body(self, created: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
        declared = {k: v for k, v in created.items() if k != "tenantId"}
        return write_body(declared, self.normalize(existing))
