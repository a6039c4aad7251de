"""appRoleAssignedTo on the configuration's service principal, and replication lag."""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.emulator.sync_app import CONTOSO, FABRIKAM, Harness, example, same_shape


@pytest.fixture
def h(tmp_path):
    return Harness.create(tmp_path)


def _assign(h, sp, principal_id, role_id=None):
    role_id = role_id or sp["appRoles"][0]["id"]
    return h.call("POST", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                  json={"appRoleId": role_id, "resourceId": sp["id"], "principalId": principal_id})


def test_assign_user_replays_the_documented_exchange(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    user = h.user(CONTOSO, "user1@contoso.example", "User1")
    documented = example("cts-howto-approleassignedto-create.response.json")
    assert set(example("cts-howto-approleassignedto-create.request.json")["body"]) == {
        "appRoleId", "resourceId", "principalId"}
    response = _assign(h, sp, user["id"])
    assert response.status_code == documented["status"] == 201
    body = response.json()
    assert same_shape(body, documented["body"]) == []
    assert (body["principalDisplayName"], body["principalType"], body["resourceDisplayName"]) == (
        "User1", "User", "Fabrikam")
    assert body["resourceId"] == sp["id"] and body["appRoleId"] == sp["appRoles"][0]["id"]
    # Opaque base64url id that starts with the principal's GUID bytes, as Graph's do.
    raw = base64.urlsafe_b64decode(body["id"] + "=" * (-len(body["id"]) % 4))
    assert uuid.UUID(bytes_le=raw[:16]) == uuid.UUID(user["id"])


def test_assign_group_then_list_and_delete(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    group = h.group(CONTOSO, "Sales")
    generic = example("approleassignedto-create.response.json")["body"]
    created = _assign(h, sp, group["id"]).json()
    assert created["principalType"] == generic["principalType"] == "Group"
    listed = h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo").json()
    assert [a["id"] for a in listed["value"]] == [created["id"]]
    assert h.call("DELETE", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo/{created['id']}").status_code == 204
    assert h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo").json()["value"] == []
    assert h.call("DELETE", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo/{created['id']}").status_code == 404


def test_assignment_errors(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    user = h.user(CONTOSO, "adele@contoso.example", "Adele")
    outsider = h.user(FABRIKAM, "bob@fabrikam.example", "Bob")
    assert _assign(h, sp, outsider["id"]).status_code == 400  # not in the caller's tenant
    assert _assign(h, sp, str(uuid.uuid4())).status_code == 400
    wrong_role = _assign(h, sp, user["id"], role_id=str(uuid.uuid4()))
    assert wrong_role.status_code == 400 and "not found on application" in wrong_role.json()["error"]["message"]
    mismatched = h.call("POST", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                        json={"appRoleId": sp["appRoles"][0]["id"], "resourceId": str(uuid.uuid4()),
                              "principalId": user["id"]})
    assert mismatched.status_code == 400
    assert _assign(h, sp, user["id"]).status_code == 201
    duplicate = _assign(h, sp, user["id"])
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["error"]["message"]
    other_sp = h.instantiate("Other")["servicePrincipal"]  # msiam_access allows users and groups only
    assert _assign(h, sp, other_sp["id"]).status_code == 400


def test_assignment_permissions(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    user = h.user(CONTOSO, "adele@contoso.example", "Adele")
    response = h.call("POST", f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                      roles=("Application.Read.All",),
                      json={"appRoleId": sp["appRoles"][0]["id"], "resourceId": sp["id"], "principalId": user["id"]})
    assert response.status_code == 403


def test_replication_lag_hides_then_shows(h):
    assert h.call("POST", "/_emulator/replication", json={"lagRequests": 2}).json() == {"lagRequests": 2}
    created = h.instantiate("Fabrikam")
    sp, app = created["servicePrincipal"], created["application"]
    user = h.user(CONTOSO, "adele@contoso.example", "Adele")
    # 1st request to the tenant's application area: a filtered list misses it.
    assert h.call("GET", "/v1.0/servicePrincipals", params={"$filter": "displayName eq 'Fabrikam'"}).json()[
        "value"] == []
    # 2nd: a sub-resource call fails as Graph does right after instantiate.
    hidden = _assign(h, sp, user["id"])
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "Request_ResourceNotFound"
    # 3rd: replicated.
    assert _assign(h, sp, user["id"]).status_code == 201
    assert h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}").status_code == 200
    # Requests stand for time: the application, asked about by none of them, replicated meanwhile.
    assert h.call("GET", f"/v1.0/applications/{app['id']}").status_code == 200
    # One request counts once, however many new objects it looks at.
    late = h.instantiate("Northwind")
    listed = h.call("GET", "/v1.0/servicePrincipals").json()["value"]
    assert late["servicePrincipal"]["id"] not in [s["id"] for s in listed]
    assert h.call("GET", f"/v1.0/applications/{late['application']['id']}").status_code == 404
    assert h.call("GET", f"/v1.0/applications/{late['application']['id']}").status_code == 200


def test_replication_lag_off_by_default_and_resettable(h):
    sp = h.instantiate("a")["servicePrincipal"]
    assert h.call("GET", f"/v1.0/servicePrincipals/{sp['id']}").status_code == 200
    h.call("POST", "/_emulator/replication", json={"lagRequests": 5})
    late = h.instantiate("b")["servicePrincipal"]
    assert h.call("GET", f"/v1.0/servicePrincipals/{late['id']}").status_code == 404
    h.call("POST", "/_emulator/replication", json={"lagRequests": 0})
    assert h.call("GET", f"/v1.0/servicePrincipals/{late['id']}").status_code == 200
    assert h.call("POST", "/_emulator/replication", json={"lagRequests": -1}).status_code == 400
