import json
from pathlib import Path

import pytest

from reconciler.errors import CrosstenantError
from reconciler.sync.expression import (
    AttributeRef,
    Call,
    Comparison,
    ExpressionSyntaxError,
    Keyword,
    NumberLit,
    Omitted,
    StringLit,
    UnsupportedExpressionError,
    check_supported,
    parse,
    referenced_attributes,
    unsupported_patterns,
    walk,
)
from reconciler.sync.functions import ENTRA_FUNCTIONS, FunctionCatalog

FIXTURES = Path(__file__).parent / "fixtures"
VECTORS = [json.loads(line) for line in (FIXTURES / "expressions.jsonl").read_text().splitlines() if line]
UNSUPPORTED = [v for v in VECTORS if v["expected"] == {"__unsupported__": True}]


def test_the_fixture_holds_every_documented_vector():
    assert len(VECTORS) == 74
    assert len(UNSUPPORTED) == 3


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{i}-{v['function']}" for i, v in enumerate(VECTORS)])
def test_every_documented_vector_parses_and_round_trips(vector):
    expr = parse(vector["expression"])
    assert vector["function"] in {node.name for node in walk(expr) if isinstance(node, Call)}
    canonical = expr.to_source()
    assert parse(canonical) == expr
    assert parse(canonical).to_source() == canonical


@pytest.mark.parametrize("vector", [v for v in VECTORS if v not in UNSUPPORTED], ids=lambda v: v["expression"][:40])
def test_vectors_not_flagged_unsupported_pass_the_support_check(vector):
    check_supported(parse(vector["expression"]), cross_tenant=False)


@pytest.mark.parametrize(
    ("expression", "column"),
    [
        ('IIF([country]="","Other",[country])', 5),
        ('IIF(IsNullOrEmpty([country]),"Other",[country])', 5),
        ('IIF(IsPresent([country]),[country],"Other")', 5),
    ],
)
def test_the_documented_unsupported_iif_patterns_are_rejected(expression, column):
    assert expression in {v["expression"] for v in UNSUPPORTED}
    with pytest.raises(UnsupportedExpressionError) as caught:
        check_supported(parse(expression))
    assert caught.value.message == (
        "IIF cannot test for an empty or missing value (Entra: the condition check fails when the"
        ' attribute is empty or null); use Switch([attr], [attr], "", "Other")'
    )
    assert caught.value.column == column


def test_the_recommended_switch_workaround_is_supported():
    check_supported(parse('Switch([country],[country],"","Other")'))


def test_switch_on_an_emptiness_test_is_unsupported():
    (finding,) = unsupported_patterns(parse('Switch(IsNull([a]), "x", "True", "y")'))
    assert finding.message == (
        "Switch's source must not be IsNull(...) (Entra docs); match the empty string \"\" as a key instead"
    )
    assert finding.column == 8


def test_select_unique_value_is_not_for_cross_tenant_sync_and_never_nested():
    top = parse('SelectUniqueValue(Join(".", [a], [b]), [c])')
    (finding,) = unsupported_patterns(top)
    assert finding.message.startswith("SelectUniqueValue is not supported for cross-tenant synchronization")
    assert unsupported_patterns(top, cross_tenant=False) == ()
    nested = parse('ToLower(SelectUniqueValue([a], [b]))')
    (finding,) = unsupported_patterns(nested, cross_tenant=False)
    assert (finding.message, finding.column) == (
        "SelectUniqueValue must be the whole expression; it cannot be nested",
        9,
    )


# -- AST shapes ----------------------------------------------------------------------------------


def test_omitted_arguments_keep_their_positions():
    expr = parse('Replace([preferredLanguage], "-", , , "_", ,  )')
    assert expr == Call(
        "Replace",
        (
            AttributeRef("preferredLanguage"),
            StringLit("-"),
            Omitted(),
            Omitted(),
            StringLit("_"),
            Omitted(),
            Omitted(),
        ),
    )
    assert [arg.column for arg in expr.args] == [9, 30, 35, 37, 39, 44, 47]


def test_canonical_form_is_graphs_normalised_expression():
    # Graph's parseExpression answered the request's `,  )` with `, )`.
    assert parse('Replace([preferredLanguage], "-", , , "_", ,  )').to_source() == (
        'Replace([preferredLanguage], "-", , , "_", , )'
    )
    assert parse("Mid( [userPrincipalName],1,8 )").to_source() == "Mid([userPrincipalName], 1, 8)"


def test_columns_do_not_take_part_in_equality():
    assert parse("Append( [a] , \"x\" )") == parse('Append([a], "x")')
    assert parse("[a]").column == 1 and parse("  [a]").column == 3


