"""`topologies:` — shorthands that expand into links named `<from>-to-<to>` (`reconciler/topology.py`).

Exactly one shape per topology: `one_to_one: {from, to}`, `one_to_many: {from, to: [...]}`,
`many_to_one: {from: [...], to}` or `mesh: [...]` (every ordered pair). `defaults` apply to every
generated link; `overrides` are keyed by a generated link's name and laid over the defaults.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from reconciler.model.base import Alias, Seq, StrictModel
from reconciler.model.links import LinkSettings, Name

TOPOLOGY_SHAPES = ("one_to_one", "one_to_many", "many_to_one", "mesh")


def _distinct_tenants(minimum: int) -> Any:
    def check(aliases: tuple[str, ...]) -> tuple[str, ...]:
        if len(aliases) < minimum:
            raise PydanticCustomError(
                "too_few_tenants", "list at least {minimum} tenant{s}", {"minimum": minimum, "s": "s" if minimum > 1 else ""}
            )
        seen: set[str] = set()
        for alias in aliases:
            if alias in seen:
                raise PydanticCustomError("tenant_twice", "tenant '{alias}' is listed twice", {"alias": alias})
            seen.add(alias)
        return aliases

    return AfterValidator(check)


Tenants = Annotated[Seq(Alias), _distinct_tenants(1)]


class OneToOne(StrictModel):
    from_: Alias = Field(alias="from")
    to: Alias


class OneToMany(StrictModel):
    from_: Alias = Field(alias="from")
    to: Tenants


class ManyToOne(StrictModel):
    from_: Tenants = Field(alias="from")
    to: Alias


class Topology(StrictModel):
    one_to_one: OneToOne | None = None
    one_to_many: OneToMany | None = None
    many_to_one: ManyToOne | None = None
    mesh: Annotated[Seq(Alias), _distinct_tenants(2)] | None = None
    defaults: LinkSettings | None = None
    overrides: dict[Name, LinkSettings] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _exactly_one_shape(self) -> Topology:
        given = [shape for shape in TOPOLOGY_SHAPES if getattr(self, shape) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "topology_shape",
                "a topology takes exactly one of one_to_one, one_to_many, many_to_one or mesh{found}",
                {"found": f" (found: {', '.join(given)})" if given else ""},
            )
        return self

    @property
    def shape(self) -> str:
        return next(shape for shape in TOPOLOGY_SHAPES if getattr(self, shape) is not None)

    def pairs(self) -> list[tuple[str, str]]:
        """(source, target) of every link the topology generates, in declaration order."""
        if self.one_to_one is not None:
            return [(self.one_to_one.from_, self.one_to_one.to)]
        if self.one_to_many is not None:
            return [(self.one_to_many.from_, target) for target in self.one_to_many.to]
        if self.many_to_one is not None:
            return [(source, self.many_to_one.to) for source in self.many_to_one.from_]
        members = self.mesh or ()
        return [(source, target) for source in members for target in members if source != target]
