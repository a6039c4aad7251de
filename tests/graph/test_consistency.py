"""wait_until: N confirmations in a row, bounded by a deadline, in fake time."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.errors import ForbiddenError, NotFoundError, PermanentGraphError, TransientGraphError
from reconciler.graph.consistency import wait_until


def probe_from(answers):
    answers = list(answers)
    calls = []

    async def probe():
        calls.append(None)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return probe, calls


def wait(probe, fake_time, **kw):
    asyncio.run(wait_until(probe, what=kw.pop("what", "partner 3c3c"), sleep=fake_time.sleep,
                           clock=fake_time.clock, **kw))


def missing():
    return NotFoundError(status=404, code="Request_ResourceNotFound", message="not yet")


def test_returns_after_consecutive_confirmations_resetting_on_a_miss(fake_time):
    probe, calls = probe_from([missing(), True, False, True, True, True, True])
    wait(probe, fake_time, consecutive=3)
    assert len(calls) == 6
    # misses back off 1s then 2s; confirmations 1s apart
    assert fake_time.sleeps == [1.0, 1.0, 2.0, 1.0, 1.0]


def test_replication_403_counts_as_not_yet(fake_time):
    probe, calls = probe_from([ForbiddenError(status=403, code="Authorization_RequestDenied", message="m"), True])
    wait(probe, fake_time, consecutive=1)
    assert len(calls) == 2


def test_times_out_with_a_clear_transient_error(fake_time):
    probe, calls = probe_from([missing()] * 50)
    with pytest.raises(TransientGraphError) as caught:
        wait(probe, fake_time, timeout=20, what="contoso.partner.fabrikam")
    err = caught.value
    assert err.code == "ConsistencyTimeout"
    assert "contoso.partner.fabrikam was not consistently visible after 20s" in err.message
    assert "last answer 404 Request_ResourceNotFound" in err.message
    assert sum(fake_time.sleeps) == pytest.approx(20)
    assert fake_time.sleeps[:4] == [1.0, 2.0, 4.0, 8.0]


def test_other_errors_propagate(fake_time):
    probe, _ = probe_from([PermanentGraphError(status=400, code="Request_BadRequest", message="bad")])
    with pytest.raises(PermanentGraphError):
        wait(probe, fake_time)


def test_gateway_wait_until_uses_its_sleep_and_names_the_tenant(fake_time):
    from .conftest import FakeGraph, gateway_for

    probe, _ = probe_from([False] * 10)

    async def scenario():
        gw = gateway_for(FakeGraph(), fake_time)
        try:
            await gw.wait_until(probe, what="link app", timeout=3)
        finally:
            await gw.aclose()

    with pytest.raises(TransientGraphError, match="contoso: link app was not consistently visible"):
        asyncio.run(scenario())
    assert fake_time.sleeps == [1.0, 2.0]
