"""Shared doubles for the graph tests: a fake Graph behind httpx.MockTransport (under the real
SDK adapter and middleware), a fake TokenCredential, injected sleep and clock, Graph's
documented examples (copied from graph-reference/examples into ./fixtures)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken

from reconciler.graph.connection import AuthSpec, Overrides, TenantConnection
from reconciler.graph.retry import RetryPolicy

FIXTURES = Path(__file__).parent / "fixtures"
FAKE_TOKEN = "fake-access-token-4b1d"
TENANT_ID = "00000000-0000-0000-0000-00000000c0de"


def example(name: str) -> dict:
    """One documented example: `{method, url, status, body, headers?, ...}`."""
    return json.loads((FIXTURES / name).read_text())


def connection(alias: str = "contoso", **fields: Any) -> TenantConnection:
    auth = fields.pop("auth", AuthSpec(method="client_secret", client_id="11111111-0000-0000-0000-000000000001",
                                       secret_env="CONTOSO_SECRET"))
    return TenantConnection(alias=alias, tenant_id=fields.pop("tenant_id", TENANT_ID), auth=auth, **fields)


class FakeCredential:
    """A sync TokenCredential: `get_token(*scopes, **kw) -> AccessToken`."""

    def __init__(self, token: str = FAKE_TOKEN):
        self.token = token
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        self.closed = True


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers or {})
    return httpx.Response(status, json=body, headers=headers or {})


@dataclass
class FakeGraph:
    """Answers from `handler(request) -> Response`, or from a queue of responses, and keeps
    every request that reached the wire."""

    handler: Callable[[httpx.Request], httpx.Response] | None = None
    queue: list[httpx.Response | Exception] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.handler is not None:
            return self.handler(request)
        item = self.queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


class FakeTime:
    """A monotonic clock that only the recorded sleeps advance."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def gateway_for(graph: FakeGraph, fake_time: FakeTime, *, conn: TenantConnection | None = None,
                overrides: Overrides = Overrides(), retry: RetryPolicy = RetryPolicy(),
                credential: FakeCredential | None = None):
    """A real gateway (real SDK stack) over the fake Graph. Call inside a running event loop."""
    from reconciler.graph.gateway import connect

    return connect(conn or connection(), overrides, retry=retry, sleep=fake_time.sleep, clock=fake_time.clock,
                   credential=credential or FakeCredential(), transport=graph.transport)
