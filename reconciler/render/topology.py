"""The expanded links (`crosstenant topology`): one line per link, or a Mermaid flowchart.

Both take any sequence of links with `name`, `source`, `target`, `scope` and `state`
(`reconciler.topology.ExpandedLink`, as in `CompiledState.links`) and are deterministic: links
sorted by source, target and name; tenants by alias.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class LinkView(Protocol):
    name: str
    source: str
    target: str

    @property
    def scope(self) -> str: ...

    @property
    def state(self) -> str: ...


def _ordered(links: Iterable[LinkView]) -> list[LinkView]:
    return sorted(links, key=lambda link: (link.source, link.target, link.name))


def render_topology_text(links: Iterable[LinkView]) -> str:
    """`contoso -> fabrikam  (contoso-to-fabrikam, scope assigned, started)`, one line per link."""
    ordered = _ordered(links)
    if not ordered:
        return "no links declared\n"
    return "".join(
        f"{link.source} -> {link.target}  ({link.name}, scope {link.scope}, {link.state})\n" for link in ordered
    )


def render_topology_mermaid(links: Iterable[LinkView]) -> str:
    """A `flowchart LR`: one node per tenant, one edge per link labelled with its name.

    Node ids are derived from the aliases (`-` is an arrow character in Mermaid, so it becomes
    `_`); a paused link is drawn dotted.
    """
    ordered = _ordered(links)
    tenants = sorted({link.source for link in ordered} | {link.target for link in ordered})
    lines = ["flowchart LR"]
    lines += [f'    {_node_id(alias)}["{alias}"]' for alias in tenants]
    for link in ordered:
        arrow = "-.->" if link.state == "paused" else "-->"
        label = link.name if link.state != "paused" else f"{link.name} (paused)"
        lines.append(f'    {_node_id(link.source)} {arrow}|"{label}"| {_node_id(link.target)}')
    return "\n".join(lines) + "\n"


def _node_id(alias: str) -> str:
    return "t_" + alias.replace("-", "_")
