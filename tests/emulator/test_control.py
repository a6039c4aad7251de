"""The control API: fault rules, the request log, knobs and reset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from reconciler.emulator.app import build_emulator
from tests.support.emulator import CONTOSO, CONTOSO_ID, DEMO_SEED, EmulatorError, EmulatorProcess

POLICY = "/policies/crossTenantAccessPolicy"
PARTNERS = f"{POLICY}/partners"
PARTNER_A = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"


@pytest.fixture
def contoso(fresh_emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    with fresh_emulator.graph(CONTOSO) as client:
        yield client


# ----- faults
def test_a_status_fault_answers_graphs_error_with_retry_after_once(fresh_emulator, contoso):
    fresh_emulator.add_fault(method="GET", path=POLICY, status=429, retry_after=2.5)
    throttled = contoso.get(POLICY)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2.5"
    error = throttled.json()["error"]
    assert (error["code"], error["message"]) == ("TooManyRequests", "Please retry again later.")
    assert error["innerError"]["request-id"] == throttled.headers["request-id"]
    assert contoso.get(POLICY).status_code == 200


def test_nth_and_times_pick_which_matching_requests_fail(fresh_emulator, contoso):
    fresh_emulator.add_fault(method="GET", path=PARTNERS, nth=2, times=2, status=503, code="serviceNotAvailable",
                             message="Try later")
    statuses = [contoso.get(PARTNERS).status_code for _ in range(4)]
    assert statuses == [200, 503, 503, 200]
    [rule] = fresh_emulator.faults()
    assert (rule["seen"], rule["exhausted"]) == (3, True)


def test_a_fault_matches_its_method_and_path_glob_only(fresh_emulator, contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    fresh_emulator.add_fault(method="PATCH", path=f"{PARTNERS}/*", status=500)
    assert contoso.get(f"{PARTNERS}/{PARTNER_A}").status_code == 200  # other method
    assert contoso.patch(POLICY, json={"displayName": "x"}).status_code == 204  # other path
    failed = contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"inboundTrust": None})
    assert (failed.status_code, failed.json()["error"]["code"]) == (500, "InternalServerError")
    assert contoso.patch(f"{PARTNERS}/{PARTNER_A}", json={"inboundTrust": None}).status_code == 204


def test_a_reset_fault_drops_the_connection_without_a_response(fresh_emulator, contoso):
    fresh_emulator.add_fault(method="GET", path=POLICY, reset=True)
    with pytest.raises(httpx.TransportError):
        contoso.get(POLICY)
    assert contoso.get(POLICY).status_code == 200
    statuses = [(r["path"], r["status"]) for r in fresh_emulator.requests()]
    assert statuses[-2:] == [(f"/v1.0{POLICY}", 0), (f"/v1.0{POLICY}", 200)]


def test_a_delay_fault_holds_the_request_then_answers_it(fresh_emulator, contoso):
    fresh_emulator.add_fault(method="GET", path=POLICY, delay=0.25)
    started = time.monotonic()
    response = contoso.get(POLICY)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.25
    started = time.monotonic()
    contoso.get(POLICY)
    assert time.monotonic() - started < 0.25


def test_a_delay_can_precede_an_error(fresh_emulator, contoso):
    fresh_emulator.add_fault(path="/policies/*", delay=0.1, status=504)
    started = time.monotonic()
    assert contoso.get(f"{POLICY}/default").status_code == 504
    assert time.monotonic() - started >= 0.1


def test_faults_are_listed_and_cleared(fresh_emulator, contoso):
    fresh_emulator.add_fault(path=POLICY, status=500)
    assert [r["path"] for r in fresh_emulator.faults()] == [POLICY]
    fresh_emulator.clear_faults()
    assert fresh_emulator.faults() == []
    assert contoso.get(POLICY).status_code == 200


@pytest.mark.parametrize("rule", [
    {"path": POLICY},  # nothing to do
    {"path": "policies", "status": 500},  # not a path after /v1.0
    {"path": POLICY, "status": 200},
    {"path": POLICY, "status": 500, "nth": 0},
    {"path": POLICY, "delay": 3600},
    {"path": POLICY, "status": 500, "colour": "red"},
])
def test_malformed_fault_rules_are_refused(fresh_emulator, rule):
    with pytest.raises(EmulatorError, match="400"):
        fresh_emulator.add_fault(**rule)


def test_faults_apply_to_graph_only(fresh_emulator):
    fresh_emulator.add_fault(path="/*", status=500)
    assert fresh_emulator.token(CONTOSO.tenant_id, CONTOSO.client_id, CONTOSO.secret, scope="https://localhost/.default")
    assert fresh_emulator.health()["status"] == "ok"


# ----- the request log
def test_the_request_log_records_graph_and_token_calls_without_secrets(fresh_emulator):
    token_response = fresh_emulator.http.post(f"/{CONTOSO.domain}/oauth2/v2.0/token", data={
        "client_id": CONTOSO.client_id, "client_secret": CONTOSO.secret, "scope": "https://127.0.0.1/.default",
        "grant_type": "client_credentials"})
    token = token_response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    fresh_emulator.http.get(f"/v1.0{PARTNERS}", params={"$top": "5"}, headers=headers)
    fresh_emulator.http.get(f"/v1.0{PARTNERS}/{PARTNER_A}", headers=headers)
    log = fresh_emulator.requests()
    assert [(e["method"], e["path"], e["query"], e["tenantId"], e["status"]) for e in log] == [
        ("POST", f"/{CONTOSO.domain}/oauth2/v2.0/token", "", CONTOSO_ID, 200),
        ("GET", f"/v1.0{PARTNERS}", "%24top=5", CONTOSO_ID, 200),
        ("GET", f"/v1.0{PARTNERS}/{PARTNER_A}", "", CONTOSO_ID, 404),
    ]
    assert [e["seq"] for e in log] == sorted(e["seq"] for e in log)
    assert all(set(e) == {"seq", "method", "path", "query", "tenantId", "status", "durationMs"} for e in log)
    assert all(e["durationMs"] >= 0 for e in log)
    text = str(log)
    assert CONTOSO.secret not in text and token not in text
    fresh_emulator.clear_requests()
    assert fresh_emulator.requests() == []


def test_a_faulted_request_is_logged_with_its_tenant(fresh_emulator, contoso):
    fresh_emulator.add_fault(path=POLICY, status=429)
    contoso.get(POLICY)
    [entry] = [e for e in fresh_emulator.requests() if e["path"].startswith("/v1.0")]
    assert (entry["tenantId"], entry["status"]) == (CONTOSO_ID, 429)


# ----- knobs and reset
def test_config_reports_and_validates_knobs(fresh_emulator):
    config = fresh_emulator.config()
    assert config == {"page_size": 100, "partner_extra_properties": {}, "policy_size_limit": 25600,
                      "service_default_stale_reads": 0}
    assert fresh_emulator.config(page_size=3)["page_size"] == 3
    for bad in ({"page_size": 0}, {"page_size": "3"}, {"pageSize": 3}, {"partner_extra_properties": []}):
        with pytest.raises(EmulatorError, match="400"):
            fresh_emulator.config(**bad)


def test_reset_returns_to_the_seeded_state(fresh_emulator, contoso):
    contoso.post(PARTNERS, json={"tenantId": PARTNER_A})
    fresh_emulator.config(page_size=1)
    fresh_emulator.add_fault(path="/nothing", status=500)
    fresh_emulator.reset()
    assert contoso.get(PARTNERS).json()["value"] == []
    assert fresh_emulator.config()["page_size"] == 100
    assert fresh_emulator.faults() == []
    assert [e["path"] for e in fresh_emulator.requests()] == [f"/v1.0{PARTNERS}"]
    assert set(fresh_emulator.health()["tenants"]) == {CONTOSO_ID, "00000000-0000-0000-0000-0000000fab1c"}


def test_the_control_api_answers_loopback_callers_only(tmp_path: Path):
    emulator = build_emulator(tmp_path, DEMO_SEED)
    try:
        with TestClient(emulator.app, client=("192.0.2.10", 50000)) as remote:
            assert remote.get("/_emulator/health").status_code == 403
        with TestClient(emulator.app, client=("127.0.0.1", 50000)) as local:
            assert local.get("/_emulator/health").json()["status"] == "ok"
    finally:
        emulator.store.close()
