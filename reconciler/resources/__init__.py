"""One module per resource kind; `handler_for(kind)` is the registry."""

from __future__ import annotations

from reconciler.resources.base import Resource, ResourceHandler
from reconciler.resources.default import DefaultHandler
from reconciler.resources.identity_sync import IdentitySyncHandler
from reconciler.resources.link import LinkHandler
from reconciler.resources.link_assignments import LinkAssignmentsHandler
from reconciler.resources.link_schema import LinkSchemaHandler
from reconciler.resources.link_settings import LinkSettingsHandler
from reconciler.resources.link_state import LinkStateHandler
from reconciler.resources.partner import PartnerHandler
from reconciler.resources.policy import PolicyHandler

HANDLERS: dict[str, ResourceHandler] = {
    h.kind: h
    for h in (
        PolicyHandler(), DefaultHandler(), PartnerHandler(), IdentitySyncHandler(),
        LinkHandler(), LinkSettingsHandler(), LinkSchemaHandler(), LinkAssignmentsHandler(), LinkStateHandler(),
    )
}


def handler_for(kind: str) -> ResourceHandler:
    return HANDLERS[kind]


__all__ = ["HANDLERS", "Resource", "ResourceHandler", "handler_for"]
