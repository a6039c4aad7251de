"""Building blocks of the desired-state models: the strict base model, `inherit`, GUIDs, lists.

Every model is strict (no coercion: `"yes"` is not a boolean), frozen, and forbids unknown keys.
Unknown, read-only and null keys are not left to pydantic's generic `extra_forbidden`: the
`StrictModel` before-validator moves them into a hidden field whose items fail one by one, so
each gets its own error at its own key (with a "did you mean" or a reason), and pydantic still
reports every other error of the same mapping in the same pass.

Union tags are spelled `{like-this}` so that the loader can tell them apart from YAML keys when it
maps an error's `loc` back to a position.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Final, Literal, TypeVar, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

T = TypeVar("T")

INHERIT: Final = "inherit"
Inherit = Literal["inherit"]
"""Graph's `null` on a setting: inherit from the default configuration."""

ABSENT: Final = "absent"

PROBLEMS_FIELD: Final = "__problems__"
"""Name of the hidden field that carries unknown / forbidden / null keys (see the module doc)."""

INHERIT_TAG: Final = "{inherit}"
VALUE_OR_INHERIT_TAG: Final = "{value-or-inherit}"
ABSENT_TAG: Final = "{absent}"
VALUE_OR_ABSENT_TAG: Final = "{value-or-absent}"
# The alternative a user could have written instead, by the tag of the branch that failed.
TAG_ALTERNATIVES: Final[Mapping[str, str]] = {VALUE_OR_INHERIT_TAG: INHERIT, VALUE_OR_ABSENT_TAG: ABSENT}

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ALIAS_RE = re.compile(r"^[a-z][a-z0-9-]*$")
ALIAS_PATTERN: Final = _ALIAS_RE.pattern


def is_guid(value: object) -> bool:
    return isinstance(value, str) and bool(_GUID_RE.match(value))


def is_alias(value: object) -> bool:
    return isinstance(value, str) and bool(_ALIAS_RE.match(value))


def _guid(value: str) -> str:
    if not is_guid(value):
        raise PydanticCustomError("guid", "expected a GUID (8-4-4-4-12 hexadecimal digits)")
    return value.lower()


def _alias(value: str) -> str:
    if is_guid(value):
        raise PydanticCustomError("alias", "an alias must not be a GUID (the tenant id goes in tenant_id)")
    if not is_alias(value):
        raise PydanticCustomError(
            "alias",
            "an alias starts with a lower-case letter and has only a-z, 0-9 and '-' ([a-z][a-z0-9-]*)",
        )
    return value


Guid = Annotated[str, AfterValidator(_guid), Field(json_schema_extra={"format": "uuid"})]
"""A GUID, kept lower-case (Graph compares tenant ids case-insensitively)."""

Alias = Annotated[str, AfterValidator(_alias), Field(pattern=ALIAS_PATTERN)]


def _list_as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def Seq(item: Any) -> Any:  # noqa: N802 - a type factory, read as a type
    """A YAML list, held as a tuple so that frozen models stay immutable all the way down."""
    return Annotated[tuple[item, ...], BeforeValidator(_list_as_tuple)]


def _inherit_or_value(value: Any) -> str:
    return INHERIT_TAG if value == INHERIT else VALUE_OR_INHERIT_TAG


OrInherit = Annotated[
    Union[Annotated[Inherit, Tag(INHERIT_TAG)], Annotated[T, Tag(VALUE_OR_INHERIT_TAG)]],
    Discriminator(_inherit_or_value),
]
"""`T`, or the string `inherit` (compiled to Graph's `null`)."""


def _absent_or_value(value: Any) -> str:
    return ABSENT_TAG if value == ABSENT else VALUE_OR_ABSENT_TAG


OrAbsent = Annotated[
    Union[Annotated[Literal["absent"], Tag(ABSENT_TAG)], Annotated[T, Tag(VALUE_OR_ABSENT_TAG)]],
    Discriminator(_absent_or_value),
]
"""`T`, or the string `absent` (the object is deleted)."""


def is_inherit(value: object) -> bool:
    return value == INHERIT


READ_ONLY: Final = "is read-only (computed by Graph); remove it"


class _KeyProblem:
    """A key the before-validator rejected; the hidden field's validator raises its message."""

    def __init__(self, message: str):
        self.message = message


def _raise_problem(value: Any) -> Any:
    message = value.message if isinstance(value, _KeyProblem) else "invalid key"
    raise PydanticCustomError("invalid_key", "{reason}", {"reason": message})


def _mentions_tag(annotation: Any, tag: str) -> bool:
    """Whether a (possibly nested, Annotated, Union) type has a branch tagged `tag`."""
    if isinstance(annotation, Tag):
        return annotation.tag == tag
    return any(_mentions_tag(arg, tag) for arg in (*get_args(annotation), *getattr(annotation, "__metadata__", ())))


class StrictModel(BaseModel):
    """Base of every desired-state model: strict, frozen, unknown keys are errors.

    `forbidden_keys` maps keys that are not fields but deserve a specific message (read-only
    Graph properties, inline secrets, a setting Graph keeps elsewhere) to that message.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    forbidden_keys: ClassVar[Mapping[str, str]] = {}

    problems: SkipJsonSchema[dict[Any, Annotated[Any, BeforeValidator(_raise_problem)]]] = Field(
        default_factory=dict, alias=PROBLEMS_FIELD, exclude=True, repr=False
    )

    @model_validator(mode="before")
    @classmethod
    def _collect_key_problems(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.yaml_keys()
        known = sorted(fields)
        kept: dict[Any, Any] = {}
        problems: dict[Any, Any] = {}
        for key, value in data.items():
            if key in fields:
                if value is None:
                    problems[key] = _KeyProblem(cls._null_message(fields[key]))
                else:
                    kept[key] = value
            elif isinstance(key, str) and key in cls.forbidden_keys:
                problems[key] = _KeyProblem(cls.forbidden_keys[key])
            else:
                problems[key] = _KeyProblem(unknown_key_message(key, known))
        if problems:
            kept[PROBLEMS_FIELD] = problems
        return kept

    @classmethod
    def yaml_keys(cls) -> dict[str, str]:
        """YAML key → field name; a field whose key is a Python keyword (`from`) has an alias."""
        return {field.alias or name: name for name, field in cls.model_fields.items() if name != "problems"}

    @classmethod
    def _null_message(cls, key: str) -> str:
        field = cls.model_fields[key]
        if _mentions_tag(field.annotation, INHERIT_TAG) or any(_mentions_tag(m, INHERIT_TAG) for m in field.metadata):
            return "null is not allowed here: write inherit for Graph's null, or leave the key out"
        return "null is not allowed here: leave the key out"

    def declared(self) -> dict[str, Any]:
        """The fields written in the YAML, by name (null is rejected, so none is None)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set
                and name != "problems"}


def unknown_key_message(key: object, known: list[str]) -> str:
    if not isinstance(key, str):
        return f"unknown key {key!r} (keys are strings)"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        # Graph's camelCase names are a common slip: compare without case and underscores.
        squashed = {k.replace("_", "").lower(): k for k in known}
        hit = squashed.get(key.replace("_", "").lower())
        close = [hit] if hit else []
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    if known:
        return f"unknown key '{key}' (expected one of: {', '.join(known)})"
    return f"unknown key '{key}'"
