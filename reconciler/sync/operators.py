"""Scoping-filter operators: YAML names ↔ Graph `filterClause.operatorName` tokens.

Source: graph-reference `scoping.md` §3 (Entra "Scoping users or groups to be provisioned with
scoping filters", @efd1ce19) and `schema-filteroperators.response.json`.

Only `EQUALS` is documented as an API token (the filterOperators example). The others are the
portal labels, used as tokens as `scoping-vectors.jsonl` does; the service's spelling (spaces,
underscores, case) is **uncertain**. So `from_graph()` matches tokens loosely, and
`resolve_tokens()` takes the exact spelling from a live `GET …/schema/filterOperators` when the
caller has one. `Less_Than` / `Less_Than_OR_EQUALS` are not in Microsoft's list (`documented` is
False). IsMemberOf is documented as not supported and has no member.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping, Sequence


class Arity(enum.Enum):
    """Graph's `scopeOperatorType`; `value_count` is the length of `targetOperand.values`."""

    UNARY = "Unary"
    BINARY = "Binary"

    @property
    def value_count(self) -> int:
        return 0 if self is Arity.UNARY else 1


class ScopingOperator(enum.Enum):
    # member = (YAML name, Graph token, arity, documented by Microsoft, integer operand)
    CONTAINED_IN = ("contained_in", "&", Arity.BINARY, True, False)
    NOT_CONTAINED_IN = ("not_contained_in", "!&", Arity.BINARY, True, False)
    ENDS_WITH = ("ends_with", "ENDS_WITH", Arity.BINARY, True, False)
    EQUALS = ("equals", "EQUALS", Arity.BINARY, True, False)
    NOT_EQUALS = ("not_equals", "NOT EQUALS", Arity.BINARY, True, False)
    GREATER_THAN = ("greater_than", "Greater_Than", Arity.BINARY, True, True)
    GREATER_THAN_OR_EQUALS = ("greater_than_or_equals", "Greater_Than_OR_EQUALS", Arity.BINARY, True, True)
    LESS_THAN = ("less_than", "Less_Than", Arity.BINARY, False, True)
    LESS_THAN_OR_EQUALS = ("less_than_or_equals", "Less_Than_OR_EQUALS", Arity.BINARY, False, True)
    INCLUDES = ("includes", "Includes", Arity.BINARY, True, False)
    IS_TRUE = ("is_true", "IS TRUE", Arity.UNARY, True, False)
    IS_FALSE = ("is_false", "IS FALSE", Arity.UNARY, True, False)
    IS_NULL = ("is_null", "IS NULL", Arity.UNARY, True, False)
    IS_NOT_NULL = ("is_not_null", "IS NOT NULL", Arity.UNARY, True, False)
    REGEX_MATCH = ("regex_match", "REGEX MATCH", Arity.BINARY, True, False)
    NOT_REGEX_MATCH = ("not_regex_match", "NOT REGEX MATCH", Arity.BINARY, True, False)

    def __init__(self, yaml_name: str, token: str, arity: Arity, documented: bool, integer_operand: bool):
        self.yaml_name = yaml_name
        self.token = token  # the token written to Graph unless resolve_tokens() says otherwise
        self.arity = arity
        self.documented = documented
        self.integer_operand = integer_operand  # "must be an integer" on both sides (Greater_Than…)

    @property
    def token_documented(self) -> bool:
        """Whether Graph's docs show this exact `operatorName` (only EQUALS)."""
        return self is ScopingOperator.EQUALS

    @classmethod
    def from_yaml(cls, name: str) -> ScopingOperator:
        try:
            return _BY_YAML[name]
        except KeyError:
            raise ValueError(_unknown_message(f"scoping operator '{name}'", name)) from None

    @classmethod
    def from_graph(cls, token: str) -> ScopingOperator:
        """The operator for a live `operatorName`; spacing, underscores and case are not significant."""
        found = _BY_TOKEN.get(_fold(token))
        if found is not None:
            return found
        if _fold(token) in _NOT_SUPPORTED:
            raise ValueError(f"scoping operator '{token}' is not supported by Entra provisioning")
        raise ValueError(f"unknown scoping operator token '{token}'")

    def check_values(self, values: Sequence[str]) -> str | None:
        """Why `values` do not suit this operator (a message), or None when they do."""
        expected = self.arity.value_count
        if len(values) != expected:
            wanted = "no value" if expected == 0 else "exactly one value"
            return f"{self.yaml_name} takes {wanted}, got {len(values)}"
        if self.integer_operand and not _is_integer(values[0]):
            return f"{self.yaml_name} compares integers; '{values[0]}' is not an integer"
        return None


def resolve_tokens(filter_operators: Mapping | Iterable[Mapping]) -> dict[ScopingOperator, str]:
    """Each operator → the exact token the service lists in `GET …/schema/filterOperators`.

    Accepts the response body or its `value` list; an entry's token is `name`, else `id` (the
    example uses `name`, the CSDL only has the entity `id`). Tokens that match no operator are
    ignored; operators the service does not list are absent from the result.
    """
    items = filter_operators.get("value", []) if isinstance(filter_operators, Mapping) else filter_operators
    resolved: dict[ScopingOperator, str] = {}
    for item in items:
        token = item.get("name") or item.get("id")
        operator = _BY_TOKEN.get(_fold(token)) if token else None
        if operator is not None:
            resolved.setdefault(operator, token)
    return resolved


def _fold(token: str) -> str:
    # scoping.md: "NOT EQUALS" vs "NOT_EQUALS", "IS TRUE" vs "ISTRUE" are all plausible spellings.
    return "".join(token.upper().replace("_", " ").split())


def _is_integer(value: str) -> bool:
    text = value.strip()
    return text.lstrip("+-").isdigit() and text.isascii()


def _unknown_message(what: str, name: str) -> str:
    close = difflib.get_close_matches(name, list(_BY_YAML), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    choices = ", ".join(sorted(_BY_YAML))
    return f"unknown {what}{hint}; expected one of: {choices}"


_BY_YAML: dict[str, ScopingOperator] = {op.yaml_name: op for op in ScopingOperator}
_BY_TOKEN: dict[str, ScopingOperator] = {_fold(op.token): op for op in ScopingOperator}
_NOT_SUPPORTED = frozenset({_fold("IsMemberOf")})
