"""Per-run memo of Graph reads, so kinds that need the same collection read it once."""

from __future__ import annotations

import weakref
from typing import Any, Awaitable, Callable

_memos: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


async def once(gw: Any, key: str, read: Callable[[], Awaitable[Any]]) -> Any:
    """`read()` the first time `key` is asked of this gateway; the same result afterwards.

    A gateway lives for one run, so the memo never outlives the observation it belongs to.
    """
    memo = _memos.setdefault(gw, {})
    if key not in memo:
        memo[key] = await read()
    return memo[key]


def forget(gw: Any) -> None:
    """Drop what was read through `gw` (apply re-reads before it acts)."""
    _memos.pop(gw, None)
