"""The Markdown rendering of a plan, for pull-request comments: summary first, one table per change."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.render._env import environment
from reconciler.render._view import summary_line, tenant_groups

# GitHub refuses comments over 65536 characters; the default leaves room for a header.
DEFAULT_MAX_CHARS = 60000
FOLD_AFTER_FIELDS = 8  # a change with more fields than this is folded in <details>
_TRUNCATION_NOTE = "\n\n> [!NOTE]\n> Truncated to fit a comment. The JSON plan (`--format json`) has everything.\n"


def render_markdown(plan_json: Mapping[str, Any], *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The plan as Markdown, at most `max_chars` long: when it does not fit, the last changes
    (then unmanaged objects) are left out and a note says how many."""
    changes, unmanaged = list(plan_json["changes"]), list(plan_json["unmanaged"])
    total = len(changes) + len(unmanaged)

    def render(shown: int) -> str:
        return _render(plan_json, changes[:shown], unmanaged[: max(0, shown - len(changes))], total - shown)

    full = render(total)
    if len(full) <= max_chars:
        return full
    # The longest prefix of changes-then-unmanaged that fits (length grows with `shown`).
    low, high = 0, total - 1
    while low < high:
        mid = (low + high + 1) // 2
        if len(render(mid)) <= max_chars:
            low = mid
        else:
            high = mid - 1
    text = render(low)
    if len(text) <= max_chars:
        return text
    # Even the header alone (unsafe reasons, warnings) is too long: cut it and say so.
    return text[: max(0, max_chars - len(_TRUNCATION_NOTE))] + _TRUNCATION_NOTE


def _render(
    plan_json: Mapping[str, Any], changes: list[Any], unmanaged: list[Any], omitted: int
) -> str:
    omitted_changes = len(plan_json["changes"]) - len(changes)
    text = environment().get_template("plan.md.j2").render(
        summary_line=summary_line(plan_json),
        unsafe=plan_json["unsafe"],
        warnings=plan_json["warnings"],
        groups=tenant_groups(changes),
        unmanaged=unmanaged,
        omitted_changes=omitted_changes,
        omitted_unmanaged=omitted - omitted_changes,
        fold_after=FOLD_AFTER_FIELDS,
    )
    # Values never hold a raw newline (escaped to <br>), so squeezing blank lines is safe.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
