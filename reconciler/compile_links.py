"""Links → the desired resources of their sync configurations, and the prerequisites they imply.

For link L from S to T, in S (the contract with `reconciler/resources/link*.py`):

- `S.link.L` (`link`): `{"displayName": <derived>, "targetTenantId", "managed": true}`; depends on
  T's partner for S and its identity sync (unless T is external) and S's partner for T.
- `S.link.L.settings` / `.schema` / `.assignments`: each depends on `S.link.L`;
  `S.link.L.state` depends on those three.

Every one carries `meta = {"link", "source", "target", "source_tenant_id", "target_tenant_id"}`.

Defaults (the cross-tenant sync template's, DESIGN.md): `scope: assigned` (Microsoft's
recommendation), `state: started`, and the userType mapping `"Member"` applied on create only
(the template's mapping, SCHEMA-DEFAULT.md: existing B2B users keep their type) unless the link
maps userType itself. The template's other mappings are not managed unless declared. The
deletion threshold is not managed unless declared (the template's own default, 500 in the
portal, stays): declaring a number manages it, `off` turns it off. `assign` left out leaves the
assignments unmanaged; each of its keys (`users`, `groups`) is managed on its own.

Implied prerequisites (FIELD-NOTES 1, 2): T's partner for S with inbound automatic redemption
and an identity sync allowing inbound user sync; S's partner for T with outbound automatic
redemption. They are merged into the declared partner resources (created when not declared). A
declared setting that contradicts one is an error naming both places. When T is read_only its
implied resources are checked by reading (`meta.read_only`); when T is external nothing is
emitted in T, and a warning says its prerequisites cannot be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from reconciler.model.access import AutomaticRedemption, PartnerSettings, UserSyncInbound
from reconciler.model.base import ABSENT, is_guid, is_inherit
from reconciler.model.links import DELETION_THRESHOLD_OFF, Assign, AttributeMapping, ScopingClause
from reconciler.model.references import resolve_partner
from reconciler.model.state import DesiredState, NodePath
from reconciler.model.tenant import Tenant
from reconciler.resources.base import Resource
from reconciler.resources.link_marker import display_name_for
from reconciler.resources.link_paths import JOB_TEMPLATE_ID
from reconciler.sync.expression import quote
from reconciler.topology import ExpandedLink, expand

AUTHENTICATION_TYPE = "SyncPolicy"  # the only value the configure-graph how-to writes
LINK_PARTS = ("settings", "schema", "assignments", "state")
LINK_KINDS = ("link", "link_settings", "link_schema", "link_assignments", "link_state")

# The template's userType mapping, kept pinned unless the link maps userType (SCHEMA-DEFAULT.md:
# constant "Member"; its ObjectAddOnly flow type is inferred from the portal text).
TEMPLATE_USER_TYPE = {"expression": quote("Member"), "flow": "on_create", "default": None}

GROUP_ASSIGNMENT_WARNING = (
    "group assignment puts the group's direct members in scope; the group itself is not synced, "
    "nested groups are not expanded, and guests among the members are not synced"
)
SCOPE_ALL_WARNING = (
    "scope all syncs the internal members of {source} only: guests, groups, devices and contacts "
    "are not synced"
)


class Compilation(Protocol):
    """What this step needs of compile's accumulator."""

    state: DesiredState
    resources: list[Resource]
    links: list[ExpandedLink]

    def diagnostic(self, path: NodePath, message: str, severity: str = "error") -> None: ...


def links_step(c: Compilation) -> None:
    """Expand topologies, check every link, emit its resources and merge its prerequisites."""
    expansion = expand(c.state)
    for problem in expansion.problems:
        c.diagnostic(problem.path, problem.message)
    for link in expansion.links:
        if _check(c, link):
            c.links.append(link)
            _LinkEmitter(c, link).emit()


