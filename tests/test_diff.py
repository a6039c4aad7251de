"""diff_declared: only declared paths, absent vs null vs inherit, strict JSON equality."""

from __future__ import annotations

import copy

import pytest

from reconciler.diff import declared_leaves, diff_declared, values_equal
from reconciler.plan import MISSING, FieldChange
from tests.documented import PARTNER_GET

def fc(path: str, before, after) -> FieldChange:
    return FieldChange(tuple(path.split(".")), before, after)


@pytest.mark.parametrize(
    ("desired", "expected"),
    [
        # the documented PATCH body (partners-update.request.json) against the documented GET
        (
            {
                "inboundTrust": {
                    "isMfaAccepted": True,
                    "isCompliantDeviceAccepted": True,
                    "isHybridAzureADJoinedDeviceAccepted": True,
                }
            },
            (
                fc("inboundTrust.isCompliantDeviceAccepted", None, True),
                fc("inboundTrust.isHybridAzureADJoinedDeviceAccepted", None, True),
                fc("inboundTrust.isMfaAccepted", None, True),
            ),
        ),
        # inherit under a null parent: already inherited, nothing to do
        ({"inboundTrust": {"isMfaAccepted": None}}, ()),
        # live null vs declared false is a change (false is explicit, null inherits)
        (
            {"automaticUserConsentSettings": {"inboundAllowed": False}},
            (fc("automaticUserConsentSettings.inboundAllowed", None, False),),
        ),
        ({"automaticUserConsentSettings": {"inboundAllowed": None, "outboundAllowed": None}}, ()),
        # a declared inherit over a live object replaces it with null
        (
            {"b2bDirectConnectInbound": None},
            (fc("b2bDirectConnectInbound", PARTNER_GET["b2bDirectConnectInbound"], None),),
        ),
        # lists are leaves: one change carrying both whole lists
        (
            {"tenantRestrictions": {"applications": {"targets": [{"target": "Office365", "targetType": "application"}]}}},
            (
                fc(
                    "tenantRestrictions.applications.targets",
                    [{"target": "AllApplications", "targetType": "application"}],
                    [{"target": "Office365", "targetType": "application"}],
                ),
            ),
        ),
        # equal declared subtree: no change, whatever else the live object holds
        ({"b2bDirectConnectInbound": {"usersAndGroups": {"accessType": "allowed"}}}, ()),
        # a declared property the live body does not have at all: before is MISSING, not None
        (
            {"someNewCapability": {"enabled": True}},
            (fc("someNewCapability.enabled", MISSING, True),),
        ),
        # declared inherit vs an absent property: nothing to do
        ({"someNewCapability": None}, ()),
        # a scalar declared where Graph holds an object (and the other way round): whole values
        (
            {"tenantRestrictions": "blocked"},
            (fc("tenantRestrictions", PARTNER_GET["tenantRestrictions"], "blocked"),),
        ),
        (
            {"isInMultiTenantOrganization": {"value": False}},
            (fc("isInMultiTenantOrganization", False, {"value": False}),),
        ),
    ],
)
def test_diff_against_the_documented_partner(desired, expected):
    assert diff_declared(desired, PARTNER_GET) == expected


def test_undeclared_and_unknown_live_properties_never_appear():
    live = copy.deepcopy(PARTNER_GET) | {"aPropertyGraphAddedLater": {"x": 1}}
    changes = diff_declared({"automaticUserConsentSettings": {"outboundAllowed": True}}, live)
    assert [c.path for c in changes] == [("automaticUserConsentSettings", "outboundAllowed")]


def test_missing_object_makes_every_declared_leaf_absent_before():
    desired = {"userSyncInbound": {"isSyncAllowed": True}, "displayName": "Contoso", "x": None}
    assert diff_declared(desired, None) == (
        fc("displayName", MISSING, "Contoso"),
        fc("userSyncInbound.isSyncAllowed", MISSING, True),
    )


def test_output_is_sorted_by_path_whatever_the_declaration_order():
    desired = {"b": {"z": 1, "a": 2}, "a": 3}
    assert [c.path for c in diff_declared(desired, {})] == [("a",), ("b", "a"), ("b", "z")]


@pytest.mark.parametrize(
    ("declared", "live", "changed"),
    [
        (False, 0, True),
        (True, 1, True),
        (0, False, True),
        (1, 1.0, False),
        ("1", 1, True),
        (None, False, True),
        (False, None, True),
        ([1, 2], [2, 1], True),  # order matters: handlers sort lists that Graph does not order
        ([True], [1], True),
        ({"a": [None]}, {"a": [None]}, False),
    ],
)
def test_leaf_comparison_is_strict_json_equality(declared, live, changed):
    assert bool(diff_declared({"v": declared}, {"v": live})) is changed


def test_values_equal_recurses_into_containers():
    assert values_equal({"a": [1, {"b": True}]}, {"a": [1.0, {"b": True}]})
    assert not values_equal({"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]})
    assert not values_equal({"a": 1}, {"a": 1, "b": 2})
    assert not values_equal([1], [1, 1])


def test_diff_does_not_mutate_its_inputs():
    desired = {"inboundTrust": {"isMfaAccepted": True}}
    live = copy.deepcopy(PARTNER_GET)
    diff_declared(desired, live)
    assert desired == {"inboundTrust": {"isMfaAccepted": True}}
    assert live == PARTNER_GET


def test_declared_leaves_lists_every_leaf_inherit_included():
    desired = {"inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": None}, "empty": {}, "t": [1]}
    assert declared_leaves(desired) == (
        fc("inboundTrust.isCompliantDeviceAccepted", MISSING, None),
        fc("inboundTrust.isMfaAccepted", MISSING, True),
        fc("t", MISSING, [1]),
    )
