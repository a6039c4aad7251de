"""Renderers: golden text / Markdown / JSON of a plan with every action, escaping, truncation.

Regenerate the golden files with `UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py`
and review the diff before committing it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest

from reconciler.apply import execute_plan
from reconciler.errors import GraphError
from reconciler.plan import Change, FieldChange, Plan, Unmanaged, build_plan
from reconciler.render import render_apply_report_text, render_json, render_markdown, render_text
from reconciler.resources.base import Resource

GOLDEN = Path(__file__).parent / "golden"
CONTOSO = "00000000-0000-0000-0000-00000000c0de"
FABRIKAM = "00000000-0000-0000-0000-0000000fab00"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Based on the documented GET of a partner (partners-get.response.json, tenantRestrictions unset): it is
# what a pruned partner's delete shows, and it has enough properties to be folded in Markdown.
DOCUMENTED_PARTNER = {
    "tenantId": "9c5d131d-b1c3-4fc4-9e3f-c6557947d551",
    "inboundTrust": None,
    "isInMultiTenantOrganization": False,
    "automaticUserConsentSettings": {"inboundAllowed": None, "outboundAllowed": None},
    "b2bCollaborationInbound": None,
    "b2bCollaborationOutbound": None,
    "b2bDirectConnectOutbound": None,
    "b2bDirectConnectInbound": {
        "usersAndGroups": {"accessType": "allowed", "targets": [{"target": "AllUsers", "targetType": "user"}]},
        "applications": {"accessType": "allowed", "targets": [{"target": "Office365", "targetType": "application"}]},
    },
    "tenantRestrictions": None,
    "m365CollaborationInbound": None,
    "m365CollaborationOutbound": None,
    "appServiceConnectInbound": None,
}


def overlay(resource: Resource, live: dict | None) -> dict:
    out = {}
    for key, value in resource.body.items():
        base = (live or {}).get(key)
        out[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return out


def golden_plan() -> Plan:
    """One change of each action, an unmanaged partner, a warning and unsafe reasons."""
    fab_partner = f"fabrikam.partner.{CONTOSO}"
    pairs = [
        # create: contoso trusts fabrikam's MFA; compliant devices inherit
        (
            Resource(
                "contoso.partner.fabrikam", "partner", "contoso", CONTOSO, FABRIKAM,
                body={"tenantId": FABRIKAM, "inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": None},
                      "automaticUserConsentSettings": {"outboundAllowed": True}},
            ),
            None,
        ),
        # update: fabrikam's partner entry for contoso accepts inbound redemption (null -> true)
        (
            Resource(fab_partner, "partner", "fabrikam", FABRIKAM, CONTOSO,
                     body={"automaticUserConsentSettings": {"inboundAllowed": True}}),
            {"tenantId": CONTOSO, "inboundTrust": None, "automaticUserConsentSettings": {"inboundAllowed": None,
                                                                                        "outboundAllowed": None}},
        ),
        # update after the partner: identity sync allowed (documented GET shape)
        (
            Resource(f"{fab_partner}.identity_sync", "identity_sync", "fabrikam", FABRIKAM, CONTOSO,
                     body={"userSyncInbound": {"isSyncAllowed": True}}, depends_on=(fab_partner,)),
            {"tenantId": CONTOSO, "displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": False}},
        ),
        # delete under prune: the documented partner
        (
            Resource("contoso.partner.9c5d131d-b1c3-4fc4-9e3f-c6557947d551", "partner", "contoso", CONTOSO,
                     "9c5d131d-b1c3-4fc4-9e3f-c6557947d551", ensure="absent", meta={"pruned": True}),
            DOCUMENTED_PARTNER,
        ),
        # replace: a link pointed at another target is a new configuration
        (
            Resource("contoso.link.contoso-to-fabrikam", "link", "contoso", CONTOSO, "contoso-to-fabrikam",
                     body={"targetTenantId": FABRIKAM}, depends_on=(f"{fab_partner}.identity_sync",),
                     meta={"unsafe_reason": "the configuration is made anew: the next cycle is an initial sync"}),
            {"displayName": "contoso-to-fabrikam (crosstenant)", "targetTenantId": "00000000-0000-0000-0000-0000000a0b1d"},
        ),
    ]
    return build_plan(
        pairs,
        payload=overlay,
        replace_paths=lambda kind: frozenset({("targetTenantId",)}) if kind == "link" else frozenset(),
        unmanaged=[Unmanaged("contoso.partner.00000000-0000-0000-0000-0000000005a5", "contoso", "partner",
                             "00000000-0000-0000-0000-0000000005a5", "not declared; tenant name unreadable")],
        warnings=["northwind is read-only: its inbound settings are checked, never written"],
        desired_digest="sha256:golden",
    )


def golden_json() -> dict:
    data = golden_plan().to_json()
    data["tool_version"] = "0.0.0-golden"  # a version bump must not churn the golden files
    return data


def golden_report_json() -> dict:
    async def run(change: Change) -> None:
        if change.address.endswith("identity_sync"):
            raise GraphError(404, "Directory_ObjectNotFound", "Resource not found.", request_id="0b1c",
                             method="PATCH", path=f"/policies/crossTenantAccessPolicy/partners/{CONTOSO}/identitySynchronization")

    return asyncio.run(execute_plan(golden_plan(), run)).to_json()


RENDERINGS = {
    "plan.txt": lambda: render_text(golden_json()),
    "plan.color.txt": lambda: render_text(golden_json(), color=True),
    "plan.md": lambda: render_markdown(golden_json()),
    "plan.json": lambda: render_json(golden_json()),
    "apply-report.txt": lambda: render_apply_report_text(golden_report_json()),
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_golden(name):
    rendered = RENDERINGS[name]()
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), f"{name} differs; UPDATE_GOLDEN=1 regenerates it"


def test_golden_plan_has_one_change_of_each_action():
    assert golden_plan().summary == {"create": 1, "update": 2, "delete": 1, "replace": 1}


def test_text_shows_unsafe_first_markers_fields_and_summary():
    text = render_text(golden_json())
    lines = text.splitlines()
    assert lines[0] == "Plan is UNSAFE — apply needs --force:"
    assert lines[-1] == "Plan: 1 to create, 2 to update, 1 to delete, 1 to replace."
    assert "  + contoso.partner.fabrikam" in lines
    assert f"  ~ fabrikam.partner.{CONTOSO}" in lines
    assert "-/+ contoso.link.contoso-to-fabrikam  # replaced: a field that cannot be updated changed" in lines
    assert "      automaticUserConsentSettings.inboundAllowed: null -> true" in lines
    assert "      inboundTrust.isCompliantDeviceAccepted: (absent) -> null" in lines
    assert '      tenantId: "9c5d131d-b1c3-4fc4-9e3f-c6557947d551" -> (absent)' in lines
    assert text.index("Warnings:") < text.index("contoso (") < text.index("Unmanaged (not declared; left alone):")
    assert not ANSI.search(text)


def test_colour_only_when_asked_and_the_same_text_underneath():
    coloured = render_text(golden_json(), color=True)
    assert "\x1b[32m  +\x1b[0m contoso.partner.fabrikam" in coloured
    assert ANSI.sub("", coloured) == render_text(golden_json())


def test_an_empty_plan_says_so_in_every_format():
    data = Plan().to_json()
    assert render_text(data) == "No changes. The tenants match the desired state.\n"
    assert render_markdown(data) == "**No changes. The tenants match the desired state.**\n"
    assert json.loads(render_json(data)) == data


def test_markdown_summary_first_then_unsafe_and_one_section_per_tenant():
    md = render_markdown(golden_json())
    assert md.startswith("**Plan: 1 to create, 2 to update, 1 to delete, 1 to replace.**\n")
    assert md.index("Plan is UNSAFE") < md.index("### contoso (") < md.index("### fabrikam (")
    assert "| automaticUserConsentSettings.inboundAllowed | null | true |" in md
    assert "| inboundTrust.isCompliantDeviceAccepted | *(absent)* | null |" in md
    # the pruned partner has 12 properties, over the fold limit: folded; the others are not
    assert re.search(r"<details><summary><code>- delete</code> contoso\.partner\.9c5d[^<]*\(12 fields\)</summary>", md)
    assert md.count("<details>") == 1


def test_markdown_escapes_values_and_names():
    nasty = 'a|b `tick` <script>alert(1)</script> & x\ny *z* _u_'
    plan = Plan(changes=(
        Change("t.partner.a_b", "partner", "t", CONTOSO, "a", "update",
               fields=(FieldChange(("displayName",), "old|name", nasty),)),
    ), warnings=("warn <b>|</b>\nsecond line",))
    md = render_markdown(plan.to_json())
    row = next(line for line in md.splitlines() if line.startswith("| displayName"))
    assert row.count("|") == 4  # the value's own pipes cannot split the cell
    for raw in ("<script>", "`tick`", "*z*", "_u_", "\n"):
        assert raw not in row
    assert "&lt;script&gt;" in row and "&amp;" in row and "&#96;tick&#96;" in row
    assert "x\\\\ny" in row  # JSON's \n escape, its backslash escaped for Markdown
    assert "- warn &lt;b&gt;&#124;&lt;/b&gt;<br>second line" in md  # a raw newline stays in its list item
    assert "t.partner.a\\_b" in md


def test_text_neutralises_control_characters_in_values():
    plan = Plan(changes=(Change("t.x", "partner", "t", CONTOSO, "x", "update",
                                fields=(FieldChange(("displayName",), "a\x1b[2Jb", "c\x9bd"),)),))
    text = render_text(plan.to_json())
    assert "\x1b" not in text and "\x9b" not in text
    assert '"a\\u001b[2Jb" -> "c\\u009bd"' in text


def big_plan(n: int) -> dict:
    changes = tuple(
        Change(f"t.partner.p{i:03}", "partner", "t", CONTOSO, f"p{i:03}", "update",
               fields=(FieldChange(("inboundTrust", "isMfaAccepted"), False, True),))
        for i in range(n)
    )
    unmanaged = tuple(Unmanaged(f"t.partner.u{i}", "t", "partner", f"u{i}") for i in range(5))
    return Plan(changes=changes, unmanaged=unmanaged).to_json()


def test_markdown_is_truncated_under_the_limit_and_says_so():
    data = big_plan(200)
    full = render_markdown(data, max_chars=10**9)
    assert "Truncated" not in full and full.count("t.partner.p") == 200
    short = render_markdown(data, max_chars=5000)
    assert len(short) <= 5000
    shown = short.count("`~ update`")
    assert 0 < shown < 200
    assert f"Truncated to fit a comment: {200 - shown} change(s) and 5 unmanaged object(s) are not shown." in short
    assert short.startswith("**Plan: 0 to create, 200 to update, 0 to delete, 0 to replace.**")
    # one change more would not have fitted
    assert len(render_markdown(data, max_chars=len(short) - 1)) <= len(short) - 1


def test_markdown_cuts_even_the_header_when_it_alone_is_too_long():
    plan = Plan(warnings=tuple(f"warning number {i}" for i in range(500)))
    md = render_markdown(plan.to_json(), max_chars=2000)
    assert len(md) <= 2000
    assert md.rstrip().endswith("The JSON plan (`--format json`) has everything.")


def test_a_saved_plan_renders_exactly_as_the_fresh_one():
    fresh = golden_json()
    saved = json.loads(render_json(fresh))
    assert render_text(saved) == render_text(fresh)
    assert render_markdown(saved) == render_markdown(fresh)
    assert render_json(saved) == render_json(fresh)
    assert Plan.from_json(saved) == golden_plan()


def test_json_rendering_has_sorted_keys_and_indent():
    text = render_json(golden_json())
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_apply_report_lists_outcomes_and_why():
    text = render_apply_report_text(golden_report_json())
    assert "  FAILED   fabrikam.partner.00000000-0000-0000-0000-00000000c0de.identity_sync (update)" in text
    assert "           DependencyFailed: fabrikam.partner.00000000-0000-0000-0000-00000000c0de.identity_sync failed" in text
    assert "  skipped  contoso.link.contoso-to-fabrikam (replace)" in text
    assert text.endswith("Apply: 3 applied, 1 failed, 1 skipped.\n")


def test_apply_report_of_nothing_and_its_colours():
    from reconciler.apply import ApplyReport

    assert render_apply_report_text(ApplyReport((), "c").to_json()) == "Apply: nothing to do.\n"
    coloured = render_apply_report_text(golden_report_json(), color=True)
    assert "\x1b[1;31mFAILED \x1b[0m" in coloured
    assert ANSI.sub("", coloured) == render_apply_report_text(golden_report_json())
