"""build_plan, order_changes, the plan's JSON, checksum and fingerprints."""

from __future__ import annotations

import json

import pytest

import reconciler
from reconciler.plan import (
    MISSING,
    Change,
    FieldChange,
    Plan,
    PlanFormatError,
    Unmanaged,
    build_plan,
    execution_prerequisites,
    fingerprint,
    order_changes,
)
from reconciler.resources.base import Resource
from reconciler.safety import SafetyLimits

CONTOSO = "00000000-0000-0000-0000-00000000c0de"
FABRIKAM = "00000000-0000-0000-0000-0000000fab00"


def partner(tenant: str, tenant_id: str, key: str, body=None, **kw) -> Resource:
    return Resource(f"{tenant}.partner.{key}", "partner", tenant, tenant_id, key, body=body or {}, **kw)


def identity_sync(tenant: str, tenant_id: str, key: str, body=None, **kw) -> Resource:
    return Resource(
        f"{tenant}.partner.{key}.identity_sync",
        "identity_sync",
        tenant,
        tenant_id,
        key,
        body=body or {},
        depends_on=(f"{tenant}.partner.{key}",),
        **kw,
    )


def overlay(resource: Resource, live: dict | None) -> dict:
    """A payload builder like the handlers': each touched top-level property, live laid under declared."""
    out = {}
    for key, value in resource.body.items():
        base = (live or {}).get(key)
        out[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return out


def change(address: str, action: str = "create", depends_on=(), kind: str = "partner") -> Change:
    tenant = address.split(".")[0]
    return Change(address, kind, tenant, CONTOSO, address, action, depends_on=tuple(depends_on))


# --- build_plan: which change, with which fields and payload ---------------------------------


def test_present_and_missing_is_a_create_with_every_declared_leaf():
    r = partner("contoso", CONTOSO, "fabrikam", {"tenantId": FABRIKAM, "inboundTrust": {"isMfaAccepted": True}})
    (c,) = build_plan([(r, None)], payload=overlay).changes
    assert (c.action, c.reason) == ("create", "missing_in_live")
    assert c.fields == (
        FieldChange(("inboundTrust", "isMfaAccepted"), MISSING, True),
        FieldChange(("tenantId",), MISSING, FABRIKAM),
    )
    assert c.payload == {"tenantId": FABRIKAM, "inboundTrust": {"isMfaAccepted": True}}
    assert (c.tenant, c.tenant_id, c.key, c.kind) == ("contoso", CONTOSO, "fabrikam", "partner")


def test_present_and_different_is_an_update_whose_payload_sees_the_live_body():
    seen = []

    def payload(resource, live):
        seen.append(live)
        return overlay(resource, live)

    live = {"tenantId": FABRIKAM, "inboundTrust": {"isMfaAccepted": False, "isCompliantDeviceAccepted": True}}
    r = partner("contoso", CONTOSO, "fabrikam", {"inboundTrust": {"isMfaAccepted": True}})
    (c,) = build_plan([(r, live)], payload=payload).changes
    assert (c.action, c.reason) == ("update", "differs_from_declared")
    assert c.fields == (FieldChange(("inboundTrust", "isMfaAccepted"), False, True),)
    assert c.payload == {"inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": True}}
    assert seen == [live]


def test_present_and_equal_is_no_change_and_payload_is_not_built():
    def payload(resource, live):
        raise AssertionError("no payload for a resource that does not change")

    live = {"tenantId": FABRIKAM, "inboundTrust": {"isMfaAccepted": True}, "isServiceDefault": False}
    r = partner("contoso", CONTOSO, "fabrikam", {"inboundTrust": {"isMfaAccepted": True}})
    plan = build_plan([(r, live)], payload=payload)
    assert plan.is_empty
    assert plan.summary == {"create": 0, "update": 0, "delete": 0, "replace": 0}


