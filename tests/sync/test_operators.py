import json
from pathlib import Path

import pytest

from reconciler.sync.operators import Arity, ScopingOperator, resolve_tokens

FIXTURES = Path(__file__).parent / "fixtures"
SCOPING_VECTORS = [json.loads(line) for line in (FIXTURES / "scoping-vectors.jsonl").read_text().splitlines() if line]
FILTER_OPERATORS = json.loads((FIXTURES / "graph-examples.json").read_text())["filter_operators"]["body"]

# (YAML name, Graph token, arity, in Microsoft's operator list) — scoping.md §3.
EXPECTED = [
    ("contained_in", "&", Arity.BINARY, True),
    ("not_contained_in", "!&", Arity.BINARY, True),
    ("ends_with", "ENDS_WITH", Arity.BINARY, True),
    ("equals", "EQUALS", Arity.BINARY, True),
    ("not_equals", "NOT EQUALS", Arity.BINARY, True),
    ("greater_than", "Greater_Than", Arity.BINARY, True),
    ("greater_than_or_equals", "Greater_Than_OR_EQUALS", Arity.BINARY, True),
    ("less_than", "Less_Than", Arity.BINARY, False),
    ("less_than_or_equals", "Less_Than_OR_EQUALS", Arity.BINARY, False),
    ("includes", "Includes", Arity.BINARY, True),
    ("is_true", "IS TRUE", Arity.UNARY, True),
    ("is_false", "IS FALSE", Arity.UNARY, True),
    ("is_null", "IS NULL", Arity.UNARY, True),
    ("is_not_null", "IS NOT NULL", Arity.UNARY, True),
    ("regex_match", "REGEX MATCH", Arity.BINARY, True),
    ("not_regex_match", "NOT REGEX MATCH", Arity.BINARY, True),
]


def test_every_operator_is_pinned():
    actual = [(op.yaml_name, op.token, op.arity, op.documented) for op in ScopingOperator]
    assert actual == EXPECTED


@pytest.mark.parametrize(("yaml_name", "token", "arity", "documented"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_both_directions(yaml_name, token, arity, documented):
    op = ScopingOperator.from_yaml(yaml_name)
    assert op.token == token
    assert ScopingOperator.from_graph(token) is op
    assert op.arity.value_count == (0 if arity is Arity.UNARY else 1)


def test_only_equals_has_a_documented_api_token():
    assert [op for op in ScopingOperator if op.token_documented] == [ScopingOperator.EQUALS]
    assert ScopingOperator.from_graph(FILTER_OPERATORS["value"][0]["name"]) is ScopingOperator.EQUALS


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("NOT_EQUALS", ScopingOperator.NOT_EQUALS),
        ("not equals", ScopingOperator.NOT_EQUALS),
        ("ISTRUE", ScopingOperator.IS_TRUE),
        ("NOTEQUALS", ScopingOperator.NOT_EQUALS),
        ("IS MAYBE", None),
        ("IS_TRUE", ScopingOperator.IS_TRUE),
        ("GREATER THAN", ScopingOperator.GREATER_THAN),
        ("greater_than_or_equals", ScopingOperator.GREATER_THAN_OR_EQUALS),
        ("Regex_Match", ScopingOperator.REGEX_MATCH),
        ("  IS  NOT NULL ", ScopingOperator.IS_NOT_NULL),
        ("Ends With", ScopingOperator.ENDS_WITH),
    ],
)
def test_live_tokens_match_across_spacing_underscores_and_case(variant, expected):
    if expected is None:
        with pytest.raises(ValueError, match="unknown scoping operator token 'IS MAYBE'"):
            ScopingOperator.from_graph(variant)
    else:
        assert ScopingOperator.from_graph(variant) is expected


def test_every_token_in_the_documented_scoping_vectors_is_known():
    tokens = {clause["operatorName"] for vector in SCOPING_VECTORS for group in vector["filter"] for clause in group["clauses"]}
    assert tokens == {"REGEX MATCH", "NOT REGEX MATCH", "EQUALS", "Greater_Than_OR_EQUALS", "Less_Than_OR_EQUALS", "IS NOT NULL"}
    for vector in SCOPING_VECTORS:
        for group in vector["filter"]:
            for clause in group["clauses"]:
                op = ScopingOperator.from_graph(clause["operatorName"])
                assert op.token == clause["operatorName"]
                assert op.check_values(clause["targetOperand"]["values"]) is None


def test_is_member_of_is_refused_as_unsupported():
    for token in ("IsMemberOf", "IS MEMBER OF"):
        with pytest.raises(ValueError, match=f"scoping operator '{token}' is not supported by Entra provisioning"):
            ScopingOperator.from_graph(token)


def test_unknown_yaml_names_suggest_the_closest():
    with pytest.raises(ValueError) as caught:
        ScopingOperator.from_yaml("equal")
    assert str(caught.value).startswith("unknown scoping operator 'equal' (did you mean 'equals'?); expected one of: ")
    assert "not_regex_match" in str(caught.value)


def test_check_values():
    assert ScopingOperator.IS_NULL.check_values([]) is None
    assert ScopingOperator.IS_NULL.check_values(["x"]) == "is_null takes no value, got 1"
    assert ScopingOperator.EQUALS.check_values([]) == "equals takes exactly one value, got 0"
    assert ScopingOperator.EQUALS.check_values(["a", "b"]) == "equals takes exactly one value, got 2"
    assert ScopingOperator.GREATER_THAN.check_values(["1000000"]) is None
    assert ScopingOperator.GREATER_THAN.check_values(["-5"]) is None
    assert ScopingOperator.GREATER_THAN.check_values(["1e6"]) == "greater_than compares integers; '1e6' is not an integer"
    assert ScopingOperator.LESS_THAN_OR_EQUALS.check_values(["٣"]) == (
        "less_than_or_equals compares integers; '٣' is not an integer"
    )
    assert ScopingOperator.REGEX_MATCH.check_values([r".*\@domain.com"]) is None


def test_resolve_tokens_takes_the_services_spelling():
    live = {
        "value": [
            {"name": "EQUALS", "arity": "Binary"},
            {"name": "NOT_EQUALS", "arity": "Binary"},
            {"id": "IS TRUE", "arity": "Unary"},
            {"name": "SOMETHING_NEW", "arity": "Binary"},
        ]
    }
    assert resolve_tokens(live) == {
        ScopingOperator.EQUALS: "EQUALS",
        ScopingOperator.NOT_EQUALS: "NOT_EQUALS",
        ScopingOperator.IS_TRUE: "IS TRUE",
    }
    assert resolve_tokens(FILTER_OPERATORS["value"]) == {ScopingOperator.EQUALS: "EQUALS"}
