"""What the parts of a sync configuration (settings, schema, assignments, run state) share."""

from __future__ import annotations

from typing import Any

from reconciler.plan import Change


class ConfigurationPart:
    """A part made and mended by one idempotent write, `_write`, and deleted with its configuration.

    Deleting the configuration's application takes its service principal, job, secrets, schema
    and assignments along (ENDPOINTS §2.1), so a part's own delete has nothing to do.
    """

    async def create(self, gw: Any, change: Change) -> None:
        await self._write(gw, change)

    async def update(self, gw: Any, change: Change) -> None:
        await self._write(gw, change)

    async def delete(self, gw: Any, change: Change) -> None:
        """Nothing to do: the part goes with the configuration's application (the link's delete)."""

    async def _write(self, gw: Any, change: Change) -> None:
        raise NotImplementedError
