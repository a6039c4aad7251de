"""Tenants declared by domain: placeholders offline, real ids looked up, disagreements refused."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.errors import ForbiddenError, NotFoundError, PlanError
from reconciler.model import DesiredState
from reconciler.tenant_domains import look_up, offline, placeholder_id

CONTOSO = "00000000-0000-0000-0000-00000000c0de"
PARTNER = "5a5a5a5a-0000-4000-8000-0000000005a5"


def state(**partner) -> DesiredState:
    return DesiredState.from_data({"tenants": {
        "contoso": {"tenant_id": CONTOSO, "auth": {"method": "azure_cli"}},
        "partner": {"mode": "external", **partner},
    }})


class Directory:
    """Answers findTenantInformationByDomainName from a table, as the documented example shapes it."""

    def __init__(self, table: dict[str, str]):
        self.table, self.asked = table, []

    async def get(self, path: str, **_: object) -> dict:
        domain = path.split("domainName='")[1].rstrip("')")
        self.asked.append(domain)
        if domain not in self.table:
            raise NotFoundError(404, "Directory_ObjectNotFound", "not found")
        return {"tenantId": self.table[domain], "displayName": "Partner", "defaultDomainName": domain}


def test_offline_gives_a_stable_placeholder_and_says_so():
    placeheld, notes = offline(state(domain="partner.example"))
    assert placeheld.tenants["partner"].tenant_id == placeholder_id("partner.example") == placeholder_id("Partner.Example")
    assert [n.severity for n in notes] == ["note"]
    assert "plan looks its tenant id up" in notes[0].message


class Refusing:
    async def get(self, path: str, **_: object) -> dict:
        raise ForbiddenError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def test_look_up_asks_the_next_tenant_when_one_may_not():
    found = asyncio.run(look_up(state(domain="partner.example"), [Refusing(), Directory({"partner.example": PARTNER})]))
    assert found.tenants["partner"].tenant_id == PARTNER
    with pytest.raises(PlanError) as err:
        asyncio.run(look_up(state(domain="partner.example"), [Refusing()]))
    assert err.value.problems[0].startswith("tenants.partner.domain: cannot look up the tenant of 'partner.example': 403")


def test_look_up_sets_the_real_id():
    gw = Directory({"partner.example": PARTNER})
    found = asyncio.run(look_up(state(domain="partner.example"), [gw]))
    assert found.tenants["partner"].tenant_id == PARTNER
    assert gw.asked == ["partner.example"]


@pytest.mark.parametrize("partner, table, message", [
    ({"domain": "nobody.example"}, {}, "tenants.partner.domain: no tenant has the domain 'nobody.example'"),
    ({"domain": "partner.example", "tenant_id": CONTOSO.replace("c0de", "beef")}, {"partner.example": PARTNER},
     f"tenants.partner.domain: 'partner.example' belongs to tenant {PARTNER}, not to the declared tenant_id "
     + CONTOSO.replace("c0de", "beef")),
    ({"domain": "contoso.example"}, {"contoso.example": CONTOSO},
     f"tenants.partner.domain: its tenant {CONTOSO} is already declared as 'contoso'"),
])
def test_look_up_refuses_what_it_cannot_trust(partner, table, message):
    with pytest.raises(PlanError) as err:
        asyncio.run(look_up(state(**partner), [Directory(table)]))
    assert err.value.problems == [message]