def test_absent_and_live_is_a_delete_of_every_top_level_property_without_payload():
    live = {"tenantId": "3c3c", "inboundTrust": None, "automaticUserConsentSettings": {"inboundAllowed": True}}
    r = partner("contoso", CONTOSO, "3c3c", ensure="absent")
    (c,) = build_plan([(r, live)], payload=overlay).changes
    assert (c.action, c.reason, c.payload) == ("delete", "ensure_absent", None)
    assert c.fields == (
        FieldChange(("automaticUserConsentSettings",), {"inboundAllowed": True}, MISSING),
        FieldChange(("inboundTrust",), None, MISSING),
        FieldChange(("tenantId",), "3c3c", MISSING),
    )


def test_a_pruned_delete_says_so():
    r = partner("contoso", CONTOSO, "5a5a", ensure="absent", meta={"pruned": True})
    (c,) = build_plan([(r, {"tenantId": "5a5a"})], payload=overlay).changes
    assert (c.reason, c.meta) == ("pruned", {"pruned": True})


def test_absent_and_missing_is_nothing():
    assert build_plan([(partner("contoso", CONTOSO, "x", ensure="absent"), None)], payload=overlay).is_empty


def test_a_diff_on_a_replace_path_is_a_replace_built_as_a_create():
    seen = []

    def payload(resource, live):
        seen.append(live)
        return dict(resource.body)

    def replace_paths(kind):
        return frozenset({("targetTenantId",)}) if kind == "link" else frozenset()

    r = Resource("contoso.link.c-to-f", "link", "contoso", CONTOSO, "c-to-f", body={"targetTenantId": "t2"})
    (c,) = build_plan([(r, {"targetTenantId": "t1", "managed": True})], payload=payload, replace_paths=replace_paths).changes
    assert (c.action, c.reason, c.actions) == ("replace", "immutable_field_changed", ("delete", "create"))
    assert seen == [None]
    # the same diff on a kind without replace paths is an update
    r2 = Resource("contoso.link.c-to-f.settings", "link_settings", "contoso", CONTOSO, "c-to-f", body={"targetTenantId": "t2"})
    (c2,) = build_plan([(r2, {"targetTenantId": "t1"})], payload=payload, replace_paths=replace_paths).changes
    assert c2.action == "update"


def test_a_replace_path_matches_its_descendants_only():
    r = Resource("a.x", "k", "a", CONTOSO, "", body={"source": {"id": "2"}, "sourceName": "n"})
    live = {"source": {"id": "1"}, "sourceName": "o"}
    rp = {"k": frozenset({("source",)})}.get
    assert build_plan([(r, live)], payload=overlay, replace_paths=rp).changes[0].action == "replace"
    r2 = Resource("a.x", "k", "a", CONTOSO, "", body={"sourceName": "n"})
    assert build_plan([(r2, live)], payload=overlay, replace_paths=rp).changes[0].action == "update"


def test_meta_and_depends_on_are_carried_into_the_change():
    r = identity_sync("fabrikam", FABRIKAM, CONTOSO, {"userSyncInbound": {"isSyncAllowed": True}},
                      meta={"unsafe_reason": "x", "display_name": ("a", "b")})
    (c,) = build_plan([(r, None)], payload=overlay).changes
    assert c.depends_on == (f"fabrikam.partner.{CONTOSO}",)
    assert c.meta == {"unsafe_reason": "x", "display_name": ["a", "b"]}  # JSON-shaped


def test_duplicate_addresses_are_refused():
    r = partner("contoso", CONTOSO, "fabrikam")
    with pytest.raises(ValueError, match="contoso.partner.fabrikam"):
        build_plan([(r, None), (r, None)], payload=overlay)


