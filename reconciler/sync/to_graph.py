"""AST ↔ Graph `attributeMappingSource` (the `source` of a schema's attribute mapping).

Shapes follow the Graph reference fragments (`fragment-attributemappingsource-attribute.json`,
`-function-mid.json`), the parseExpression example and the default cross-tenant schema:

- Attribute: `{"expression": "[mail]", "name": "mail", "type": "Attribute"}`
- Constant:  `{"expression": "\\"Member\\"", "name": "Member", "type": "Constant"}`; numbers are
  constants too (`Mid(…, 1, 8)` → `{"expression": "\\"1\\"", "name": "1", …}`), so Graph's tree does
  not tell 1 from "1".
- Function:  `{"expression": "<canonical text>", "name": "Mid", "parameters": [{"key", "value"}],
  "type": "Function"}`; keys come from the function's parameter list (`functions.py`); empty
  arguments are not listed (parseExpression's Replace lists source, Find, Replacement only).
- Nested nodes carry `"parameters": []`; a top-level Attribute or Constant has no `parameters`
  key, as in the reference.

Inferred (the reference shows none of these): comparisons (`[a] = "x"` inside IIF/CBool) as a
Function node named by the operator with keys `left` and `right`; bare keywords such as
`vbBinaryCompare` as a Constant whose expression is the bare word; a repeating parameter (Join's
sources, Switch's key/value pairs) as its key repeated once per argument.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from reconciler.errors import CrosstenantError
from reconciler.sync.expression import (
    COMPARATORS,
    AttributeRef,
    Call,
    Comparison,
    Expr,
    ExpressionSyntaxError,
    Keyword,
    NumberLit,
    Omitted,
    StringLit,
    parse,
    quote,
)
from reconciler.sync.functions import ENTRA_FUNCTIONS, KEYWORDS, FunctionCatalog, Signature

_COMPARISON_KEYS = ("left", "right")  # inferred, see the module docstring
_SOURCE_TYPES = {"attribute": "Attribute", "constant": "Constant", "function": "Function"}


class MappingSourceError(CrosstenantError, ValueError):
    """A live `attributeMappingSource` this module cannot turn into an expression."""


def to_attribute_mapping_source(expr: Expr, *, functions: FunctionCatalog = ENTRA_FUNCTIONS) -> dict[str, Any]:
    """The `source` object a schema PUT carries for `expr`."""
    source = _node(expr, functions)
    if source["type"] != "Function":
        del source["parameters"]
    return source


def from_attribute_mapping_source(
    source: Mapping[str, Any], *, functions: FunctionCatalog = ENTRA_FUNCTIONS, check_functions: bool = True
) -> Expr:
    """The expression a live mapping source stands for, for comparison with a declared one.

    A Function's `expression` text is parsed when present (Graph: the "equivalent expression
    representation"; it keeps numbers apart from strings); without it the tree is read by keys.
    `check_functions=False` accepts functions and arities the catalog does not know.
    """
    kind = _source_type(source)
    name = source.get("name")
    if kind == "Attribute":
        if not name:
            raise MappingSourceError(f"attribute mapping source without a name: {dict(source)!r}")
        return AttributeRef(name)
    if kind == "Constant":
        return _constant(source)
    expression = source.get("expression")
    if expression:
        try:
            expr = parse(expression, functions=functions, check_functions=check_functions)
        except ExpressionSyntaxError as error:
            raise MappingSourceError(f"live expression {expression!r} does not parse: {error}") from error
        if name and not (isinstance(expr, Call) and expr.name == name) and not (
            isinstance(expr, Comparison) and expr.op == name
        ):
            raise MappingSourceError(f"live expression {expression!r} does not match its function name {name!r}")
        return expr
    return _call_from_tree(source, functions, check_functions)


def comparison_key(expr: Expr, *, functions: FunctionCatalog = ENTRA_FUNCTIONS) -> Hashable:
    """`expr` as Graph's tree keeps it: each argument under its parameter key, empty ones dropped,
    numbers as string constants.

    Equal keys mean Graph cannot tell the two expressions apart: `Mid([x], 1, 8)` and
    `Mid([x], "1", "8")`; `Replace([x], "a", , , "b")` and the same with `, , )` padding;
    `FormatDateTime([d], , "in", "out")` and `FormatDateTime([d], "in", "out")`. A function the
    catalog cannot name keys its arguments by position.
    """
    if isinstance(expr, AttributeRef):
        return ("attribute", expr.name)
    if isinstance(expr, (StringLit, NumberLit)):
        return ("constant", str(expr.value))
    if isinstance(expr, Keyword):
        return ("keyword", expr.name)
    if isinstance(expr, Comparison):
        left = comparison_key(expr.left, functions=functions)
        return ("comparison", expr.op, left, comparison_key(expr.right, functions=functions))
    if isinstance(expr, Call):
        spec = functions.get(expr.name)
        signature = spec.signature_for(len(expr.args)) if spec else None
        keys = (
            [p.key for p in signature.parameters_for(len(expr.args))]
            if signature
            else [f"#{i}" for i in range(len(expr.args))]
        )
        return (
            "call",
            expr.name,
            tuple(
                (key, comparison_key(arg, functions=functions))
                for key, arg in zip(keys, expr.args)
                if not isinstance(arg, Omitted)
            ),
        )
    return ("omitted",)


def same_mapping(declared: Expr, live: Expr, *, functions: FunctionCatalog = ENTRA_FUNCTIONS) -> bool:
    """Whether two expressions give Graph the same mapping (see `comparison_key`)."""
    return comparison_key(declared, functions=functions) == comparison_key(live, functions=functions)


# -- AST → Graph -------------------------------------------------------------------------------


def _leaf(expression: str, name: str, kind: str) -> dict[str, Any]:
    return {"expression": expression, "name": name, "parameters": [], "type": kind}


def _node(expr: Expr, functions: FunctionCatalog) -> dict[str, Any]:
    if isinstance(expr, AttributeRef):
        return _leaf(expr.to_source(), expr.name, "Attribute")
    if isinstance(expr, StringLit):
        return _leaf(expr.to_source(), expr.value, "Constant")
    if isinstance(expr, NumberLit):
        return _leaf(quote(str(expr.value)), str(expr.value), "Constant")
    if isinstance(expr, Keyword):
        return _leaf(expr.name, expr.name, "Constant")
    if isinstance(expr, Comparison):
        parameters = [
            {"key": key, "value": _node(side, functions)}
            for key, side in zip(_COMPARISON_KEYS, (expr.left, expr.right))
        ]
        return {"expression": expr.to_source(), "name": expr.op, "parameters": parameters, "type": "Function"}
    if isinstance(expr, Call):
        keys = _parameter_keys(expr, functions)
        parameters = [
            {"key": key, "value": _node(arg, functions)}
            for key, arg in zip(keys, expr.args)
            if not isinstance(arg, Omitted)
        ]
        return {"expression": expr.to_source(), "name": expr.name, "parameters": parameters, "type": "Function"}
    raise TypeError(f"an empty argument has no mapping source: {expr!r}")


def _parameter_keys(call: Call, functions: FunctionCatalog) -> list[str]:
    spec = functions.get(call.name)
    signature = spec.signature_for(len(call.args)) if spec else None
    if signature is None:
        # Parsed with check_functions=False: no parameter list to name the keys from.
        raise MappingSourceError(
            f"cannot name the parameters of {call.name} with {len(call.args)} arguments:"
            " the function catalog has no matching signature"
        )
    return [parameter.key for parameter in signature.parameters_for(len(call.args))]


# -- Graph tree → AST (no `expression` text) -----------------------------------------------------


def _source_type(source: Mapping[str, Any]) -> str:
    raw = source.get("type") or "Attribute"  # Graph: "Default is Attribute"
    kind = _SOURCE_TYPES.get(str(raw).lower())
    if kind is None:
        raise MappingSourceError(f"unknown attribute mapping source type {raw!r}")
    return kind


def _constant(source: Mapping[str, Any]) -> Expr:
    name = source.get("name")
    if name in KEYWORDS and source.get("expression") == name:
        return Keyword(name)
    return StringLit(name if name is not None else _constant_from_expression(source))


def _constant_from_expression(source: Mapping[str, Any]) -> str:
    expression = source.get("expression")
    if not expression:
        raise MappingSourceError(f"constant mapping source without a name or expression: {dict(source)!r}")
    parsed = parse(expression, check_functions=False)
    if not isinstance(parsed, StringLit):
        raise MappingSourceError(f"constant mapping source with a non-constant expression {expression!r}")
    return parsed.value


def _tree_node(source: Mapping[str, Any], functions: FunctionCatalog, check: bool) -> Expr:
    kind = _source_type(source)
    if kind == "Constant":
        return _constant(source)
    if kind == "Attribute":
        return from_attribute_mapping_source(source, functions=functions, check_functions=check)
    return _call_from_tree(source, functions, check)


def _call_from_tree(source: Mapping[str, Any], functions: FunctionCatalog, check: bool) -> Expr:
    name = source.get("name")
    if not name:
        raise MappingSourceError(f"function mapping source without a name: {dict(source)!r}")
    pairs = [(p.get("key"), p.get("value") or {}) for p in source.get("parameters") or []]
    if name in COMPARATORS:
        values = dict(pairs)
        if set(values) != set(_COMPARISON_KEYS):
            raise MappingSourceError(f"comparison {name!r} needs exactly the keys left and right, got {list(values)}")
        return Comparison(name, *(_tree_node(values[k], functions, check) for k in _COMPARISON_KEYS))
    spec = functions.get(name)
    if spec is None:
        if check:
            raise MappingSourceError(f"unknown function {name!r} in live mapping source")
        return Call(name, tuple(_tree_node(value, functions, check) for _, value in pairs))
    args = _place_by_key(name, pairs, spec.signatures, functions, check)
    return Call(name, tuple(args))


def _place_by_key(
    name: str,
    pairs: list[tuple[str | None, Mapping[str, Any]]],
    signatures: tuple[Signature, ...],
    functions: FunctionCatalog,
    check: bool,
) -> list[Expr]:
    """Put each keyed value at its parameter's position; unlisted positions become `Omitted`."""
    keys = [key for key, _ in pairs]
    for signature in sorted(signatures, key=lambda s: len(s.fixed)):
        fixed_keys = [p.key for p in signature.fixed]
        repeated_keys = [p.key for p in signature.repeated]
        positions: list[int] = []
        next_repeat = len(signature.fixed)
        for key in keys:
            if key in fixed_keys and fixed_keys.index(key) not in positions:
                positions.append(fixed_keys.index(key))
            elif key in repeated_keys:
                # Repeated keys arrive in order: key, value, key, value … (Switch) or source, source … (Join).
                while signature.parameter_at(next_repeat).key != key:
                    next_repeat += 1
                positions.append(next_repeat)
                next_repeat += 1
            else:
                break
        else:
            count = max(positions) + 1 if positions else 0
            if signature.repeated:
                count = max(count, signature.min_args)
            elif any(p.required for p in signature.fixed[count:]):
                continue
            args: list[Expr] = [Omitted() for _ in range(count)]
            for position, (_, value) in zip(positions, pairs):
                args[position] = _tree_node(value, functions, check)
            if signature.accepts(len(args)) or not check:
                return args
    raise MappingSourceError(f"the parameters {keys} do not fit any parameter list of {name}")
