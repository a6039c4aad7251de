"""Retries: which outcomes are tried again, how long the gateway waits (through the injected
sleep), and when it gives up. The SDK's own RetryHandler is off, so every attempt is visible."""

from __future__ import annotations

import asyncio
import ssl
from datetime import datetime, timezone

import httpx
import pytest

from reconciler.errors import PermanentGraphError, TransientGraphError
from reconciler.graph.retry import RetryPolicy, may_retry, parse_retry_after

from .conftest import FakeGraph, example, gateway_for, json_response

THROTTLED = example("throttling-429.response.json")
UNAVAILABLE = {"error": {"code": "serviceNotAvailable", "message": "Service unavailable.",
                         "innerError": {"request-id": "rid-503"}}}


def throttled(retry_after: str | None = "2.128") -> httpx.Response:
    return json_response(429, THROTTLED["body"], {"Retry-After": retry_after} if retry_after else {})


def run_call(graph: FakeGraph, fake_time, method: str, retry: RetryPolicy = RetryPolicy()):
    async def scenario():
        gw = gateway_for(graph, fake_time, retry=retry)
        try:
            if method == "GET":
                return await gw.get("/policies/crossTenantAccessPolicy/default")
            if method == "POST":
                return await gw.post("/policies/crossTenantAccessPolicy/partners", {"tenantId": "t"})
            if method == "PATCH":
                return await gw.patch("/policies/crossTenantAccessPolicy/partners/t", {"inboundTrust": None})
            return await gw.delete("/policies/crossTenantAccessPolicy/partners/t")
        finally:
            await gw.aclose()

    return asyncio.run(scenario())


def test_429_is_retried_after_the_documented_fractional_retry_after(fake_time):
    graph = FakeGraph(queue=[throttled("2.128"), throttled("1"), json_response(200, {"isServiceDefault": False})])
    assert run_call(graph, fake_time, "GET") == {"isServiceDefault": False}
    assert fake_time.sleeps == [2.128, 1.0]
    assert len(graph.requests) == 3


def test_post_is_retried_on_429_because_graph_did_not_process_it(fake_time):
    graph = FakeGraph(queue=[throttled("3"), json_response(201, {"tenantId": "t"})])
    assert run_call(graph, fake_time, "POST") == {"tenantId": "t"}
    assert fake_time.sleeps == [3.0]
    assert [r.method for r in graph.requests] == ["POST", "POST"]


def test_post_is_not_retried_on_503_the_create_may_have_happened(fake_time):
    graph = FakeGraph(queue=[json_response(503, UNAVAILABLE, {"Retry-After": "1"}), json_response(201, {})])
    with pytest.raises(TransientGraphError) as caught:
        run_call(graph, fake_time, "POST")
    assert len(graph.requests) == 1 and fake_time.sleeps == []
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (503, "serviceNotAvailable", "rid-503")


def test_post_is_not_retried_after_a_dropped_connection(fake_time):
    graph = FakeGraph(queue=[httpx.ReadError("connection reset by peer"), json_response(201, {})])
    with pytest.raises(TransientGraphError) as caught:
        run_call(graph, fake_time, "POST")
    assert len(graph.requests) == 1
    assert (caught.value.status, caught.value.code) == (0, "ConnectionError")
    assert "connection reset by peer" in caught.value.message


def test_post_is_retried_when_the_connection_never_opened(fake_time):
    graph = FakeGraph(queue=[httpx.ConnectError("connection refused"), json_response(201, {"tenantId": "t"})])
    assert run_call(graph, fake_time, "POST") == {"tenantId": "t"}
    assert len(fake_time.sleeps) == 1 and 0.5 <= fake_time.sleeps[0] <= 1.0


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_idempotent_methods_are_retried_on_503_504_and_connection_errors_with_backoff(fake_time, method):
    graph = FakeGraph(queue=[json_response(503, UNAVAILABLE), json_response(504, UNAVAILABLE),
                             httpx.ReadError("reset"), httpx.Response(204)])
    assert run_call(graph, fake_time, method) == ({} if method == "GET" else None)
    assert len(graph.requests) == 4
    # base 1s doubled per attempt, jittered between half and all of it
    for sleep, ceiling in zip(fake_time.sleeps, [1.0, 2.0, 4.0], strict=True):
        assert ceiling / 2 <= sleep <= ceiling


def test_500_is_not_retried_but_reported_transient(fake_time):
    graph = FakeGraph(queue=[json_response(500, {"error": {"code": "generalException", "message": "boom"}})])
    with pytest.raises(TransientGraphError):
        run_call(graph, fake_time, "GET")
    assert len(graph.requests) == 1


def test_gives_up_after_max_attempts(fake_time):
    graph = FakeGraph(handler=lambda r: throttled("2"))
    with pytest.raises(TransientGraphError) as caught:
        run_call(graph, fake_time, "GET", RetryPolicy(max_attempts=3))
    assert len(graph.requests) == 3 and fake_time.sleeps == [2.0, 2.0]
    assert caught.value.code == "TooManyRequests"
    assert "gave up after 3 attempts" in caught.value.message


def test_a_retry_after_longer_than_max_delay_ends_the_run_at_once(fake_time):
    graph = FakeGraph(queue=[throttled("300")])
    with pytest.raises(TransientGraphError) as caught:
        run_call(graph, fake_time, "GET", RetryPolicy(max_delay=60))
    assert fake_time.sleeps == [] and caught.value.retry_after == 300
    assert "asked to wait 300s" in str(caught.value)


def test_a_429_without_retry_after_backs_off(fake_time):
    graph = FakeGraph(queue=[throttled(None), json_response(200, {})])
    run_call(graph, fake_time, "GET", RetryPolicy(base_delay=4))
    assert 2.0 <= fake_time.sleeps[0] <= 4.0


def test_tls_verification_failure_is_permanent_and_names_the_ca_variable(fake_time):
    def reject(request):
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
        except ssl.SSLCertVerificationError as err:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]") from err

    graph = FakeGraph(handler=reject)
    with pytest.raises(PermanentGraphError) as caught:
        run_call(graph, fake_time, "GET")
    assert len(graph.requests) == 1
    assert caught.value.code == "TlsVerificationFailed" and "CROSSTENANT_CA_BUNDLE" in caught.value.message


@pytest.mark.parametrize(
    ("method", "status", "sent", "expected"),
    [
        ("GET", 429, True, True), ("GET", 503, True, True), ("GET", 504, True, True), ("GET", 500, True, False),
        ("GET", 404, True, False), ("PUT", 503, True, True), ("PATCH", None, True, True),
        ("DELETE", None, True, True), ("POST", 429, True, True), ("POST", 503, True, False),
        ("POST", 504, True, False), ("POST", None, True, False), ("POST", None, False, True),
    ],
)
def test_may_retry(method, status, sent, expected):
    assert may_retry(method, status, sent=sent) is expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2.128", 2.128), ("7", 7.0), (" 0 ", 0.0), ("-3", 0.0), ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
     ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0), ("soon", None), ("", None), (None, None), ("nan", None)],
)
def test_parse_retry_after(value, seconds):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)
    assert parse_retry_after(value, now) == (pytest.approx(seconds) if seconds is not None else None)


def test_policy_delays():
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=5.0)
    assert [policy.backoff(n, lambda: 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert policy.backoff(3, lambda: 0.0) == 2.0
    assert policy.delay_before_next(1, 2.5, lambda: 1.0) == 2.5
    assert policy.delay_before_next(1, 6.0, lambda: 1.0) is None
    assert policy.delay_before_next(4, None, lambda: 1.0) is None
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
