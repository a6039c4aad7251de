"""The terminal rendering of a plan: markers `+ ~ - -/+`, one line per field, then the summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render._env import environment
from reconciler.render._view import summary_line, tenant_groups

_ANSI = {
    "create": "\x1b[32m",
    "update": "\x1b[33m",
    "delete": "\x1b[31m",
    "replace": "\x1b[35m",
    "unsafe": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "bold": "\x1b[1m",
}
_RESET = "\x1b[0m"


def render_text(plan_json: Mapping[str, Any], *, color: bool = False) -> str:
    """The plan for a terminal; ANSI colours only when `color` is set (the CLI decides: a TTY)."""

    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}{_RESET}" if color else text

    text = environment().get_template("plan.txt.j2").render(
        unsafe=plan_json["unsafe"],
        warnings=plan_json["warnings"],
        groups=tenant_groups(plan_json["changes"]),
        unmanaged=plan_json["unmanaged"],
        summary_line=summary_line(plan_json),
        paint=paint,
    )
    return text.rstrip() + "\n"
