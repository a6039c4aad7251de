"""A link's job settings: typed fields ↔ the synchronization secrets list (ENDPOINTS.md §2, §2.2).

Typed body (what plans show and diff; none of these values is secret):

    {"targetTenantId": guid, "authenticationType": "SyncPolicy", "syncAll": bool,
     "notifications": {"enabled": bool, "recipients": [email, ...],
                       "deleteThresholdEnabled": bool, "deleteThresholdValue": int}}

Secrets (`{"value": [{"key", "value"}]}`, every value a string): `CompanyId`, `AuthenticationType`,
`SyncAll` (`"true"`/`"false"`), `SyncNotificationSettings` (a JSON object serialised into the
string, keys `Enabled`, `Recipients`, `DeleteThresholdEnabled`, `DeleteThresholdValue`, plus
`HumanResourcesLookaheadQueryEnabled`, which is kept as it is).

Assumptions, kept here:
- `Recipients` is one string; how several addresses are joined is **not documented** (every
  example holds one address). We write them joined with `;` (the Microsoft convention for
  address lists) and read `;` or `,`. Uncertain.
- PUT replaces the whole list (PATCH is not supported), so writes start from the live list and
  keep the keys we do not manage — except a value Graph masks (`"*"`), which must never be sent
  back: such an unmanaged key is dropped (it cannot be preserved without knowing its value).
- Which keys Graph masks for Azure2Azure is not documented; any of ours may be, and is then
  compared through a hash of the declared value (`field_hash`), never through the mask.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.errors import CrosstenantError
from reconciler.plan import canonical_json

MASK = "*"
MASKED = "(masked by Graph)"  # what a plan shows for a value Graph does not return

COMPANY_ID = "CompanyId"
AUTHENTICATION_TYPE = "AuthenticationType"
SYNC_ALL = "SyncAll"
NOTIFICATIONS = "SyncNotificationSettings"

# typed field → secret key, in the order the configure-graph how-to writes them
FIELD_SECRETS: dict[str, str] = {
    "authenticationType": AUTHENTICATION_TYPE,
    "targetTenantId": COMPANY_ID,
    "notifications": NOTIFICATIONS,
    "syncAll": SYNC_ALL,
}
SECRET_FIELDS = {secret: field for field, secret in FIELD_SECRETS.items()}

# typed notification key → key inside the SyncNotificationSettings JSON
NOTIFICATION_KEYS: dict[str, str] = {
    "enabled": "Enabled",
    "recipients": "Recipients",
    "deleteThresholdEnabled": "DeleteThresholdEnabled",
    "deleteThresholdValue": "DeleteThresholdValue",
}
# The body the how-to PUTs for a new configuration; the base for keys nobody declared.
DEFAULT_NOTIFICATION_SETTINGS: dict[str, Any] = {
    "Enabled": False,
    "DeleteThresholdEnabled": False,
    "HumanResourcesLookaheadQueryEnabled": False,
}
RECIPIENT_SEPARATOR = ";"  # uncertain, see the module docstring


def field_hash(value: Any) -> str:
    """sha256 of a typed field's canonical JSON: what is kept to compare a masked value with."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def from_secrets(secrets: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], frozenset[str]]:
    """The typed settings a live secrets list holds, and the typed fields Graph masked.

    Only fields whose secret is present appear; a masked one holds `MASKED`. A value that does
    not parse (e.g. `SyncAll: "maybe"`) is kept raw, so the plan shows what is there.
    """
    by_key = {str(s.get("key")): s.get("value") for s in secrets}
    typed: dict[str, Any] = {}
    masked: set[str] = set()
    for field, secret in FIELD_SECRETS.items():
        if secret not in by_key:
            continue
        raw = by_key[secret]
        if raw == MASK:
            typed[field] = MASKED
            masked.add(field)
        elif field == "syncAll":
            typed[field] = _parse_bool(raw)
        elif field == "notifications":
            typed[field] = _notifications_from_json(raw)
        elif field == "targetTenantId":
            typed[field] = raw.lower() if isinstance(raw, str) else raw
        else:
            typed[field] = raw
    return typed, frozenset(masked)


class MaskedSettingsError(CrosstenantError):
    """A PUT would drop a setting Graph masks and the desired state does not declare."""


