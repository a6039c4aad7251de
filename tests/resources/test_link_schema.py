"""The link_schema kind: declared mappings and filters laid over the live schema, PUT whole."""

from __future__ import annotations

import copy

import pytest

from reconciler.errors import CrosstenantError
from reconciler.resources.link_schema import LinkSchemaHandler
from reconciler.resources.memo import forget
from reconciler.sync.schema_edit import user_object_mapping
from tests.resources.fake_graph import FakeGraph, apply_change, desired, plan_change, run
from tests.resources.test_link_configuration import LINK, converge

handler = LinkSchemaHandler()
SALES = [[{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]]
GUARD = {"operatorName": "EQUALS", "sourceOperandName": "alternativeSecurityIds", "targetOperand": {"values": ["None"]}}


def wanted(mappings=None, filters=SALES):
    body = {"mappings": mappings if mappings is not None else {
        "displayName": {"expression": 'Join(" ", [givenName], [surname])', "flow": "always", "default": None},
        "userType": {"expression": '"Guest"', "flow": "on_create", "default": None},
        "jobTitle": {"expression": "[jobTitle]", "flow": "always", "default": "n/a"},
    }}
    if filters is not None:
        body["scopingFilters"] = filters
    return desired("link_schema", LINK, body)


def observe(gw: FakeGraph) -> dict:
    forget(gw)
    return run(handler.read(gw, "contoso-tid"))


def configured() -> tuple[FakeGraph, str, str]:
    gw = FakeGraph()
    converge(gw)
    (sp_id,) = gw.service_principals
    return gw, sp_id, gw.job_of(sp_id)["id"]


def test_the_default_schema_reads_as_typed_mappings_and_no_attribute_filter():
    gw, _, _ = configured()
    live = observe(gw)[LINK]
    assert live["mappings"]["userType"] == {"expression": '"Member"', "flow": "on_create", "default": None}
    assert live["mappings"]["givenName"] == {"expression": "[givenName]", "flow": "always", "default": None}
    assert live["mappings"]["alternativeSecurityIds"]["expression"] == "AltSecIdFromNetId([netId])"
    assert live["scopingFilters"] == []  # only the "Filter external users" guard


def test_a_write_replaces_declared_mappings_keeps_the_rest_and_puts_the_whole_schema():
    gw, sp_id, job_id = configured()
    original = copy.deepcopy(gw.schemas[(sp_id, job_id)])
    change = plan_change(handler, wanted(), observe(gw)[LINK])
    assert change.action == "update"
    assert {f.path for f in change.fields} == {
        ("mappings", "displayName", "expression"), ("mappings", "userType", "expression"),
        ("mappings", "jobTitle", "expression"), ("mappings", "jobTitle", "flow"), ("mappings", "jobTitle", "default"),
        ("scopingFilters",)}
    forget(gw)
    run(apply_change(handler, gw, change))

    (put,) = gw.bodies("PUT", r".*/schema")
    after, before = user_object_mapping(put), user_object_mapping(original)
    by_target = {m["targetAttributeName"]: m for m in after["attributeMappings"]}
    untouched = [m for m in before["attributeMappings"] if m["targetAttributeName"] not in ("displayName", "userType")]
    for mapping in untouched:  # the matching attribute among them, byte for byte
        assert by_target[mapping["targetAttributeName"]] == mapping
    assert by_target["displayName"]["source"]["name"] == "Join"
    assert by_target["userType"]["source"] == {"expression": '"Guest"', "name": "Guest", "type": "Constant"}
    assert by_target["userType"]["flowType"] == "ObjectAddOnly"
    assert by_target["jobTitle"]["defaultValue"] == "n/a" and by_target["jobTitle"]["matchingPriority"] == 0
    assert after["scope"]["groups"] == [{"name": "crosstenant filter 1", "clauses": [
        {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}, GUARD]}]
    assert after["scope"]["inputFilterGroups"] == before["scope"]["inputFilterGroups"]
    assert put["directories"] == original["directories"] and put["version"] == original["version"]
    assert plan_change(handler, wanted(), observe(gw)[LINK]) is None


def test_unmanaged_filters_leave_the_scope_as_it_is():
    gw, sp_id, job_id = configured()
    original = copy.deepcopy(user_object_mapping(gw.schemas[(sp_id, job_id)])["scope"])
    resource = wanted(filters=None)
    change = plan_change(handler, resource, observe(gw)[LINK])
    forget(gw)
    run(apply_change(handler, gw, change))
    assert user_object_mapping(gw.schemas[(sp_id, job_id)])["scope"] == original


def test_declared_no_filters_keep_the_external_users_guard():
    gw, sp_id, job_id = configured()
    run(apply_change(handler, gw, plan_change(handler, wanted(), None)))
    forget(gw)
    change = plan_change(handler, wanted(filters=[]), observe(gw)[LINK])
    forget(gw)
    run(apply_change(handler, gw, change))
    scope = user_object_mapping(gw.schemas[(sp_id, job_id)])["scope"]
    assert scope["groups"] == [{"name": "Filter external users", "clauses": [GUARD]}]
    assert plan_change(handler, wanted(filters=[]), observe(gw)[LINK]) is None


def test_the_matching_attribute_is_refused_before_any_write():
    gw, _, _ = configured()
    bad = wanted(mappings={"alternativeSecurityIds": {"expression": "[mail]", "flow": "always", "default": None}})
    with pytest.raises(CrosstenantError, match="matching attribute"):
        run(apply_change(handler, gw, plan_change(handler, bad, None)))
    assert gw.bodies("PUT", r".*/schema") == []


@pytest.mark.parametrize("before, after, narrows", [
    ([], SALES, True),  # filters where there were none
    (SALES, [], False),  # all filters dropped
    (SALES, SALES + [[{"attribute": "department", "operator": "EQUALS", "values": ["Ops"]}]], False),  # a group added
    (SALES, [SALES[0] + [{"attribute": "country", "operator": "EQUALS", "values": ["NL"]}]], True),  # a clause added
    (SALES + [[{"attribute": "country", "operator": "EQUALS", "values": ["NL"]}]], SALES, True),  # a group removed
    ([SALES[0] + [{"attribute": "country", "operator": "EQUALS", "values": ["NL"]}]], SALES, False),  # clause removed
    (SALES, [[{"attribute": "department", "operator": "EQUALS", "values": ["Marketing"]}]], True),  # value changed
])
def test_tightened_filters_are_narrowing(before, after, narrows):
    reasons = handler.narrowing_reasons(wanted(filters=after).body, {"mappings": {}, "scopingFilters": before}, link=LINK)
    assert bool(reasons) is narrows
    if narrows:
        assert "link contoso-to-fabrikam" in reasons[0]


def test_unmanaged_filters_and_new_schemas_never_narrow():
    assert handler.narrowing_reasons(wanted(filters=None).body, {"scopingFilters": SALES}, link=LINK) == []
    assert handler.narrowing_reasons(wanted().body, None, link=LINK) == []
