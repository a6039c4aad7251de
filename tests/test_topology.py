"""Topologies: expansion, overrides, conflicts, rendering, the example folders, digests."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.compile import compile_state
from reconciler.emulator.seed import apply_seed, load_seed
from reconciler.emulator.store import Store
from reconciler.errors import ConfigError
from reconciler.load import load_policies
from reconciler.model import DesiredState
from reconciler.render.topology import render_topology_mermaid, render_topology_text
from reconciler.topology import ExpandedLink, expand

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_FOLDERS = ("one_to_one", "one_to_many", "many_to_one", "mesh")

IDS = {
    "contoso": "00000000-0000-0000-0000-00000000c0de",
    "fabrikam": "00000000-0000-0000-0000-0000000fab00",
    "northwind": "00000000-0000-0000-0000-0000000a0b1d",
    "litware": "00000000-0000-0000-0000-00000000717e",
}


def state(topologies: dict[str, Any], links: dict[str, Any] | None = None) -> DesiredState:
    return DesiredState.from_data({
        "tenants": {alias: {"tenant_id": tid, "auth": {"method": "azure_cli"}} for alias, tid in IDS.items()},
        "topologies": topologies,
        "links": links or {},
    })


def pairs(links: tuple[ExpandedLink, ...]) -> list[tuple[str, str, str]]:
    return [(link.name, link.source, link.target) for link in links]


def problems(desired: DesiredState) -> list[tuple[str, str]]:
    return [(".".join(map(str, p.path)), p.message) for p in expand(desired).problems]


# --- expansion ------------------------------------------------------------------------------------


def test_mesh_of_three_is_six_links() -> None:
    expansion = expand(state({"m": {"mesh": ["contoso", "fabrikam", "northwind"]}}))
    assert pairs(expansion.links) == [
        ("contoso-to-fabrikam", "contoso", "fabrikam"),
        ("contoso-to-northwind", "contoso", "northwind"),
        ("fabrikam-to-contoso", "fabrikam", "contoso"),
        ("fabrikam-to-northwind", "fabrikam", "northwind"),
        ("northwind-to-contoso", "northwind", "contoso"),
        ("northwind-to-fabrikam", "northwind", "fabrikam"),
    ]
    assert expansion.problems == ()
    assert {link.topology for link in expansion.links} == {"m"}


def test_mesh_of_four_is_twelve_links() -> None:
    assert len(expand(state({"m": {"mesh": list(IDS)}})).links) == 12


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ({"one_to_one": {"from": "contoso", "to": "fabrikam"}}, [("contoso-to-fabrikam", "contoso", "fabrikam")]),
        ({"one_to_many": {"from": "contoso", "to": ["northwind", "fabrikam"]}},
         [("contoso-to-fabrikam", "contoso", "fabrikam"), ("contoso-to-northwind", "contoso", "northwind")]),
        ({"many_to_one": {"from": ["northwind", "fabrikam"], "to": "contoso"}},
         [("fabrikam-to-contoso", "fabrikam", "contoso"), ("northwind-to-contoso", "northwind", "contoso")]),
    ],
)
def test_each_shape_expands_to_named_links(shape: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert pairs(expand(state({"t": shape})).links) == expected


def test_overrides_lay_over_defaults_field_by_field_and_mappings_per_attribute() -> None:
    desired = state({
        "hub": {
            "one_to_many": {"from": "contoso", "to": ["fabrikam", "northwind"]},
            "defaults": {
                "scope": "all",
                "assign": {"groups": ["Sales"]},
                "mappings": {"displayName": {"direct": "displayName"}, "department": {"direct": "department"}},
            },
            "overrides": {
                "contoso-to-northwind": {
                    "state": "paused",
                    "assign": {"users": ["adele@contoso.example"]},
                    "mappings": {"department": {"constant": "Partners"}},
                },
            },
        },
    })
    fabrikam, northwind = expand(desired).links
    assert (fabrikam.scope, fabrikam.state) == ("all", "started")
    assert fabrikam.settings["assign"].groups == ("Sales",)
    assert (northwind.scope, northwind.state) == ("all", "paused")
    assert northwind.settings["assign"].groups is None  # a field is replaced whole
    assert northwind.settings["assign"].users == ("adele@contoso.example",)
    assert {k: m.source_expression() for k, m in northwind.settings["mappings"].items()} == {
        "displayName": "[displayName]",
        "department": '"Partners"',
    }
    # Each setting remembers where it was written.
    assert northwind.path_of("state") == ("topologies", "hub", "overrides", "contoso-to-northwind", "state")
    assert northwind.path_of("scope") == ("topologies", "hub", "defaults", "scope")
    assert northwind.path_of("mappings", "displayName", "direct") == (
        "topologies", "hub", "defaults", "mappings", "displayName", "direct")
    assert northwind.path_of("mappings", "department") == (
        "topologies", "hub", "overrides", "contoso-to-northwind", "mappings", "department")
    assert northwind.path_of() == ("topologies", "hub")


def test_compiled_topology_links_carry_their_settings() -> None:
    compiled = compile_state(state({
        "hub": {
            "one_to_many": {"from": "contoso", "to": ["fabrikam", "northwind"]},
            "defaults": {"scope": "all"},
            "overrides": {"contoso-to-northwind": {"scope": "assigned", "state": "paused"}},
        },
    }))
    by = compiled.by_address()
    assert by["contoso.link.contoso-to-fabrikam.settings"].body["syncAll"] is True
    assert by["contoso.link.contoso-to-northwind.settings"].body["syncAll"] is False
    assert by["contoso.link.contoso-to-northwind.state"].body == {"state": "paused"}
    assert [link.name for link in compiled.links] == ["contoso-to-fabrikam", "contoso-to-northwind"]


# --- expansion problems ---------------------------------------------------------------------------


def test_an_override_for_a_name_the_topology_does_not_generate() -> None:
    desired = state({"t": {"one_to_one": {"from": "contoso", "to": "fabrikam"},
                           "overrides": {"fabrikam-to-contoso": {"state": "paused"}}}})
    assert problems(desired) == [
        ("topologies.t.overrides.fabrikam-to-contoso",
         "topology t generates no link named 'fabrikam-to-contoso' (it generates: contoso-to-fabrikam)"),
    ]


def test_a_topology_and_an_explicit_link_for_one_pair() -> None:
    desired = state({"t": {"mesh": ["contoso", "fabrikam"]}},
                    links={"sales": {"from": "fabrikam", "to": "contoso"}})
    assert problems(desired) == [
        ("topologies.t", "link fabrikam-to-contoso (generated by topology t) syncs fabrikam to contoso, as does link "
                         "sales (declared under links): one configuration per pair — scope it with assignments and "
                         "scoping filters instead"),
    ]
    assert pairs(expand(desired).links) == [("contoso-to-fabrikam", "contoso", "fabrikam"),
                                            ("sales", "fabrikam", "contoso")]


def test_two_topologies_for_one_pair_and_a_name_taken_by_an_explicit_link() -> None:
    desired = state(
        {"a": {"one_to_one": {"from": "contoso", "to": "fabrikam"}},
         "b": {"many_to_one": {"from": ["contoso", "northwind"], "to": "fabrikam"}}},
        links={"northwind-to-fabrikam": {"from": "northwind", "to": "litware"}},
    )
    assert problems(desired) == [
        ("topologies.b", "link contoso-to-fabrikam is generated by topology b, and also generated by topology a"),
        ("topologies.b", "link northwind-to-fabrikam is generated by topology b, and also declared under links"),
    ]
    assert pairs(expand(desired).links) == [("contoso-to-fabrikam", "contoso", "fabrikam"),
                                            ("northwind-to-fabrikam", "northwind", "litware")]


def test_expansion_problems_fail_compile_at_the_topology(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "tenants:\n"
        f"  contoso: {{tenant_id: {IDS['contoso']}, auth: {{method: azure_cli}}}}\n"
        f"  fabrikam: {{tenant_id: {IDS['fabrikam']}, auth: {{method: azure_cli}}}}\n"
        "topologies:\n"
        "  pair:\n"
        "    one_to_one: {from: contoso, to: fabrikam}\n"
        "    overrides:\n"
        "      contoso-to-fabrikam: {state: paused}\n"
        "      contoso-to-northwind: {state: paused}\n"
    )
    with pytest.raises(ConfigError) as caught:
        compile_state(load_policies(folder))
    assert [str(d) for d in caught.value.diagnostics] == [
        "p/a.yaml:9:7: topologies.pair.overrides.contoso-to-northwind: topology pair generates no link named "
        "'contoso-to-northwind' (it generates: contoso-to-fabrikam)",
    ]


def test_self_link_from_a_topology_points_at_the_topology() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_state(state({"t": {"one_to_many": {"from": "contoso", "to": ["contoso", "fabrikam"]}}}))
    assert [(d.path, d.message) for d in caught.value.diagnostics] == [
        ("topologies.t", "link contoso-to-contoso syncs tenant contoso to itself; a link joins two tenants"),
    ]


# --- rendering ------------------------------------------------------------------------------------


def _mesh_links() -> tuple[ExpandedLink, ...]:
    return compile_state(state({
        "m": {"mesh": ["contoso", "fabrikam", "northwind"],
              "overrides": {"northwind-to-contoso": {"state": "paused", "scope": "all"}}},
    })).links


def test_render_text_one_line_per_link() -> None:
    assert render_topology_text(_mesh_links()) == (
        "contoso -> fabrikam  (contoso-to-fabrikam, scope assigned, started)\n"
        "contoso -> northwind  (contoso-to-northwind, scope assigned, started)\n"
        "fabrikam -> contoso  (fabrikam-to-contoso, scope assigned, started)\n"
        "fabrikam -> northwind  (fabrikam-to-northwind, scope assigned, started)\n"
        "northwind -> contoso  (northwind-to-contoso, scope all, paused)\n"
        "northwind -> fabrikam  (northwind-to-fabrikam, scope assigned, started)\n"
    )
    assert render_topology_text(()) == "no links declared\n"


def test_render_mermaid_flowchart() -> None:
    assert render_topology_mermaid(_mesh_links()) == (
        "flowchart LR\n"
        '    t_contoso["contoso"]\n'
        '    t_fabrikam["fabrikam"]\n'
        '    t_northwind["northwind"]\n'
        '    t_contoso -->|"contoso-to-fabrikam"| t_fabrikam\n'
        '    t_contoso -->|"contoso-to-northwind"| t_northwind\n'
        '    t_fabrikam -->|"fabrikam-to-contoso"| t_contoso\n'
        '    t_fabrikam -->|"fabrikam-to-northwind"| t_northwind\n'
        '    t_northwind -.->|"northwind-to-contoso (paused)"| t_contoso\n'
        '    t_northwind -->|"northwind-to-fabrikam"| t_fabrikam\n'
    )


def test_rendering_does_not_depend_on_input_order() -> None:
    links = list(_mesh_links())
    shuffled = links[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != links
    assert render_topology_text(shuffled) == render_topology_text(links)
    assert render_topology_mermaid(shuffled) == render_topology_mermaid(links)


def test_mermaid_node_ids_avoid_the_arrow_character() -> None:
    desired = DesiredState.from_data({
        "tenants": {"north-wind": {"tenant_id": IDS["northwind"], "auth": {"method": "azure_cli"}},
                    "contoso": {"tenant_id": IDS["contoso"], "auth": {"method": "azure_cli"}}},
        "links": {"nw": {"from": "north-wind", "to": "contoso"}},
    })
    assert render_topology_mermaid(compile_state(desired).links).splitlines()[-1] == (
        '    t_north_wind -->|"nw"| t_contoso')


# --- the example folders --------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_FOLDERS)
def test_example_folder_loads_and_compiles_without_errors(example: str, tmp_path: Path) -> None:
    folder = EXAMPLES / example
    compiled = compile_state(load_policies(folder / "policies"))
    assert all(w.severity in ("warning", "note") for w in compiled.warnings)  # no errors hide in them
    assert compiled.links, "an example declares links"
    seed = load_seed(folder / "seed.yaml")
    apply_seed(Store(tmp_path / "state.sqlite"), seed)  # the emulator accepts it

    reference_roles = load_seed(EXAMPLES / "seed.yaml")["tenants"]["contoso"]["apps"][0]["roles"]
    seeded = seed["tenants"]
    for alias, tenant in compiled.tenants.items():
        assert seeded[alias]["tenant_id"] == tenant.tenant_id
        apps = {app["client_id"]: app for app in seeded[alias]["apps"]}
        assert tenant.auth is not None and apps[tenant.auth.client_id]["roles"] == reference_roles

    # Every name an assignment uses resolves to exactly one user or group of the source tenant's seed.
    for resource in compiled.resources:
        if resource.kind != "link_assignments":
            continue
        for ref in (item for items in resource.body.values() for item in items if isinstance(item, dict)):
            source = seeded[ref["tenant"]]
            if ref["resolve"] == "group":
                matches = [g for g in source["groups"] if g["displayName"] == ref["name"]]
            else:
                matches = [u for u in source["users"] if u["userPrincipalName"].lower() == ref["name"].lower()]
            assert len(matches) == 1, (example, resource.address, ref)


def test_mesh_example_has_three_tenants_and_six_links() -> None:
    compiled = compile_state(load_policies(EXAMPLES / "mesh" / "policies"))
    assert len(compiled.tenants) == 3 and len(compiled.links) == 6
    assert len(load_seed(EXAMPLES / "mesh" / "seed.yaml")["tenants"]) == 3


# --- digests --------------------------------------------------------------------------------------


def _reordered_copy(source: Path, target: Path) -> None:
    """The same declarations with every mapping's keys reversed, written back as YAML."""
    shutil.copytree(source, target)
    yaml = YAML(typ="safe")
    for path in target.rglob("*.yaml"):
        data = yaml.load(path.read_text(encoding="utf-8"))
        path.write_text(_dump(_reverse(data)), encoding="utf-8")


