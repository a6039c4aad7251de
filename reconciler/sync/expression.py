r"""The attribute-mapping expression language: parser and AST.

Grammar (Entra's "Reference for writing expressions for attribute mappings", plus what its examples
use):

    expression := operand                      (a whole mapping: [mail], "Member", Join(...))
    operand    := call | "[" attribute "]" | string | integer | "&H" hex | keyword
    call       := Name "(" [argument ("," argument)*] ")"
    argument   := <nothing> | operand [comparator operand]
    comparator := "=" | "<>" | ">" | ">=" | "<" | "<="

- An empty argument (`Replace([x], "-", , , "_", , )`) is kept as `Omitted`: positions matter.
  `Name()` and `Name( )` have no arguments.
- Strings are double-quoted; `\\` and `\"` are the only escapes (the docs: a backslash or quote
  "must be escaped with the backslash").
- Numbers are integers, optionally negative (DateAdd's value "can be positive or negative"), or
  VBA hex (`BitAnd(&HF, &HF7)`). The docs show no decimals; they are rejected.
- Comparisons appear only inside arguments (IIF conditions, `CBool([a] = [b])`); they do not chain.
- There are no bare booleans: the docs always write the strings "True" / "False".
- Function names are case-sensitive ("The syntax is case-sensitive") and checked against a
  `FunctionCatalog`, with their arity.

Columns are 1-based offsets into the expression text (a newline counts as one character); 0 on
nodes built from Graph's tree, which has no text. Columns never take part in AST equality.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from reconciler.errors import CrosstenantError
from reconciler.sync.functions import ENTRA_FUNCTIONS, KEYWORDS, FunctionCatalog, Signature


class ExpressionSyntaxError(CrosstenantError, ValueError):
    """An expression that does not parse or does not fit Entra's function list."""

    def __init__(self, message: str, column: int):
        self.message = message
        self.column = column
        super().__init__(f"{message} (column {column})")

    def pointer(self, text: str) -> str:
        """The expression's line holding the error, with a caret under the column."""
        offset = max(self.column - 1, 0)
        line_start = text.rfind("\n", 0, offset) + 1
        line_end = text.find("\n", offset)
        line = text[line_start : line_end if line_end != -1 else len(text)]
        return f"{line}\n{' ' * (offset - line_start)}^"


COMPARATORS: tuple[str, ...] = ("<>", ">=", "<=", "=", ">", "<")  # longest first for the scanner


class Expr:
    """Base of every AST node."""

    column: int

    def to_source(self) -> str:
        """Canonical text: `Name(a, b)`, `[attr]`, `"text"`; what Graph stores as `expression`."""
        raise NotImplementedError

    def children(self) -> tuple[Expr, ...]:
        return ()


@dataclass(frozen=True)
class AttributeRef(Expr):
    name: str
    column: int = field(default=0, compare=False)

    def to_source(self) -> str:
        return f"[{self.name}]"


@dataclass(frozen=True)
class StringLit(Expr):
    value: str
    column: int = field(default=0, compare=False)

    def to_source(self) -> str:
        return quote(self.value)


