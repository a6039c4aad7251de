"""The job schema: the default cross-tenant schema, whole replacement, the fixed matching
attribute; filterOperators, functions, parseExpression."""

from __future__ import annotations

import copy
import json

import pytest

from tests.emulator.sync_app import EXAMPLES, Harness, example, same_shape

VECTORS = EXAMPLES.parent / "expressions.jsonl"


@pytest.fixture
def h(tmp_path):
    return Harness.create(tmp_path)


@pytest.fixture
def url(h):
    sp = h.instantiate("Fabrikam")["servicePrincipal"]
    job = h.new_job(sp["id"])
    return f"/v1.0/servicePrincipals/{sp['id']}/synchronization/jobs/{job['id']}/schema"


def _documented_schema_head() -> dict:
    # The how-to elides the body after the rule's metadata; close the JSON where it was cut.
    text = example("cts-howto-schema-get.response.json")["bodyExcerptVerbatim"]
    head = text[: text.index('"metadata"')].rstrip().rstrip(",")
    return json.loads(head + "}]}")


def test_get_schema_is_the_default_cross_tenant_schema(h, url):
    schema = h.call("GET", url).json()
    documented = _documented_schema_head()
    assert same_shape(schema, documented) == []
    rule = schema["synchronizationRules"][0]
    for key in ("version",):
        assert schema[key] == documented[key] == "v1.2"
    for key in ("name", "priority", "sourceDirectoryName", "targetDirectoryName", "editable", "containerFilter"):
        assert rule[key] == documented["synchronizationRules"][0][key]
    assert schema["id"] == url.split("/jobs/")[1].removesuffix("/schema")
    users = rule["objectMappings"][0]
    assert users["name"] == "Provision Azure Active Directory Users" and users["enabled"] is True
    matching = [m for m in users["attributeMappings"] if m["matchingPriority"] > 0]
    assert [(m["targetAttributeName"], m["source"]["expression"]) for m in matching] == [
        ("alternativeSecurityIds", "AltSecIdFromNetId([netId])")]
    user_type = next(m for m in users["attributeMappings"] if m["targetAttributeName"] == "userType")
    assert (user_type["source"]["type"], user_type["source"]["name"]) == ("Constant", "Member")
    assert users["scope"]["groups"][0]["name"] == "Filter external users"
    assert rule["objectMappings"][1]["enabled"] is False  # group provisioning off by default
    generic_directory = example("schema-get.response.json")["body"]["directories"][0]
    assert same_shape(schema["directories"][0], generic_directory) == []
    assert [d["name"] for d in schema["directories"]] == [rule["sourceDirectoryName"], rule["targetDirectoryName"]]


