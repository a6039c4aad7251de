"""What the gateway puts on the wire through the real SDK stack, and what it hands back."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from reconciler.errors import PermanentGraphError
from reconciler.graph.connection import Overrides

from .conftest import FAKE_TOKEN, FakeCredential, FakeGraph, connection, example, gateway_for, json_response

PARTNERS = "/policies/crossTenantAccessPolicy/partners"


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize(
    ("cloud", "overrides", "tenant_url", "expected"),
    [
        ("global", Overrides(), None, "https://graph.microsoft.com/v1.0/policies/crossTenantAccessPolicy/partners"),
        ("usgov", Overrides(), None, "https://graph.microsoft.us/v1.0/policies/crossTenantAccessPolicy/partners"),
        ("china", Overrides(), None,
         "https://microsoftgraph.chinacloudapi.cn/v1.0/policies/crossTenantAccessPolicy/partners"),
        ("global", Overrides(), "https://127.0.0.1:8443",
         "https://127.0.0.1:8443/v1.0/policies/crossTenantAccessPolicy/partners"),
        ("global", Overrides(graph_url="https://localhost:9443/"), "https://127.0.0.1:8443",
         "https://localhost:9443/v1.0/policies/crossTenantAccessPolicy/partners"),
    ],
)
def test_requests_go_to_the_clouds_graph_or_the_override(fake_time, cloud, overrides, tenant_url, expected):
    graph = FakeGraph(handler=lambda r: json_response(200, {"value": []}))

    async def scenario():
        gw = gateway_for(graph, fake_time, conn=connection(cloud=cloud, graph_url=tenant_url), overrides=overrides)
        try:
            assert await gw.list(PARTNERS) == []
        finally:
            await gw.aclose()

    run(scenario())
    assert [str(r.url) for r in graph.requests] == [expected]


def test_token_is_for_the_graph_host_without_port_and_sent_as_bearer(fake_time):
    graph = FakeGraph(handler=lambda r: json_response(200, {"displayName": "CrossTenantAccessPolicy"}))
    credential = FakeCredential()

    async def scenario():
        gw = gateway_for(graph, fake_time, conn=connection(graph_url="https://127.0.0.1:8443"), credential=credential)
        try:
            return await gw.get("/policies/crossTenantAccessPolicy")
        finally:
            await gw.aclose()

    assert run(scenario()) == {"displayName": "CrossTenantAccessPolicy"}
    assert credential.scopes == [("https://127.0.0.1/.default",)]
    assert graph.requests[0].headers["Authorization"] == f"Bearer {FAKE_TOKEN}"
    assert credential.closed, "aclose closes the credential"


def test_query_parameters_are_encoded_for_odata(fake_time):
    graph = FakeGraph(handler=lambda r: json_response(200, {"value": []}))

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            await gw.list("/users", params={"$filter": "endsWith(userPrincipalName,'#EXT#@contoso.com')",
                                            "$count": True, "$select": "id,displayName", "$top": 5})
        finally:
            await gw.aclose()

    run(scenario())
    url = graph.requests[0].url
    assert url.path == "/v1.0/users"
    assert url.query.decode() == (
        "$filter=endsWith(userPrincipalName,'%23EXT%23@contoso.com')&$count=true&$select=id,displayName&$top=5"
    )
    assert url.params["$filter"] == "endsWith(userPrincipalName,'#EXT#@contoso.com')"


def test_paging_follows_next_link_verbatim_keeping_headers_and_unknown_properties(fake_time):
    first = example("partners-list.response.json")["body"]["value"][0]
    # Three pages in the documented shape; the second item carries a property no model knows.
    novel = {**first, "tenantId": "3c3c3c3c-0000-0000-0000-000000000003",
             "futureCapability": {"isEnabled": True, "nested": [1, 2]}}
    page2_link = "https://graph.microsoft.com/v1.0/policies/crossTenantAccessPolicy/partners?$skiptoken=X%27Y"
    page3_link = "https://graph.microsoft.com/v1.0/policies/crossTenantAccessPolicy/partners?$skiptoken=Z2"
    graph = FakeGraph(queue=[
        json_response(200, {"value": [first], "@odata.nextLink": page2_link}),
        json_response(200, {"value": [novel], "@odata.nextLink": page3_link}),
        json_response(200, {"value": [{**first, "tenantId": "4d4d4d4d-0000-0000-0000-000000000004"}]}),
    ])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            return await gw.list(PARTNERS, headers={"ConsistencyLevel": "eventual"})
        finally:
            await gw.aclose()

    items = run(scenario())
    assert [i["tenantId"] for i in items] == [
        "123f4846-ba00-4fd7-ba43-dac1f8f63013", "3c3c3c3c-0000-0000-0000-000000000003",
        "4d4d4d4d-0000-0000-0000-000000000004"]
    assert items[1]["futureCapability"] == {"isEnabled": True, "nested": [1, 2]}
    assert items[0]["b2bDirectConnectInbound"] == first["b2bDirectConnectInbound"]
    assert [str(r.url) for r in graph.requests][1:] == [page2_link, page3_link]
    assert all(r.headers["ConsistencyLevel"] == "eventual" for r in graph.requests)


def test_max_items_stops_paging_early(fake_time):
    graph = FakeGraph(queue=[
        json_response(200, {"value": [{"id": "1"}, {"id": "2"}], "@odata.nextLink": "https://graph.microsoft.com/v1.0/x?p=2"}),
        json_response(200, {"value": [{"id": "3"}], "@odata.nextLink": "https://graph.microsoft.com/v1.0/x?p=3"}),
    ])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            return await gw.list("/x", max_items=3)
        finally:
            await gw.aclose()

    assert [i["id"] for i in run(scenario())] == ["1", "2", "3"]
    assert len(graph.requests) == 2


def test_a_next_link_to_another_host_gets_no_token(fake_time):
    graph = FakeGraph(queue=[
        json_response(200, {"value": [{"id": "1"}], "@odata.nextLink": "https://elsewhere.example/v1.0/x?page=2"}),
        json_response(200, {"value": [{"id": "2"}]}),
    ])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            return await gw.list("/x")
        finally:
            await gw.aclose()

    run(scenario())
    assert "Authorization" in graph.requests[0].headers
    assert graph.requests[1].url.host == "elsewhere.example"
    assert "Authorization" not in graph.requests[1].headers


def test_a_repeated_next_link_is_an_error_not_a_loop(fake_time):
    loop_link = "https://graph.microsoft.com/v1.0/x?page=2"
    graph = FakeGraph(handler=lambda r: json_response(200, {"value": [{"id": "1"}], "@odata.nextLink": loop_link}))

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            await gw.list("/x")
        finally:
            await gw.aclose()

    with pytest.raises(PermanentGraphError, match="nextLink repeated"):
        run(scenario())
    assert len(graph.requests) == 2  # page 2 points at itself: detected before asking again


def test_write_bodies_are_json_with_graphs_exact_names_and_results_plain_dicts(fake_time):
    body = example("partners-list.response.json")["body"]["value"][0]
    created = {**body, "isServiceProvider": False, "isInMultiTenantOrganization": False}
    graph = FakeGraph(queue=[json_response(201, created), httpx.Response(204), httpx.Response(204)])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            return (await gw.post(PARTNERS, body),
                    await gw.patch(f"{PARTNERS}/{body['tenantId']}", {"inboundTrust": {"isMfaAccepted": True}}),
                    await gw.delete(f"{PARTNERS}/{body['tenantId']}"))
        finally:
            await gw.aclose()

    posted, patched, deleted = run(scenario())
    assert posted == created
    assert patched is None and deleted is None
    post, patch, delete = graph.requests
    assert (post.method, patch.method, delete.method) == ("POST", "PATCH", "DELETE")
    assert post.headers["Content-Type"] == "application/json"
    assert json.loads(post.content) == body
    assert b"b2bDirectConnectInbound" in post.content
    assert json.loads(patch.content) == {"inboundTrust": {"isMfaAccepted": True}}
    assert delete.content == b""


def test_put_sends_the_body_and_returns_none_on_204(fake_time):
    graph = FakeGraph(queue=[httpx.Response(204)])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            return await gw.put(f"{PARTNERS}/t/identitySynchronization", {"displayName": "Contoso",
                                                                          "userSyncInbound": {"isSyncAllowed": True}})
        finally:
            await gw.aclose()

    assert run(scenario()) is None
    assert graph.requests[0].method == "PUT"
    assert json.loads(graph.requests[0].content)["userSyncInbound"] == {"isSyncAllowed": True}


def test_paths_must_be_relative_to_v1(fake_time):
    graph = FakeGraph(handler=lambda r: json_response(200, {}))

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            for bad in ("policies", "https://graph.microsoft.com/v1.0/policies"):
                with pytest.raises(ValueError):
                    await gw.get(bad)
        finally:
            await gw.aclose()

    run(scenario())
    assert graph.requests == []


def test_debug_log_has_one_line_per_request_without_token_or_body(fake_time, caplog):
    graph = FakeGraph(queue=[
        json_response(429, example("throttling-429.response.json")["body"], {"Retry-After": "0.5",
                                                                              "request-id": "r-1"}),
        json_response(201, {"id": "new", "secretText": "body-only-value"}, {"request-id": "r-2"}),
    ])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            await gw.post("/x", {"client_secret": "body-secret-value"})
        finally:
            await gw.aclose()

    with caplog.at_level(logging.DEBUG, logger="crosstenant.graph"):
        run(scenario())
    lines = [r.getMessage() for r in caplog.records if r.name == "crosstenant.graph"]
    requests = [line for line in lines if "->" in line]
    assert len(requests) == 2
    assert requests[0].startswith("contoso: POST /v1.0/x -> 429 TooManyRequests request-id=")
    assert "attempt=1" in requests[0]
    assert requests[1].startswith("contoso: POST /v1.0/x -> 201 request-id=r-2 ")
    assert requests[1].endswith("ms attempt=2")
    text = "\n".join(lines)
    for secret in (FAKE_TOKEN, "body-secret-value", "body-only-value"):
        assert secret not in text


def test_aclose_closes_the_connection_pool_under_the_sdks_transport(fake_time):
    closed = []

    class Pool(httpx.MockTransport):
        async def aclose(self):
            closed.append(True)

    async def scenario():
        from reconciler.graph.gateway import connect

        gw = connect(connection(), Overrides(), sleep=fake_time.sleep, clock=fake_time.clock,
                     credential=FakeCredential(), transport=Pool(lambda r: json_response(200, {})))
        await gw.get("/x")
        await gw.aclose()
        await gw.aclose()  # idempotent

    run(scenario())
    assert closed == [True]


@pytest.mark.parametrize(("response", "what"), [
    (httpx.Response(200, text="<html>sign in</html>", headers={"Content-Type": "text/html"}), "not JSON"),
    (json_response(200, [1, 2]), "not an object"),
])
def test_a_success_that_is_not_a_json_object_is_an_error(fake_time, response, what):
    graph = FakeGraph(queue=[response])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            await gw.get("/policies/crossTenantAccessPolicy", params={"$select": "id"})
        finally:
            await gw.aclose()

    with pytest.raises(PermanentGraphError, match=what) as caught:
        run(scenario())
    assert caught.value.path == "/v1.0/policies/crossTenantAccessPolicy?$select=id"


def test_a_collection_without_value_is_an_error(fake_time):
    graph = FakeGraph(queue=[json_response(200, {"id": "not-a-collection"})])

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            await gw.list(PARTNERS)
        finally:
            await gw.aclose()

    with pytest.raises(PermanentGraphError, match="without a `value` array"):
        run(scenario())


def test_a_redirect_loop_is_a_permanent_error(fake_time):
    graph = FakeGraph(handler=lambda r: httpx.Response(302, headers={"Location": str(r.url)}))

    async def scenario():
        gw = gateway_for(graph, fake_time)
        try:
            await gw.get("/x")
        finally:
            await gw.aclose()

    with pytest.raises(PermanentGraphError) as caught:
        run(scenario())
    assert caught.value.code == "RedirectError"
    assert len(graph.requests) == 6  # the SDK's RedirectHandler: 5 redirects at most
