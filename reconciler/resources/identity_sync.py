"""A partner's identitySynchronization (`<tenant>.partner.<partner>.identity_sync`).

Field fault 4: created with PUT, updated with PATCH, chosen from what was read; POST is not
allowed. A PUT that meets an existing object (409) becomes a PATCH; a PATCH that meets none
(404 `Directory_ObjectNotFound`) becomes a PUT.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from reconciler.aio import gather_or_cancel
from reconciler.errors import ConflictError, NotFoundError
from reconciler.plan import Change
from reconciler.resources import access_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.bodies import strip_annotations, write_body
from reconciler.resources.partner import read_partners

# Bounds the fan-out of one GET per partner.
_CONCURRENT_READS = 8


class IdentitySyncHandler:
    kind: ClassVar[str] = "identity_sync"
    order: ClassVar[int] = 30
    known_properties = paths.IDENTITY_SYNC_PROPERTIES

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        partners = await read_partners(gw)
        gate = asyncio.Semaphore(_CONCURRENT_READS)

        async def read_one(key: str) -> tuple[str, dict[str, Any] | None]:
            async with gate:
                try:
                    return key, self.normalize(await gw.get(paths.identity_sync(key)))
                except NotFoundError:
                    return key, None

        found = await gather_or_cancel(*(read_one(k) for k in sorted(partners)))
        return {key: body for key, body in found if body is not None}

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        return strip_annotations(body)

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        body = write_body(desired.body, live)
        body.pop("tenantId", None)
        return body

    async def create(self, gw: Any, change: Change) -> None:
        try:
            await gw.put(paths.identity_sync(change.key), change.payload or {})
        except ConflictError:
            await gw.patch(paths.identity_sync(change.key), change.payload or {})

    async def update(self, gw: Any, change: Change) -> None:
        try:
            await gw.patch(paths.identity_sync(change.key), change.payload or {})
        except NotFoundError:
            await gw.put(paths.identity_sync(change.key), change.payload or {})

    async def delete(self, gw: Any, change: Change) -> None:
        try:
            await gw.delete(paths.identity_sync(change.key))
        except NotFoundError:
            pass