def _reverse(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reverse(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse(item) for item in value]
    return value


def _dump(data: Any) -> str:
    import io

    out = io.StringIO()
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # keep the reversed order
    yaml.dump(data, out)
    return out.getvalue()


@pytest.mark.parametrize("example", EXAMPLE_FOLDERS)
def test_digest_is_deterministic_and_ignores_key_order(example: str, tmp_path: Path) -> None:
    folder = EXAMPLES / example / "policies"
    reference = compile_state(load_policies(folder)).digest
    assert compile_state(load_policies(folder)).digest == reference
    _reordered_copy(folder, tmp_path / "reordered")
    assert compile_state(load_policies(tmp_path / "reordered")).digest == reference


def test_digest_changes_with_a_link_setting(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(EXAMPLES / "mesh" / "policies", folder)
    reference = compile_state(load_policies(folder)).digest
    topology = folder / "topology.yaml"
    topology.write_text(topology.read_text(encoding="utf-8").replace("deletion_threshold: 25", "deletion_threshold: 26"))
    assert compile_state(load_policies(folder)).digest != reference


def test_defaults_cannot_set_the_ends_of_the_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.yaml").write_text(
        f"tenants:\n  contoso: {{tenant_id: {IDS['contoso']}, auth: {{method: azure_cli}}}}\n"
        "topologies:\n  t:\n    mesh: [contoso, fabrikam]\n    defaults: {to: fabrikam}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_policies(tmp_path / "p")
    assert [str(d) for d in caught.value.diagnostics] == [
        "p/a.yaml:5:21: topologies.t.mesh.1: 'fabrikam' is not a declared tenant alias (declared: contoso)",
        "p/a.yaml:6:16: topologies.t.defaults.to: a topology's shape (one_to_one, one_to_many, many_to_one, mesh) "
        "sets the ends of its links",
    ]
