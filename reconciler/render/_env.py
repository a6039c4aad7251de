"""The jinja2 environment every renderer shares, and the filters that put values into text.

Values are always JSON-encoded before they reach a template (`None` → `null`, strings quoted),
so what is shown is what Graph holds; Markdown output is escaped on top of that.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

ABSENT_TEXT = "(absent)"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARKDOWN_SPECIAL = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "&#124;",
    "`": "&#96;",
    "\\": "\\\\",
    "*": "\\*",
    "_": "\\_",
    "[": "\\[",
    "]": "\\]",
    "~": "\\~",
    "\n": "<br>",
}
_MARKDOWN_PATTERN = re.compile("|".join(re.escape(c) for c in _MARKDOWN_SPECIAL))


def json_value(value: Any) -> str:
    """A value as one line of JSON: `null`, `true`, `"text"`, `{"a": 1}` (keys sorted)."""
    return plain(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")))


def plain(text: Any) -> str:
    """A string for a terminal, with control characters (e.g. ANSI escapes) made visible."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def markdown_escape(text: Any) -> str:
    """A string safe inside Markdown text and table cells: no markup, no HTML, one line."""
    return _MARKDOWN_PATTERN.sub(lambda m: _MARKDOWN_SPECIAL[m.group()], plain(text))


def html_escape(text: Any) -> str:
    """A string safe inside HTML (e.g. a `<summary>`, where Markdown is not parsed)."""
    return html.escape(plain(text), quote=True).replace("\n", "<br>")


def field_side(field: Mapping[str, Any], side: str) -> str:
    """A field change's `before` or `after` as JSON, or "(absent)" when that side has no value."""
    return json_value(field[side]) if side in field else ABSENT_TEXT


def markdown_side(field: Mapping[str, Any], side: str) -> str:
    return markdown_escape(json_value(field[side])) if side in field else f"*{ABSENT_TEXT}*"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reconciler.render", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # text and Markdown: escaping is explicit, through the filters below
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        value=json_value,
        plain=plain,
        md=markdown_escape,
        html=html_escape,
        side=field_side,
        mdside=markdown_side,
    )
    return env
