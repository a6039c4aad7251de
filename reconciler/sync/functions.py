"""Entra's attribute-mapping functions: names, parameter lists and arity.

Source: MicrosoftDocs/entra-docs `functions-for-customizing-application-data.md` (@dda85497, checked
against the 2024-08 revision) for every documented function; Graph's `GET …/schema/functions`
example for `DefaultDomain` and `AppRoleAssignments`; the cross-tenant docs for `AltSecIdFromNetId`.

Parameter names are the docs' names in Graph's camelCase (`Left(String, NumChars)` → `string`,
`numChars`). Graph uses them as the `key` of each `stringKeyAttributeMappingSourceValuePair`
(Append, Mid and FormatDateTime agree with the functions endpoint), except where `graph_key` says
otherwise (Replace, from the parseExpression example). Keys the reference does not show are
*inferred*; `graph_key` is the one place to correct them. A repeating parameter is *inferred* to
repeat its key once per occurrence. The docs name AppRoleAssignmentsComplex's and
SingleAppRoleAssignment's parameter "[appRoleAssignments]" (the attribute); `source` is inferred.

The live service's list (`GET …/schema/functions`) is authoritative where it is available:
`FunctionCatalog.from_graph()` builds a catalog from it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Parameter:
    """One formal parameter. `repeating` mirrors Graph's `allowMultipleOccurrences`."""

    name: str
    required: bool = True
    type: str = "String"
    repeating: bool = False
    graph_key: str | None = None

    @property
    def key(self) -> str:
        """The `key` this parameter has in Graph's `attributeMappingSource.parameters`."""
        return self.graph_key or self.name


@dataclass(frozen=True)
class Signature:
    """A parameter list: fixed parameters, then an optional group repeated `min_repeats`+ times.

    Switch is `source, defaultValue, (key, value)+`; Join is `separator, (source)+`.
    """

    fixed: tuple[Parameter, ...] = ()
    repeated: tuple[Parameter, ...] = ()
    min_repeats: int = 0

    @property
    def min_args(self) -> int:
        # Trailing optional fixed parameters may be left off entirely; inner ones are passed empty.
        required = [i for i, p in enumerate(self.fixed) if p.required]
        fixed_min = (required[-1] + 1) if required else 0
        if self.repeated and self.min_repeats:
            return len(self.fixed) + self.min_repeats * len(self.repeated)
        return fixed_min

    @property
    def max_args(self) -> int | None:
        return None if self.repeated else len(self.fixed)

    def accepts(self, count: int) -> bool:
        if count < self.min_args:
            return False
        if not self.repeated:
            return count <= len(self.fixed)
        return (count - len(self.fixed)) % len(self.repeated) == 0

    def parameter_at(self, index: int) -> Parameter:
        """The formal parameter bound to argument `index` (0-based); assumes `accepts()`."""
        if index < len(self.fixed):
            return self.fixed[index]
        return self.repeated[(index - len(self.fixed)) % len(self.repeated)]

    def parameters_for(self, count: int) -> tuple[Parameter, ...]:
        return tuple(self.parameter_at(i) for i in range(count))


@dataclass(frozen=True)
class FunctionSpec:
    """A function and its signatures (more than one only where Entra documents two call forms)."""

    name: str
    signatures: tuple[Signature, ...]
    documented: bool = True
    notes: str = ""

    def signature_for(self, count: int) -> Signature | None:
        return next((s for s in self.signatures if s.accepts(count)), None)

    def arity_description(self) -> str:
        """'2 arguments', 'at least 2 arguments', '3 or 4 arguments', 'no arguments'."""
        if any(s.repeated for s in self.signatures):
            low = min(s.min_args for s in self.signatures)
            return f"at least {_count(low)}"
        counts = sorted({n for s in self.signatures for n in range(s.min_args, len(s.fixed) + 1)})
        if counts == [0]:
            return "no arguments"
        if len(counts) == 1:
            return _count(counts[0])
        if len(counts) == 2:
            return f"{counts[0]} or {_count(counts[1])}"
        return f"{counts[0]} to {_count(counts[-1])}"


def _count(n: int) -> str:
    return f"{n} argument" if n == 1 else f"{n} arguments"