@dataclass(frozen=True)
class NumberLit(Expr):
    value: int
    column: int = field(default=0, compare=False)

    def to_source(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Keyword(Expr):
    """A bare documented constant such as `vbBinaryCompare` (InStr's compareType)."""

    name: str
    column: int = field(default=0, compare=False)

    def to_source(self) -> str:
        return self.name


@dataclass(frozen=True)
class Omitted(Expr):
    """An argument left empty; only ever inside `Call.args`."""

    column: int = field(default=0, compare=False)

    def to_source(self) -> str:
        return ""


@dataclass(frozen=True)
class Comparison(Expr):
    op: str  # one of COMPARATORS
    left: Expr
    right: Expr
    column: int = field(default=0, compare=False)

    def to_source(self) -> str:
        return f"{self.left.to_source()} {self.op} {self.right.to_source()}"

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    column: int = field(default=0, compare=False)

    def to_source(self) -> str:
        # ", ".join renders omitted arguments as Graph does: `Replace([x], "-", , , "_", , )`.
        return f"{self.name}({', '.join(arg.to_source() for arg in self.args)})"

    def children(self) -> tuple[Expr, ...]:
        return self.args


def quote(value: str) -> str:
    """A string constant as written in an expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node, parents before children, arguments left to right."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


def referenced_attributes(expr: Expr) -> frozenset[str]:
    return frozenset(node.name for node in walk(expr) if isinstance(node, AttributeRef))


def parse(
    text: str, *, functions: FunctionCatalog = ENTRA_FUNCTIONS, check_functions: bool = True
) -> Expr:
    """Parse one mapping expression. `check_functions=False` checks syntax only (any name, any arity)."""
    return _Parser(text, functions if check_functions else None).parse()


_ATTRIBUTE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:")
_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_BOOLEAN_WORDS = frozenset({"true", "false"})
MAX_NESTING = 64  # calls inside calls; keeps a hostile expression from exhausting the stack


class _Parser:
    def __init__(self, text: str, functions: FunctionCatalog | None):
        self.text = text
        self.pos = 0
        self.functions = functions
        self.depth = 0

    # -- helpers -------------------------------------------------------------------------------

    def error(self, message: str, pos: int | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, (self.pos if pos is None else pos) + 1)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def found(self) -> str:
        return f"'{self.peek()}'" if self.peek() else "end of expression"

    # -- grammar -------------------------------------------------------------------------------

    def parse(self) -> Expr:
        self.skip_ws()
        if not self.peek():
            raise self.error("empty expression")
        expr = self.operand()
        self.skip_ws()
        if self.peek() and self.text.startswith(COMPARATORS, self.pos):
            raise self.error("a comparison is only allowed as a function argument, e.g. IIF's condition")
        if self.peek():
            raise self.error(f"unexpected {self.found()} after the end of the expression")
        return expr

    def operand(self) -> Expr:
        start = self.pos
        char = self.peek()
        if char == "[":
            return self.attribute()
        if char == '"':
            return self.string()
        if char == "&":
            return self.hex_number()
        if char in _DIGITS or (char == "-" and self.text[start + 1 : start + 2] in _DIGITS):
            return self.number()
        if char.isalpha() or char == "_":
            return self.name()
        if not char:
            raise self.error("expected a value, found end of expression")
        raise self.error(f"expected a value, found '{char}'")

    def attribute(self) -> AttributeRef:
        start = self.pos
        self.pos += 1
        name_start = self.pos
        while self.peek() and self.peek() != "]":
            if self.peek() not in _ATTRIBUTE_CHARS:
                raise self.error(f"invalid character '{self.peek()}' in attribute name")
            self.pos += 1
        if not self.peek():
            raise self.error("unterminated attribute name: missing ']'", start)
        name = self.text[name_start : self.pos]
        if not name:
            raise self.error("empty attribute name", start)
        self.pos += 1
        return AttributeRef(name, start + 1)

    def string(self) -> StringLit:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise self.error("unterminated string literal", start)
            if char == '"':
                self.pos += 1
                return StringLit("".join(chars), start + 1)
            if char == "\\":
                escaped = self.text[self.pos + 1 : self.pos + 2]
                if escaped not in ('"', "\\"):
                    shown = f"'\\{escaped}'" if escaped else "'\\' at the end"
                    raise self.error(
                        f'invalid escape {shown} in string literal (only \\" and \\\\ are escapes;'
                        " write \\\\ for a backslash)"
                    )
                chars.append(escaped)
                self.pos += 2
                continue
            chars.append(char)
            self.pos += 1

    def number(self) -> NumberLit:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        while self.peek() in _DIGITS:
            self.pos += 1
        if self.peek() == "." and self.text[self.pos + 1 : self.pos + 2] in _DIGITS:
            raise self.error("decimal numbers are not supported; only integers are", start)
        if self.peek().isalpha() or self.peek() == "_":
            raise self.error(f"unexpected '{self.peek()}' in number")
        return NumberLit(int(self.text[start : self.pos]), start + 1)

    def hex_number(self) -> NumberLit:
        start = self.pos
        if self.text[start : start + 2] not in ("&H", "&h"):
            raise self.error("expected a value, found '&' (hex numbers are written &H1F)")
        self.pos += 2
        digits_start = self.pos
        while self.peek() in _HEX_DIGITS:
            self.pos += 1
        if self.pos == digits_start:
            raise self.error("expected hex digits after '&H'", start)
        if self.peek().isalnum() or self.peek() == "_":
            raise self.error(f"unexpected '{self.peek()}' in hex number")
        return NumberLit(int(self.text[digits_start : self.pos], 16), start + 1)

    def name(self) -> Expr:
        start = self.pos
        while self.peek().isalnum() or self.peek() == "_":
            self.pos += 1
        name = self.text[start : self.pos]
        after_name = self.pos
        self.skip_ws()
        if self.peek() == "(":
            return self.call(name, start)
        self.pos = after_name
        if name in KEYWORDS:
            return Keyword(name, start + 1)
        if name.lower() in _BOOLEAN_WORDS:
            raise self.error(f'bare {name} is not a value; write the string constant "{name}"', start)
        if self.functions is not None and name in self.functions:
            raise self.error(f"expected '(' after function name '{name}'", after_name)
        raise self.error(
            f"unexpected name '{name}': attributes are written in square brackets ([{name}]),"
            f' string constants in double quotes ("{name}")',
            start,
        )

    def call(self, name: str, start: int) -> Call:
        spec = None
        if self.functions is not None:
            spec = self.functions.get(name)
            if spec is None:
                suggestion = self.functions.suggest(name)
                hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
                raise self.error(f"unknown function '{name}'{hint}", start)
        open_paren = self.pos
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"functions are nested more than {MAX_NESTING} deep", start)
        self.pos += 1
        args: list[Expr] = []
        self.skip_ws()
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                args.append(self.argument())
                self.skip_ws()
                if self.peek() == ",":
                    self.pos += 1
                    continue
                if self.peek() == ")":
                    self.pos += 1
                    break
                if not self.peek():
                    raise self.error(
                        f"expected ')' to close {name}( opened at column {open_paren + 1},"
                        " found end of expression"
                    )
                raise self.error(f"expected ',' or ')' after argument {len(args)} of {name}, found {self.found()}")
        self.depth -= 1
        call = Call(name, tuple(args), start + 1)
        if spec is not None:
            _check_arguments(call, spec.signature_for(len(args)), spec.arity_description())
        return call

    def argument(self) -> Expr:
        self.skip_ws()
        if self.peek() in (",", ")"):
            return Omitted(self.pos + 1)
        left = self.operand()
        self.skip_ws()
        op = next((c for c in COMPARATORS if self.text.startswith(c, self.pos)), None)
        if op is None:
            return left
        op_pos = self.pos
        self.pos += len(op)
        self.skip_ws()
        if self.peek() in (",", ")", ""):
            raise self.error(f"expected a value after '{op}', found {self.found()}")
        right = self.operand()
        self.skip_ws()
        if self.text.startswith(COMPARATORS, self.pos):
            raise self.error("comparisons cannot be chained; nest IIF calls instead")
        return Comparison(op, left, right, op_pos + 1)


def _check_arguments(call: Call, signature: Signature | None, arity: str) -> None:
    count = len(call.args)
    if signature is None:
        if call.name == "Switch" and count >= 4:
            raise ExpressionSyntaxError(
                f"Switch expects source, defaultValue, then key/value pairs; got {count} arguments"
                " (a key has no value)",
                call.column,
            )
        raise ExpressionSyntaxError(f"{call.name} expects {arity}, got {count}", call.column)
    for index, (arg, parameter) in enumerate(zip(call.args, signature.parameters_for(count)), start=1):
        if isinstance(arg, Omitted) and parameter.required:
            raise ExpressionSyntaxError(
                f"{call.name}: argument {index} ({parameter.name}) is required and cannot be empty",
                arg.column,
            )


# -- patterns Entra documents as unsupported -------------------------------------------------------


class UnsupportedExpressionError(ExpressionSyntaxError):
    """An expression that parses but uses a pattern Entra documents as unsupported."""


_EMPTINESS_TESTS = frozenset({"IsNull", "IsNullOrEmpty", "IsPresent"})


def unsupported_patterns(expr: Expr, *, cross_tenant: bool = True) -> tuple[UnsupportedExpressionError, ...]:
    """Every documented-unsupported use in `expr`, in source order (Entra's expression reference).

    - IIF cannot test for an empty or missing value: "If the source attribute used within the IIF
      function is empty or null, the condition check fails" (its three examples are rejected).
    - Switch's source must not be IsPresent, IsNull or IsNullOrEmpty (a CAUTION in the docs).
    - SelectUniqueValue must be at the top level, and is not supported for cross-tenant sync.
    """
    found: list[UnsupportedExpressionError] = []
    for node in walk(expr):
        if not isinstance(node, Call):
            continue
        if node.name == "IIF" and node.args and _tests_emptiness(node.args[0]):
            found.append(
                UnsupportedExpressionError(
                    "IIF cannot test for an empty or missing value (Entra: the condition check fails"
                    ' when the attribute is empty or null); use Switch([attr], [attr], "", "Other")',
                    _start_column(node.args[0]),
                )
            )
        if node.name == "Switch" and node.args and _is_call_to(node.args[0], _EMPTINESS_TESTS):
            found.append(
                UnsupportedExpressionError(
                    f"Switch's source must not be {node.args[0].name}(...) (Entra docs);"  # type: ignore[attr-defined]
                    ' match the empty string "" as a key instead',
                    node.args[0].column,
                )
            )
        if node.name == "SelectUniqueValue":
            if cross_tenant:
                found.append(
                    UnsupportedExpressionError(
                        "SelectUniqueValue is not supported for cross-tenant synchronization (only for"
                        " Workday, SuccessFactors and API-driven provisioning to Active Directory)",
                        node.column,
                    )
                )
            elif node is not expr:
                found.append(
                    UnsupportedExpressionError(
                        "SelectUniqueValue must be the whole expression; it cannot be nested", node.column
                    )
                )
    return tuple(sorted(found, key=lambda error: error.column))


def check_supported(expr: Expr, *, cross_tenant: bool = True) -> None:
    """Raise the first `unsupported_patterns()` finding, if any."""
    found = unsupported_patterns(expr, cross_tenant=cross_tenant)
    if found:
        raise found[0]


def _start_column(expr: Expr) -> int:
    return _start_column(expr.left) if isinstance(expr, Comparison) else expr.column


def _is_call_to(expr: Expr, names: frozenset[str]) -> bool:
    return isinstance(expr, Call) and expr.name in names


def _tests_emptiness(condition: Expr) -> bool:
    if _is_call_to(condition, _EMPTINESS_TESTS):
        return True
    return isinstance(condition, Comparison) and StringLit("") in (condition.left, condition.right)
