"""Links: validation (with positions inside expressions), compiled resources, implied prerequisites."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.compile import CompiledState, compile_state
from reconciler.errors import ConfigError, Diagnostic, SourceLocation
from reconciler.load import load_policies
from reconciler.model import DesiredState
from reconciler.model.source_columns import value_position

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
GOLDEN = FIXTURES / "link-full.golden.json"

CONTOSO = "00000000-0000-0000-0000-00000000c0de"
FABRIKAM = "00000000-0000-0000-0000-0000000fab00"
NORTHWIND = "00000000-0000-0000-0000-0000000a0b1d"
IDS = {"contoso": CONTOSO, "fabrikam": FABRIKAM, "northwind": NORTHWIND}

TENANTS = """\
tenants:
  contoso:
    tenant_id: 00000000-0000-0000-0000-00000000c0de
    auth: {method: azure_cli}
  fabrikam:
    tenant_id: 00000000-0000-0000-0000-0000000fab00
    auth: {method: azure_cli}
"""
LINK_HEAD = "links:\n  c-to-f:\n    from: contoso\n    to: fabrikam\n"  # TENANTS is 7 lines: the link starts on 8


def tenants(**modes: str) -> dict[str, Any]:
    return {
        alias: {"tenant_id": IDS[alias], "mode": mode} | ({} if mode == "external" else {"auth": {"method": "azure_cli"}})
        for alias, mode in modes.items()
    }


def compiled(data: dict[str, Any]) -> CompiledState:
    return compile_state(DesiredState.from_data(data))


def compile_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        compiled(data)
    return [(d.path, d.message) for d in caught.value.diagnostics]


def link(**fields: Any) -> dict[str, Any]:
    return {"from": "contoso", "to": "fabrikam", **fields}


def load_errors(folder: Path, text: str) -> list[Diagnostic]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "p.yaml").write_text(TENANTS + text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policies(folder)
    return caught.value.diagnostics


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# --- the golden full link ------------------------------------------------------------------------


def _resource_view(state: CompiledState) -> list[dict[str, Any]]:
    return [
        {
            "address": r.address,
            "kind": r.kind,
            "tenant": r.tenant,
            "tenant_id": r.tenant_id,
            "key": r.key,
            "ensure": r.ensure,
            "body": r.body,
            "depends_on": list(r.depends_on),
            "meta": r.meta,
            "source": str(r.source),
        }
        for r in state.resources
    ]


def test_golden_resources_of_a_full_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "link-full")
    view = _resource_view(compile_state(load_policies(Path("."))))
    if os.environ.get("CROSSTENANT_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(view, indent=2) + "\n", encoding="utf-8")
    assert view == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_full_link_contract_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """The points of the handler contract, spelled out (the golden file holds the rest)."""
    monkeypatch.chdir(FIXTURES / "link-full")
    state = compile_state(load_policies(Path(".")))
    by = state.by_address()
    base = "contoso.link.contoso-to-fabrikam"
    assert by[base].body == {"displayName": "contoso-to-fabrikam (crosstenant)", "targetTenantId": FABRIKAM,
                             "managed": True, "jobTemplateId": "Azure2Azure"}
    assert by[base].depends_on == ("contoso.partner.fabrikam", "fabrikam.partner.contoso",
                                   "fabrikam.partner.contoso.identity_sync")
    for part in ("settings", "schema", "assignments"):
        assert by[f"{base}.{part}"].depends_on == (base,)
    assert by[f"{base}.state"].depends_on == tuple(f"{base}.{p}" for p in ("settings", "schema", "assignments"))
    assert {r.key for r in state.resources if r.kind.startswith("link")} == {"contoso-to-fabrikam"}
    assert all(r.meta == {"link": "contoso-to-fabrikam", "source": "contoso", "target": "fabrikam",
                          "source_tenant_id": CONTOSO, "target_tenant_id": FABRIKAM}
               for r in state.resources if r.kind.startswith("link"))
    schema = by[f"{base}.schema"].body
    assert schema["mappings"]["manager"] == {"expression": "[manager]", "flow": "always", "default": None}
    assert schema["mappings"]["showInAddressList"]["expression"] == '"True"'
    assert schema["mappings"]["jobTitle"] == {"expression": "StripSpaces([jobTitle])", "flow": "on_create",
                                              "default": None}  # canonical text, as the handler reads it back
    assert by[f"{base}.assignments"].body == {
        "users": ["5c5c5c5c-0000-0000-0000-000000000001",
                  {"resolve": "user", "name": "adele@contoso.example", "tenant": "contoso"}],
        "groups": ["6f546279-4da5-4b53-a095-09ea0cef9971",
                   {"resolve": "group", "name": "Sales", "tenant": "contoso"}],
    }
    # Merged into the declared partner: the declared fields stay, the link's requirement is added.
    assert by["fabrikam.partner.contoso"].body == {
        "inboundTrust": {"isMfaAccepted": True},
        "automaticUserConsentSettings": {"outboundAllowed": False, "inboundAllowed": True},
    }
    assert by["fabrikam.partner.contoso.identity_sync"].body == {
        "displayName": "Contoso Ltd", "userSyncInbound": {"isSyncAllowed": True}}
    assert by["fabrikam.partner.contoso"].source == SourceLocation("access.yaml", 4, 7)
    # Not declared: created by the link, located at it.
    assert by["contoso.partner.fabrikam"].body == {"automaticUserConsentSettings": {"outboundAllowed": True}}
    assert by["contoso.partner.fabrikam"].source == SourceLocation("links.yaml", 2, 3)


# --- defaults -------------------------------------------------------------------------------------


def test_defaults_pin_member_and_leave_the_rest_unmanaged() -> None:
    state = compiled({"tenants": tenants(contoso="managed", fabrikam="managed"), "links": {"l": link()}})
    by = state.by_address()
    assert by["contoso.link.l.settings"].body == {
        "targetTenantId": FABRIKAM, "authenticationType": "SyncPolicy", "syncAll": False}
    assert by["contoso.link.l.schema"].body == {
        "mappings": {"userType": {"expression": '"Member"', "flow": "on_create", "default": None}},
    }
    assert by["contoso.link.l.state"].body == {"state": "started"}
    assert "contoso.link.l.assignments" not in by  # assign left out: unmanaged
    assert by["contoso.link.l.state"].depends_on == ("contoso.link.l.settings", "contoso.link.l.schema")
    assert by["fabrikam.partner.contoso.identity_sync"].body == {
        "displayName": "contoso", "userSyncInbound": {"isSyncAllowed": True}}
    assert [(w.path, w.message) for w in state.warnings] == [
        ("links.l", "link l: scope assigned without assign: only users and groups assigned outside crosstenant "
                    "are synced (declare assign to manage them)"),
    ]


def test_declared_user_type_replaces_the_template_mapping() -> None:
    state = compiled({"tenants": tenants(contoso="managed", fabrikam="managed"),
                      "links": {"l": link(mappings={"userType": {"constant": "Guest", "apply": "on_create"}})}})
    assert state.by_address()["contoso.link.l.schema"].body["mappings"] == {
        "userType": {"expression": '"Guest"', "flow": "on_create", "default": None}}


def test_scope_all_notify_and_threshold_off() -> None:
    state = compiled({
        "tenants": tenants(contoso="managed", fabrikam="managed"),
        "links": {"l": link(scope="all", state="paused", deletion_threshold="off",
                            notify={"emails": ["b@contoso.example", "A@contoso.example"], "on_failure": False})},
    })
    by = state.by_address()
    assert by["contoso.link.l.settings"].body == {
        "targetTenantId": FABRIKAM,
        "authenticationType": "SyncPolicy",
        "syncAll": True,
        "notifications": {"enabled": False, "recipients": ["A@contoso.example", "b@contoso.example"],
                          "deleteThresholdEnabled": False},
    }
    assert by["contoso.link.l.state"].body == {"state": "paused"}
    assert [(w.path, w.message) for w in state.warnings] == [
        ("links.l.scope", "link l: scope all syncs the internal members of contoso only: guests, groups, devices "
                          "and contacts are not synced"),
    ]


def test_scoping_filters_use_graph_tokens_and_sorted_clauses() -> None:
    filters = [
        [{"attribute": "jobTitle", "operator": "is_not_null"}],
        [{"attribute": "employeeId", "operator": "greater_than_or_equals", "value": 1000},
         {"attribute": "department", "operator": "not_equals", "value": ["Finance"]}],
    ]
    state = compiled({"tenants": tenants(contoso="managed", fabrikam="managed"),
                      "links": {"l": link(scoping_filters=filters)}})
    assert state.by_address()["contoso.link.l.schema"].body["scopingFilters"] == [
        [{"attribute": "department", "operator": "NOT EQUALS", "values": ["Finance"]},
         {"attribute": "employeeId", "operator": "Greater_Than_OR_EQUALS", "values": ["1000"]}],
        [{"attribute": "jobTitle", "operator": "IS NOT NULL", "values": []}],
    ]
    empty = compiled({"tenants": tenants(contoso="managed", fabrikam="managed"),
                      "links": {"l": link(scoping_filters=[])}})
    assert empty.by_address()["contoso.link.l.schema"].body["scopingFilters"] == []  # managed: no filter


def test_group_assignment_warns_about_entras_limits() -> None:
    state = compiled({"tenants": tenants(contoso="managed", fabrikam="managed"),
                      "links": {"l": link(assign={"groups": ["Sales"]})}})
    assert state.by_address()["contoso.link.l.assignments"].body == {
        "groups": [{"resolve": "group", "name": "Sales", "tenant": "contoso"}]}
    assert [(w.path, w.message, w.severity) for w in state.warnings] == [
        ("links.l.assign.groups", "link l: group assignment puts the group's direct members in scope; the group "
         "itself is not synced, nested groups are not expanded, and guests among the members are not synced",
         "note"),
    ]


# --- target modes ---------------------------------------------------------------------------------


def test_external_target_gets_nothing_and_a_warning() -> None:
    state = compiled({"tenants": tenants(contoso="managed", fabrikam="external"),
                      "links": {"l": link(assign={"users": ["adele@contoso.example"]})}})
    assert {r.tenant for r in state.resources} == {"contoso"}
    assert state.by_address()["contoso.link.l"].depends_on == ("contoso.partner.fabrikam",)
    assert ("links.l", "link l: fabrikam is external, so plan cannot check its prerequisites (a partner entry for "
            "contoso with inbound automatic redemption, and user sync inbound allowed); make sure fabrikam's "
            "administrators have set them, or test connection fails") in [(w.path, w.message) for w in state.warnings]


def test_read_only_target_gets_its_implied_resources_checked_by_reading() -> None:
    state = compiled({"tenants": tenants(contoso="managed", fabrikam="read_only"), "links": {"l": link()}})
    by = state.by_address()
    assert by["fabrikam.partner.contoso"].meta == {"read_only": True}
    assert by["fabrikam.partner.contoso.identity_sync"].meta == {"read_only": True}
    assert by["contoso.partner.fabrikam"].meta == {}
    assert "fabrikam.partner.contoso" in by["contoso.link.l"].depends_on


# --- errors ---------------------------------------------------------------------------------------


def test_source_must_be_managed() -> None:
    assert compile_errors({"tenants": tenants(contoso="read_only", fabrikam="managed"), "links": {"l": link()}}) == [
        ("links.l", "link l: its configuration lives in the source tenant contoso, which has mode read_only; "
                    "the source of a link must be managed (writable)"),
    ]


def test_link_to_itself_and_across_clouds() -> None:
    data = {"tenants": tenants(contoso="managed", fabrikam="managed"),
            "links": {"self": link(to="contoso"), "gov": link()}}
    data["tenants"]["fabrikam"]["cloud"] = "china"
    assert compile_errors(data) == [
        ("links.gov", "link gov: contoso is in the global cloud and fabrikam in the china cloud; cross-tenant "
                      "synchronization between clouds is not supported"),
        ("links.self", "link self syncs tenant contoso to itself; a link joins two tenants"),
    ]


def test_unknown_alias_in_a_state_built_in_code() -> None:
    assert compile_errors({"tenants": tenants(contoso="managed"), "links": {"l": link()}}) == [
        ("links.l", "link l: 'fabrikam' (to) is not a declared tenant alias"),
    ]


def test_two_links_for_one_pair(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.yaml").write_text(TENANTS + LINK_HEAD + "  again: {from: contoso, to: fabrikam}\n")
    with pytest.raises(ConfigError) as caught:
        compile_state(load_policies(tmp_path / "p"))
    assert [str(d) for d in caught.value.diagnostics] == [
        "p/a.yaml:12:3: links.again: link again (declared under links) syncs contoso to fabrikam, as does link "
        "c-to-f (declared under links) at p/a.yaml:9:3: one configuration per pair — scope it with assignments "
        "and scoping filters instead",
    ]


@pytest.mark.parametrize(
    ("partner", "declared_path", "what"),
    [
        ({"automatic_redemption": {"inbound": False}}, "automatic_redemption.inbound",
         "fabrikam's inbound automatic redemption for contoso is declared false"),
        ({"automatic_redemption": "inherit"}, "automatic_redemption",
         "fabrikam's automatic redemption for contoso is declared inherit (the default configuration keeps it false)"),
        ({"automatic_redemption": {"inbound": "inherit"}}, "automatic_redemption.inbound",
         "fabrikam's inbound automatic redemption for contoso is declared inherit"),
        ({"user_sync_inbound": "absent"}, "user_sync_inbound",
         "fabrikam's user sync inbound from contoso is declared absent"),
        ({"user_sync_inbound": {"allowed": False}}, "user_sync_inbound.allowed",
         "fabrikam's user sync inbound from contoso is declared not allowed"),
        ({"ensure": "absent"}, "ensure", "fabrikam's partner entry for contoso is declared absent"),
    ],
)
def test_a_contradicting_declaration_names_both_places(tmp_path: Path, partner: dict, declared_path: str,
                                                        what: str) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "links.yaml").write_text(TENANTS + LINK_HEAD)
    (folder / "access.yaml").write_text("access:\n  fabrikam:\n    partners:\n      contoso: " + json.dumps(partner) + "\n")
    with pytest.raises(ConfigError) as caught:
        compile_state(load_policies(folder))
    (error,) = caught.value.diagnostics
    assert error.location == SourceLocation("p/links.yaml", 9, 3)
    assert error.path == "links.c-to-f"
    declared = load_policies_state(folder).location_of(("access", "fabrikam", "partners", "contoso",
                                                        *declared_path.split(".")))
    assert declared is not None and declared.file == "p/access.yaml"
    assert error.message == (
        "link c-to-f from contoso to fabrikam (at p/links.yaml:9:3) needs automatic redemption outbound in contoso "
        "and inbound in fabrikam, and user sync inbound allowed in fabrikam; but "
        f"{what} (access.fabrikam.partners.contoso.{declared_path} at {declared})"
    )


def load_policies_state(folder: Path) -> DesiredState:
    return load_policies(folder)


def test_source_side_contradiction_and_ignored_partner() -> None:
    data = {
        "tenants": tenants(contoso="managed", fabrikam="managed"),
        "access": {"contoso": {"partners": {"fabrikam": {"automatic_redemption": {"outbound": False}}}},
                   "fabrikam": {"ignore": [CONTOSO]}},
        "links": {"l": link()},
    }
    assert [message.split("; but ")[1] for _, message in compile_errors(data)] == [
        "contoso's outbound automatic redemption for fabrikam is declared false "
        "(access.contoso.partners.fabrikam.automatic_redemption.outbound)",
        f"fabrikam lists contoso ({CONTOSO}) under ignore, so its partner entry is never written "
        "(access.fabrikam.ignore)",
    ]


def test_compile_error_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / "link-compile-errors"
    monkeypatch.chdir(folder)
    with pytest.raises(ConfigError) as caught:
        compile_state(load_policies(Path(".")))
    assert str(caught.value) == (folder / "expected-compile.txt").read_text(encoding="utf-8").rstrip("\n")


def test_links_imply_each_partner_once_and_merge_both_directions() -> None:
    state = compiled({"tenants": tenants(contoso="managed", fabrikam="managed"),
                      "links": {"a": link(), "b": link(**{"from": "fabrikam", "to": "contoso"})}})
    by = state.by_address()
    assert [r.address for r in state.resources if r.kind == "partner"] == [
        "contoso.partner.fabrikam", "fabrikam.partner.contoso"]
    for address in ("contoso.partner.fabrikam", "fabrikam.partner.contoso"):
        assert by[address].body == {"automaticUserConsentSettings": {"outboundAllowed": True, "inboundAllowed": True}}


# --- validation errors with positions -------------------------------------------------------------


@pytest.mark.parametrize(
    "expression_line",
    [
        'expression: Join(" ", [givenName] [surname])',  # plain
        "expression: 'Join(\" \", [givenName] [surname])'",  # single-quoted: the quote takes a column
        "expression: 'Join(\"''\", [givenName] [surname])'",  # '' is one character of the value
        'expression: "Join(\\" \\", [givenName] [surname])"',  # \" is one character of the value
        'expression: "Join(\\x22 \\x22, [givenName]\\\n   [surname])"',  # hex escapes, escaped line break
    ],
)
def test_expression_errors_point_into_the_scalar(tmp_path: Path, expression_line: str) -> None:
    """The parser stops at the `[` of `[surname]` (a missing comma); the error points at it in the file."""
    text = LINK_HEAD + "    mappings:\n      displayName:\n        " + expression_line + "\n"
    (error,) = load_errors(tmp_path / "p", text)
    assert error.path == "links.c-to-f.mappings.displayName.expression"
    assert error.message == "invalid expression: expected ',' or ')' after argument 2 of Join, found '['"
    lines = (TENANTS + text).split("\n")
    line = next(n for n, row in enumerate(lines, start=1) if "[surname]" in row)
    assert error.location == SourceLocation("p/p.yaml", line, lines[line - 1].index("[surname]") + 1)


def test_expression_errors_in_block_scalars(tmp_path: Path) -> None:
    literal = LINK_HEAD + "    mappings:\n      displayName:\n        expression: |\n" \
        '          Join(" ",\n            [givenName] [surname])\n'
    (error,) = load_errors(tmp_path / "literal", literal)
    assert (error.location.line, error.location.column) == (16, 25)  # the `[` of [surname], on the block's line 2
    folded = LINK_HEAD + "    mappings:\n      displayName:\n        expression: >-\n" \
        '          Join(" ",\n          [givenName] [surname])\n'
    (error,) = load_errors(tmp_path / "folded", folded)
    assert (error.location.line, error.location.column) == (16, 23)


def test_unsupported_expression_pattern_is_a_validation_error(tmp_path: Path) -> None:
    (error,) = load_errors(tmp_path / "p", LINK_HEAD + "    mappings:\n"
                           "      mail: {expression: 'SelectUniqueValue([mail], [userPrincipalName])'}\n")
    assert error.message.startswith("invalid expression: SelectUniqueValue is not supported for cross-tenant")
    assert (error.location.line, error.location.column) == (13, 27)


def test_load_error_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / "link-load-errors"
    monkeypatch.chdir(folder)
    with pytest.raises(ConfigError) as caught:
        load_policies(Path("."))
    text = str(caught.value)
    assert text == (folder / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    # The points the fixture is there for, spelled out:
    assert "links.yaml:8:56: links.contoso-to-fabrikam.mappings.displayName.expression: invalid expression: " in text
    assert ("links.yaml:7:7: links.contoso-to-fabrikam.mappings.alternativeSecurityIds: alternativeSecurityIds is "
            "the matching attribute") in text
    assert "links.yaml:15:10: links.contoso-to-fabrikam.scoping_filters.1.0: is_null takes no value, got 1" in text


def test_links_may_be_spread_over_files(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "a.yaml").write_text(TENANTS + LINK_HEAD)
    (folder / "b.yaml").write_text("links:\n  f-to-c: {from: fabrikam, to: contoso}\n")
    assert sorted(load_policies(folder).links) == ["c-to-f", "f-to-c"]


# --- source_columns on its own ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "value"),
    [
        ('a: Join(" ", [x])\n', 'Join(" ", [x])'),
        ("a: 'It''s [x]'\n", "It's [x]"),
        ('a: "tab\\there \\u00e9"\n', "tab\there \u00e9"),
        ("a: |\n  one\n    two\n", "one\n  two\n"),
        ("a: >\n  one\n  two\n\n  three\n", "one two\nthree\n"),
        ('a: "one\n  two"\n', "one two"),
    ],
)
def test_every_character_of_a_value_is_found_at_its_source(document: str, value: str) -> None:
    lines = document.split("\n")
    for offset in range(len(value)):
        found = value_position(document, 1, 4, value, offset)
        assert found is not None, offset
        line, column = found
        if value[offset] not in "\n \t\u00e9":  # folded breaks and escapes have no character of their own
            assert lines[line - 1][column - 1] == value[offset], (offset, found)


def test_a_replay_that_disagrees_gives_up() -> None:
    assert value_position('a: "abc"\n', 1, 4, "abd", 2) is None
    assert value_position('a: "abc"\n', 1, 4, "abc", 3) == (1, 8)  # just past the end: the closing quote


def test_a_notification_address_must_be_an_e_mail_address(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path / "p", "links:\n  l: {from: contoso, to: fabrikam, notify: {emails: [idops]}}\n")
    assert (error.message, error.path) == ("expected an e-mail address such as idops@contoso.com",
                                           "links.l.notify.emails.0")
