import copy
import json
from pathlib import Path

import pytest

from reconciler.sync.expression import AttributeRef, Call, Keyword, NumberLit, Omitted, StringLit, parse
from reconciler.sync.functions import ENTRA_FUNCTIONS
from reconciler.sync.to_graph import (
    MappingSourceError,
    comparison_key,
    from_attribute_mapping_source,
    same_mapping,
    to_attribute_mapping_source,
)

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = json.loads((FIXTURES / "graph-examples.json").read_text())
VECTORS = [json.loads(line) for line in (FIXTURES / "expressions.jsonl").read_text().splitlines() if line]


def _without_expressions(source: dict) -> dict:
    """The same tree with every `expression` text removed, to exercise reading by keys."""
    stripped = {k: v for k, v in source.items() if k != "expression"}
    stripped["parameters"] = [
        {"key": p["key"], "value": _without_expressions(p["value"])} for p in source.get("parameters", [])
    ]
    return stripped


# -- AST → Graph: the documented shapes ------------------------------------------------------------


def test_attribute_source_matches_the_documented_fragment():
    body = EXAMPLES["attribute"]["body"]
    assert to_attribute_mapping_source(parse("[mail]")) == body == {
        "expression": "[mail]",
        "name": "mail",
        "type": "Attribute",
    }


def test_function_source_matches_the_documented_mid_fragment():
    body = EXAMPLES["function_mid"]["body"]
    assert to_attribute_mapping_source(parse("Mid([userPrincipalName], 1, 8)")) == body


def test_replace_source_matches_graphs_parse_expression_answer():
    example = EXAMPLES["parse_expression_replace"]
    # The request's text (two spaces before ')') comes back normalised, keys source/Find/Replacement.
    assert to_attribute_mapping_source(parse(example["requestExpression"])) == example["body"]


def test_constant_source_mirrors_the_default_cross_tenant_schema():
    assert to_attribute_mapping_source(parse('"Member"')) == {
        "expression": '"Member"',
        "name": "Member",
        "type": "Constant",
    }
    assert to_attribute_mapping_source(parse('"true"')) == {"expression": '"true"', "name": "true", "type": "Constant"}


def test_constant_with_quotes_keeps_the_raw_value_as_name_and_escapes_the_expression():
    source = to_attribute_mapping_source(StringLit('a "b" \\ c'))
    assert source == {"expression": '"a \\"b\\" \\\\ c"', "name": 'a "b" \\ c', "type": "Constant"}
    assert from_attribute_mapping_source(source) == StringLit('a "b" \\ c')


def test_repeating_parameters_repeat_their_key():
    source = to_attribute_mapping_source(parse('Join(" ", [givenName], [surname])'))
    assert [p["key"] for p in source["parameters"]] == ["separator", "source", "source"]
    switch = to_attribute_mapping_source(parse('Switch([state], , "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")'))
    assert [p["key"] for p in switch["parameters"]] == ["source", "key", "value", "key", "value"]
    assert switch["expression"] == 'Switch([state], , "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")'


def test_nested_function_sources_carry_their_own_expression():
    source = to_attribute_mapping_source(parse('ToLower(Join("@", [a], "contoso.com"))'))
    (inner,) = source["parameters"]
    assert inner["key"] == "source"
    assert inner["value"]["expression"] == 'Join("@", [a], "contoso.com")'
    assert inner["value"]["type"] == "Function"
    assert inner["value"]["parameters"][1]["value"] == {
        "expression": "[a]",
        "name": "a",
        "parameters": [],
        "type": "Attribute",
    }


def test_format_date_time_keys_follow_the_call_form():
    three = to_attribute_mapping_source(parse('FormatDateTime([d], "yyyyMMdd", "yyyy-MM-dd")'))
    four = to_attribute_mapping_source(parse('FormatDateTime([d], "RoundtripKind", "yyyyMMdd", "yyyy-MM-dd")'))
    assert [p["key"] for p in three["parameters"]] == ["source", "inputFormat", "outputFormat"]
    assert [p["key"] for p in four["parameters"]] == ["source", "dateTimeStyles", "inputFormat", "outputFormat"]


def test_comparisons_and_keywords_have_a_shape():
    iif = to_attribute_mapping_source(parse('IIF([country]="USA",[country],[department])'))
    condition = iif["parameters"][0]
    assert condition["key"] == "condition"
    assert condition["value"]["name"] == "="
    assert [p["key"] for p in condition["value"]["parameters"]] == ["left", "right"]
    assert iif["expression"] == 'IIF([country] = "USA", [country], [department])'
    instr = to_attribute_mapping_source(parse('InStr("repEated", "e", 3, vbBinaryCompare)'))
    assert instr["parameters"][3]["value"] == {
        "expression": "vbBinaryCompare",
        "name": "vbBinaryCompare",
        "parameters": [],
        "type": "Constant",
    }


def test_functions_the_catalog_cannot_name_are_refused():
    with pytest.raises(MappingSourceError) as caught:
        to_attribute_mapping_source(parse("Brand([a])", check_functions=False))
    assert str(caught.value) == (
        "cannot name the parameters of Brand with 1 arguments: the function catalog has no matching signature"
    )


# -- Graph → AST ---------------------------------------------------------------------------------


def test_reading_the_documented_sources_back():
    assert from_attribute_mapping_source(EXAMPLES["attribute"]["body"]) == AttributeRef("mail")
    assert from_attribute_mapping_source(EXAMPLES["function_mid"]["body"]) == Call(
        "Mid", (AttributeRef("userPrincipalName"), NumberLit(1), NumberLit(8))
    )
    assert from_attribute_mapping_source(EXAMPLES["parse_expression_replace"]["body"]) == parse(
        'Replace([preferredLanguage], "-", , , "_", , )'
    )


