"""The OData query subset the emulator's directory collections accept: `$filter`, `$select`.

`$filter` grammar (strict; anything else is Graph's 400 `Request_UnsupportedQuery`):

    expr    := and ('or' and)*
    and     := primary ('and' primary)*
    primary := '(' expr ')' | path 'eq' literal | path 'in' '(' literal (',' literal)* ')'
             | startsWith '(' path ',' string ')' | path '/any(' var ':' var 'eq' literal ')'
             | path '/any(' var ':' startsWith '(' var ',' string ')' ')'
    literal := 'string (quotes doubled)' | true | false | null | integer

Which property takes which operator without advanced query parameters is per collection
(`FilterSupport`), from Graph's filter-support tables (ENDPOINTS.md §4.5). String comparisons
are case-insensitive, as Graph's directory queries are (assumption: not stated per property).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from starlette.requests import Request

from reconciler.emulator.errors import GraphHTTPError

UNSUPPORTED = "Request_UnsupportedQuery"

Literal = Union[str, bool, int, None]


@dataclass(frozen=True)
class Compare:
    """`path eq v` (values has one item), `path in (...)`, or `startsWith(path, v)`."""

    op: str  # "eq" | "in" | "startsWith"
    path: str
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class AnyOf:
    """`path/any(x: x eq v)` or `path/any(x: startsWith(x, v))` over a string collection."""

    path: str
    inner: Compare  # inner.path is the lambda variable


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple["Node", ...]


Node = Union[Compare, AnyOf, BoolOp]


def unsupported(message: str) -> GraphHTTPError:
    return GraphHTTPError(400, UNSUPPORTED, message)


# ---------------------------------------------------------------------------------------------
# Tokenizer

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?![\w-]))
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<punct>[(),/:])
    )""",
    re.VERBOSE,
)

