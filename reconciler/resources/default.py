"""The tenant's default cross-tenant access configuration (`<tenant>.default`)."""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.plan import Change
from reconciler.resources import access_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.bodies import sort_targets, strip_annotations, write_body


class DefaultHandler:
    kind: ClassVar[str] = "default"
    order: ClassVar[int] = 15
    known_properties = paths.DEFAULT_PROPERTIES

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        return {"": self.normalize(await gw.get(paths.DEFAULT))}

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        return sort_targets(strip_annotations(body))

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        return write_body(desired.body, live)

    async def create(self, gw: Any, change: Change) -> None:
        await self.update(gw, change)

    async def update(self, gw: Any, change: Change) -> None:
        await gw.patch(paths.DEFAULT, change.payload or {})

    async def delete(self, gw: Any, change: Change) -> None:
        raise NotImplementedError("the default configuration cannot be deleted")
