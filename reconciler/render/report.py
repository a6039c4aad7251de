"""The terminal rendering of an apply report: one line per change, its error or why it was skipped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render._env import environment

_LABELS = {"applied": "applied", "failed": "FAILED", "skipped": "skipped"}
_ANSI = {"applied": "\x1b[32m", "failed": "\x1b[1;31m", "skipped": "\x1b[33m", "bold": "\x1b[1m"}
_RESET = "\x1b[0m"


def apply_summary_line(report_json: Mapping[str, Any]) -> str:
    s = report_json["summary"]
    if not any(s.values()):
        return "Apply: nothing to do."
    return f"Apply: {s['applied']} applied, {s['failed']} failed, {s['skipped']} skipped."


def render_apply_report_text(report_json: Mapping[str, Any], *, color: bool = False) -> str:
    """The report of `ApplyReport.to_json()` for a terminal; ANSI colours only when `color` is set."""

    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}{_RESET}" if color else text

    text = environment().get_template("apply_report.txt.j2").render(
        outcomes=report_json["outcomes"],
        label=_LABELS,
        summary_line=apply_summary_line(report_json),
        warnings=report_json.get("warnings", []),
        paint=paint,
    )
    return text.rstrip() + "\n"