def test_string_escapes_are_backslash_and_quote_only():
    expr = parse(r'Append([a], "say \"hi\" \\ bye")')
    assert expr.args[1] == StringLit('say "hi" \\ bye')
    assert expr.to_source() == r'Append([a], "say \"hi\" \\ bye")'


def test_regex_constants_keep_their_single_backslashes_after_unescaping():
    vector = next(v for v in VECTORS if v["expression"].startswith("Replace([mobile]"))
    assert parse(vector["expression"]).args[2] == StringLit(r"[()\s-]+")


def test_comparisons_inside_arguments():
    text = 'IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True")'
    condition = parse(text).args[0]
    assert isinstance(condition, Comparison)
    assert (condition.op, condition.right, condition.column) == (">", NumberLit(5), text.index(">") + 1)
    assert parse("CBool([a]<>[b])").args[0] == Comparison("<>", AttributeRef("a"), AttributeRef("b"))
    for op in ("=", "<>", ">", ">=", "<", "<="):
        assert parse(f"IIF([a]{op}1, [b], [c])").args[0].op == op


def test_numbers_integers_negatives_and_vba_hex():
    assert parse("BitAnd(&HF, &HF7)").args == (NumberLit(15), NumberLit(247))
    assert parse('DateAdd("d", -10, CDate([StatusHireDate]))').args[1] == NumberLit(-10)
    assert parse("DateFromNum(129699324000000000)").args[0] == NumberLit(129699324000000000)


def test_documented_bare_keyword_argument():
    expr = parse('InStr("repEated","e",3,vbBinaryCompare)')
    assert expr.args[3] == Keyword("vbBinaryCompare")
    assert expr.to_source() == 'InStr("repEated", "e", 3, vbBinaryCompare)'


def test_whole_mapping_can_be_an_attribute_or_a_constant():
    assert parse("[extension_9d98ed114c4840d298fad781915f27e4_employeeGrade]") == AttributeRef(
        "extension_9d98ed114c4840d298fad781915f27e4_employeeGrade"
    )
    assert parse("[passwordProfile.password]") == AttributeRef("passwordProfile.password")
    assert parse('"Member"') == StringLit("Member")


def test_whitespace_and_newlines_between_tokens():
    expr = parse('Switch([Active], , \n  "1", "True", \n  "0", "False")')
    assert expr.args[1] == Omitted()
    assert len(expr.args) == 6


def test_empty_argument_lists():
    assert parse("Now()") == Call("Now", ())
    assert parse("Guid(  )") == Call("Guid", ())


def test_referenced_attributes_and_walk_order():
    expr = parse('Join("@", NormalizeDiacritics(StripSpaces(Join(".", [first], Mid([first], 1, 1), [last]))), "x")')
    assert referenced_attributes(expr) == frozenset({"first", "last"})
    assert [n.name for n in walk(expr) if isinstance(n, Call)] == [
        "Join",
        "NormalizeDiacritics",
        "StripSpaces",
        "Join",
        "Mid",
    ]
    assert referenced_attributes(parse('IIF([country]="USA",[country],[department])')) == {"country", "department"}


def test_format_date_time_has_the_three_and_four_argument_forms():
    parse('FormatDateTime([d], "yyyyMMdd", "yyyy-MM-dd")')
    parse('FormatDateTime([d], , "yyyyMMdd", "yyyy-MM-dd")')


def test_syntax_only_mode_accepts_unknown_functions():
    expr = parse("SomethingNew([a], 1)", check_functions=False)
    assert expr == Call("SomethingNew", (AttributeRef("a"), NumberLit(1)))


def test_a_catalog_from_the_live_functions_endpoint_is_used_for_checking():
    catalog = FunctionCatalog.from_graph(json.loads((FIXTURES / "graph-examples.json").read_text())["functions"]["body"])
    assert sorted(catalog) == ["AppRoleAssignments", "Append", "DefaultDomain", "FormatDateTime"]
    parse("DefaultDomain()", functions=catalog)
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse('Join(" ", [a], [b])', functions=catalog)
    assert caught.value.message == "unknown function 'Join'"
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse('FormatDateTime([d], , "a", "b")', functions=catalog)
    assert caught.value.message == "FormatDateTime expects 3 arguments, got 4"


# -- errors ------------------------------------------------------------------------------------