def test_managed_count_and_fingerprints_default_to_what_was_read():
    a = partner("contoso", CONTOSO, "a", {"inboundTrust": None})
    b = partner("contoso", CONTOSO, "b", {"inboundTrust": None})
    live_a = {"tenantId": "a", "inboundTrust": None}
    plan = build_plan([(b, None), (a, live_a)], payload=overlay)
    assert plan.managed_count == 1
    assert plan.live_fingerprints == {"contoso.partner.a": fingerprint(live_a), "contoso.partner.b": "absent"}
    explicit = build_plan([(a, live_a)], payload=overlay, managed_count=40, live_fingerprints={"x": "1"})
    assert (explicit.managed_count, explicit.live_fingerprints) == (40, {"x": "1"})


def test_build_plan_fills_unsafe_reasons_from_the_limits():
    r = partner("contoso", CONTOSO, "3c3c", ensure="absent")
    plan = build_plan([(r, {"tenantId": "3c3c"})], payload=overlay)
    assert plan.unsafe_reasons == ("deletes partner contoso.partner.3c3c",)
    relaxed = build_plan([(r, {"tenantId": "3c3c"})], payload=overlay, limits=SafetyLimits(force_kinds=frozenset()))
    assert relaxed.unsafe_reasons == ()


def test_unmanaged_are_sorted_and_warnings_kept_in_order():
    u1 = Unmanaged("contoso.partner.b", "contoso", "partner", "b")
    u2 = Unmanaged("contoso.partner.a", "contoso", "partner", "a", "support tenant")
    plan = build_plan([], payload=overlay, unmanaged=[u1, u2], warnings=["w2", "w1"])
    assert [u.address for u in plan.unmanaged] == ["contoso.partner.a", "contoso.partner.b"]
    assert plan.warnings == ("w2", "w1")
    assert plan.is_empty


# --- ordering -----------------------------------------------------------------------------


def test_creates_follow_their_dependencies_and_ties_go_by_address():
    ordered = order_changes(
        [
            change("s.link.s-to-t.job", depends_on=["t.partner.s.identity_sync", "s.partner.t"]),
            change("t.partner.s.identity_sync", "update", depends_on=["t.partner.s"]),
            change("t.partner.s"),
            change("s.partner.t"),
            change("a.default", "update"),
        ]
    )
    assert [c.address for c in ordered] == [
        "a.default",
        "s.partner.t",
        "t.partner.s",
        "t.partner.s.identity_sync",
        "s.link.s-to-t.job",
    ]


def test_deletes_come_first_dependents_before_what_they_depend_on():
    ordered = order_changes(
        [
            change("z.partner.p", "create"),
            change("t.partner.s", "delete"),
            change("t.partner.s.identity_sync", "delete", depends_on=["t.partner.s"]),
            change("t.partner.q", "delete"),
            change("t.partner.r", "replace"),
        ]
    )
    assert [c.address for c in ordered] == [
        "t.partner.q",
        "t.partner.s.identity_sync",
        "t.partner.s",
        "t.partner.r",
        "z.partner.p",
    ]


def test_a_partner_delete_and_another_partner_create_are_independent():
    needs = execution_prerequisites([change("t.partner.a", "delete"), change("t.partner.b", "create")])
    assert needs == {"t.partner.a": frozenset(), "t.partner.b": frozenset()}


def test_dependencies_outside_the_plan_do_not_constrain_the_order():
    ordered = order_changes([change("b.x", depends_on=["not.in.plan"]), change("a.x")])
    assert [c.address for c in ordered] == ["a.x", "b.x"]


def test_kind_order_breaks_ties_and_is_reversed_for_deletes():
    rank = {"partner": 1, "default": 2}.__getitem__
    changes = [
        change("a.default", "create", kind="default"),
        change("b.partner.x", "create"),
        change("a.default.old", "delete", kind="default"),
        change("b.partner.y", "delete"),
    ]
    assert [c.address for c in order_changes(changes, kind_order=rank)] == [
        "a.default.old",
        "b.partner.y",
        "b.partner.x",
        "a.default",
    ]


