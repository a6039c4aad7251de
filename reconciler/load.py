"""Policy folder → `DesiredState`, or one `ConfigError` listing every problem found.

Every `*.yaml` / `*.yml` under the folder (recursively, sorted; hidden folders and files are
skipped) is parsed with positions, the files are merged (each key declared once across all
files; only the namespaces in `MERGEABLE` are shared between files), the result is validated
by the models, and the cross-references are checked. Each problem becomes a `Diagnostic` with
the field path and `file:line:column`; nothing raises past here except `ConfigError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import ConfigError, Diagnostic, SourceLocation
from reconciler.model.base import PROBLEMS_FIELD, TAG_ALTERNATIVES
from reconciler.model.links import EXPRESSION_ERROR
from reconciler.model.references import check_references
from reconciler.model.source_columns import value_position
from reconciler.model.state import DesiredState
from reconciler.yamlpos import NodePath, NodePosition, dotted, parse_yaml

# Mappings whose keys may come from several files; everything else is declared in one place.
MERGEABLE: tuple[tuple[str, ...], ...] = (
    (),
    ("tenants",),
    ("access",),
    ("access", "*"),
    ("access", "*", "partners"),
    ("links",),
    ("topologies",),
)

_SUFFIXES = (".yaml", ".yml")


def load_policies(directory: Path) -> DesiredState:
    """Load and validate the policy folder; raises `ConfigError` with every problem at once."""
    files = policy_files(directory)
    diagnostics: list[Diagnostic] = []
    merged = _Merge()
    texts: dict[str, str] = {}  # file → text, to place errors inside a scalar (expressions)
    all_parsed = True
    for path in files:
        name = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            diagnostics.append(Diagnostic(f"cannot read the file: {_reason(err)}", "", SourceLocation(name, 1, 1)))
            all_parsed = False
            continue
        texts[name] = text
        parsed = parse_yaml(text, name)
        diagnostics.extend(parsed.diagnostics)
        if parsed.fatal:
            all_parsed = False
            continue
        if parsed.data is None:
            continue  # an empty file
        if not isinstance(parsed.data, dict):
            where = parsed.positions[()].value
            diagnostics.append(
                Diagnostic("the top level of a policy file must be a mapping (tenants:, access:, links:, topologies:)", "", where)
            )
            all_parsed = False
            continue
        diagnostics.extend(merged.add(parsed.data, parsed.positions))

    diagnostics.extend(validate(merged.data, merged.positions, check_refs=all_parsed, texts=texts))
    if diagnostics:
        raise ConfigError(diagnostics)
    return DesiredState.from_data(merged.data, {path: pos.declared_at for path, pos in merged.positions.items()})


def policy_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise ConfigError([Diagnostic(f"the policy folder '{display_path(directory)}' does not exist")])
    files = sorted(
        (
            path
            for path in directory.rglob("*")
            if path.suffix in _SUFFIXES
            and path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(directory).parts)
        ),
        key=lambda p: p.relative_to(directory).as_posix(),
    )
    if not files:
        raise ConfigError(
            [Diagnostic(f"no policy files (*.yaml, *.yml) found under '{display_path(directory)}'")]
        )
    return files


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it, else absolute."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)


def _reason(err: Exception) -> str:
    if isinstance(err, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return getattr(err, "strerror", None) or str(err)


class _Merge:
    """Accumulates files into one mapping; a key declared in two places is reported at the second."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.positions: dict[NodePath, NodePosition] = {}

    def add(self, data: dict[Any, Any], positions: Mapping[NodePath, NodePosition]) -> list[Diagnostic]:
        problems: list[Diagnostic] = []
        rejected: list[NodePath] = []
        self._merge(self.data, data, (), positions, problems, rejected)
        for path, position in positions.items():
            if not any(path[: len(r)] == r for r in rejected):
                self.positions.setdefault(path, position)
        return problems

    def _merge(
        self,
        target: dict[Any, Any],
        incoming: dict[Any, Any],
        path: NodePath,
        positions: Mapping[NodePath, NodePosition],
        problems: list[Diagnostic],
        rejected: list[NodePath],
    ) -> None:
        for key, value in incoming.items():
            child = (*path, key)
            if key not in target:
                target[key] = value
            elif _is_mergeable(child) and isinstance(target[key], dict) and isinstance(value, dict):
                self._merge(target[key], value, child, positions, problems, rejected)
            else:
                first = self.positions[child].declared_at
                problems.append(
                    Diagnostic(
                        f"'{dotted(child)}' is declared twice: here and at {first}",
                        dotted(child),
                        positions[child].declared_at,
                    )
                )
                rejected.append(child)


def _is_mergeable(path: NodePath) -> bool:
    return any(
        len(pattern) == len(path) and all(p == "*" or p == q for p, q in zip(pattern, path))
        for pattern in MERGEABLE
    )


