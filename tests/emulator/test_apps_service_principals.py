"""Service principal lookups ($filter, $select, paging), PATCH and DELETE; application GET/DELETE."""

from __future__ import annotations

import pytest

from tests.emulator.sync_app import Harness, example

TEMPLATE = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"


@pytest.fixture
def h(tmp_path):
    return Harness.create(tmp_path)


def _path(fixture: str) -> str:
    return example(fixture)["url"].removeprefix("https://graph.microsoft.com")


def _tag(h, sp_id: str, *tags: str) -> None:
    response = h.call("PATCH", f"/v1.0/servicePrincipals/{sp_id}",
                      json={"tags": ["WindowsAzureActiveDirectoryIntegratedApp", *tags], "notes": "managed"})
    assert response.status_code == 204


def test_filter_by_tag_replays_the_constructed_request(h):
    ours = h.instantiate("Fabrikam")["servicePrincipal"]
    h.instantiate("Other")
    _tag(h, ours["id"], "crosstenant:contoso-to-fabrikam")
    url = _path("serviceprincipals-filter-tags.request.json").replace("{tag}", "crosstenant:contoso-to-fabrikam")
    body = h.call("GET", url).json()
    assert [sp["id"] for sp in body["value"]] == [ours["id"]]
    assert set(body["value"][0]) == {"id", "appId", "displayName", "tags", "applicationTemplateId"}
    assert body["@odata.context"].endswith("$metadata#servicePrincipals")


def test_filter_by_name_and_template_and_combined(h):
    fabrikam = h.instantiate("Fabrikam")["servicePrincipal"]
    h.instantiate("Northwind")
    by_name = h.call("GET", _path("serviceprincipals-filter-displayname.request.json").replace(
        "{displayName}", "fabrikam")).json()["value"]
    assert [sp["id"] for sp in by_name] == [fabrikam["id"]]  # eq on strings is case-insensitive
    by_template = h.call("GET", _path("serviceprincipals-filter-applicationtemplateid.request.json")).json()["value"]
    assert len(by_template) == 2 and {"notes", "tags"} <= set(by_template[0])
    both = h.call("GET", "/v1.0/servicePrincipals", params={
        "$filter": f"applicationTemplateId eq '{TEMPLATE}' and appId eq '{fabrikam['appId']}'"}).json()["value"]
    assert [sp["id"] for sp in both] == [fabrikam["id"]]
    either = h.call("GET", "/v1.0/servicePrincipals", params={
        "$filter": "displayName in ('Fabrikam', 'Northwind') or startsWith(displayName, 'zzz')"}).json()["value"]
    assert len(either) == 2


def test_quoted_literal_with_doubled_quote(h):
    sp = h.instantiate("O'Brien")["servicePrincipal"]
    found = h.call("GET", "/v1.0/servicePrincipals", params={"$filter": "displayName eq 'O''Brien'"}).json()
    assert [s["id"] for s in found["value"]] == [sp["id"]]


@pytest.mark.parametrize("flt, message_part", [
    ("notes eq 'managed'", "required parameters might be missing"),  # advanced-only property
    ("displayName ne 'x'", "required parameters might be missing"),
    ("createdDateTime eq '2024-01-01'", "Unsupported or invalid query filter clause"),
    ("displayName eq", "Invalid filter clause"),
    ("tags/all(t:t eq 'x')", "not supported"),
])
def test_unsupported_filters_are_400(h, flt, message_part):
    response = h.call("GET", "/v1.0/servicePrincipals", params={"$filter": flt})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Request_UnsupportedQuery"
    assert message_part in response.json()["error"]["message"]


def test_paging_with_top_follows_next_links(h):
    ids = {h.instantiate(f"cfg-{i}")["servicePrincipal"]["id"] for i in range(5)}
    seen: list[str] = []
    url = "/v1.0/servicePrincipals?$top=2&$select=id"
    for _ in range(5):
        body = h.call("GET", url).json()
        seen += [sp["id"] for sp in body["value"]]
        if "@odata.nextLink" not in body:
            break
        url = body["@odata.nextLink"]
    assert len(seen) == 5 and set(seen) == ids


