"""`links:` — cross-tenant sync configurations: who pushes users into whom, and how.

A link lives in its source tenant (`from`) and pushes users into its target (`to`). Every field
but `from` / `to` is a `LinkSettings` field, which topologies reuse for their `defaults` and
`overrides`. Fields left out are unmanaged, except where compile applies the documented
defaults (`scope: assigned`, `state: started`, userType `Member`; see `compile_links.py`).

Expressions are parsed here, so a syntax error is a validation error; its pydantic context
carries the parser's column, which the loader turns into a position inside the YAML scalar.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from reconciler.model.base import ALIAS_PATTERN, Alias, Seq, StrictModel, is_alias
from reconciler.sync.expression import ExpressionSyntaxError, check_supported, parse, quote
from reconciler.sync.operators import ScopingOperator

EXPRESSION_ERROR = "expression_syntax"  # pydantic error type; ctx["column"] is 1-based in the expression

# The cross-tenant schema's matching attribute: Graph answers `schemaInvalid` to any change of it
# (SCHEMA-DEFAULT.md, ENDPOINTS.md §2 "Replace schema").
MATCHING_ATTRIBUTE = "alternativeSecurityIds"

_ATTRIBUTE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]*$"  # the characters the expression parser takes in [...]
_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

SCOPING_OPERATOR_NAMES = tuple(op.yaml_name for op in ScopingOperator)


def _non_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("non_empty", "must not be empty")
    return value


NonBlank = Annotated[str, AfterValidator(_non_blank), Field(min_length=1)]


def _name(value: str) -> str:
    if not is_alias(value):
        raise PydanticCustomError(
            "name", "a link or topology name starts with a lower-case letter and has only a-z, 0-9 and '-'"
        )
    return value


Name = Annotated[str, AfterValidator(_name), Field(pattern=ALIAS_PATTERN)]
"""A link or topology name: it ends up in addresses and in the configuration's display name."""
def _attribute_name(value: str) -> str:
    if not re.match(_ATTRIBUTE_PATTERN, value):
        raise PydanticCustomError(
            "attribute_name", "an attribute name starts with a letter and has only letters, digits and . _ : -"
        )
    return value


AttributeName = Annotated[str, AfterValidator(_attribute_name), Field(json_schema_extra={"pattern": _ATTRIBUTE_PATTERN})]


def _not_matching_attribute(value: str) -> str:
    if value.lower() == MATCHING_ATTRIBUTE.lower():
        raise PydanticCustomError(
            "matching_attribute",
            "alternativeSecurityIds is the matching attribute of cross-tenant sync; Graph refuses any change "
            "to it (schemaInvalid), so it cannot be mapped",
        )
    return value


MappingTarget = Annotated[AttributeName, AfterValidator(_not_matching_attribute)]


def _unique(kind: str) -> Any:
    def check(values: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for value in values:
            if value.lower() in seen:
                raise PydanticCustomError("listed_twice", "{kind} '{value}' is listed twice", {"kind": kind, "value": value})
            seen.add(value.lower())
        return values

    return AfterValidator(check)


class Assign(StrictModel):
    """The users and groups assigned to the configuration (in scope when `scope: assigned`).

    A group is named by display name or object id, a user by UPN or object id; names are
    resolved in the source tenant at plan time.
    """

    groups: Annotated[Seq(NonBlank), _unique("group")] | None = None
    users: Annotated[Seq(NonBlank), _unique("user")] | None = None


def _scoping_values(value: Any) -> Any:
    """`value: Sales`, `value: 1000` or `value: [Sales]` → a tuple of strings (Graph's `values`)."""
    items = value if isinstance(value, list) else [value]
    if all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in items):
        return tuple(str(item) for item in items)
    raise PydanticCustomError("scoping_value", "a scoping value is a string, an integer or a list of them")


class ScopingClause(StrictModel):
    """One clause of a scoping filter group (Graph `filterClause`)."""

    attribute: AttributeName
    operator: Literal[SCOPING_OPERATOR_NAMES]  # type: ignore[valid-type]
    value: Annotated[tuple[str, ...], BeforeValidator(_scoping_values)] | None = None

    @property
    def scoping_operator(self) -> ScopingOperator:
        return ScopingOperator.from_yaml(self.operator)

    @property
    def values(self) -> tuple[str, ...]:
        return self.value or ()

    @model_validator(mode="after")
    def _arity(self) -> ScopingClause:
        problem = self.scoping_operator.check_values(self.values)
        if problem:
            raise PydanticCustomError("scoping_arity", "{problem}", {"problem": problem})
        return self