def test_order_is_deterministic_whatever_the_input_order():
    changes = [change(f"t.partner.{i}", depends_on=[f"t.partner.{i - 1}"] if i % 3 else []) for i in range(12)]
    expected = [c.address for c in order_changes(changes)]
    assert [c.address for c in order_changes(list(reversed(changes)))] == expected
    position = {a: i for i, a in enumerate(expected)}
    for c in changes:
        for d in c.depends_on:
            assert position[d] < position[c.address]


@pytest.mark.parametrize("action", ["create", "delete"])
def test_a_dependency_cycle_is_an_error_naming_its_members(action):
    changes = [change("t.a", action, ["t.b"]), change("t.b", action, ["t.a"]), change("t.c", action)]
    with pytest.raises(ValueError, match=r"cycle among: t\.a, t\.b$"):
        order_changes(changes)


def test_self_dependency_is_an_error():
    with pytest.raises(ValueError, match="t.a depends on itself"):
        order_changes([change("t.a", depends_on=["t.a"])])


def test_build_plan_orders_its_changes():
    p = partner("fabrikam", FABRIKAM, CONTOSO, {"tenantId": CONTOSO})
    s = identity_sync("fabrikam", FABRIKAM, CONTOSO, {"userSyncInbound": {"isSyncAllowed": True}})
    plan = build_plan([(s, None), (p, None)], payload=overlay)
    assert [c.address for c in plan.changes] == [p.address, s.address]
    dp = partner("fabrikam", FABRIKAM, CONTOSO, ensure="absent")
    ds = identity_sync("fabrikam", FABRIKAM, CONTOSO, ensure="absent")
    plan = build_plan([(dp, {"tenantId": CONTOSO}), (ds, {"tenantId": CONTOSO})], payload=overlay)
    assert [c.address for c in plan.changes] == [ds.address, dp.address]


# --- JSON, checksum, fingerprints -----------------------------------------------------------


def sample_plan(**kw) -> Plan:
    pairs = [
        (partner("contoso", CONTOSO, "fabrikam", {"inboundTrust": {"isMfaAccepted": True, "x": None}}), None),
        (Resource("contoso.default", "default", "contoso", CONTOSO, "", body={"inboundTrust": {"isMfaAccepted": False}}),
         {"inboundTrust": None}),
        (partner("contoso", CONTOSO, "3c3c", ensure="absent", meta={"pruned": True}), {"tenantId": "3c3c"}),
    ]
    return build_plan(pairs, payload=overlay, unmanaged=[Unmanaged("contoso.partner.5a5", "contoso", "partner", "5a5")],
                      warnings=["fabrikam is read-only"], desired_digest="d1", **kw)


def test_to_json_shape():
    data = sample_plan().to_json()
    assert data["format_version"] == "1.0"
    assert data["tool_version"] == reconciler.__version__
    assert data["summary"] == {"create": 1, "update": 1, "delete": 1, "replace": 0}
    assert data["unsafe"] == {"is_unsafe": True, "reasons": ["prune deletes partner contoso.partner.3c3c (not declared)"]}
    by_address = {c["address"]: c for c in data["changes"]}
    create = by_address["contoso.partner.fabrikam"]
    assert create["actions"] == ["create"]
    assert create["fields"] == [
        {"path": "inboundTrust.isMfaAccepted", "path_parts": ["inboundTrust", "isMfaAccepted"], "after": True},
        {"path": "inboundTrust.x", "path_parts": ["inboundTrust", "x"], "after": None},
    ]
    update = by_address["contoso.default"]
    assert update["fields"] == [
        {"path": "inboundTrust.isMfaAccepted", "path_parts": ["inboundTrust", "isMfaAccepted"],
         "before": None, "after": False}
    ]
    assert update["payload"] == {"inboundTrust": {"isMfaAccepted": False}}
    delete = by_address["contoso.partner.3c3c"]
    assert (delete["actions"], delete["payload"], delete["reason"]) == (["delete"], None, "pruned")
    assert delete["fields"] == [{"path": "tenantId", "path_parts": ["tenantId"], "before": "3c3c"}]
    assert set(data) == {
        "format_version", "tool_version", "changes", "unmanaged", "warnings", "unsafe", "summary",
        "managed_count", "desired_digest", "live_fingerprints", "checksum",
    }  # no timestamps
    json.dumps(data, allow_nan=False)  # JSON-serialisable as is


