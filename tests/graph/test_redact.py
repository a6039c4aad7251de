"""Credentials never survive into logs."""

from __future__ import annotations

import logging

from reconciler.graph.redact import MASK, RedactingFilter, redact

JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJl-_x"


def test_bearer_tokens_and_authorization_headers():
    assert redact("Authorization: Bearer abc.def-123") == f"Authorization: Bearer {MASK}"
    assert redact("{'Authorization': 'Bearer opaque-token'}") == f"{{'Authorization': 'Bearer {MASK}'}}"
    assert redact("Basic dXNlcjpwYXNz") == f"Basic {MASK}"


def test_jwts_anywhere():
    text = redact(f"assertion was {JWT} (expired)")
    assert JWT not in text and text == f"assertion was {MASK} (expired)"


def test_form_encoded_credentials():
    body = ("client_id=1111&client_secret=s3cr3t~value&grant_type=client_credentials"
            "&client_assertion=aaa.bbb.ccc&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
    out = redact(body)
    assert "s3cr3t~value" not in out and "aaa.bbb.ccc" not in out
    assert out == (f"client_id=1111&client_secret={MASK}&grant_type=client_credentials"
                   f"&client_assertion={MASK}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")


def test_json_and_repr_members():
    out = redact('{"access_token": "tok\\"en", "expires_in": 3599, "client_secret":"x"}')
    assert out == f'{{"access_token": "{MASK}", "expires_in": 3599, "client_secret":"{MASK}"}}'
    assert "hunter2" not in redact("password='hunter2'")
    assert redact("secret: 'abc'") == f"secret: '{MASK}'"


def test_plain_text_is_left_alone():
    text = "GET /v1.0/policies/crossTenantAccessPolicy/partners?$top=5 -> 200 request-id=abc 12ms attempt=1"
    assert redact(text) == text


def test_the_filter_redacts_message_args_and_traceback():
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("crosstenant.test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sent %s", "Authorization: Bearer leaked-token")
        try:
            raise RuntimeError(f"token endpoint said client_secret=oops {JWT}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert "leaked-token" not in text and "oops" not in text and JWT not in text
    assert f"Bearer {MASK}" in text and "RuntimeError" in text