def _check(c: Compilation, link: ExpandedLink) -> bool:
    tenants = c.state.tenants
    path = link.path_of()
    ok = True
    for end, alias in (("from", link.source), ("to", link.target)):
        if alias not in tenants:  # the loader reports it with a suggestion; a state built in code may not
            c.diagnostic(path, f"link {link.name}: '{alias}' ({end}) is not a declared tenant alias")
            ok = False
    if not ok:
        return False
    source, target = tenants[link.source], tenants[link.target]
    if link.source == link.target or source.tenant_id == target.tenant_id:
        c.diagnostic(path, f"link {link.name} syncs tenant {link.source} to itself; a link joins two tenants")
        return False
    if source.cloud != target.cloud:
        c.diagnostic(
            path,
            f"link {link.name}: {link.source} is in the {source.cloud} cloud and {link.target} in the "
            f"{target.cloud} cloud; cross-tenant synchronization between clouds is not supported",
        )
        ok = False
    if source.mode != "managed":
        c.diagnostic(
            path,
            f"link {link.name}: its configuration lives in the source tenant {link.source}, which has mode "
            f"{source.mode}; the source of a link must be managed (writable)",
        )
        ok = False
    return ok


@dataclass
class _LinkEmitter:
    c: Compilation
    link: ExpandedLink

    @property
    def source(self) -> Tenant:
        return self.c.state.tenants[self.link.source]

    @property
    def target(self) -> Tenant:
        return self.c.state.tenants[self.link.target]

    def emit(self) -> None:
        link, s, t = self.link, self.link.source, self.link.target
        prerequisites = [self._require_partner(s, t, "outbound")]
        if self.target.mode == "external":
            self.c.diagnostic(
                link.path_of(),
                f"link {link.name}: {t} is external, so plan cannot check its prerequisites (a partner entry "
                f"for {s} with inbound automatic redemption, and user sync inbound allowed); make sure {t}'s "
                "administrators have set them, or test connection fails",
                "warning",
            )
        else:
            prerequisites = [self._require_partner(t, s, "inbound"), self._require_identity_sync(t, s), *prerequisites]
        self._warnings()
        address = f"{s}.link.{link.name}"
        self._emit(address, "link", self._link_body(), link.path_of(),
                   tuple(sorted(p for p in prerequisites if p)))
        parts: list[str] = []
        for part, kind, body, path in self._parts():
            if body is not None:
                self._emit(f"{address}.{part}", kind, body, path, (address,))
                parts.append(f"{address}.{part}")
        self._emit(f"{address}.state", "link_state", {"state": link.state}, link.path_of("state"), tuple(parts))

    # --- the link's own resources -----------------------------------------------------------

    def _emit(self, address: str, kind: str, body: dict[str, Any], path: NodePath, depends_on: tuple[str, ...]) -> None:
        self.c.resources.append(
            Resource(
                address=address,
                kind=kind,
                tenant=self.link.source,
                tenant_id=self.source.tenant_id,
                key=self.link.name,
                body=body,
                depends_on=depends_on,
                source=self.c.state.location_of(path),
                meta={
                    "link": self.link.name,
                    "source": self.link.source,
                    "target": self.link.target,
                    "source_tenant_id": self.source.tenant_id,
                    "target_tenant_id": self.target.tenant_id,
                },
            )
        )

    def _link_body(self) -> dict[str, Any]:
        # jobTemplateId: a configuration whose job was never made (a crash, a failed POST) shows as
        # an update, and the update makes the job.
        return {"displayName": display_name_for(self.link.name), "targetTenantId": self.target.tenant_id,
                "managed": True, "jobTemplateId": JOB_TEMPLATE_ID}

    def _parts(self) -> list[tuple[str, str, dict[str, Any] | None, NodePath]]:
        link = self.link
        return [
            ("settings", "link_settings", self._settings_body(), link.path_of()),
            ("schema", "link_schema", self._schema_body(), link.path_of("mappings")),
            ("assignments", "link_assignments", self._assignments_body(), link.path_of("assign")),
        ]

    def _settings_body(self) -> dict[str, Any]:
        settings = self.link.settings
        body: dict[str, Any] = {
            "targetTenantId": self.target.tenant_id,
            "authenticationType": AUTHENTICATION_TYPE,
            "syncAll": self.link.scope == "all",
        }
        notifications: dict[str, Any] = {}
        notify = settings.get("notify")
        if notify is not None:
            notifications["enabled"] = notify.on_failure
            if notify.emails is not None:
                notifications["recipients"] = sorted(notify.emails)  # the order settings.split_recipients reads
        threshold = settings.get("deletion_threshold")
        if threshold == DELETION_THRESHOLD_OFF:
            notifications["deleteThresholdEnabled"] = False
        elif threshold is not None:
            notifications["deleteThresholdEnabled"] = True
            notifications["deleteThresholdValue"] = threshold
        if notifications:
            body["notifications"] = notifications
        return body

    def _schema_body(self) -> dict[str, Any]:
        declared: dict[str, AttributeMapping] = self.link.settings.get("mappings") or {}
        mappings: dict[str, dict[str, Any]] = {}
        if not any(attribute.lower() == "usertype" for attribute in declared):
            mappings["userType"] = dict(TEMPLATE_USER_TYPE)
        for attribute, mapping in declared.items():
            mappings[attribute] = {
                "expression": mapping.source_expression(),
                "flow": mapping.apply or "always",
                "default": mapping.default,
            }
        body: dict[str, Any] = {"mappings": dict(sorted(mappings.items()))}
        filters = self.link.settings.get("scoping_filters")
        if filters is not None:  # left out: the live filters are not managed
            body["scopingFilters"] = scoping_filters_body(filters)
        return body

    def _assignments_body(self) -> dict[str, Any] | None:
        assign: Assign | None = self.link.settings.get("assign")
        if assign is None:
            return None
        body: dict[str, Any] = {}
        for key, kind in (("users", "user"), ("groups", "group")):
            names = getattr(assign, key)
            if names is not None:
                body[key] = assignment_references(names, kind, self.link.source)
        return body

    def _warnings(self) -> None:
        link = self.link
        assign: Assign | None = link.settings.get("assign")
        if assign is not None and assign.groups:
            self.c.diagnostic(link.path_of("assign", "groups"), f"link {link.name}: {GROUP_ASSIGNMENT_WARNING}", "note")
        if link.scope == "all":
            self.c.diagnostic(link.path_of("scope"),
                              f"link {link.name}: {SCOPE_ALL_WARNING.format(source=link.source)}", "note")
        elif assign is None:
            self.c.diagnostic(
                link.path_of(),
                f"link {link.name}: scope assigned without assign: only users and groups assigned outside "
                "crosstenant are synced (declare assign to manage them)",
                "warning",
            )

    # --- prerequisites ------------------------------------------------------------------------

    def _require_partner(self, owner: str, partner: str, direction: str) -> str | None:
        """`owner`'s partner entry for `partner` with automatic redemption allowed in `direction`."""
        flag = f"{direction}Allowed"
        address = f"{owner}.partner.{partner}"
        declared = self._declared_partner(owner, partner)
        if declared is not None:
            key, settings = declared
            path = ("access", owner, "partners", key)
            if settings.ensure == ABSENT:
                self._contradiction((*path, "ensure"), f"{owner}'s partner entry for {partner} is declared absent")
                return None
            redemption = settings.automatic_redemption
            if is_inherit(redemption):
                self._contradiction((*path, "automatic_redemption"),
                                    f"{owner}'s automatic redemption for {partner} is declared inherit "
                                    "(the default configuration keeps it false)")
                return None
            value = getattr(redemption, direction) if isinstance(redemption, AutomaticRedemption) else None
            if value is not None and value is not True:
                self._contradiction((*path, "automatic_redemption", direction),
                                    f"{owner}'s {direction} automatic redemption for {partner} is declared "
                                    f"{_yaml_value(value)}")
                return None
        elif self._ignored(owner, partner, report=True):
            return None
        self._merge(owner, address, "partner", partner, lambda body: {
            **body,
            "automaticUserConsentSettings": {**(body.get("automaticUserConsentSettings") or {}), flag: True},
        })
        return address

    def _require_identity_sync(self, owner: str, partner: str) -> str | None:
        address = f"{owner}.partner.{partner}.identity_sync"
        declared = self._declared_partner(owner, partner)
        if declared is None and self._ignored(owner, partner, report=False):
            return None  # reported by _require_partner
        if declared is not None:
            key, settings = declared
            if settings.ensure == ABSENT:
                return None  # reported by _require_partner
            sync = settings.user_sync_inbound
            path = ("access", owner, "partners", key, "user_sync_inbound")
            if sync == ABSENT:
                self._contradiction(path, f"{owner}'s user sync inbound from {partner} is declared absent")
                return None
            if isinstance(sync, UserSyncInbound) and sync.allowed is False:
                self._contradiction((*path, "allowed"), f"{owner}'s user sync inbound from {partner} is declared "
                                                        "not allowed")
                return None
        self._merge(owner, address, "identity_sync", partner, lambda body: {
            **body,
            "displayName": body.get("displayName") or partner,
            "userSyncInbound": {**(body.get("userSyncInbound") or {}), "isSyncAllowed": True},
        }, depends_on=(f"{owner}.partner.{partner}",))
        return address

    def _declared_partner(self, owner: str, partner: str) -> tuple[str, PartnerSettings] | None:
        access = self.c.state.access.get(owner)
        if access is None:
            return None
        partner_id = self.c.state.tenants[partner].tenant_id
        tenant_ids = self.c.state.tenant_ids()
        for key, settings in access.partners.items():
            if resolve_partner(key, tenant_ids) == partner_id:
                return key, settings
        return None

    def _ignored(self, owner: str, partner: str, *, report: bool) -> bool:
        access = self.c.state.access.get(owner)
        partner_id = self.c.state.tenants[partner].tenant_id
        if access is None or partner_id not in access.ignore:
            return False
        if report:
            self._contradiction(("access", owner, "ignore"),
                                f"{owner} lists {partner} ({partner_id}) under ignore, so its partner entry is never "
                                "written")
        return True

    def _contradiction(self, declared_path: NodePath, what: str) -> None:
        link = self.link
        where = self.c.state.location_of(declared_path)
        dotted = ".".join(map(str, declared_path))
        link_where = self.c.state.location_of(link.path_of())
        self.c.diagnostic(
            link.path_of(),
            f"link {link.name} from {link.source} to {link.target}"
            f"{f' (at {link_where})' if link_where else ''} needs automatic redemption outbound in "
            f"{link.source} and inbound in {link.target}, and user sync inbound allowed in {link.target}; "
            f"but {what} ({dotted}{f' at {where}' if where else ''})",
        )

    def _merge(self, owner: str, address: str, kind: str, partner: str,
               change: Callable[[dict[str, Any]], dict[str, Any]], depends_on: tuple[str, ...] = ()) -> None:
        """Lay `change` over the body of `address` (declared, or implied by an earlier link), or create it."""
        resources = self.c.resources
        index = next((i for i, r in enumerate(resources) if r.address == address), None)
        if index is not None:
            resources[index] = replace(resources[index], body=change(dict(resources[index].body)))
            return
        tenant = self.c.state.tenants[owner]
        resources.append(
            Resource(
                address=address,
                kind=kind,
                tenant=owner,
                tenant_id=tenant.tenant_id,
                key=self.c.state.tenants[partner].tenant_id,
                body=change({}),
                depends_on=depends_on,
                source=self.c.state.location_of(self.link.path_of()),
                meta={"read_only": True} if tenant.mode == "read_only" else {},
            )
        )


def _yaml_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def scoping_filters_body(filters: tuple[tuple[ScopingClause, ...], ...]) -> list[list[dict[str, Any]]]:
    """OR of AND-groups in Graph's tokens; clauses and groups sorted (their order has no meaning)."""
    groups = [
        sorted(
            ({"attribute": c.attribute, "operator": c.scoping_operator.token, "values": list(c.values)} for c in group),
            key=lambda clause: (clause["attribute"], clause["operator"], clause["values"]),
        )
        for group in filters
    ]
    return sorted(groups, key=lambda group: [(c["attribute"], c["operator"], c["values"]) for c in group])


def assignment_references(names: tuple[str, ...], kind: str, tenant: str) -> list[Any]:
    """Object ids as they are (lower-case); names as references the engine resolves in `tenant`."""
    ids = sorted(name.lower() for name in names if is_guid(name))
    references = sorted(
        ({"resolve": kind, "name": name, "tenant": tenant} for name in names if not is_guid(name)),
        key=lambda ref: ref["name"].lower(),
    )
    return [*ids, *references]
