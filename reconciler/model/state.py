"""`DesiredState`: the whole validated YAML, with where each node was declared.

Top-level sections are one field each, with a model module each: `tenants:` (tenant.py),
`access:` (access.py), `links:` (links.py), `topologies:` (topologies.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, PrivateAttr

from reconciler.errors import SourceLocation
from reconciler.model.access import TenantAccess
from reconciler.model.base import Alias, StrictModel
from reconciler.model.links import Link, Name
from reconciler.model.tenant import Tenant
from reconciler.model.topologies import Topology

NodePath = tuple[str | int, ...]


class DesiredState(StrictModel):
    tenants: dict[Alias, Tenant] = Field(default_factory=dict)
    access: dict[Alias, TenantAccess] = Field(default_factory=dict)
    links: dict[Name, Link] = Field(default_factory=dict)
    topologies: dict[Name, Topology] = Field(default_factory=dict)

    _locations: dict[NodePath, SourceLocation] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], locations: Mapping[NodePath, SourceLocation] | None = None) -> DesiredState:
        """Validate plain data (raises pydantic's ValidationError) and attach source locations."""
        state = cls.model_validate(data)
        state._locations = dict(locations or {})
        return state

    def location_of(self, path: NodePath) -> SourceLocation | None:
        """Where `path` (e.g. `("access", "fabrikam", "partners", "contoso")`) was declared.

        Falls back to the nearest parent that has a location; None for a state built in code.
        """
        for end in range(len(path), -1, -1):
            location = self._locations.get(tuple(path[:end]))
            if location is not None:
                return location
        return None

    def tenant_ids(self) -> dict[str, str]:
        """alias → tenant id (lower-case)."""
        return {alias: tenant.tenant_id for alias, tenant in self.tenants.items()}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the policy YAML (for editors and the `schema` command)."""
    schema = DesiredState.model_json_schema(mode="validation")
    schema = _drop_optional_null(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "crosstenant policies",
        "description": "Desired state: tenants, their cross-tenant access settings, and the sync links "
        "(cross-tenant synchronization configurations) between them, directly or as topologies. "
        "Files under the policy folder are merged; each key is declared once.",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def _drop_optional_null(node: Any) -> Any:
    """Optional fields mean "not declared", and the loader rejects an explicit null: say so."""
    if isinstance(node, list):
        return [_drop_optional_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _drop_optional_null(value) for key, value in node.items()}
    branches = out.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches and out.get("default", ...) is None:
        rest = [b for b in branches if b != {"type": "null"}]
        del out["anyOf"]
        out.pop("default")
        out.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
    return out
