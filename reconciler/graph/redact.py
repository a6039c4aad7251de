"""Masks credentials in text before it reaches a log or a terminal.

The gateway never logs tokens, secrets or bodies in the first place; this is the second line of
defence for what third-party libraries (azure-identity, msal, httpx) or exception messages carry.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization headers and bearer tokens, whatever the token's shape.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s,;'\"]+"), rf"\1\2{MASK}"),
    # JWTs anywhere (access tokens, client assertions, GitHub OIDC tokens): three base64url
    # segments, the first of which is a JSON header ({" encodes as eyJ).
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), MASK),
    # Form- or query-encoded credential fields: client_secret=..., client_assertion=..., ...
    (
        re.compile(r"(?i)\b(client_secret|client_assertion|assertion|password|access_token|refresh_token|id_token)=[^&\s]*"),
        rf"\1={MASK}",
    ),
    # The same fields as JSON or Python-repr members: "client_secret": "...".
    (
        re.compile(
            r"(?i)([\"']?(?:client_secret|client_assertion|password|access_token|refresh_token|id_token|secret)[\"']?\s*[:=]\s*)"
            r"([\"'])(?:\\.|(?!\2).)*\2"
        ),
        rf"\1\2{MASK}\2",
    ),
)


def redact(text: str) -> str:
    """`text` with bearer tokens, JWTs and credential fields replaced by `***`."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Install on a handler: rewrites each record's final message (and traceback) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
