"""asyncio helpers for the concurrent reads of one run."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable


async def gather_or_cancel(*aws: Awaitable[Any]) -> list[Any]:
    """Like `asyncio.gather`, but when one fails the others are cancelled and awaited.

    A failed read aborts the plan; the sibling reads must not go on in the background and be
    torn down half-way when the run's connections close.
    """
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
