"""What every resource kind provides: the `Resource` value and the `ResourceHandler` contract.

A `Resource` is one manageable object in one tenant, Graph-shaped: its `body` uses Graph's
property names (`inboundTrust.isMfaAccepted`). A desired resource's body holds only the
declared fields; a live resource's body holds everything Graph returned, normalised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from reconciler.errors import SourceLocation

Ensure = Literal["present", "absent"]


@dataclass(frozen=True)
class Resource:
    address: str  # e.g. "fabrikam.partner.contoso" (for people)
    kind: str  # handler kind: "policy" | "default" | "partner" | "identity_sync" | "link.*"
    tenant: str  # alias of the tenant the object lives in
    tenant_id: str
    key: str  # identity within (tenant, kind): partner tenant id, link name, "" for singletons
    body: dict[str, Any] = field(default_factory=dict)
    ensure: Ensure = "present"
    depends_on: tuple[str, ...] = ()  # addresses created before this one, deleted after it
    source: SourceLocation | None = None
    # Kind-specific extras that are not Graph fields (e.g. a link's display name), carried to apply.
    meta: dict[str, Any] = field(default_factory=dict)


class ResourceHandler(Protocol):
    """One module per kind under `resources/` implements this.

    - `read` returns the live objects of this kind in one tenant, keyed by `Resource.key`,
      each body normalised with `normalize`. A failed read raises (never a guessed diff).
    - `payload` builds the request body for a create or an update from the desired resource
      and the live body (None on create): each touched top-level property sent whole, the
      live value with the declared fields laid over it.
    - `create` / `update` / `delete` carry out one change; each is check-then-act, so a
      re-run after a failure converges.
    """

    kind: ClassVar[str]
    order: ClassVar[int]  # tie-break for ordering between kinds (lower first on create)

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]: ...

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]: ...

    async def create(self, gw: Any, change: Any) -> None: ...

    async def update(self, gw: Any, change: Any) -> None: ...

    async def delete(self, gw: Any, change: Any) -> None: ...
