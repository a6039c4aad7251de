"""Pure edits of a cross-tenant synchronization schema: read the managed view, lay it over.

The schema is replaced whole by PUT (ENDPOINTS.md §2), so a write takes the live schema, replaces
the attribute mapping of each declared target attribute (adding it when missing), sets the
scoping filter when it is managed, and leaves everything else as it was.

The managed view of the User → User object mapping of rule `USER_INBOUND_USER`:

    {"mappings": {"<targetAttr>": {"expression": "<canonical source>", "flow": "always" | "on_create",
                                   "default": str | None}},
     "scopingFilters": [[{"attribute", "operator", "values"}, ...], ...]}   # OR of ANDs

Decisions:
- The matching attribute (`alternativeSecurityIds`, matching priority 1) cannot be changed in
  cross-tenant sync (`schemaInvalid`); a declared mapping for it is refused here, before any call.
- The default scoping group "Filter external users" (`alternativeSecurityIds EQUALS 'None'`,
  SCHEMA-DEFAULT.md) keeps B2B guests from being synced back. Groups are OR-ed, so keeping it as a
  group of its own next to declared groups would let every internal user through and make the
  declared filters void. Instead its clause (the *guard*) is AND-ed into every declared group, and
  reading strips one guard clause from each group. Declared `[]` (no attribute filter) writes the
  default group alone. Limitation: a group whose guard was removed by hand reads the same as one
  that has it, so that drift is not shown.
- Only `scope.groups` is managed; `inputFilterGroups` and `categoryFilterGroups` are kept.
- A flow type other than Always / ObjectAddOnly reads as Graph's token (`MultiValueAddOnly`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import CrosstenantError
from reconciler.sync.expression import parse
from reconciler.sync.to_graph import MappingSourceError, from_attribute_mapping_source, to_attribute_mapping_source

USER_RULE_NAME = "USER_INBOUND_USER"
# The source directory's name changed with the product rename (ENDPOINTS.md §5): match both.
SOURCE_DIRECTORY_NAMES = frozenset({"Azure Active Directory", "Microsoft Entra ID"})
USER_OBJECT = "User"
MATCHING_ATTRIBUTE = "alternativeSecurityIds"

FLOW_TO_GRAPH = {"always": "Always", "on_create": "ObjectAddOnly"}
FLOW_FROM_GRAPH = {graph: flow for flow, graph in FLOW_TO_GRAPH.items()}

GUARD_CLAUSE: dict[str, Any] = {
    "operatorName": "EQUALS",
    "sourceOperandName": MATCHING_ATTRIBUTE,
    "targetOperand": {"values": ["None"]},
}
DEFAULT_GROUP_NAME = "Filter external users"

Clause = dict[str, Any]  # {"attribute", "operator", "values"}
Filters = list[list[Clause]]


class SchemaEditError(CrosstenantError):
    """The live schema lacks what a link manages, or a declared edit is one Graph refuses."""


def user_object_mapping(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The User → User object mapping of the cross-tenant user rule (the object itself, not a copy)."""
    for rule in schema.get("synchronizationRules") or ():
        if rule.get("name") != USER_RULE_NAME or rule.get("sourceDirectoryName") not in SOURCE_DIRECTORY_NAMES:
            continue
        for mapping in rule.get("objectMappings") or ():
            if mapping.get("sourceObjectName") == USER_OBJECT and mapping.get("targetObjectName") == USER_OBJECT:
                return mapping
    raise SchemaEditError(
        f"the schema has no {USER_OBJECT} → {USER_OBJECT} object mapping in a rule {USER_RULE_NAME!r} "
        f"from {' or '.join(sorted(SOURCE_DIRECTORY_NAMES))}"
    )