def test_put_replaces_the_schema_whole(h, url):
    schema = h.call("GET", url).json()
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    users["attributeMappings"] = [m for m in users["attributeMappings"]
                                  if m["targetAttributeName"] in ("alternativeSecurityIds", "displayName")]
    users["attributeMappings"].append({"targetAttributeName": "jobTitle", "matchingPriority": 0,
                                       "source": {"type": "Constant", "name": "Contractor",
                                                  "expression": "\"Contractor\"", "parameters": []}})
    users["scope"] = {"groups": [{"name": "Sales", "clauses": [{"operatorName": "EQUALS",
                                                                 "sourceOperandName": "department",
                                                                 "targetOperand": {"values": ["Sales"]}}]}]}
    assert h.call("PUT", url, json=schema).status_code == example("schema-update.response.json")["status"]
    stored = h.call("GET", url).json()
    mappings = stored["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    assert [m["targetAttributeName"] for m in mappings] == ["alternativeSecurityIds", "displayName", "jobTitle"]
    assert stored["synchronizationRules"][0]["objectMappings"][0]["scope"]["groups"][0]["name"] == "Sales"


def _matching(schema: dict) -> dict:
    return next(m for m in schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
                if m["matchingPriority"] > 0)


@pytest.mark.parametrize("edit", ["change source", "change priority", "drop", "add another", "add on groups"])
def test_put_rejects_matching_attribute_changes(h, url, edit):
    schema = h.call("GET", url).json()
    before = copy.deepcopy(schema)
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    if edit == "change source":
        _matching(schema)["source"] = {"type": "Attribute", "name": "mail", "expression": "[mail]", "parameters": []}
    elif edit == "change priority":
        _matching(schema)["matchingPriority"] = 2
    elif edit == "drop":
        users["attributeMappings"] = [m for m in users["attributeMappings"] if m["matchingPriority"] == 0]
    elif edit == "add another":
        next(m for m in users["attributeMappings"] if m["targetAttributeName"] == "displayName")["matchingPriority"] = 2
    else:
        schema["synchronizationRules"][0]["objectMappings"][1]["attributeMappings"] = [{
            "targetAttributeName": "displayName", "matchingPriority": 1,
            "source": {"type": "Attribute", "name": "displayName", "expression": "[displayName]"}}]
    response = h.call("PUT", url, json=schema)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "schemaInvalid"
    assert h.call("GET", url).json() == {"@odata.context": h.call("GET", url).json()["@odata.context"],
                                         **{k: v for k, v in before.items() if k != "@odata.context"}}


def test_put_accepts_the_matching_mapping_reformatted(h, url):
    schema = h.call("GET", url).json()
    _matching(schema)["source"]["expression"] = "AltSecIdFromNetId( [netId] )"
    _matching(schema)["source"]["name"] = "altsecidfromnetid"
    assert h.call("PUT", url, json=schema).status_code == 204


@pytest.mark.parametrize("body", [
    {"directories": []},
    {"synchronizationRules": "rules"},
    {"synchronizationRules": [{"objectMappings": [{"attributeMappings": [{"source": {"type": "Attribute"}}]}]}]},
    {"synchronizationRules": [{"objectMappings": [{"attributeMappings": [
        {"targetAttributeName": "x", "source": {"type": "Expression"}}]}]}]},
])
def test_put_rejects_malformed_schemas(h, url, body):
    response = h.call("PUT", url, json=body)
    assert response.status_code == 400 and response.json()["error"]["code"] != "schemaInvalid"


def test_filter_operators_and_functions(h, url):
    operators = h.call("GET", url + "/filterOperators").json()
    documented = example("schema-filteroperators.response.json")["body"]["value"][0]
    assert operators["value"][0] == documented
    assert {"REGEX MATCH", "NOT REGEX MATCH", "IS NOT NULL", "Greater_Than_OR_EQUALS"} <= {
        o["name"] for o in operators["value"]}
    functions = h.call("GET", url + "/functions").json()
    by_name = {f["name"]: f for f in functions["value"]}
    for documented_function in example("schema-functions.response.json")["body"]["value"]:
        assert by_name[documented_function["name"]] == documented_function
    vector_functions = {json.loads(line)["function"] for line in VECTORS.read_text().splitlines() if line.strip()}
    assert vector_functions <= set(by_name)


def test_parse_expression_replays_the_documented_parse(h, url):
    request = example("schema-parseexpression.request.json")["bodyNormalized"]
    documented = example("schema-parseexpression.response.json")["body"]
    response = h.call("POST", url + "/parseExpression", json=request)
    assert response.status_code == 200
    body = response.json()
    assert body["parsingSucceeded"] is True and body["error"] is None
    assert body["evaluationSucceeded"] is False  # the emulator parses only
    tree, expected = body["parsedExpression"], documented["parsedExpression"]
    assert (tree["expression"], tree["name"], tree["type"]) == (expected["expression"], "Replace", "Function")
    assert [p["value"] for p in tree["parameters"]] == [p["value"] for p in expected["parameters"]]


@pytest.mark.parametrize("expression", ['Join(" ", [givenName]', "NoSuchFunction([a])", '"open', "[unclosed"])
def test_parse_expression_reports_syntax_errors(h, url, expression):
    body = h.call("POST", url + "/parseExpression", json={"expression": expression}).json()
    assert body["parsingSucceeded"] is False and body["parsedExpression"] is None
    assert body["error"]["message"]


def test_parse_expression_accepts_every_documented_vector(h, url):
    for line in VECTORS.read_text().splitlines():
        expression = json.loads(line)["expression"]
        body = h.call("POST", url + "/parseExpression", json={"expression": expression}).json()
        assert body["parsingSucceeded"], (expression, body["error"])
