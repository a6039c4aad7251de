"""The link kind: instantiate → wait → tag → job, adoption, unmanaged configurations, delete."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.errors import TransientGraphError
from reconciler.resources import link_marker as marker
from reconciler.resources.link import LinkHandler
from reconciler.resources.link_observe import unmanaged_configurations
from reconciler.resources.memo import forget
from tests.resources.fake_graph import TARGET_TID, FakeGraph, apply_change, desired, plan_change, run

LINK = "contoso-to-fabrikam"
INSTANTIATE = "/applicationTemplates/518e5f48-1fc8-4c48-9387-9fdf28b0dfe7/instantiate"
handler = LinkHandler()


def wanted(target: str = TARGET_TID):
    return desired("link", LINK, {"displayName": marker.display_name_for(LINK), "targetTenantId": target,
                                  "managed": True})


def observe(gw: FakeGraph) -> dict:
    forget(gw)  # a new run (or apply's fresh reads)
    return run(handler.read(gw, "contoso-tid"))


def converge(gw: FakeGraph, resource=None) -> None:
    resource = resource or wanted()
    change = plan_change(handler, resource, observe(gw).get(LINK))
    if change is not None:
        forget(gw)
        run(apply_change(handler, gw, change))


def test_create_instantiates_waits_until_replicated_tags_then_makes_the_job():
    gw = FakeGraph(replication_misses=2)
    change = plan_change(handler, wanted(), observe(gw).get(LINK))
    assert change.action == "create"
    run(apply_change(handler, gw, change))

    (sp_id,) = gw.service_principals
    assert gw.writes() == [
        ("POST", INSTANTIATE),
        ("PATCH", f"/servicePrincipals/{sp_id}"),
        ("POST", f"/servicePrincipals/{sp_id}/synchronization/jobs"),
    ]
    methods = [m for m, _, _ in gw.calls]
    assert methods.index("WAIT") < [i for i, (m, p, _) in enumerate(gw.calls) if m == "PATCH"][0]
    assert gw.bodies("POST", INSTANTIATE) == [{"displayName": "contoso-to-fabrikam (crosstenant)"}]
    (tags,) = gw.bodies("PATCH", f"/servicePrincipals/{sp_id}")
    # the template's own tag is kept: a collection PATCH replaces the whole list
    assert tags == {"tags": ["WindowsAzureActiveDirectoryIntegratedApp", "crosstenant:link:contoso-to-fabrikam",
                             f"crosstenant:target:{TARGET_TID}"]}
    assert gw.bodies("POST", r".*/synchronization/jobs") == [{"templateId": "Azure2Azure"}]
    assert observe(gw)[LINK] == {"displayName": "contoso-to-fabrikam (crosstenant)", "targetTenantId": TARGET_TID,
                                 "managed": True, "jobTemplateId": "Azure2Azure"}
    assert plan_change(handler, wanted(), observe(gw)[LINK]) is None


def test_a_replication_timeout_says_what_it_waited_for_and_the_next_run_adopts_instead_of_instantiating():
    gw = FakeGraph(replication_misses=10_000, max_wait_probes=5)
    change = plan_change(handler, wanted(), None)
    with pytest.raises(TransientGraphError) as caught:
        run(apply_change(handler, gw, change))
    assert "link contoso-to-fabrikam" in str(caught.value) and "service principal" in str(caught.value)

    gw._unreadable.clear()  # replication caught up
    live = observe(gw)[LINK]
    assert live["managed"] is False
    change = plan_change(handler, wanted(), live)
    assert change.action == "update"
    assert [(f.path, f.before, f.after) for f in change.fields] == [(("managed",), False, True)]
    forget(gw)
    run(apply_change(handler, gw, change))
    assert len(gw.bodies("POST", INSTANTIATE)) == 1
    assert len(gw.service_principals) == 1
    assert plan_change(handler, wanted(), observe(gw)[LINK]) is None


def test_an_untagged_configuration_with_the_exact_derived_name_is_adopted_not_instantiated_again():
    gw = FakeGraph()
    sp_id = gw.add_configuration("contoso-to-fabrikam (crosstenant)", job=False)
    live = observe(gw)[LINK]
    assert live == {"displayName": "contoso-to-fabrikam (crosstenant)", "targetTenantId": None, "managed": False,
                    "jobTemplateId": None}
    change = plan_change(handler, wanted(), live)
    assert change.action == "update"  # not a replace: a never-configured configuration has no target yet
    forget(gw)
    run(apply_change(handler, gw, change))
    assert gw.writes() == [("PATCH", f"/servicePrincipals/{sp_id}"),
                           ("POST", f"/servicePrincipals/{sp_id}/synchronization/jobs")]
    assert marker.marked_link(gw.service_principals[sp_id]["tags"]) == LINK


def test_create_checks_before_it_instantiates():
    gw = FakeGraph()
    change = plan_change(handler, wanted(), None)  # planned while nothing existed
    sp_id = gw.add_configuration("contoso-to-fabrikam (crosstenant)")  # a run that died after instantiate
    run(apply_change(handler, gw, change))
    assert gw.bodies("POST", INSTANTIATE) == []
    assert gw.writes() == [("PATCH", f"/servicePrincipals/{sp_id}")]  # the job was there already


def test_unmanaged_configurations_are_reported_and_never_touched():
    gw = FakeGraph()
    portal = gw.add_configuration("Fabrikam")  # made in the portal
    other_target = gw.add_configuration("contoso-to-fabrikam (crosstenant)", secrets=[
        {"key": "CompanyId", "value": "00000000-0000-0000-0000-0000000000aa"}])
    gw.add_other_service_principal("Some SaaS app")
    converge(gw)
    ours = next(s for s, sp in gw.service_principals.items() if marker.marked_link(sp.get("tags")) == LINK)
    assert ours not in (portal, other_target)
    touched = {p for _, p in gw.writes()}
    assert not any(portal in p or other_target in p for p in touched)
    forget(gw)
    assert run(unmanaged_configurations(gw)) == sorted(
        [{"id": portal, "displayName": "Fabrikam"},
         {"id": other_target, "displayName": "contoso-to-fabrikam (crosstenant)"}],
        key=lambda c: (c["displayName"], c["id"]))


def test_an_adoptable_configuration_of_an_undeclared_link_counts_as_unmanaged_when_declared_names_are_given():
    gw = FakeGraph()
    stray = gw.add_configuration("old-link (crosstenant)")
    assert run(unmanaged_configurations(gw)) == []
    assert run(unmanaged_configurations(gw, declared={LINK})) == [
        {"id": stray, "displayName": "old-link (crosstenant)"}]


def test_delete_removes_the_application_of_a_marked_configuration():
    gw = FakeGraph()
    converge(gw)
    (sp_id,) = gw.service_principals
    app_id = next(iter(gw.applications))
    change = plan_change(handler, replace(wanted(), ensure="absent"), observe(gw)[LINK])
    assert change.action == "delete"
    forget(gw)
    run(apply_change(handler, gw, change))
    assert gw.writes()[-1] == ("DELETE", f"/applications/{app_id}")
    assert gw.service_principals == {} and gw.jobs == {}
    run(apply_change(handler, gw, change))  # again: already gone is fine
    assert observe(gw) == {}


def test_delete_leaves_an_unmarked_configuration_alone():
    gw = FakeGraph()
    gw.add_configuration("contoso-to-fabrikam (crosstenant)")
    change = plan_change(handler, replace(wanted(), ensure="absent"), observe(gw)[LINK])
    forget(gw)
    run(apply_change(handler, gw, change))
    assert gw.writes() == []


def test_a_new_target_replaces_the_configuration():
    gw = FakeGraph()
    converge(gw)
    (old_sp,) = gw.service_principals
    other = "00000000-0000-0000-0000-0000000000bb"
    change = plan_change(handler, wanted(other), observe(gw)[LINK])
    assert change.action == "replace" and change.fields[0].path == ("targetTenantId",)
    forget(gw)
    run(apply_change(handler, gw, change))
    (new_sp,) = gw.service_principals
    assert new_sp != old_sp
    assert marker.tagged_target(gw.service_principals[new_sp]["tags"]) == other
    assert observe(gw)[LINK]["targetTenantId"] == other


def test_display_name_drift_is_renamed_in_place():
    gw = FakeGraph()
    converge(gw)
    (sp_id,) = gw.service_principals
    gw.service_principals[sp_id]["displayName"] = "renamed in the portal"
    change = plan_change(handler, wanted(), observe(gw)[LINK])
    assert change.action == "update"
    forget(gw)
    run(apply_change(handler, gw, change))
    assert gw.bodies("PATCH", f"/servicePrincipals/{sp_id}")[-1] == {"displayName": "contoso-to-fabrikam (crosstenant)"}
    assert plan_change(handler, wanted(), observe(gw)[LINK]) is None


@pytest.mark.parametrize("name, link", [
    ("contoso-to-fabrikam (crosstenant)", "contoso-to-fabrikam"),
    ("Fabrikam", None),
    (" (crosstenant)", None),
    ("two words (crosstenant)", None),
    (None, None),
])
def test_display_name_derivation_reads_back(name, link):
    assert marker.link_from_display_name(name) == link