def _one_clause_at_least(groups: tuple[tuple[ScopingClause, ...], ...]) -> tuple[tuple[ScopingClause, ...], ...]:
    if any(not group for group in groups):
        raise PydanticCustomError("empty_filter_group", "a scoping filter group needs at least one clause")
    return groups


ScopingFilters = Annotated[Seq(Seq(ScopingClause)), AfterValidator(_one_clause_at_least)]
"""OR of AND-groups: a user is in scope when every clause of at least one group holds."""

FlowType = Literal["always", "on_create"]


class AttributeMapping(StrictModel):
    """One target attribute's mapping: exactly one of `constant`, `direct`, `expression`."""

    constant: str | None = None
    direct: AttributeName | None = None
    expression: NonBlank | None = None
    apply: FlowType | None = None  # Graph's flowType Always / ObjectAddOnly; "always" when left out
    default: str | None = None  # Graph's defaultValue: used when the source is empty

    @field_validator("expression")
    @classmethod
    def _parses(cls, text: str) -> str:
        try:
            check_supported(parse(text))
        except ExpressionSyntaxError as err:
            raise PydanticCustomError(
                EXPRESSION_ERROR, "invalid expression: {message}", {"message": err.message, "column": err.column}
            ) from None
        return text

    @model_validator(mode="after")
    def _exactly_one_source(self) -> AttributeMapping:
        given = [name for name in ("constant", "direct", "expression") if getattr(self, name) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "mapping_source",
                "a mapping takes exactly one of constant, direct or expression{found}",
                {"found": f" (found: {', '.join(given)})" if given else ""},
            )
        return self

    def source_expression(self) -> str:
        """The mapping's source in canonical expression text (`[x]`, `"v"`, or the parsed expression)."""
        if self.constant is not None:
            return quote(self.constant)
        if self.direct is not None:
            return f"[{self.direct}]"
        return parse(self.expression or "").to_source()


def _email(value: str) -> str:
    if not re.match(_EMAIL_PATTERN, value):
        raise PydanticCustomError("email", "expected an e-mail address such as idops@contoso.com")
    return value


EmailAddress = Annotated[str, AfterValidator(_email), Field(json_schema_extra={"format": "email"})]


class Notify(StrictModel):
    """Failure notifications (`SyncNotificationSettings`): e-mailed to `emails` when `on_failure`."""

    emails: Annotated[Seq(EmailAddress), _unique("e-mail address")] | None = None
    on_failure: bool = True

    @model_validator(mode="after")
    def _recipients_when_enabled(self) -> Notify:
        if self.on_failure and not self.emails:
            raise PydanticCustomError(
                "notify_recipients", "notifications on failure need at least one address under emails"
            )
        return self


DELETION_THRESHOLD_OFF = "off"


def _threshold_branch(value: Any) -> str:
    return "{off}" if value == DELETION_THRESHOLD_OFF else "{count}"


def _at_least_one(value: int) -> int:
    if value < 1:
        raise PydanticCustomError(
            "deletion_threshold", "a deletion threshold is a number of deletions (at least 1), or off"
        )
    return value


DeletionThreshold = Annotated[
    Union[
        Annotated[Literal["off"], Tag("{off}")],
        Annotated[int, AfterValidator(_at_least_one), Field(ge=1), Tag("{count}")],
    ],
    Discriminator(_threshold_branch),
]
"""Accidental-deletions threshold: a number of deletions per cycle, or `off`."""

LINK_SETTING_FIELDS = ("scope", "assign", "scoping_filters", "mappings", "notify", "deletion_threshold", "state")


class LinkSettings(StrictModel):
    """Everything a link declares besides its two ends (also a topology's defaults and overrides)."""

    forbidden_keys: ClassVar = {
        "from": "a topology's shape (one_to_one, one_to_many, many_to_one, mesh) sets the ends of its links",
        "to": "a topology's shape (one_to_one, one_to_many, many_to_one, mesh) sets the ends of its links",
    }

    scope: Literal["assigned", "all"] | None = None
    assign: Assign | None = None
    scoping_filters: ScopingFilters | None = None
    mappings: dict[MappingTarget, AttributeMapping] | None = None
    notify: Notify | None = None
    deletion_threshold: DeletionThreshold | None = None
    state: Literal["started", "paused"] | None = None


class Link(LinkSettings):
    """One sync configuration: `from` (the source, where it lives) pushes users into `to`."""

    from_: Alias = Field(alias="from")
    to: Alias