def managed_view(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Every attribute mapping of the user object mapping, and its scoping filters, typed."""
    mapping = user_object_mapping(schema)
    return {
        "mappings": {
            m["targetAttributeName"]: mapping_view(m)
            for m in mapping.get("attributeMappings") or ()
            if m.get("targetAttributeName")
        },
        "scopingFilters": filters_view(mapping.get("scope")),
    }


def mapping_view(attribute_mapping: Mapping[str, Any]) -> dict[str, Any]:
    flow_type = attribute_mapping.get("flowType") or "Always"
    return {
        "expression": expression_of(attribute_mapping.get("source") or {}),
        "flow": FLOW_FROM_GRAPH.get(flow_type, flow_type),
        "default": attribute_mapping.get("defaultValue"),
    }


def expression_of(source: Mapping[str, Any]) -> str:
    """The canonical expression text of a live mapping source (its raw text when it does not parse)."""
    try:
        return from_attribute_mapping_source(source, check_functions=False).to_source()
    except MappingSourceError:
        return str(source.get("expression") or source.get("name") or "")


def filters_view(scope: Mapping[str, Any] | None) -> Filters:
    """The OR-of-ANDs a scope's `groups` hold, guard clause stripped; `[]` when nothing restricts."""
    groups = (scope or {}).get("groups") or []
    result: Filters = []
    for group in groups:
        clauses = [_typed_clause(c) for c in group.get("clauses") or ()]
        guard = _typed_clause(GUARD_CLAUSE)
        if guard in clauses:
            clauses.remove(guard)
        if not clauses:
            return []  # a group without clauses admits every object, so the whole set does
        result.append(clauses)
    return result


def lay_over(schema: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `schema` with the declared mappings and (when managed) scoping filters laid over it."""
    result = copy.deepcopy(dict(schema))
    mapping = user_object_mapping(result)
    attribute_mappings: list[dict[str, Any]] = mapping.setdefault("attributeMappings", [])
    by_target = {m.get("targetAttributeName"): m for m in attribute_mappings}
    for target, declared in (desired.get("mappings") or {}).items():
        live = by_target.get(target)
        if target == MATCHING_ATTRIBUTE or (live is not None and (live.get("matchingPriority") or 0) > 0):
            raise SchemaEditError(
                f"{target!r} is the matching attribute of the cross-tenant schema; Graph refuses any change "
                "to it (schemaInvalid), so crosstenant does not write it"
            )
        new = _attribute_mapping(target, declared, live)
        if live is None:
            attribute_mappings.append(new)
        else:
            attribute_mappings[attribute_mappings.index(live)] = new
    filters = desired.get("scopingFilters")
    if filters is not None:
        scope = mapping.get("scope") or {}
        mapping["scope"] = {**scope, "groups": _groups(filters)}
    return result


def strip_annotations(value: Any) -> Any:
    """Drop OData annotations at every depth: a schema PUT carries the schema, not its metadata."""
    if isinstance(value, dict):
        return {k: strip_annotations(v) for k, v in value.items() if "@odata." not in k and not k.startswith("@")}
    if isinstance(value, list):
        return [strip_annotations(v) for v in value]
    return value


def is_loosening(before: Filters, after: Filters) -> bool:
    """Whether `after` obviously admits everything `before` admits.

    True when every group of `before` has a group in `after` whose clauses are a subset of its
    own (fewer AND-ed clauses admit more; more OR-ed groups admit more). `[]` admits everything.
    Anything else (a changed value, an added clause, a removed group) is not obviously looser.
    """
    if not after:
        return True
    if not before:
        return False
    keyed_after = [{_clause_key(c) for c in group} for group in after]
    return all(any(a <= {_clause_key(c) for c in group} for a in keyed_after) for group in before)


def _attribute_mapping(target: str, declared: Mapping[str, Any], live: Mapping[str, Any] | None) -> dict[str, Any]:
    flow = declared.get("flow", "always")
    if flow not in FLOW_TO_GRAPH:
        raise SchemaEditError(f"mapping {target!r}: unknown flow {flow!r} (always | on_create)")
    base: dict[str, Any] = dict(live) if live is not None else {
        "defaultValue": None,
        "exportMissingReferences": False,
        "flowBehavior": "FlowWhenChanged",
        "flowType": "Always",
        "matchingPriority": 0,
        "targetAttributeName": target,
    }
    base["source"] = to_attribute_mapping_source(parse(declared["expression"]))
    base["flowType"] = FLOW_TO_GRAPH[flow]
    base["defaultValue"] = declared.get("default")
    return base


def _groups(filters: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    if not filters:
        return [{"name": DEFAULT_GROUP_NAME, "clauses": [copy.deepcopy(GUARD_CLAUSE)]}]
    return [
        {
            "name": f"crosstenant filter {i}",
            "clauses": [_graph_clause(c) for c in group] + [copy.deepcopy(GUARD_CLAUSE)],
        }
        for i, group in enumerate(filters, start=1)
    ]


def _graph_clause(clause: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "operatorName": clause["operator"],
        "sourceOperandName": clause["attribute"],
        "targetOperand": {"values": [str(v) for v in clause.get("values") or ()]},
    }


def _typed_clause(clause: Mapping[str, Any]) -> Clause:
    return {
        "attribute": clause.get("sourceOperandName"),
        "operator": clause.get("operatorName"),
        "values": list((clause.get("targetOperand") or {}).get("values") or []),
    }


def _clause_key(clause: Mapping[str, Any]) -> tuple[Any, ...]:
    return (clause.get("attribute"), clause.get("operator"), tuple(clause.get("values") or ()))