def validate(
    data: Mapping[Any, Any],
    positions: Mapping[NodePath, NodePosition],
    *,
    check_refs: bool = True,
    texts: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Schema and cross-reference problems of merged data, located with `positions`.

    `texts` (file → text) lets an error inside an expression point at its column in the file.
    """
    locator = _Locator(positions, texts or {})
    diagnostics: list[Diagnostic] = []
    try:
        DesiredState.model_validate(data)
    except ValidationError as err:
        diagnostics.extend(_diagnostic(error, data, locator) for error in err.errors())
    if check_refs:
        # References to a file that did not parse would only add noise: they wait for the next run.
        diagnostics.extend(check_references(data, locator.declared_at))
    return _unique(diagnostics)


def _unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str, SourceLocation | None]] = set()
    out = []
    for d in diagnostics:
        if (d.message, d.path, d.location) not in seen:
            seen.add((d.message, d.path, d.location))
            out.append(d)
    return out


class _Locator:
    def __init__(self, positions: Mapping[NodePath, NodePosition], texts: Mapping[str, str]):
        self._positions = positions
        self._texts = texts

    def _nearest(self, path: NodePath) -> NodePosition | None:
        for end in range(len(path), -1, -1):
            position = self._positions.get(tuple(path[:end]))
            if position is not None:
                return position
        return None

    def declared_at(self, path: NodePath) -> SourceLocation | None:
        position = self._nearest(path)
        return position.declared_at if position else None

    def value_at(self, path: NodePath) -> SourceLocation | None:
        position = self._positions.get(tuple(path))
        return position.value if position else self.declared_at(path)

    def inside_value(self, path: NodePath, value: str, offset: int) -> SourceLocation | None:
        """Where character `offset` of the scalar at `path` is (the scalar's start if unknown)."""
        start = self.value_at(path)
        position = self._positions.get(tuple(path))
        text = self._texts.get(start.file) if start and position else None
        if start is None or text is None:
            return start
        found = value_position(text, start.line, start.column, value, offset)
        return SourceLocation(start.file, *found) if found else start


# --- pydantic errors → diagnostics -------------------------------------------------------------

_EXPECTED = {
    "bool_type": "true or false",
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
}
# Custom errors whose message reads better with the offending value after it.
_ECHO_INPUT = {"guid", "alias", "name", "attribute_name", "partner_key", "https_url"}
_QUOTED = re.compile(r"'([^']*)'")


def _diagnostic(error: Mapping[str, Any], data: Any, locator: _Locator) -> Diagnostic:
    path, node, about_key, alternative = _walk(data, error["loc"], error["type"] == "missing")
    sensitive = len(path) > 2 and path[0] == "tenants" and path[2] == "auth"
    message = _message(error, path, alternative, sensitive)
    if error["type"] == "missing":
        location = locator.declared_at(path[:-1])
    elif error["type"] == EXPRESSION_ERROR and isinstance(node, str):
        column = int((error.get("ctx") or {}).get("column", 1))
        location = locator.inside_value(path, node, max(column - 1, 0))
    elif about_key or isinstance(node, (dict, list)):
        location = locator.declared_at(path)
    else:
        location = locator.value_at(path)
    return Diagnostic(message, dotted(path), location)


def _walk(data: Any, loc: tuple[Any, ...], missing: bool) -> tuple[NodePath, Any, bool, str | None]:
    """Map pydantic's `loc` onto the YAML: keep data keys and indexes, drop union tags.

    Returns the YAML path, the node there, whether the error is about a key, and the alternative
    (`inherit`, `absent`) the failed union branch had.
    """
    path: list[Any] = []
    node = data
    about_key = False
    alternative: str | None = None
    for index, segment in enumerate(loc):
        if segment == PROBLEMS_FIELD or segment == "[key]":
            about_key = True
        elif isinstance(node, dict) and segment in node:
            path.append(segment)
            node = node[segment]
            alternative = None
        elif isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
            path.append(segment)
            node = node[segment]
            alternative = None
        elif isinstance(segment, str) and segment.startswith("{") and segment.endswith("}"):
            alternative = TAG_ALTERNATIVES.get(segment)
        elif missing and index == len(loc) - 1:
            path.append(segment)
            node = None
        # anything else is pydantic-internal (a validator's name): not a YAML node
    return tuple(path), node, about_key, alternative


def _message(error: Mapping[str, Any], path: NodePath, alternative: str | None, sensitive: bool) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return f"missing required key '{path[-1]}'"
    if kind == "literal_error":
        choices = _QUOTED.findall(str((error.get("ctx") or {}).get("expected", "")))
        if alternative:
            choices.append(alternative)
        text = f"expected {_one_of(choices)}"
        if not sensitive:
            text += f", got {_describe(value)}"
            if isinstance(value, str):
                close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
                text += f"; did you mean '{close[0]}'?" if close else ""
        return text
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if alternative:
            expected = f"true, false or '{alternative}'" if kind == "bool_type" else f"{expected} or '{alternative}'"
        return f"expected {expected}" + ("" if sensitive else f", got {_describe(value)}")
    message = str(error["msg"])
    if kind in _ECHO_INPUT and not sensitive:
        message += f", got {_describe(value)}"
    return message


def _one_of(choices: list[str]) -> str:
    quoted = [f"'{c}'" for c in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return f"'{value if len(value) <= 60 else value[:57] + '...'}'"
    if isinstance(value, (dict, list, tuple)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"a {type(value).__name__} ({value})"
