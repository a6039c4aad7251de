"""Graph's documented error bodies, parsed by the SDK, become the project's typed errors."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconciler.errors import (
    ConflictError,
    ForbiddenError,
    GraphError,
    NotFoundError,
    PermanentGraphError,
    TransientGraphError,
)
from reconciler.graph.retry import RetryPolicy

from .conftest import FakeGraph, example, gateway_for, json_response

ONE_ATTEMPT = RetryPolicy(max_attempts=1)


def call(fake_time, response: httpx.Response, method: str = "GET", path: str = "/x") -> GraphError:
    graph = FakeGraph(queue=[response])

    async def scenario():
        gw = gateway_for(graph, fake_time, retry=ONE_ATTEMPT)
        try:
            if method == "GET":
                await gw.get(path)
            elif method == "PUT":
                await gw.put(path, {"displayName": "x"})
            else:
                await gw.post(path, {"displayName": "x"})
        finally:
            await gw.aclose()

    with pytest.raises(GraphError) as caught:
        asyncio.run(scenario())
    return caught.value


def test_not_found_from_the_documented_directory_error(fake_time):
    doc = example("error-directory-objectnotfound.response.json")
    err = call(fake_time, json_response(404, doc["body"]), path="/policies/crossTenantAccessPolicy/partners/abc")
    assert type(err) is NotFoundError
    assert (err.status, err.code) == (404, "Directory_ObjectNotFound")
    assert err.message == "Unable to read the company information from the directory."
    assert err.request_id == "75216961-c21d-49ed-8c1f-2cfe51f920f1"
    assert (err.method, err.path) == ("GET", "/v1.0/policies/crossTenantAccessPolicy/partners/abc")
    assert "request-id 75216961-c21d-49ed-8c1f-2cfe51f920f1" in str(err)


def test_conflict_from_the_documented_identity_sync_put(fake_time):
    doc = example("error-identitysync-put-conflict.response.json")
    # The doc elides the end of the body with "..."; close the details array where it is cut.
    body = json.loads(doc["bodyVerbatim"].replace(", ... }", "}]"))
    err = call(fake_time, json_response(doc["status"], body, {"request-id": "hdr-409"}), method="PUT",
               path="/policies/crossTenantAccessPolicy/partners/t/identitySynchronization")
    assert type(err) is ConflictError
    assert err.code == "Request_MultipleObjectsWithSameKeyValue"
    assert err.message.startswith("A conflicting object with one or more of the specified property values")
    assert err.details == [{"code": "ConflictingObjects", "message": body["error"]["details"][0]["message"]}]
    assert err.request_id == "hdr-409", "no innerError in this body: the request-id header is used"


def test_bad_request_is_permanent(fake_time):
    doc = example("error-advanced-query-search-missing-header.response.json")
    err = call(fake_time, json_response(doc["status"], doc["body"]))
    assert type(err) is PermanentGraphError
    assert err.code == "Request_UnsupportedQuery"
    assert "ConsistencyLevel: eventual" in err.message
    assert err.request_id == "9b600954-ba11-4899-8ce9-6abad341f299"


def test_the_older_generic_error_format_with_requestId(fake_time):
    doc = example("error-generic-format.response.json")
    err = call(fake_time, json_response(416, doc["body"]))
    assert type(err) is PermanentGraphError
    assert (err.code, err.message, err.request_id) == ("invalidRange", "Uploaded fragment overlaps with existing data.",
                                                       "request-id")


def test_throttling_after_the_last_attempt_is_transient_with_retry_after(fake_time):
    doc = example("throttling-429.response.json")
    err = call(fake_time, json_response(429, doc["body"], doc["headers"]))
    assert type(err) is TransientGraphError
    assert (err.code, err.message) == ("TooManyRequests", "Please retry again later.")
    assert err.retry_after == pytest.approx(2.128)
    assert err.request_id == "94fb3b52-452a-4535-a601-69e0a90e3aa2"


def test_forbidden_says_graphs_words_and_what_it_means(fake_time):
    body = {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation.",
                      "innerError": {"date": "2024-01-01T00:00:00", "request-id": "rid-403", "client-request-id": "c"}}}
    err = call(fake_time, json_response(403, body), method="POST", path="/policies/crossTenantAccessPolicy/partners")
    assert type(err) is ForbiddenError
    assert err.code == "Authorization_RequestDenied"
    assert err.message.startswith("Insufficient privileges to complete the operation.")
    assert "application permission or directory role" in err.message
    assert err.request_id == "rid-403"


def test_forbidden_names_the_permission_when_graph_does(fake_time):
    body = {"error": {"code": "Forbidden",
                      "message": "Missing role permissions on the request. API requires one of "
                                 "'Policy.ReadWrite.CrossTenantAccess'. Roles on the request 'Policy.Read.All'.",
                      "innerError": {"request-id": "rid"}}}
    err = call(fake_time, json_response(403, body))
    assert "API requires one of 'Policy.ReadWrite.CrossTenantAccess'" in err.message
    assert "Policy.ReadWrite.CrossTenantAccess" in err.message.split("[")[-1]


def test_unauthorized_carries_entras_challenge(fake_time):
    body = {"error": {"code": "InvalidAuthenticationToken", "message": "Access token validation failure.",
                      "innerError": {"request-id": "rid-401"}}}
    headers = {"WWW-Authenticate": 'Bearer realm="", error="invalid_token", '
                                   'error_description="The audience is invalid"'}
    err = call(fake_time, json_response(401, body, headers))
    assert type(err) is ForbiddenError
    assert (err.status, err.code) == (401, "InvalidAuthenticationToken")
    assert "Access token validation failure." in err.message and "The audience is invalid" in err.message


def test_an_error_without_graphs_body_still_has_status_code_and_request_id(fake_time):
    page = httpx.Response(502, text="<html><body>Bad gateway</body></html>",
                          headers={"Content-Type": "text/html", "request-id": "edge-1"})
    err = call(fake_time, page)
    assert type(err) is TransientGraphError
    assert (err.status, err.code, err.request_id) == (502, "BadGateway", "edge-1")
    assert err.message == "the response carried no Graph error body"


@pytest.mark.parametrize(("status", "kind"), [(400, PermanentGraphError), (405, PermanentGraphError),
                                              (500, TransientGraphError), (504, TransientGraphError)])
def test_status_classes(fake_time, status, kind):
    body = {"error": {"code": "Some_Code", "message": "m"}}
    assert type(call(fake_time, json_response(status, body))) is kind