def test_a_replace_is_listed_as_delete_then_create():
    c = Change("a.b", "partner", "a", CONTOSO, "b", "replace")
    assert c.to_json()["actions"] == ["delete", "create"]
    assert Change.from_json(c.to_json()) == c


def test_json_round_trip_is_exact_even_through_text():
    plan = sample_plan()
    assert Plan.from_json(plan.to_json()) == plan
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
    assert Plan.from_json(plan.to_json()).checksum == plan.checksum


def test_round_trip_keeps_absent_and_null_apart_and_dotted_names_whole():
    f = (
        FieldChange(("a",), MISSING, None),
        FieldChange(("b",), None, MISSING),
        FieldChange(("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",), "x", "y"),
    )
    plan = Plan(changes=(Change("t.x", "k", "t", CONTOSO, "x", "update", fields=f),))
    back = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert back.changes[0].fields == f
    assert back.changes[0].fields[0].before is MISSING


def test_from_json_refuses_edited_content_and_other_versions():
    data = sample_plan().to_json()
    edited = json.loads(json.dumps(data))
    edited["changes"][0]["payload"] = {"inboundTrust": {"isMfaAccepted": False}}
    with pytest.raises(PlanFormatError, match="checksum"):
        Plan.from_json(edited)
    with pytest.raises(PlanFormatError, match="format_version"):
        Plan.from_json({**data, "format_version": "2.0"})
    bad_actions = json.loads(json.dumps(data))
    bad_actions["changes"][0]["actions"] = ["create", "delete"]
    with pytest.raises(PlanFormatError, match="unknown actions"):
        Plan.from_json(bad_actions)
    with pytest.raises(PlanFormatError, match="malformed"):
        Plan.from_json({"format_version": "1.0", "changes": [{"kind": "partner"}]})


def test_checksum_covers_changes_digest_and_fingerprints_only():
    base = sample_plan()
    assert sample_plan().checksum == base.checksum  # stable
    assert len(base.checksum) == 64
    no_warnings = Plan(base.changes, (), (), base.unsafe_reasons, 99, base.desired_digest, base.live_fingerprints)
    assert no_warnings.checksum == base.checksum
    assert Plan(base.changes, desired_digest="d2", live_fingerprints=base.live_fingerprints).checksum != base.checksum
    moved = dict(base.live_fingerprints, **{"contoso.default": fingerprint({"inboundTrust": {}})})
    assert Plan(base.changes, desired_digest="d1", live_fingerprints=moved).checksum != base.checksum
    assert Plan(base.changes[1:], desired_digest="d1", live_fingerprints=base.live_fingerprints).checksum != base.checksum


def test_fingerprint_is_independent_of_key_order_and_sensitive_to_values():
    a = {"tenantId": "x", "inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": None}}
    b = {"inboundTrust": {"isCompliantDeviceAccepted": None, "isMfaAccepted": True}, "tenantId": "x"}
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint({**a, "inboundTrust": {"isMfaAccepted": 1, "isCompliantDeviceAccepted": None}})
    assert fingerprint(a) != fingerprint({**a, "extra": None})
    assert fingerprint(None) == "absent"


def test_missing_marker_is_a_singleton_that_survives_copies():
    import copy
    import pickle

    assert copy.deepcopy(MISSING) is MISSING
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
    assert repr(MISSING) == "MISSING"


def test_a_change_that_is_not_json_is_refused_when_planned_naming_the_resource():
    r = partner("contoso", CONTOSO, "fabrikam", {"inboundTrust": {"isMfaAccepted": True}}, meta={"when": object()})
    with pytest.raises(ValueError, match="contoso.partner.fabrikam: the change is not JSON-serialisable"):
        build_plan([(r, None)], payload=overlay)
