"""One YAML file → plain data plus the position of every node, and every duplicate key.

The file is composed with ruamel's round-trip loader into nodes, which carry 0-based marks
(converted here, once, to 1-based `SourceLocation`s). Converting the nodes ourselves, rather
than letting the constructor build a CommentedMap, lets us report *every* duplicate key (the
constructor stops at the first) and keep a position for each scalar, sequence item and key.
Scalars are still built by ruamel's constructor, then reduced to plain bool/int/float/str.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Diagnostic, SourceLocation

NodePath = tuple[Any, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_CORE_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}


@dataclass(frozen=True)
class NodePosition:
    """Where a node is: its key (for a mapping entry) and its value."""

    value: SourceLocation
    key: SourceLocation | None = None

    @property
    def declared_at(self) -> SourceLocation:
        return self.key or self.value


@dataclass
class ParsedFile:
    data: Any = None  # None for an empty file
    # A problem after which the data cannot be trusted (syntax, unsupported tag); a duplicate
    # key is not one: the first declaration is kept and the rest of the file still checked.
    fatal: bool = False
    positions: dict[NodePath, NodePosition] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def dotted(path: NodePath) -> str:
    return ".".join(str(p) for p in path)


def parse_yaml(text: str, display_name: str) -> ParsedFile:
    """Parse one file's text; problems are returned as diagnostics, never raised."""
    parsed = ParsedFile()
    yaml = YAML(typ="rt")
    try:
        root = yaml.compose(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = _location(display_name, mark) if mark else SourceLocation(display_name, 1, 1)
        problem = err.problem or err.context or "invalid YAML"
        if err.context and err.problem and err.problem.startswith("but "):
            problem = f"{err.context} {err.problem}"  # "expected a single document … but found another"
        parsed.fatal = True
        parsed.diagnostics.append(Diagnostic(f"YAML syntax error: {problem}", "", where))
        return parsed
    except YAMLError as err:  # unmarked errors (e.g. reader errors)
        parsed.fatal = True
        parsed.diagnostics.append(Diagnostic(f"YAML error: {err}", "", SourceLocation(display_name, 1, 1)))
        return parsed
    if root is None:
        return parsed
    converter = _Converter(yaml, display_name, parsed)
    parsed.data = converter.convert(root, (), None)
    return parsed


def _location(file: str, mark: Any) -> SourceLocation:
    return SourceLocation(file, mark.line + 1, mark.column + 1)


class _Converter:
    def __init__(self, yaml: YAML, file: str, parsed: ParsedFile):
        self._constructor = yaml.constructor
        self._file = file
        self._parsed = parsed
        self._active: set[int] = set()  # nodes being converted: an alias cycle guard

    def _loc(self, node: Node) -> SourceLocation:
        return _location(self._file, node.start_mark)

    def _error(self, message: str, path: NodePath, node: Node, fatal: bool = True) -> None:
        self._parsed.fatal = self._parsed.fatal or fatal
        self._parsed.diagnostics.append(Diagnostic(message, dotted(path), self._loc(node)))

    def convert(self, node: Node, path: NodePath, key_node: Node | None) -> Any:
        self._parsed.positions.setdefault(
            path, NodePosition(self._loc(node), self._loc(key_node) if key_node is not None else None)
        )
        if node.tag not in _CORE_TAGS:
            self._error(f"YAML tag '{node.tag}' is not supported here", path, node)
            return None
        if id(node) in self._active:
            self._error("a YAML alias refers to a node that contains it", path, node)
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.convert(item, (*path, index), None) for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        self._error("unsupported YAML node", path, node)
        return None

    def _scalar(self, node: ScalarNode, path: NodePath) -> Any:
        try:
            value = self._constructor.construct_object(node, deep=True)
        except YAMLError as err:
            self._error(f"invalid YAML value: {getattr(err, 'problem', None) or err}", path, node)
            return None
        # ruamel's round-trip scalars subclass int/float/str (ScalarBoolean is an int!): reduce them.
        if isinstance(value, bool) or type(value).__name__ == "ScalarBoolean":
            return bool(value)
        for plain in (int, float, str):
            if isinstance(value, plain):
                return plain(value)
        return value

    def _mapping(self, node: MappingNode, path: NodePath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Node] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode):
                self._error("a mapping key must be a plain value, not a list or mapping", path, key_node)
                continue
            key = self._scalar(key_node, path)
            if key in first_seen:
                self._error(
                    f"duplicate key '{key}' (first declared at {self._loc(first_seen[key])})",
                    (*path, key),
                    key_node,
                    fatal=False,
                )
                continue
            first_seen[key] = key_node
            result[key] = self.convert(value_node, (*path, key), key_node)
        # `<<: *anchor` fills in keys not written explicitly (YAML merge-key semantics).
        for source in merged:
            for key_node, value_node in source.value:
                if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE_TAG:
                    key = self._scalar(key_node, path)
                    if key not in result:
                        result[key] = self.convert(value_node, (*path, key), key_node)
        return result

    def _merge_sources(self, node: Node, path: NodePath) -> list[MappingNode]:
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(isinstance(item, MappingNode) for item in node.value):
            return list(node.value)
        self._error("'<<' (merge key) takes a mapping or a list of mappings", path, node)
        return []
