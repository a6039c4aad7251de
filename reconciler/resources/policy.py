"""The tenant's cross-tenant access policy singleton (`<tenant>.policy`)."""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.plan import Change
from reconciler.resources import access_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.bodies import strip_annotations, write_body


class PolicyHandler:
    kind: ClassVar[str] = "policy"
    order: ClassVar[int] = 10
    known_properties = paths.POLICY_PROPERTIES

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        body = await gw.get(paths.POLICY)
        # The documented GET example wraps the entity in "value" (ENDPOINTS §1.1 calls that a
        # doc artifact, uncertain): accept both shapes.
        if isinstance(body.get("value"), list) and len(body) <= 2:
            body = body["value"][0] if body["value"] else {}
        return {"": self.normalize(body)}

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        body = strip_annotations(body)
        if isinstance(body.get("allowedCloudEndpoints"), list):
            body["allowedCloudEndpoints"] = sorted(body["allowedCloudEndpoints"])
        return body

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        return write_body(desired.body, live)

    async def create(self, gw: Any, change: Change) -> None:
        # A singleton always exists; "create" only happens if the read found nothing to compare.
        await self.update(gw, change)

    async def update(self, gw: Any, change: Change) -> None:
        await gw.patch(paths.POLICY, change.payload or {})

    async def delete(self, gw: Any, change: Change) -> None:
        raise NotImplementedError("the cross-tenant access policy cannot be deleted")
