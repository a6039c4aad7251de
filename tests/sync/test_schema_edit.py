"""Pure schema edits: the managed view, laying declared mappings and filters over a live schema."""

from __future__ import annotations

import copy

import pytest

from reconciler.sync import schema_edit
from tests.resources.fake_graph import example

SALES = {"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}
NL = {"attribute": "country", "operator": "EQUALS", "values": ["NL"]}


def default_schema() -> dict:
    return example("azure2azure-default-schema.json")


def test_the_user_mapping_is_found_under_either_directory_name():
    schema = default_schema()
    schema["synchronizationRules"][0]["sourceDirectoryName"] = "Microsoft Entra ID"
    assert schema_edit.user_object_mapping(schema)["name"] == "Provision Azure Active Directory Users"
    schema["synchronizationRules"][0]["sourceDirectoryName"] = "Some other directory"
    with pytest.raises(schema_edit.SchemaEditError, match="USER_INBOUND_USER"):
        schema_edit.user_object_mapping(schema)


def test_lay_over_does_not_change_its_input_and_appends_new_mappings():
    schema = default_schema()
    original = copy.deepcopy(schema)
    edited = schema_edit.lay_over(schema, {"mappings": {"surname": {"expression": "[surname]", "flow": "always"}}})
    assert schema == original
    mappings = schema_edit.user_object_mapping(edited)["attributeMappings"]
    assert mappings[:-1] == schema_edit.user_object_mapping(original)["attributeMappings"]
    assert mappings[-1] == {"defaultValue": None, "exportMissingReferences": False, "flowBehavior": "FlowWhenChanged",
                            "flowType": "Always", "matchingPriority": 0, "targetAttributeName": "surname",
                            "source": {"expression": "[surname]", "name": "surname", "type": "Attribute"}}
    assert schema_edit.managed_view(edited)["mappings"]["surname"] == {"expression": "[surname]", "flow": "always",
                                                                       "default": None}


def test_an_unknown_flow_is_refused():
    with pytest.raises(schema_edit.SchemaEditError, match="flow"):
        schema_edit.lay_over(default_schema(), {"mappings": {"city": {"expression": "[city]", "flow": "sometimes"}}})


def test_filters_read_back_as_written_with_the_guard_in_every_group():
    edited = schema_edit.lay_over(default_schema(), {"scopingFilters": [[SALES], [NL, SALES]]})
    groups = schema_edit.user_object_mapping(edited)["scope"]["groups"]
    assert all(g["clauses"][-1] == schema_edit.GUARD_CLAUSE for g in groups)
    assert schema_edit.filters_view({"groups": groups}) == [[SALES], [NL, SALES]]


def test_a_group_without_clauses_besides_the_guard_means_no_restriction():
    guard_only = {"name": "Filter external users", "clauses": [schema_edit.GUARD_CLAUSE]}
    sales = {"name": "s", "clauses": [{"operatorName": "EQUALS", "sourceOperandName": "department",
                                       "targetOperand": {"values": ["Sales"]}}]}
    assert schema_edit.filters_view({"groups": [sales, guard_only]}) == []
    assert schema_edit.filters_view({"groups": [sales]}) == [[SALES]]
    assert schema_edit.filters_view(None) == []


def test_an_unparseable_live_source_reads_as_its_raw_text():
    assert schema_edit.expression_of({"type": "Function", "name": "Foo", "expression": "Foo(("}) == "Foo(("


def test_annotations_are_stripped_at_every_depth():
    body = {"@odata.context": "x", "a": [{"b@odata.type": "#y", "c": 1}]}
    assert schema_edit.strip_annotations(body) == {"a": [{"c": 1}]}


@pytest.mark.parametrize("before, after, looser", [
    ([[SALES]], [], True),
    ([], [[SALES]], False),
    ([[SALES, NL]], [[SALES]], True),
    ([[SALES]], [[SALES], [NL]], True),
    ([[SALES]], [[SALES, NL]], False),
    ([[SALES], [NL]], [[NL]], False),
])
def test_is_loosening(before, after, looser):
    assert schema_edit.is_loosening(before, after) is looser
