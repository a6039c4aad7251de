"""Directory lookups: users, groups, direct group members, and tenant information across the
emulated tenants (ENDPOINTS §1.5, §3.5, §4.5; examples `users-*`, `groups-*`, `group-members-list`,
`tenantrelationship-*`).

Reads the seeded collections `users`, `groups`, `groupMembers` (`<groupId>/<memberId>`) and
`organization`/`self`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.emulator.context import EmulatorContext
from reconciler.emulator.errors import GraphHTTPError
from reconciler.emulator.odata_filter import FilterSupport, select
from reconciler.emulator.paging import odata_context
from reconciler.emulator.routes.applications import listing, not_found

READ_USERS = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
READ_GROUPS = ("Group.Read.All", "GroupMember.Read.All", "Group.ReadWrite.All", "Directory.Read.All",
               "Directory.ReadWrite.All")
READ_MEMBERS = ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All",
                "Directory.ReadWrite.All")
READ_TENANT_INFORMATION = ("CrossTenantInformation.ReadBasic.All",)  # the only one listed (§0)

_EQ, _EQ_SW = frozenset({"eq"}), frozenset({"eq", "startsWith"})
USER_FILTERS = FilterSupport(
    resource="User",
    default={"id": _EQ, "userPrincipalName": _EQ_SW, "displayName": _EQ_SW, "mail": _EQ_SW, "givenName": _EQ_SW,
             "surname": _EQ_SW, "userType": _EQ, "externalUserState": _EQ, "creationType": _EQ,
             "accountEnabled": _EQ, "department": _EQ_SW, "jobTitle": _EQ_SW},
    advanced={"companyName": _EQ_SW, "employeeType": _EQ},
)
GROUP_FILTERS = FilterSupport(
    resource="Group",
    default={"id": _EQ, "displayName": _EQ_SW, "mailEnabled": _EQ, "securityEnabled": _EQ, "mailNickname": _EQ_SW},
)
# Graph documents no $filter on /members without advanced parameters; the emulator takes none.
MEMBER_FILTERS = FilterSupport(resource="DirectoryObject", default={})

# What GET returns for a user without $select (user.md: the default set; `userType`,
# `department`, `accountEnabled`, ... only on $select).
USER_DEFAULT_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                           "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id")


def default_user_view(user: dict[str, Any]) -> dict[str, Any]:
    view = {k: v for k, v in user.items() if k.startswith("@odata.")}
    view.update({name: user.get(name) for name in USER_DEFAULT_PROPERTIES})
    if view["businessPhones"] is None:
        view["businessPhones"] = []
    return view


def tenant_not_found(what: str) -> GraphHTTPError:
    # Uncertain: the response for an unknown tenant is not documented; this is the code Graph uses
    # for "no such company" elsewhere (error-directory-objectnotfound).
    return GraphHTTPError(404, "Directory_ObjectNotFound", f"Unable to read the company information from the "
                                                           f"directory ({what}).")


def _literal(value: str) -> str:
    """The quoted function argument `'x'` (quotes doubled inside) → `x`."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def _default_domain(domains: list[str]) -> str | None:
    """The initial `*.onmicrosoft.com` domain when the tenant has one (the doc example returns it
    for a lookup by another domain), else the first verified domain (inferred)."""
    initial = [d for d in domains if d.lower().endswith(".onmicrosoft.com")]
    return (initial or domains or [None])[0]


