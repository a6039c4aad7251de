"""The link_assignments kind: add missing, remove extra, 409 on add is success, safety counts."""

from __future__ import annotations

from reconciler.resources.link_assignments import LinkAssignmentsHandler
from reconciler.resources.memo import forget
from tests.resources.fake_graph import FakeGraph, apply_change, desired, plan_change, run
from tests.resources.test_link_configuration import LINK, converge

handler = LinkAssignmentsHandler()
ADELE, MEGAN, ALEX = "user-adele", "user-megan", "user-alex"
SALES, OPS = "group-sales", "group-ops"


def observe(gw: FakeGraph) -> dict:
    forget(gw)
    return run(handler.read(gw, "contoso-tid"))


def configured() -> tuple[FakeGraph, str]:
    gw = FakeGraph()
    converge(gw)
    (sp_id,) = gw.service_principals
    gw.principal_types.update({ADELE: "User", MEGAN: "User", ALEX: "User", SALES: "Group", OPS: "Group"})
    return gw, sp_id


def apply(gw: FakeGraph, body: dict) -> None:
    change = plan_change(handler, desired("link_assignments", LINK, body), observe(gw).get(LINK))
    if change is not None:
        forget(gw)
        run(apply_change(handler, gw, change))


def test_missing_assignments_are_added_with_the_msiam_access_role_and_extra_ones_removed():
    gw, sp_id = configured()
    role_id = gw.service_principals[sp_id]["appRoles"][0]["id"]
    assert gw.service_principals[sp_id]["appRoles"][0]["displayName"] == "msiam_access"
    apply(gw, {"users": [MEGAN, ADELE], "groups": [SALES]})
    posts = gw.bodies("POST", rf"/servicePrincipals/{sp_id}/appRoleAssignedTo")
    assert posts == [{"principalId": ADELE, "resourceId": sp_id, "appRoleId": role_id},
                     {"principalId": MEGAN, "resourceId": sp_id, "appRoleId": role_id},
                     {"principalId": SALES, "resourceId": sp_id, "appRoleId": role_id}]
    assert observe(gw)[LINK] == {"users": [ADELE, MEGAN], "groups": [SALES]}

    megan = next(a["id"] for a in gw.assignments[sp_id] if a["principalId"] == MEGAN)
    apply(gw, {"users": [ADELE, ALEX], "groups": [SALES]})
    assert ("DELETE", f"/servicePrincipals/{sp_id}/appRoleAssignedTo/{megan}") in gw.writes()
    assert observe(gw)[LINK] == {"users": [ADELE, ALEX], "groups": [SALES]}
    # compile emits sorted id lists (the contract), so a converged link plans nothing
    assert plan_change(handler, desired("link_assignments", LINK, {"users": [ADELE, ALEX], "groups": [SALES]}),
                       observe(gw)[LINK]) is None


def test_an_assignment_made_meanwhile_is_success():
    gw, sp_id = configured()
    gw.assignment_conflicts.add(ADELE)
    apply(gw, {"users": [ADELE]})  # the POST answers 409: already assigned; nothing raised
    assert gw.bodies("POST", r".*/appRoleAssignedTo")[0]["principalId"] == ADELE


def test_a_list_left_out_is_not_managed():
    gw, sp_id = configured()
    apply(gw, {"users": [ADELE], "groups": [SALES]})
    apply(gw, {"groups": [OPS]})
    assert observe(gw)[LINK] == {"users": [ADELE], "groups": [OPS]}


def test_removing_principals_is_narrowing_and_says_how_many():
    live = {"users": [ADELE, ALEX, MEGAN], "groups": [OPS, SALES]}
    reasons = handler.narrowing_reasons({"users": [ADELE], "groups": [SALES]}, live, link=LINK)
    assert len(reasons) == 1
    assert "link contoso-to-fabrikam removes 2 users and 1 group" in reasons[0]
    assert handler.narrowing_reasons({"users": [ADELE, ALEX, MEGAN, "user-new"]}, live, link=LINK) == []
    assert handler.narrowing_reasons({"groups": []}, {"groups": [SALES]}, link=LINK)[0].startswith(
        "link contoso-to-fabrikam removes 1 group ")
    assert handler.narrowing_reasons({"users": []}, None, link=LINK) == []
