"""Renderings of a plan (text, Markdown, JSON) and of an apply report, all from their JSON dicts."""

from reconciler.render.json_format import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.report import render_apply_report_text
from reconciler.render.text import render_text

__all__ = ["render_apply_report_text", "render_json", "render_markdown", "render_text"]