def to_secrets(desired: Mapping[str, Any], live: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The whole secrets list to PUT: the live list with the declared typed fields laid over it.

    Declared notification keys are laid over the live JSON (unknown keys such as
    `HumanResourcesLookaheadQueryEnabled` kept); masked values are never sent back. The PUT
    replaces the whole list, so a masked setting nobody declared would be lost: refused.
    """
    live = [{"key": str(s.get("key")), "value": s.get("value")} for s in live]
    by_key = {s["key"]: s["value"] for s in live}
    written: dict[str, str] = {}
    for field, secret in FIELD_SECRETS.items():
        if field not in desired:
            continue
        value = desired[field]
        if field == "syncAll":
            written[secret] = "true" if value else "false"
        elif field == "notifications":
            base = by_key.get(secret)
            written[secret] = _notifications_to_json(value, base if base != MASK else None)
        else:
            written[secret] = str(value)
    result: list[dict[str, str]] = []
    dropped = sorted(i["key"] for i in live if i["value"] == MASK and i["key"] not in written
                     and i["key"] in FIELD_SECRETS.values())
    if dropped:
        yaml_names = {"notifications": "notify and deletion_threshold", "syncAll": "scope",
                      "targetTenantId": "to", "authenticationType": "to"}
        fields = " and ".join(sorted({yaml_names[f] for f, secret in FIELD_SECRETS.items() if secret in dropped}))
        raise MaskedSettingsError(
            f"Graph masks the configuration's {', '.join(dropped)}, and writing the settings replaces them "
            f"all: declare {fields} so that crosstenant writes them whole instead of losing them")
    for item in live:
        key = item["key"]
        if key in written:
            result.append({"key": key, "value": written.pop(key)})
        elif item["value"] != MASK and item["value"] is not None:
            result.append({"key": key, "value": str(item["value"])})
    for secret in FIELD_SECRETS.values():  # keys new to this configuration, in the how-to's order
        if secret in written:
            result.append({"key": secret, "value": written.pop(secret)})
    return result


def credentials_check_body(target_tenant_id: str, authentication_type: str = "SyncPolicy") -> dict[str, Any]:
    """The collection-bound `validateCredentials` body ("test connection"; cts-howto example)."""
    return {
        "useSavedCredentials": False,
        "templateId": "Azure2Azure",
        "credentials": [
            {"key": COMPANY_ID, "value": target_tenant_id},
            {"key": AUTHENTICATION_TYPE, "value": authentication_type},
        ],
    }


def job_setting(job: Mapping[str, Any] | None, name: str) -> str | None:
    """One `synchronizationJobSettings` value of a job (`[{name, value}]`), or None."""
    for item in (job or {}).get("synchronizationJobSettings") or ():
        if item.get("name") == name:
            return item.get("value")
    return None


def quarantine_deletes_threshold(job: Mapping[str, Any] | None) -> int | None:
    """The job setting `QuarantineTooManyDeletesThreshold` (jobs-get example), reported only.

    Whether the service reads it or the secret's `DeleteThresholdValue` is uncertain (§2.2);
    crosstenant writes the secret and shows both.
    """
    raw = job_setting(job, "QuarantineTooManyDeletesThreshold")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _parse_bool(raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return raw


def _notifications_from_json(raw: Any) -> Any:
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return raw
    if not isinstance(data, dict):
        return raw
    typed: dict[str, Any] = {}
    for field, key in NOTIFICATION_KEYS.items():
        if key not in data:
            continue
        value = data[key]
        if field == "recipients":
            value = split_recipients(value)
        elif field == "deleteThresholdValue":
            value = _parse_int(value)
        else:
            value = _parse_bool(value)
        typed[field] = value
    return typed


def _notifications_to_json(declared: Mapping[str, Any], live_raw: Any) -> str:
    base: dict[str, Any] = dict(DEFAULT_NOTIFICATION_SETTINGS)
    if isinstance(live_raw, str):
        try:
            parsed = json.loads(live_raw)
            if isinstance(parsed, dict):
                base = parsed
        except ValueError:
            pass
    merged = dict(base)
    for field, key in NOTIFICATION_KEYS.items():
        if field in declared:
            value = declared[field]
            merged[key] = join_recipients(value) if field == "recipients" else value
    return json.dumps(merged, separators=(",", ":"), ensure_ascii=False)


def split_recipients(value: Any) -> list[str]:
    if not isinstance(value, str):
        return [str(v) for v in value] if isinstance(value, list) else []
    parts = value.replace(",", RECIPIENT_SEPARATOR).split(RECIPIENT_SEPARATOR)
    return sorted(p.strip() for p in parts if p.strip())


def join_recipients(recipients: Iterable[str]) -> str:
    return RECIPIENT_SEPARATOR.join(sorted(recipients))


def _parse_int(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return value
    return value