def test_count_needs_consistency_level(h):
    h.instantiate("a")
    assert h.call("GET", "/v1.0/servicePrincipals/$count").json()["error"]["code"] == "Request_BadRequest"
    request = example("serviceprincipals-count.request.json")
    counted = h.call("GET", "/v1.0/servicePrincipals/$count", headers=request["headers"])
    assert counted.status_code == 200 and counted.text == "1"
    assert counted.headers["content-type"].startswith("text/plain")
    with_count = h.call("GET", "/v1.0/servicePrincipals?$count=true", headers=request["headers"]).json()
    assert with_count["@odata.count"] == 1
    assert "@odata.count" not in h.call("GET", "/v1.0/servicePrincipals?$count=true").json()  # silently ignored


def test_patch_replaces_collections_and_checks_properties(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    request = example("serviceprincipal-update-tags-notes.request.json")
    body = {"tags": [t.replace("{ownershipTag}", "crosstenant") for t in request["body"]["tags"]], "notes": "marker"}
    assert h.call("PATCH", f"/v1.0/servicePrincipals/{sp['id']}", json=body).status_code == 204
    assert h.call("PATCH", f"/v1.0/servicePrincipals/{sp['id']}", json={"tags": ["only"]}).status_code == 204
    got = h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}").json()
    assert got["tags"] == ["only"] and got["notes"] == "marker"
    bad = {
        "appId": "read-only", "tag": ["x"], "tags": "not-a-list", "notes": "x" * 1025, "accountEnabled": "yes",
    }
    for name, value in bad.items():
        response = h.call("PATCH", f"/v1.0/servicePrincipals/{sp['id']}", json={name: value})
        assert response.status_code == 400, name
        assert response.json()["error"]["code"] == "Request_BadRequest"
    documented = example("serviceprincipal-update.request.json")["body"]
    assert h.call("PATCH", f"/v1.0/servicePrincipals/{sp['id']}", json=documented).status_code == 204


def test_address_by_app_id(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    got = h.call("GET", f"/v1.0/servicePrincipals(appId='{sp['appId']}')")
    assert got.status_code == 200 and got.json()["id"] == sp["id"]
    assert h.call("GET", "/v1.0/servicePrincipals(appId='00000000-0000-0000-0000-000000000001')").status_code == 404


def test_delete_service_principal_keeps_the_application(h):
    created = h.instantiate("Fabrikam")
    sp, app = created["servicePrincipal"], created["application"]
    url = _path("serviceprincipal-delete.request.json").replace("{id}", sp["id"])
    assert h.call("DELETE", url).status_code == example("serviceprincipal-delete.response.json")["status"]
    assert h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}").status_code == 404
    assert h.call("GET", f"/v1.0/applications/{app['id']}").status_code == 200


def test_delete_application_deletes_its_service_principal_and_jobs(h):
    created = h.instantiate("Fabrikam")
    sp, app = created["servicePrincipal"], created["application"]
    job = h.new_job(sp["id"])
    url = _path("application-delete.request.json").replace("{id}", app["id"])
    assert h.call("DELETE", url).status_code == example("application-delete.response.json")["status"]
    assert h.call("GET", f"/v1.0/applications/{app['id']}").status_code == 404
    assert h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}").status_code == 404
    assert h.store.list("00000000-0000-0000-0000-00000000c0de", "syncJobs") == []
    assert job["id"]


def test_application_filter_and_select(h):
    app = h.instantiate("Fabrikam")["application"]
    h.instantiate("Other")
    got = h.call("GET", "/v1.0/applications", params={"$filter": f"appId eq '{app['appId']}'",
                                                      "$select": "id,displayName,serviceManagementReference"})
    assert got.json()["value"] == [{"id": app["id"], "displayName": "Fabrikam", "serviceManagementReference": None}]


def test_read_permissions(h):
    h.instantiate("Fabrikam")
    assert h.call("GET", "/v1.0/servicePrincipals", roles=("Application.Read.All",)).status_code == 200
    assert h.call("GET", "/v1.0/servicePrincipals", roles=("User.Read.All",)).status_code == 403