def test_default_schema_sources_without_expression_or_parameters():
    # The default-schema reconstruction lists attribute sources with a name and type only.
    assert from_attribute_mapping_source({"type": "Attribute", "name": "city"}) == AttributeRef("city")
    assert from_attribute_mapping_source({"name": "city"}) == AttributeRef("city")  # Graph: default type
    assert from_attribute_mapping_source(
        {"type": "Function", "expression": "AltSecIdFromNetId([netId])", "name": "AltSecIdFromNetId"}
    ) == Call("AltSecIdFromNetId", (AttributeRef("netId"),))
    assert from_attribute_mapping_source({"type": "Constant", "expression": '"Member"'}) == StringLit("Member")


def test_reading_a_tree_without_expression_places_arguments_by_key():
    tree = _without_expressions(EXAMPLES["parse_expression_replace"]["body"])
    assert from_attribute_mapping_source(tree) == Call(
        "Replace", (AttributeRef("preferredLanguage"), StringLit("-"), Omitted(), Omitted(), StringLit("_"))
    )
    switch = _without_expressions(to_attribute_mapping_source(parse('Switch([a], , "1", "x", "2", "y")')))
    assert from_attribute_mapping_source(switch) == parse('Switch([a], , "1", "x", "2", "y")')


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{i}-{v['function']}" for i, v in enumerate(VECTORS)])
def test_every_vector_survives_graph_and_back(vector):
    expr = parse(vector["expression"])
    source = to_attribute_mapping_source(expr)
    assert from_attribute_mapping_source(source) == expr
    assert same_mapping(expr, from_attribute_mapping_source(_without_expressions(source)))


def test_same_mapping_ignores_what_graph_cannot_keep_apart():
    assert same_mapping(parse("Mid([x], 1, 8)"), parse('Mid([x], "1", "8")'))
    assert same_mapping(parse('Replace([x], "a", , , "b")'), parse('Replace([x], "a", , , "b", , )'))
    assert not same_mapping(parse('Replace([x], "a", , , "b")'), parse('Replace([x], , "a", , "b")'))
    assert not same_mapping(parse("Mid([x], 1, 8)"), parse("Mid([x], 1, 9)"))
    assert same_mapping(
        parse('FormatDateTime([d], , "yyyyMMdd", "yyyy-MM-dd")'), parse('FormatDateTime([d], "yyyyMMdd", "yyyy-MM-dd")')
    )
    assert not same_mapping(
        parse('FormatDateTime([d], "x", "yyyyMMdd", "yyyy-MM-dd")'), parse('FormatDateTime([d], "yyyyMMdd", "yyyy-MM-dd")')
    )
    assert not same_mapping(parse("[a]"), parse('"a"'))
    assert comparison_key(parse("IIF([a] > 5, [b], [c])")) == comparison_key(parse('IIF([a] > "5", [b], [c])'))
    assert not same_mapping(parse("IIF([a] > 5, [b], [c])"), parse("IIF([a] >= 5, [b], [c])"))


def test_same_mapping_with_functions_outside_the_catalog_compares_by_position():
    assert same_mapping(parse("Frob([a], 1)", check_functions=False), parse('Frob([a], "1")', check_functions=False))
    assert not same_mapping(parse("Frob([a], , 1)", check_functions=False), parse("Frob([a], 1)", check_functions=False))


def test_live_sources_that_do_not_read():
    with pytest.raises(MappingSourceError, match="unknown attribute mapping source type 'Lookup'"):
        from_attribute_mapping_source({"type": "Lookup", "name": "x"})
    with pytest.raises(MappingSourceError, match="does not parse: unknown function 'Frob'"):
        from_attribute_mapping_source({"type": "Function", "name": "Frob", "expression": "Frob([a])"})
    with pytest.raises(MappingSourceError, match="does not match its function name 'Append'"):
        from_attribute_mapping_source({"type": "Function", "name": "Append", "expression": "ToLower([a])"})
    with pytest.raises(MappingSourceError, match=r"the parameters \['source', 'bogus'\] do not fit"):
        from_attribute_mapping_source(
            {
                "type": "Function",
                "name": "ToLower",
                "parameters": [
                    {"key": "source", "value": {"type": "Attribute", "name": "a"}},
                    {"key": "bogus", "value": {"type": "Constant", "name": "x"}},
                ],
            }
        )


def test_unknown_live_functions_can_be_read_without_checking():
    source = {"type": "Function", "name": "Frob", "expression": "Frob([a], 1)"}
    assert from_attribute_mapping_source(source, check_functions=False) == Call("Frob", (AttributeRef("a"), NumberLit(1)))


def test_conversion_does_not_mutate_its_input():
    body = EXAMPLES["function_mid"]["body"]
    before = copy.deepcopy(body)
    from_attribute_mapping_source(_without_expressions(body))
    from_attribute_mapping_source(body)
    assert body == before


def test_keys_come_from_the_catalog_one_place():
    replace = ENTRA_FUNCTIONS.get("Replace").signatures[0]
    assert [p.key for p in replace.fixed] == [
        "source",
        "Find",
        "regexPattern",
        "regexGroupName",
        "Replacement",
        "replacementAttributeName",
        "template",
    ]
    assert from_attribute_mapping_source(to_attribute_mapping_source(Keyword("vbTextCompare"))) == Keyword("vbTextCompare")