@dataclass(frozen=True)
class FunctionCatalog:
    """Function name → spec. Names are case-sensitive ("The syntax is case-sensitive", Entra docs)."""

    functions: Mapping[str, FunctionSpec] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.functions

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.functions))

    def __len__(self) -> int:
        return len(self.functions)

    def get(self, name: str) -> FunctionSpec | None:
        return self.functions.get(name)

    def suggest(self, name: str) -> str | None:
        """The known name closest to `name`: a case-only difference first, then a near spelling."""
        folded = {known.casefold(): known for known in self.functions}
        if name.casefold() in folded:
            return folded[name.casefold()]
        close = difflib.get_close_matches(name, list(self.functions), n=1, cutoff=0.75)
        return close[0] if close else None

    @classmethod
    def of(cls, specs: Iterable[FunctionSpec]) -> FunctionCatalog:
        return cls({spec.name: spec for spec in specs})

    @classmethod
    def from_graph(cls, functions_response: Mapping) -> FunctionCatalog:
        """Build from `GET …/schema/functions` (`{"value": [attributeMappingFunctionSchema]}`).

        The example returns `name`; the CSDL type only has the entity `id` (uncertain which the
        service sends), so either is accepted. A required parameter after an optional one cannot
        be told apart positionally; each listed parameter keeps its own `required` flag.
        """
        specs = []
        for item in functions_response.get("value", []):
            name = item.get("name") or item.get("id")
            if not name:
                continue
            fixed: list[Parameter] = []
            repeated: list[Parameter] = []
            for raw in item.get("parameters") or []:
                parameter = Parameter(
                    name=raw["name"],
                    required=bool(raw.get("required", True)),
                    type=raw.get("type", "String"),
                    repeating=bool(raw.get("allowMultipleOccurrences", False)),
                )
                (repeated if parameter.repeating else fixed).append(parameter)
            signature = Signature(
                fixed=tuple(fixed),
                repeated=tuple(repeated),
                min_repeats=1 if any(p.required for p in repeated) else 0,
            )
            specs.append(FunctionSpec(name=name, signatures=(signature,)))
        return cls.of(specs)


def _fn(name: str, *params: Parameter, documented: bool = True, notes: str = "") -> FunctionSpec:
    return FunctionSpec(name, (Signature(fixed=params),), documented=documented, notes=notes)


def _p(name: str, type_: str = "String", *, required: bool = True, key: str | None = None) -> Parameter:
    return Parameter(name=name, required=required, type=type_, graph_key=key)


def _opt(name: str, type_: str = "String", *, key: str | None = None) -> Parameter:
    return Parameter(name=name, required=False, type=type_, graph_key=key)


def _rep(name: str, type_: str = "String") -> Parameter:
    return Parameter(name=name, required=True, type=type_, repeating=True)


