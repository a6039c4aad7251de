"""The loader: every problem with its exact message, field path and file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError, Diagnostic, SourceLocation
from reconciler.load import load_policies

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
BROKEN = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.txt").exists())
# Fixtures that load but do not compile: tests/test_compile.py and tests/test_links.py run them.
COMPILE_BROKEN = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected-compile.txt").exists())

TENANTS = """\
tenants:
  contoso:
    tenant_id: 00000000-0000-0000-0000-00000000c0de
    auth: {method: client_secret, client_id: 11111111-0000-0000-0000-000000000001, secret_env: CONTOSO_SECRET}
  fabrikam:
    tenant_id: 00000000-0000-0000-0000-0000000fab00
    auth: {method: workload_identity, client_id: 11111111-0000-0000-0000-000000000002}
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def errors_of(folder: Path) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as caught:
        load_policies(folder)
    return caught.value.diagnostics


def one_error(folder: Path) -> Diagnostic:
    diagnostics = errors_of(folder)
    assert len(diagnostics) == 1, [str(d) for d in diagnostics]
    return diagnostics[0]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # file names in messages are relative to the working directory


@pytest.mark.parametrize("case", BROKEN)
def test_broken_fixture_reports_exactly_the_expected_diagnostics(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / case
    monkeypatch.chdir(folder)
    expected = (folder / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(ConfigError) as caught:
        load_policies(Path("."))
    assert str(caught.value) == expected


def test_every_broken_fixture_has_its_expected_file() -> None:
    cases = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert not set(BROKEN) & set(COMPILE_BROKEN)
    assert cases - set(BROKEN) - set(COMPILE_BROKEN) == {"full", "link-full"}


@pytest.mark.parametrize("case", COMPILE_BROKEN)
def test_fixtures_broken_at_compile_time_load_cleanly(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / case)
    load_policies(Path("."))


def test_wrong_type_is_not_coerced_and_points_at_the_value(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": TENANTS + "access:\n  fabrikam:\n    partners:\n      contoso:\n        inbound_trust: {mfa: \"yes\"}\n"},
    )
    error = one_error(folder)
    assert error == Diagnostic(
        "expected true, false or 'inherit', got 'yes'",
        "access.fabrikam.partners.contoso.inbound_trust.mfa",
        SourceLocation("p/a.yaml", 12, 30),
    )


def test_duplicate_key_within_a_file_names_both_places(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": TENANTS + "  contoso:\n    tenant_id: 00000000-0000-0000-0000-00000000c0de\n"})
    assert one_error(folder) == Diagnostic(
        "duplicate key 'contoso' (first declared at p/a.yaml:2:3)", "tenants.contoso", SourceLocation("p/a.yaml", 8, 3)
    )


def test_every_duplicate_in_a_file_is_reported(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": "access:\n  x: {prune: true, prune: false}\naccess: {}\n"})
    duplicates = [d for d in errors_of(folder) if d.message.startswith("duplicate key")]
    assert [(d.path, d.location) for d in duplicates] == [
        ("access.x.prune", SourceLocation("p/a.yaml", 2, 20)),
        ("access", SourceLocation("p/a.yaml", 3, 1)),
    ]


def test_duplicate_across_files_names_both_places(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {
            "a.yaml": TENANTS,
            "sub/b.yml": "tenants:\n  fabrikam: {tenant_id: 00000000-0000-0000-0000-0000000fab01, auth: {method: azure_cli}}\n",
        },
    )
    assert one_error(folder) == Diagnostic(
        "'tenants.fabrikam' is declared twice: here and at p/a.yaml:5:3",
        "tenants.fabrikam",
        SourceLocation("p/sub/b.yml", 2, 3),
    )


def test_partners_of_one_tenant_may_come_from_several_files(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {
            "tenants.yaml": TENANTS + "  northwind: {tenant_id: 00000000-0000-0000-0000-0000000a0b1d, mode: external}\n",
            "one.yaml": "access:\n  fabrikam:\n    partners:\n      contoso: {inbound_trust: {mfa: true}}\n",
            "two.yaml": "access:\n  fabrikam:\n    prune: true\n    partners:\n      northwind: {inbound_trust: {mfa: false}}\n",
        },
    )
    state = load_policies(folder)
    assert sorted(state.access["fabrikam"].partners) == ["contoso", "northwind"]
    assert state.access["fabrikam"].prune is True
    assert state.location_of(("access", "fabrikam", "partners", "northwind")) == SourceLocation("p/two.yaml", 5, 7)
    assert state.location_of(("access", "fabrikam", "partners", "contoso")) == SourceLocation("p/one.yaml", 4, 7)


def test_the_same_setting_in_two_files_is_a_duplicate(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {
            "a.yaml": TENANTS + "access:\n  fabrikam:\n    prune: true\n",
            "b.yaml": "access:\n  fabrikam:\n    prune: false\n",
        },
    )
    assert one_error(folder) == Diagnostic(
        "'access.fabrikam.prune' is declared twice: here and at p/a.yaml:10:5",
        "access.fabrikam.prune",
        SourceLocation("p/b.yaml", 3, 5),
    )


def test_errors_of_every_file_and_kind_come_together(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {
            "a.yaml": "tenants: {contoso: {tenant_id: nope, auth: {method: azure_cli}}}\n",
            "b.yaml": "access:\n  contoso:\n    prune: 1\n    polcy: {}\n",
            "c.yaml": "tenants: [\n",
        },
    )
    assert [str(d) for d in errors_of(folder)] == [
        "p/a.yaml:1:32: tenants.contoso.tenant_id: expected a GUID (8-4-4-4-12 hexadecimal digits), got 'nope'",
        "p/b.yaml:3:12: access.contoso.prune: expected true or false, got 1",
        "p/b.yaml:4:5: access.contoso.polcy: unknown key 'polcy'; did you mean 'policy'?",
        "p/c.yaml:2:1: YAML syntax error: expected the node content, but found '<stream end>'",
    ]


def test_unknown_key_without_a_close_match_lists_the_keys(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": TENANTS + "syncs: {}\n"})
    assert one_error(folder) == Diagnostic(
        "unknown key 'syncs' (expected one of: access, links, tenants, topologies)", "syncs",
        SourceLocation("p/a.yaml", 8, 1),
    )


def test_graph_camel_case_names_suggest_the_yaml_name(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": TENANTS + "access:\n  fabrikam:\n    default: {inboundTrust: {}}\n"})
    assert one_error(folder).message == "unknown key 'inboundTrust'; did you mean 'inbound_trust'?"


def test_inline_secret_is_refused_and_never_echoed(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {
            "a.yaml": "tenants:\n  contoso:\n    tenant_id: 00000000-0000-0000-0000-00000000c0de\n"
            "    auth: {method: client_secret, client_id: 11111111-0000-0000-0000-000000000001,"
            " secret_env: 'p@ss w0rd!', secret: s3cr3t-value}\n"
        },
    )
    with pytest.raises(ConfigError) as caught:
        load_policies(folder)
    text = str(caught.value)
    assert "s3cr3t-value" not in text and "p@ss w0rd!" not in text
    assert text.splitlines() == [
        "p/a.yaml:4:96: tenants.contoso.auth.secret_env: expected the NAME of an environment variable "
        "([A-Za-z_][A-Za-z0-9_]*), not its value",
        "p/a.yaml:4:110: tenants.contoso.auth.secret: inline secrets are not allowed; use secret_env",
    ]


def test_auth_needs_a_known_method(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": "tenants:\n  contoso:\n    tenant_id: 00000000-0000-0000-0000-00000000c0de\n    auth: {method: kerberos}\n"},
    )
    assert one_error(folder) == Diagnostic(
        "auth needs a method: one of client_secret, certificate, workload_identity, azure_cli, managed_identity",
        "tenants.contoso.auth",
        SourceLocation("p/a.yaml", 4, 5),
    )


def test_a_managed_tenant_needs_auth_but_an_external_one_does_not(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {
            "a.yaml": "tenants:\n  contoso: {tenant_id: 00000000-0000-0000-0000-00000000c0de}\n"
            "  northwind: {tenant_id: 00000000-0000-0000-0000-0000000a0b1d, mode: external}\n"
        },
    )
    assert one_error(folder) == Diagnostic(
        "auth is required for a managed tenant (only an external tenant may leave it out)",
        "tenants.contoso",
        SourceLocation("p/a.yaml", 2, 3),
    )


def test_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": "tenants:\n  contoso:\n    tenant_id: 00000000-0000-0000-0000-00000000c0de\n"
                                            "    auth: {method: client_secret, client_id: 11111111-0000-0000-0000-000000000001}\n"})
    assert one_error(folder) == Diagnostic(
        "missing required key 'secret_env'", "tenants.contoso.auth.secret_env", SourceLocation("p/a.yaml", 4, 5)
    )


def test_a_tenant_needs_an_id_or_for_an_external_one_a_domain(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": "tenants:\n  contoso:\n    auth: {method: azure_cli}\n"})
    assert one_error(folder) == Diagnostic(
        "a tenant needs tenant_id (an external tenant may give domain instead)", "tenants.contoso",
        SourceLocation("p/a.yaml", 2, 3))
    folder = write(tmp_path / "q", {"a.yaml": "tenants:\n  contoso:\n    domain: contoso.example\n"
                                            "    auth: {method: azure_cli}\n"})
    assert one_error(folder) == Diagnostic(
        "a managed tenant needs tenant_id: crosstenant signs in to it (only an external tenant may be declared "
        "by domain alone)", "tenants.contoso", SourceLocation("p/a.yaml".replace("p/", "q/"), 2, 3))
    folder = write(tmp_path / "r", {"a.yaml": "tenants:\n  partner:\n    domain: not a domain\n    mode: external\n"})
    assert one_error(folder) == Diagnostic(
        "expected a domain name such as contoso.com", "tenants.partner.domain", SourceLocation("r/a.yaml", 3, 13))


def test_enum_typo_gets_a_suggestion(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": TENANTS + "access:\n  fabrikam:\n    partners:\n      contoso:\n"
         "        b2b_direct_connect_inbound: {users_and_groups: {access: alowed}}\n"},
    )
    assert one_error(folder) == Diagnostic(
        "expected 'allowed', 'blocked' or 'inherit', got 'alowed'; did you mean 'allowed'?",
        "access.fabrikam.partners.contoso.b2b_direct_connect_inbound.users_and_groups.access",
        SourceLocation("p/a.yaml", 12, 65),
    )


def test_targets_are_checked_per_kind(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": TENANTS + "access:\n  fabrikam:\n    default:\n      b2b_collaboration_outbound:\n"
         "        users_and_groups: {access: allowed, targets: [AllUsers, Office365, {user: not-a-guid}, {device: x}]}\n"},
    )
    assert [str(d) for d in errors_of(folder)] == [
        "p/a.yaml:12:65: access.fabrikam.default.b2b_collaboration_outbound.users_and_groups.targets.1: "
        "'Office365' is not a users-and-groups keyword (expected AllUsers, or a mapping such as {group: <GUID or name>})",
        "p/a.yaml:12:83: access.fabrikam.default.b2b_collaboration_outbound.users_and_groups.targets.2.user: "
        "expected a GUID (8-4-4-4-12 hexadecimal digits), got 'not-a-guid'",
        "p/a.yaml:12:96: access.fabrikam.default.b2b_collaboration_outbound.users_and_groups.targets.3: "
        "a users-and-groups target is AllUsers, {user: <GUID>} or {group: <GUID or name>}",
    ]


def test_null_is_refused_with_a_hint(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": TENANTS + "access:\n  fabrikam:\n    prune:\n    default: {inbound_trust: ~}\n"},
    )
    assert [(d.path, d.message) for d in errors_of(folder)] == [
        ("access.fabrikam.prune", "null is not allowed here: leave the key out"),
        (
            "access.fabrikam.default.inbound_trust",
            "null is not allowed here: write inherit for Graph's null, or leave the key out",
        ),
    ]


def test_absent_partner_takes_no_other_settings(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": TENANTS + "access:\n  fabrikam:\n    partners:\n      contoso: {ensure: absent, inbound_trust: {mfa: true}}\n"},
    )
    assert one_error(folder) == Diagnostic(
        "a partner with ensure: absent is deleted, so it takes no other settings (found: inbound_trust)",
        "access.fabrikam.partners.contoso",
        SourceLocation("p/a.yaml", 11, 7),
    )


def test_invalid_alias_key(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": "tenants:\n  Contoso_HQ: {tenant_id: 00000000-0000-0000-0000-00000000c0de, auth: {method: azure_cli}}\n"},
    )
    assert one_error(folder) == Diagnostic(
        "an alias starts with a lower-case letter and has only a-z, 0-9 and '-' ([a-z][a-z0-9-]*), got 'Contoso_HQ'",
        "tenants.Contoso_HQ",
        SourceLocation("p/a.yaml", 2, 3),
    )


def test_empty_files_are_ignored_and_hidden_folders_skipped(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {"a.yaml": TENANTS, "empty.yml": "", "comments.yaml": "# nothing yet\n", ".github/ci.yml": "on: push\n"},
    )
    state = load_policies(folder)
    assert sorted(state.tenants) == ["contoso", "fabrikam"]


def test_only_empty_files_load_an_empty_state(tmp_path: Path) -> None:
    state = load_policies(write(tmp_path / "p", {"a.yaml": ""}))
    assert state.tenants == {} and state.access == {}


def test_missing_folder(tmp_path: Path) -> None:
    assert one_error(tmp_path / "nope") == Diagnostic("the policy folder 'nope' does not exist")


def test_a_path_outside_the_working_directory_is_shown_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write(tmp_path / "p", {"a.yaml": "tenants: 3\n"})
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert one_error(folder) == Diagnostic(
        "expected a mapping, got 3", "tenants", SourceLocation(str(folder / "a.yaml"), 1, 10)
    )


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.yaml").write_bytes(b"tenants: \xff\xfe\n")
    assert one_error(tmp_path / "p") == Diagnostic(
        "cannot read the file: it is not UTF-8 text", "", SourceLocation("p/a.yaml", 1, 1)
    )


def test_two_documents_in_one_file_are_an_error(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": "tenants: {}\n---\naccess: {}\n"})
    error = one_error(folder)
    assert error.location == SourceLocation("p/a.yaml", 2, 1)
    assert error.message == "YAML syntax error: expected a single document in the stream but found another document"


def test_custom_tags_are_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "p", {"a.yaml": "tenants: !include other.yaml\n"})
    assert one_error(folder) == Diagnostic(
        "YAML tag '!include' is not supported here", "tenants", SourceLocation("p/a.yaml", 1, 10)
    )


def test_anchors_and_merge_keys_share_settings(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "p",
        {
            "a.yaml": TENANTS + "  northwind: {tenant_id: 00000000-0000-0000-0000-0000000a0b1d, mode: external}\n"
            "access:\n  fabrikam:\n    partners:\n"
            "      contoso: &trusted {inbound_trust: {mfa: true}, automatic_redemption: {inbound: true}}\n"
            "      northwind: {<<: *trusted, automatic_redemption: {inbound: false}}\n"
        },
    )
    partners = load_policies(folder).access["fabrikam"].partners
    assert partners["northwind"].inbound_trust == partners["contoso"].inbound_trust
    assert partners["northwind"].automatic_redemption.inbound is False
    assert partners["contoso"].automatic_redemption.inbound is True


def test_location_of_falls_back_to_the_nearest_declared_parent(tmp_path: Path) -> None:
    state = load_policies(FIXTURES / "full")
    where = state.location_of(("access", "fabrikam", "partners", "contoso", "inbound_trust"))
    assert (where.line, where.column) == (13, 9) and where.file.endswith("full/access/fabrikam.yaml")
    deeper = state.location_of(("access", "fabrikam", "partners", "contoso", "inbound_trust", "not-declared"))
    assert deeper == where
    # Nothing declared there: the root of the first file (sorted by path) is the nearest parent.
    root = state.location_of(("nothing",))
    assert root.file.endswith("full/access/fabrikam-more.yml") and (root.line, root.column) == (1, 1)
