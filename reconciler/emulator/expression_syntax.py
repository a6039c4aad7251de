"""A syntax check of attribute-mapping expressions for `POST …/schema/parseExpression`.

Only parsing: the emulator does not evaluate expressions here (`evaluationSucceeded` is false),
and it does not reuse the product's evaluator in `reconciler/sync/`. The tree it returns is an
`attributeMappingSource` as in the documented example (schema-parseexpression.response.json):
functions with `parameters` keyed by parameter name, `[attribute]`s and `"constant"`s, each with
its normalised `expression`. Parameter keys come from `data/functions.json`; the service's own
keys can differ (the example names Replace's `source`, `Find`, `Replacement`) — inferred.

Grammar: `expr := operand [('=' | '<>' | '<=' | '>=' | '<' | '>') operand]`, `operand := Name '('
[arg] (',' [arg])* ')' | '[' name ']' | '"' chars '"' | integer | &Hhex | true | false`; inside
constants `\\` escapes `\\` and `"`. A comparison (used in IIF/CBool conditions) comes back as a
node named after its operator with `left`/`right` parameters — the service's shape for it is not
documented (inferred).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Uncertain: the error code parseExpression reports for an unparsable expression is not documented.
PARSE_ERROR_CODE = "ExpressionParsingFailure"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+|&H[0-9A-Fa-f]+")
_COMPARISON = re.compile(r"<>|<=|>=|=|<|>")


class ExpressionSyntaxError(ValueError):
    def __init__(self, message: str, position: int):
        super().__init__(f"{message} at position {position}")
        self.position = position


@dataclass
class _Parser:
    text: str
    functions: dict[str, list[dict[str, Any]]]  # lower-cased name -> parameter schemas
    names: dict[str, str]  # lower-cased name -> canonical name
    pos: int = 0

    def parse(self) -> dict[str, Any]:
        node = self._expr()
        self._skip()
        if self.pos != len(self.text):
            raise ExpressionSyntaxError(f"unexpected '{self.text[self.pos]}'", self.pos)
        return node

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self) -> str:
        self._skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _expr(self) -> dict[str, Any]:
        left = self._operand()
        self._skip()
        operator = _COMPARISON.match(self.text, self.pos)
        if not operator:
            return left
        self.pos = operator.end()
        right = self._operand()
        return {"expression": f"{left['expression']} {operator.group()} {right['expression']}",
                "name": operator.group(), "type": "Function",
                "parameters": [{"key": "left", "value": left}, {"key": "right", "value": right}]}

    def _operand(self) -> dict[str, Any]:
        char = self._peek()
        if char == "[":
            return self._attribute()
        if char == '"':
            return self._constant()
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return _leaf("Constant", number.group(), number.group())
        name = _NAME.match(self.text, self.pos)
        if not name:
            raise ExpressionSyntaxError("expected a function, an [attribute] or a \"constant\"", self.pos)
        self.pos = name.end()
        if self._peek() != "(":
            if name.group().lower() in ("true", "false"):
                return _leaf("Constant", name.group(), name.group())
            raise ExpressionSyntaxError(f"expected '(' after '{name.group()}'", self.pos)
        return self._function(name.group(), name.start())

    def _attribute(self) -> dict[str, Any]:
        start = self.pos
        end = self.text.find("]", start)
        if end < 0:
            raise ExpressionSyntaxError("unterminated [attribute]", start)
        name = self.text[start + 1:end].strip()
        if not name:
            raise ExpressionSyntaxError("empty [attribute]", start)
        self.pos = end + 1
        return _leaf("Attribute", f"[{name}]", name)

    def _constant(self) -> dict[str, Any]:
        start = self.pos
        self.pos += 1
        value: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                value.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return _leaf("Constant", self.text[start:self.pos], "".join(value))
            value.append(char)
            self.pos += 1
        raise ExpressionSyntaxError('unterminated "constant"', start)

    def _function(self, name: str, start: int) -> dict[str, Any]:
        schema = self.functions.get(name.lower())
        if schema is None:
            raise ExpressionSyntaxError(f"unknown function '{name}'", start)
        self.pos += 1  # "("
        args: list[dict[str, Any] | None] = []
        while True:
            if self._peek() in (",", ")"):
                args.append(None)
            else:
                args.append(self._expr())
            char = self._peek()
            if char == ",":
                self.pos += 1
                continue
            if char == ")":
                self.pos += 1
                break
            raise ExpressionSyntaxError(f"expected ',' or ')' in {name}(…)", self.pos)
        if args == [None]:
            args = []
        canonical = self.names[name.lower()]
        texts = [a["expression"] if a else "" for a in args]
        parameters = [{"key": _parameter_name(schema, i), "value": a} for i, a in enumerate(args) if a is not None]
        return {"expression": f"{canonical}({', '.join(texts)})", "name": canonical, "parameters": parameters,
                "type": "Function"}


def _leaf(kind: str, expression: str, name: str) -> dict[str, Any]:
    return {"expression": expression, "name": name, "parameters": [], "type": kind}


def _parameter_name(schema: list[dict[str, Any]], index: int) -> str:
    if index < len(schema):
        return schema[index]["name"]
    repeating = [p for p in schema if p.get("allowMultipleOccurrences")]
    return repeating[-1]["name"] if repeating else f"arg{index}"


def parse(expression: str, functions: list[dict[str, Any]]) -> dict[str, Any]:
    """The attributeMappingSource tree of `expression`; raises ExpressionSyntaxError."""
    by_name = {f["name"].lower(): f["parameters"] for f in functions}
    names = {f["name"].lower(): f["name"] for f in functions}
    return _Parser(expression, by_name, names).parse()


def parse_response(expression: str, functions: list[dict[str, Any]]) -> dict[str, Any]:
    """A parseExpressionResponse for `expression` (parsed, not evaluated)."""
    try:
        tree = parse(expression, functions)
    except ExpressionSyntaxError as err:
        return {"error": {"code": PARSE_ERROR_CODE, "message": str(err), "details": [], "innerError": None,
                          "target": None},
                "evaluationSucceeded": False, "evaluationResult": [], "parsedExpression": None,
                "parsingSucceeded": False}
    return {"error": None, "evaluationSucceeded": False, "evaluationResult": [], "parsedExpression": tree,
            "parsingSucceeded": True}