ENTRA_FUNCTIONS = FunctionCatalog.of(
    [
        _fn("Append", _p("source"), _p("suffix")),
        _fn("AppRoleAssignmentsComplex", _p("source")),
        _fn("BitAnd", _p("value1", "Num"), _p("value2", "Num")),
        _fn("CBool", _p("expression", "Expression")),
        _fn("CDate", _p("expression", "Expression")),
        # Docs: "source1 … sourceN" then an optional defaultValue. A trailing default cannot be told
        # apart from one more source (and behaves the same), so all arguments are sources.
        FunctionSpec("Coalesce", (Signature(repeated=(_rep("source"),), min_repeats=1),)),
        _fn("ConvertToBase64", _p("source")),
        _fn("ConvertToUTF8Hex", _p("source")),
        _fn("Count", _p("attribute", "Attribute")),
        _fn("CStr", _p("value", "Expression")),
        _fn("DateAdd", _p("interval"), _p("value", "Number"), _p("dateTime", "DateTime")),
        _fn("DateDiff", _p("interval"), _p("date1", "DateTime"), _p("date2", "DateTime")),
        _fn("DateFromNum", _p("value", "Date")),
        # Two call forms: the docs' four (dateTimeStyles second, optional) and the three listed by
        # Graph's functions endpoint (source, inputFormat, outputFormat), which older docs use.
        FunctionSpec(
            "FormatDateTime",
            (
                Signature(fixed=(_p("source"), _p("inputFormat"), _p("outputFormat"))),
                Signature(
                    fixed=(_p("source"), _opt("dateTimeStyles"), _p("inputFormat"), _p("outputFormat"))
                ),
            ),
        ),
        _fn("Guid"),
        _fn("IgnoreFlowIfNullOrEmpty", _p("expression", "Expression")),
        _fn("IIF", _p("condition", "Expression"), _p("valueIfTrue"), _p("valueIfFalse")),
        _fn("InStr", _p("value1"), _p("value2"), _opt("start", "Integer"), _opt("compareType", "Enum")),
        _fn("IsNull", _p("expression", "Expression")),
        _fn("IsNullOrEmpty", _p("expression", "Expression")),
        _fn("IsPresent", _p("expression", "Expression")),
        _fn("IsString", _p("expression", "Expression")),
        _fn("Item", _p("attribute", "Attribute"), _p("index", "Integer")),
        FunctionSpec("Join", (Signature(fixed=(_p("separator"),), repeated=(_rep("source"),), min_repeats=1),)),
        _fn("Left", _p("string", "Attribute"), _p("numChars", "Integer")),
        _fn("Mid", _p("source"), _p("start", "Integer"), _p("length", "Integer")),
        _fn("NormalizeDiacritics", _p("source")),
        _fn("Not", _p("source", "Boolean")),
        _fn("Now"),
        _fn("NumFromDate", _p("value")),
        _fn("PCase", _p("source"), _opt("wordSeparators")),
        _fn(
            "RandomString",
            _p("length", "Number"),
            _p("minimumNumbers", "Number"),
            _p("minimumSpecialCharacters", "Number"),
            _p("minimumCapital", "Number"),
            _p("minimumLowerCase", "Number"),
            _opt("charactersToAvoid"),
        ),
        _fn("Redact", _p("source")),
        _fn("RemoveDuplicates", _p("attribute", "Attribute")),
        # Graph's parseExpression example keys oldValue as "Find" and replacementValue as
        # "Replacement"; the other keys are not shown anywhere (inferred: the docs' names).
        _fn(
            "Replace",
            _p("source"),
            _opt("oldValue", key="Find"),
            _opt("regexPattern"),
            _opt("regexGroupName"),
            _opt("replacementValue", key="Replacement"),
            _opt("replacementAttributeName"),
            _opt("template"),
        ),
        FunctionSpec(
            "SelectUniqueValue",
            (Signature(repeated=(_rep("uniqueValueRule"),), min_repeats=2),),
            notes="top level only; not supported for cross-tenant synchronization (Entra docs)",
        ),
        _fn("SingleAppRoleAssignment", _p("source")),
        _fn("Split", _p("source"), _p("delimiter")),
        _fn("StripSpaces", _p("source")),
        FunctionSpec(
            "Switch",
            (
                Signature(
                    fixed=(_p("source"), _opt("defaultValue")),
                    repeated=(_rep("key"), _rep("value")),
                    min_repeats=1,
                ),
            ),
        ),
        _fn("ToLower", _p("source"), _opt("culture")),
        _fn("ToUpper", _p("source"), _opt("culture")),
        _fn("Word", _p("string"), _p("wordNumber", "Integer"), _p("delimiters")),
        # Listed by Graph's functions endpoint example, absent from the expression reference.
        _fn("AppRoleAssignments", _p("source"), documented=False, notes="Graph functions endpoint only"),
        _fn("DefaultDomain", documented=False, notes="Graph functions endpoint only"),
        # The cross-tenant schema's fixed matching mapping; its parameter name is not shown (inferred).
        _fn(
            "AltSecIdFromNetId",
            _p("source"),
            documented=False,
            notes="cross-tenant default schema matching attribute; parameter name inferred",
        ),
    ]
)

# Bare names the docs pass as arguments (`InStr("repEated", "e", 3, vbBinaryCompare)`).
KEYWORDS: frozenset[str] = frozenset({"vbTextCompare", "vbBinaryCompare"})