class DirectoryRoutes:
    def __init__(self, ctx: EmulatorContext):
        self.ctx = ctx
        self.store = ctx.store

    # users
    async def users(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *READ_USERS)
        return listing(request, self.store.list(caller.tenant_id, "users"), USER_FILTERS, "users",
                       project=default_user_view)

    async def user(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *READ_USERS)
        key = request.path_params["user"]
        user = self.store.get(caller.tenant_id, "users", key)
        if user is None:
            user = next((u for u in self.store.list(caller.tenant_id, "users")
                         if str(u.get("userPrincipalName", "")).lower() == key.lower()), None)
        if user is None:
            raise not_found(key)
        return JSONResponse({"@odata.context": odata_context(request, "users/$entity"),
                             **select(user, request, default_user_view)})

    # groups
    async def groups(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *READ_GROUPS)
        return listing(request, self.store.list(caller.tenant_id, "groups"), GROUP_FILTERS, "groups")

    def _group(self, tenant_id: str, group_id: str) -> dict[str, Any]:
        group = self.store.get(tenant_id, "groups", group_id)
        if group is None:
            raise not_found(group_id)
        return group

    async def group(self, request: Request) -> Response:
        caller = self.ctx.authorize(request, *READ_GROUPS)
        group = self._group(caller.tenant_id, request.path_params["group_id"])
        return JSONResponse({"@odata.context": odata_context(request, "groups/$entity"), **select(group, request)})

    async def members(self, request: Request) -> Response:
        """Direct members only (not transitive), as directoryObjects with `@odata.type`."""
        caller = self.ctx.authorize(request, *READ_MEMBERS)
        group = self._group(caller.tenant_id, request.path_params["group_id"])
        members: list[dict[str, Any]] = []
        for link in self.store.list(caller.tenant_id, "groupMembers", f"{group['id']}/"):
            member_id = link["memberId"]
            user = self.store.get(caller.tenant_id, "users", member_id)
            if user is not None:
                members.append({"@odata.type": "#microsoft.graph.user", **default_user_view(user)})
                continue
            nested = self.store.get(caller.tenant_id, "groups", member_id)
            if nested is not None:
                members.append({"@odata.type": "#microsoft.graph.group", **nested})
        return listing(request, members, MEMBER_FILTERS, "directoryObjects")

    # tenant information
    async def tenant_by_id(self, request: Request) -> Response:
        self.ctx.authorize(request, *READ_TENANT_INFORMATION)
        tenant_id = _literal(request.path_params["arg"]).lower()
        org = self.store.get(tenant_id, "organization", "self")
        if org is None:
            raise tenant_not_found(f"tenant id '{tenant_id}'")
        return self._tenant_information(request, org)

    async def tenant_by_domain(self, request: Request) -> Response:
        self.ctx.authorize(request, *READ_TENANT_INFORMATION)
        domain = _literal(request.path_params["arg"]).lower()
        for tenant_id in list(self.store.tenants()):
            org = self.store.get(tenant_id, "organization", "self")
            if org and domain in (d.lower() for d in org.get("verifiedDomains", [])):
                return self._tenant_information(request, org)
        raise tenant_not_found(f"domain '{domain}'")

    @staticmethod
    def _tenant_information(request: Request, org: dict[str, Any]) -> Response:
        return JSONResponse({
            "@odata.context": odata_context(request, "microsoft.graph.tenantInformation"),
            "tenantId": org["id"],
            "federationBrandName": org.get("federationBrandName"),
            "displayName": org.get("displayName"),
            "defaultDomainName": _default_domain(list(org.get("verifiedDomains", []))),
        })


def routes(ctx: EmulatorContext) -> list[BaseRoute]:
    r = DirectoryRoutes(ctx)
    relationships = "/v1.0/tenantRelationships"
    return [
        Route("/v1.0/users", r.users, methods=["GET"]),
        Route("/v1.0/users/{user}", r.user, methods=["GET"]),
        Route("/v1.0/groups", r.groups, methods=["GET"]),
        Route("/v1.0/groups/{group_id}", r.group, methods=["GET"]),
        Route("/v1.0/groups/{group_id}/members", r.members, methods=["GET"]),
        Route(relationships + "/findTenantInformationByTenantId(tenantId={arg})", r.tenant_by_id, methods=["GET"]),
        Route(relationships + "/findTenantInformationByDomainName(domainName={arg})", r.tenant_by_domain,
              methods=["GET"]),
    ]
