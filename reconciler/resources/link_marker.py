"""How crosstenant recognises the sync configurations it owns (ENDPOINTS.md §2.1 "Ownership markers").

- **Marker**: a service principal tag `crosstenant:link:<link>`. `tags` is filterable by default
  and the instantiated service principal already carries `WindowsAzureActiveDirectoryIntegratedApp`,
  which every write keeps (collection PATCH replaces the list: inferred).
- **Target tag**: `crosstenant:target:<tenant id>`, written with the marker, so the target of a
  configuration whose `CompanyId` secret is missing or masked is still known.
- **Display name**: `instantiate` takes only a display name and is not idempotent, so the name is
  derived from the link name alone (`<link> (crosstenant)`) and can be read back.
- **Adoption**: a configuration without the marker whose display name is exactly the derived name
  of link L was left by a run that died between instantiate and tagging; it stands for L
  (`managed: false`) and the next write tags it instead of instantiating a second one.
- **Settings hashes**: a line `crosstenant:settings-sha256:<field>=<hex>` per typed settings
  field in the service principal's `notes` (≤ 1024 characters; other lines are kept), compared
  when Graph masks a secret value (FIELD-NOTES row 13).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LINK_TAG_PREFIX = "crosstenant:link:"
TARGET_TAG_PREFIX = "crosstenant:target:"
DISPLAY_NAME_SUFFIX = " (crosstenant)"
SETTINGS_HASH_PREFIX = "crosstenant:settings-sha256:"


def link_tag(link: str) -> str:
    return f"{LINK_TAG_PREFIX}{link}"


def target_tag(tenant_id: str) -> str:
    return f"{TARGET_TAG_PREFIX}{tenant_id.lower()}"


def display_name_for(link: str) -> str:
    """The deterministic display name a link's configuration is instantiated with."""
    return f"{link}{DISPLAY_NAME_SUFFIX}"


def link_from_display_name(display_name: str | None) -> str | None:
    """The link whose derived display name this is exactly, or None."""
    if not display_name or not display_name.endswith(DISPLAY_NAME_SUFFIX):
        return None
    link = display_name[: -len(DISPLAY_NAME_SUFFIX)]
    if not link or link != link.strip() or any(c.isspace() for c in link):
        return None
    return link


def marked_link(tags: Iterable[str] | None) -> str | None:
    """The link named by the marker tag, or None when the object carries no marker."""
    for tag in tags or ():
        if tag.startswith(LINK_TAG_PREFIX) and len(tag) > len(LINK_TAG_PREFIX):
            return tag[len(LINK_TAG_PREFIX):]
    return None


def tagged_target(tags: Iterable[str] | None) -> str | None:
    for tag in tags or ():
        if tag.startswith(TARGET_TAG_PREFIX) and len(tag) > len(TARGET_TAG_PREFIX):
            return tag[len(TARGET_TAG_PREFIX):]
    return None


def adoptable_link(service_principal: Mapping[str, Any]) -> str | None:
    """The link an unmarked configuration may be adopted for (its exact derived name), or None."""
    if marked_link(service_principal.get("tags")) is not None:
        return None
    return link_from_display_name(service_principal.get("displayName"))


def tags_with_marker(existing: Iterable[str] | None, link: str, target_tenant_id: str | None) -> list[str]:
    """The full tag list to PATCH: existing tags kept (other crosstenant markers replaced)."""
    kept = [t for t in existing or () if not t.startswith((LINK_TAG_PREFIX, TARGET_TAG_PREFIX))]
    ours = [link_tag(link)] + ([target_tag(target_tenant_id)] if target_tenant_id else [])
    return kept + ours


def settings_hashes(notes: str | None) -> dict[str, str]:
    """The per-field settings hashes kept in `notes`."""
    hashes: dict[str, str] = {}
    for line in (notes or "").splitlines():
        line = line.strip()
        if line.startswith(SETTINGS_HASH_PREFIX) and "=" in line:
            field, _, value = line[len(SETTINGS_HASH_PREFIX):].partition("=")
            hashes[field] = value
    return hashes


def notes_with_hashes(notes: str | None, hashes: Mapping[str, str]) -> str:
    """`notes` with our hash lines replaced by `hashes`; every other line kept as it was."""
    kept = [line for line in (notes or "").splitlines() if not line.strip().startswith(SETTINGS_HASH_PREFIX)]
    ours = [f"{SETTINGS_HASH_PREFIX}{field}={hashes[field]}" for field in sorted(hashes)]
    return "\n".join(kept + ours)
