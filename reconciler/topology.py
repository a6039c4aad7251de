"""Topologies → links: every declared link and every generated one, as `ExpandedLink`s.

A topology generates one link per (source, target) pair, named `<from>-to-<to>` (a mesh of N
tenants: N×(N−1)). A generated link's settings are the topology's `defaults` with the override
of its name laid over them, field by field; `mappings` merge per target attribute (an override
adds or replaces single mappings and keeps the others of `defaults`).

Problems found here (an override for a name the topology does not generate, two links for one
pair, a generated name that is also declared under `links:` or by another topology) come back as
`ExpansionProblem`s, reported at the topology (an explicit link wins) or the later declaration;
compile turns them into diagnostics. Each expanded link remembers where each of its settings
was written, so later errors point at the override or the defaults that said it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import SourceLocation
from reconciler.model.links import LINK_SETTING_FIELDS, LinkSettings
from reconciler.model.state import DesiredState, NodePath

DEFAULT_SCOPE = "assigned"  # Microsoft recommends assigned users over all users
DEFAULT_STATE = "started"


def link_name(source: str, target: str) -> str:
    return f"{source}-to-{target}"


@dataclass(frozen=True)
class ExpandedLink:
    name: str
    source: str  # alias of the tenant the configuration lives in
    target: str  # alias of the tenant users are pushed into
    path: NodePath  # where the link is declared: ("links", name) or ("topologies", topology)
    settings: Mapping[str, Any] = field(default_factory=dict)  # declared LinkSettings fields by name
    # Path of each setting (or mapping entry, keyed ("mappings", attribute)) a topology supplied.
    origins: Mapping[tuple[str, ...], NodePath] = field(default_factory=dict)
    topology: str | None = None

    @property
    def scope(self) -> str:
        return str(self.settings.get("scope") or DEFAULT_SCOPE)

    @property
    def state(self) -> str:
        return str(self.settings.get("state") or DEFAULT_STATE)

    def path_of(self, *keys: str | int) -> NodePath:
        """The YAML path of a setting of this link (`path_of("assign", "groups")`)."""
        for end in range(len(keys), 0, -1):
            origin = self.origins.get(tuple(str(k) for k in keys[:end]))
            if origin is not None:
                return (*origin, *keys[end:])
        if self.topology is None:
            return (*self.path, *keys)
        return self.path


@dataclass(frozen=True)
class ExpansionProblem:
    path: NodePath
    message: str


@dataclass(frozen=True)
class Expansion:
    links: tuple[ExpandedLink, ...]  # sorted by name
    problems: tuple[ExpansionProblem, ...]


def expand(state: DesiredState) -> Expansion:
    """Every link of the desired state, explicit and generated, with the expansion's problems."""
    problems: list[ExpansionProblem] = []
    candidates: list[ExpandedLink] = [
        ExpandedLink(name, link.from_, link.to, ("links", name), _declared(link))
        for name, link in state.links.items()
    ]
    for topology_name, topology in state.topologies.items():
        base: NodePath = ("topologies", topology_name)
        generated = {link_name(s, t): (s, t) for s, t in topology.pairs()}
        for override in topology.overrides:
            if override not in generated:
                problems.append(
                    ExpansionProblem(
                        (*base, "overrides", override),
                        f"topology {topology_name} generates no link named '{override}' (it generates: "
                        f"{', '.join(sorted(generated))})",
                    )
                )
        for name, (source, target) in generated.items():
            settings, origins = _merged(base, topology.defaults, topology.overrides.get(name), name)
            candidates.append(ExpandedLink(name, source, target, base, settings, origins, topology_name))

    def where(link: ExpandedLink) -> SourceLocation:
        return state.location_of(link.path) or SourceLocation("", 0, 0)

    # Explicit links first, then declaration order: a conflict is reported at the topology, or
    # at the later of two declarations.
    candidates.sort(key=lambda link: (link.topology is not None, where(link), link.name))
    by_name: dict[str, ExpandedLink] = {}
    by_pair: dict[tuple[str, str], ExpandedLink] = {}
    for link in candidates:
        first = by_name.get(link.name)
        if first is not None:
            problems.append(ExpansionProblem(link.path, f"link {link.name} is {_origin(link)}, and also "
                                                        f"{_origin(first)}{_at(state, first)}"))
            continue
        first = by_pair.get((link.source, link.target))
        if first is not None:
            problems.append(
                ExpansionProblem(
                    link.path,
                    f"link {link.name} ({_origin(link)}) syncs {link.source} to {link.target}, as does link "
                    f"{first.name} ({_origin(first)}){_at(state, first)}: one configuration per pair — scope "
                    "it with assignments and scoping filters instead",
                )
            )
            continue
        by_name[link.name] = link
        by_pair[(link.source, link.target)] = link
    return Expansion(tuple(sorted(by_name.values(), key=lambda link: link.name)), tuple(problems))


def _declared(settings: LinkSettings) -> dict[str, Any]:
    declared = settings.declared()
    return {name: declared[name] for name in LINK_SETTING_FIELDS if name in declared}


def _merged(
    base: NodePath, defaults: LinkSettings | None, override: LinkSettings | None, name: str
) -> tuple[dict[str, Any], dict[tuple[str, ...], NodePath]]:
    settings: dict[str, Any] = {}
    origins: dict[tuple[str, ...], NodePath] = {}
    layers = [((*base, "defaults"), defaults), ((*base, "overrides", name), override)]
    for path, layer in layers:
        if layer is None:
            continue
        for key, value in _declared(layer).items():
            if key == "mappings":
                merged = dict(settings.get("mappings") or {})
                for attribute, mapping in value.items():
                    merged[attribute] = mapping
                    origins[("mappings", attribute)] = (*path, "mappings", attribute)
                settings["mappings"] = merged
                origins.setdefault(("mappings",), (*path, "mappings"))
            else:
                settings[key] = value
                origins[(key,)] = (*path, key)
    return settings, origins


def _origin(link: ExpandedLink) -> str:
    return f"generated by topology {link.topology}" if link.topology else "declared under links"


def _at(state: DesiredState, link: ExpandedLink) -> str:
    location = state.location_of(link.path)
    return f" at {location}" if location else ""
