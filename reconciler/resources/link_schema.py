"""A link's schema (`<S>.link.<L>.schema`): declared attribute mappings and scoping filters.

Body: `{"mappings": {"<targetAttr>": {"expression": "<canonical source>", "flow": "always" |
"on_create", "default": str | None}}, "scopingFilters": [[{"attribute", "operator", "values"}]]}`.
Only declared mappings are compared; `scopingFilters` absent (or None) means not managed.
The live body holds every mapping of the User → User object mapping, expressions canonical
(`reconciler/sync/schema_edit.py`, which also explains the "Filter external users" guard).

Write: GET the live schema, lay the declared mappings and filters over it, PUT it whole
(schema PUT replaces). The matching attribute is refused before any call. Saving a new scoping
filter makes Entra run a full cycle (ENDPOINTS.md §2).
"""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler.errors import CrosstenantError
from reconciler.plan import Change
from reconciler.resources import link_paths as paths
from reconciler.resources.base import Resource
from reconciler.resources.link_observe import read_configurations, read_fresh
from reconciler.resources.link_part import ConfigurationPart
from reconciler.resources.link_settings import require_configuration
from reconciler.sync import schema_edit


class LinkSchemaHandler(ConfigurationPart):
    kind: ClassVar[str] = "link_schema"
    order: ClassVar[int] = 42

    async def read(self, gw: Any, tenant_id: str) -> dict[str, dict[str, Any]]:
        configurations = await read_configurations(gw)
        found: dict[str, dict[str, Any]] = {}
        for link, config in sorted(configurations.by_link.items()):
            job = config.job
            if job is None:
                continue
            schema = await gw.get(paths.schema(config.id, str(job["id"])))
            try:
                found[link] = schema_edit.managed_view(schema)
            except schema_edit.SchemaEditError as error:
                raise CrosstenantError(f"link {link}: {error}") from error
        return found

    def normalize(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(body)

    def payload(self, desired: Resource, live: dict[str, Any] | None) -> dict[str, Any]:
        return dict(desired.body)

    def live_for_diff(self, desired_body: dict[str, Any], live_body: dict[str, Any]) -> dict[str, Any]:
        """Unmanaged scoping filters (declared None) are not compared (engine hook; pure)."""
        if desired_body.get("scopingFilters") is None and "scopingFilters" in desired_body:
            return {**live_body, "scopingFilters": None}
        return live_body

    def narrowing_reasons(self, desired_body: dict[str, Any], live_body: dict[str, Any] | None,
                          link: str | None = None) -> list[str]:
        after = desired_body.get("scopingFilters")
        if live_body is None or after is None:
            return []
        before = live_body.get("scopingFilters") or []
        if before == after or schema_edit.is_loosening(before, after):
            return []
        name = f"link {link}" if link else "the link"
        if not before:
            return [f"{name} adds scoping filters where none applied: users they leave out are removed "
                    "from the target tenant"]
        return [f"{name} changes its scoping filters in a way that is not clearly a loosening: users who "
                "no longer pass them are removed from the target tenant"]


    async def _write(self, gw: Any, change: Change) -> None:
        config = await require_configuration(gw, change.key, "schema")
        job = config.job
        if job is None:
            raise CrosstenantError(f"link {change.key}: cannot write its schema: the configuration has no job")
        path = paths.schema(config.id, str(job["id"]))
        live = await read_fresh(gw, config, path, what=f"the schema of link {change.key}'s new job")
        try:
            schema = schema_edit.lay_over(schema_edit.strip_annotations(live), change.payload or {})
        except schema_edit.SchemaEditError as error:
            raise CrosstenantError(f"link {change.key}: {error}") from error
        await gw.put(path, schema)