ERRORS = [
    ('Joinn(" ", [a])', "unknown function 'Joinn' (did you mean 'Join'?)", 1),
    ('join(" ", [a], [b])', "unknown function 'join' (did you mean 'Join'?)", 1),
    ('ToLower(Apend([a], "x"))', "unknown function 'Apend' (did you mean 'Append'?)", 9),
    ("Frobnicate([a])", "unknown function 'Frobnicate'", 1),
    ('Join(" ")', "Join expects at least 2 arguments, got 1", 1),
    ("Mid([a], 1)", "Mid expects 3 arguments, got 2", 1),
    ("Now(1)", "Now expects no arguments, got 1", 1),
    ('InStr("a", "b", 1, vbTextCompare, 5)', "InStr expects 2 to 4 arguments, got 5", 1),
    ('FormatDateTime([d], "x")', "FormatDateTime expects 3 or 4 arguments, got 2", 1),
    ("IsNull()", "IsNull expects 1 argument, got 0", 1),
    ("SelectUniqueValue([a])", "SelectUniqueValue expects at least 2 arguments, got 1", 1),
    (
        'Switch([a], "d", "k1", "v1", "k2")',
        "Switch expects source, defaultValue, then key/value pairs; got 5 arguments (a key has no value)",
        1,
    ),
    ('Switch([a], "d", "k")', "Switch expects at least 4 arguments, got 3", 1),
    ('Replace(, "a", , , "b", , )', "Replace: argument 1 (source) is required and cannot be empty", 9),
    ('FormatDateTime([d], , , "y")', "FormatDateTime: argument 3 (inputFormat) is required and cannot be empty", 23),
    ('Append([a], "x)', "unterminated string literal", 13),
    ('Append([a], "x"', "expected ')' to close Append( opened at column 7, found end of expression", 16),
    ('Append([a] "x")', "expected ',' or ')' after argument 1 of Append, found '\"'", 12),
    ("Append([a, [b])", "invalid character ',' in attribute name", 10),
    ("[mail", "unterminated attribute name: missing ']'", 1),
    ("[]", "empty attribute name", 1),
    ("[first name]", "invalid character ' ' in attribute name", 7),
    ("", "empty expression", 1),
    ("   ", "empty expression", 4),
    ("[a] [b]", "unexpected '[' after the end of the expression", 5),
    ('[a] = "x"', "a comparison is only allowed as a function argument, e.g. IIF's condition", 5),
    ("IIF([a] = [b] = [c], 1, 2)", "comparisons cannot be chained; nest IIF calls instead", 15),
    ("IIF([a] = , 1, 2)", "expected a value after '=', found ','", 11),
    ('Append([a], "\\d")', 'invalid escape \'\\d\' in string literal (only \\" and \\\\ are escapes; write \\\\ for a backslash)', 14),
    ('IIF([a]="x", true, "False")', 'bare true is not a value; write the string constant "true"', 14),
    ("CStr(displayName)", 'unexpected name \'displayName\': attributes are written in square brackets ([displayName]), string constants in double quotes ("displayName")', 6),
    ("ToLower(Now)", "expected '(' after function name 'Now'", 12),
    ("Mid([a], 1.5, 2)", "decimal numbers are not supported; only integers are", 10),
    ("Mid([a], 1x, 2)", "unexpected 'x' in number", 11),
    ("BitAnd(&HG, 1)", "expected hex digits after '&H'", 8),
    ("BitAnd(&1, 1)", "expected a value, found '&' (hex numbers are written &H1F)", 8),
    ("Append([a], #)", "expected a value, found '#'", 13),
    ("Append([a],", "expected a value, found end of expression", 12),
]


@pytest.mark.parametrize(("text", "message", "column"), ERRORS, ids=[e[1][:50] for e in ERRORS])
def test_errors_have_exact_messages_and_columns(text, message, column):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert (caught.value.message, caught.value.column) == (message, column)
    assert str(caught.value) == f"{message} (column {column})"


def test_nesting_is_bounded():
    deep = "ToLower(" * 64 + "[a]" + ")" * 64
    assert parse(deep).to_source() == deep
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse("ToLower(" * 65 + "[a]" + ")" * 65)
    assert (caught.value.message, caught.value.column) == ("functions are nested more than 64 deep", 513)


def test_errors_are_project_errors_and_value_errors():
    with pytest.raises(CrosstenantError):
        parse("Joinn()")
    with pytest.raises(ValueError):
        parse("Joinn()")


def test_pointer_marks_the_column_on_its_line():
    text = 'Switch([Active], ,\n  "1", Frob([x]))'
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert caught.value.pointer(text) == '  "1", Frob([x]))\n       ^'


def test_function_names_are_case_sensitive_even_for_a_case_only_difference():
    assert "IIF" in ENTRA_FUNCTIONS
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse('Iif([a]="x", "1", "0")')
    assert caught.value.message == "unknown function 'Iif' (did you mean 'IIF'?)"