# Operators Graph knows but that need advanced query parameters (or that the emulator lacks).
_ADVANCED_OPERATORS = {"ne", "not", "endswith"}
_OTHER_OPERATORS = {"gt", "ge", "lt", "le", "contains", "has", "all", "eq", "in", "startswith"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # string | number | name | punct | end
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise unsupported(f"Invalid filter clause: syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append(_Tok(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def parse(self) -> Node:
        node = self._or()
        if self._peek().kind != "end":
            self._fail(f"unexpected '{self._peek().text}'")
        return node

    # -- helpers
    def _peek(self, ahead: int = 0) -> _Tok:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def _next(self) -> _Tok:
        tok = self._peek()
        self.i += 1
        return tok

    def _fail(self, what: str) -> None:
        raise unsupported(f"Invalid filter clause: {what} at position {self._peek().pos} in '{self.text}'.")

    def _expect(self, text: str) -> None:
        tok = self._next()
        if tok.text.lower() != text.lower():
            self.i -= 1
            self._fail(f"expected '{text}'")

    def _keyword(self, word: str) -> bool:
        tok = self._peek()
        if tok.kind == "name" and tok.text.lower() == word:
            self.i += 1
            return True
        return False

    # -- grammar
    def _or(self) -> Node:
        operands = [self._and()]
        while self._keyword("or"):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def _and(self) -> Node:
        operands = [self._primary()]
        while self._keyword("and"):
            operands.append(self._primary())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def _primary(self) -> Node:
        tok = self._peek()
        if tok.text == "(":
            self._next()
            node = self._or()
            self._expect(")")
            return node
        if tok.kind != "name":
            self._fail(f"unexpected '{tok.text}'")
        word = tok.text.lower()
        if word in _ADVANCED_OPERATORS:
            raise _advanced_operator(tok.text)
        if word == "startswith" and self._peek(1).text == "(":
            return self._starts_with()
        self._next()
        path = tok.text
        if self._peek().text == "/":
            return self._lambda(path)
        op = self._next()
        if op.kind != "name":
            self.i -= 1
            self._fail("expected an operator")
        opname = op.text.lower()
        if opname == "eq":
            return Compare("eq", path, (self._literal(),))
        if opname == "in":
            return Compare("in", path, self._literal_list())
        if opname in _ADVANCED_OPERATORS:
            raise _advanced_operator(op.text)
        raise unsupported(f"Operator '{op.text}' is not supported by the emulator's $filter.")

    def _starts_with(self) -> Compare:
        self._next()
        self._expect("(")
        path = self._next()
        if path.kind != "name":
            self.i -= 1
            self._fail("expected a property name")
        self._expect(",")
        value = self._literal()
        if not isinstance(value, str):
            self._fail("startsWith needs a string literal")
        self._expect(")")
        return Compare("startsWith", path.text, (value,))

    def _lambda(self, path: str) -> AnyOf:
        self._expect("/")
        func = self._next()
        if func.text.lower() != "any":
            raise unsupported(f"Lambda operator '{func.text}' is not supported by the emulator's $filter.")
        self._expect("(")
        var = self._next()
        if var.kind != "name":
            self.i -= 1
            self._fail("expected a lambda variable")
        self._expect(":")
        if self._peek().text.lower() == "startswith":
            inner = self._starts_with()
        else:
            ref = self._next()
            if ref.text != var.text:
                self.i -= 1
                self._fail(f"expected the lambda variable '{var.text}'")
            self._expect("eq")
            inner = Compare("eq", ref.text, (self._literal(),))
        if inner.path != var.text:
            self._fail(f"expected the lambda variable '{var.text}'")
        self._expect(")")
        return AnyOf(path, inner)

    def _literal(self) -> Literal:
        tok = self._next()
        if tok.kind == "string":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "number":
            return int(tok.text)
        if tok.kind == "name" and tok.text.lower() in ("true", "false"):
            return tok.text.lower() == "true"
        if tok.kind == "name" and tok.text.lower() == "null":
            return None
        self.i -= 1
        self._fail("expected a literal")
        raise AssertionError  # unreachable

    def _literal_list(self) -> tuple[Literal, ...]:
        self._expect("(")
        values = [self._literal()]
        while self._peek().text == ",":
            self._next()
            values.append(self._literal())
        self._expect(")")
        return tuple(values)


def _advanced_operator(name: str) -> GraphHTTPError:
    return unsupported(
        f"Operator '{name}' is not supported because the required parameters might be missing. "
        "Try adding $count=true query parameter and ConsistencyLevel:eventual header. "
        "Refer to https://aka.ms/graph-docs/advanced-queries for more information"
    )


def parse_filter(text: str) -> Node:
    """Parse a `$filter` value; raises GraphHTTPError(400, Request_UnsupportedQuery) on anything
    outside the subset."""
    if not text.strip():
        raise unsupported("Invalid filter clause: empty expression.")
    return _Parser(text).parse()


# ---------------------------------------------------------------------------------------------
# Per-collection support and evaluation


@dataclass(frozen=True)
class FilterSupport:
    """Which operators each property takes: `default` without advanced query parameters,
    `advanced` only with `ConsistencyLevel: eventual` + `$count=true` (then the emulator still
    refuses, since it does not implement them: a clear 400 instead of a wrong answer).
    Operators: "eq" (also allows "in"), "startsWith", "any" (collection of strings, eq and
    startsWith inside the lambda)."""

    resource: str  # Graph's type name for messages: "ServicePrincipal", "User", ...
    default: dict[str, frozenset[str]]
    advanced: dict[str, frozenset[str]] = field(default_factory=dict)

    def canonical(self, path: str) -> str | None:
        for name in (*self.default, *self.advanced):
            if name.lower() == path.lower():
                return name
        return None


def _clause_not_supported(support: FilterSupport, path: str) -> GraphHTTPError:
    return unsupported(
        f"Unsupported or invalid query filter clause specified for property '{path}' of resource "
        f"'{support.resource}'."
    )


def validate(node: Node, support: FilterSupport, advanced_query: bool) -> None:
    """Check every clause against the collection's support table."""
    if isinstance(node, BoolOp):
        for operand in node.operands:
            validate(operand, support, advanced_query)
        return
    if isinstance(node, AnyOf):
        op, path = "any", node.path
    else:
        op = "eq" if node.op in ("eq", "in") else node.op
        path = node.path
        if None in node.values:
            op = "eq null"
    name = support.canonical(path)
    if name is None:
        raise _clause_not_supported(support, path)
    if op in support.default.get(name, frozenset()):
        return
    if op in support.advanced.get(name, frozenset()) or op == "eq null":
        if not advanced_query:
            raise _advanced_operator(op)
        raise unsupported(f"The emulator does not implement advanced query filters ('{path}' {op}).")
    raise _clause_not_supported(support, path)


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _compare(actual: Any, clause: Compare) -> bool:
    if clause.op == "startsWith":
        return isinstance(actual, str) and actual.casefold().startswith(str(clause.values[0]).casefold())
    return any(_fold(actual) == _fold(v) for v in clause.values)


def evaluate(node: Node, item: dict[str, Any], support: FilterSupport) -> bool:
    if isinstance(node, BoolOp):
        results = (evaluate(o, item, support) for o in node.operands)
        return all(results) if node.op == "and" else any(results)
    name = support.canonical(node.path) or node.path
    actual = item.get(name)
    if isinstance(node, AnyOf):
        return isinstance(actual, list) and any(_compare(v, node.inner) for v in actual)
    return _compare(actual, node)


def is_advanced_query(request: Request) -> bool:
    """Graph's advanced query parameters: the `ConsistencyLevel: eventual` header and `$count=true`."""
    header = request.headers.get("consistencylevel", "").lower() == "eventual"
    return header and request.query_params.get("$count", "").lower() == "true"


def filter_items(request: Request, items: list[dict[str, Any]], support: FilterSupport) -> list[dict[str, Any]]:
    """Apply the request's `$filter` (if any); rejects query options the emulator lacks."""
    for option in ("$search", "$orderby", "$expand", "$skip"):
        if option in request.query_params:
            raise unsupported(f"The emulator does not support '{option}' on {support.resource} collections.")
    text = request.query_params.get("$filter")
    if text is None:
        return items
    node = parse_filter(text)
    validate(node, support, is_advanced_query(request))
    return [item for item in items if evaluate(node, item, support)]


def select(item: dict[str, Any], request: Request,
           default: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Project an object by `$select`; without it, by `default` (e.g. a user's default property
    set) or whole. A selected property the object lacks comes back as null, as Graph's are."""
    text = request.query_params.get("$select")
    if text is None:
        return default(item) if default else item
    by_lower = {k.lower(): k for k in item}
    out: dict[str, Any] = {k: v for k, v in item.items() if k.startswith("@odata.")}
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        key = by_lower.get(name.lower(), name)
        out[key] = item.get(key)
    return out
