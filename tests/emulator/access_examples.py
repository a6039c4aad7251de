"""Graph's documented cross-tenant access exchanges (graph-reference/examples), ready to replay."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(os.environ.get("CROSSTENANT_GRAPH_REFERENCE", "/work/shared/graph-reference")) / "examples"

# The how-to's placeholders, bound to the seeded tenants: contoso is the source, fabrikam the target.
PLACEHOLDERS = {
    "{sourceTenantId}": "00000000-0000-0000-0000-00000000c0de",
    "{targetTenantId}": "00000000-0000-0000-0000-0000000fab1c",
    "<SourceTenantId>": "00000000-0000-0000-0000-00000000c0de",
}


def example(name: str) -> dict[str, Any]:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"graph reference not available: {path}")
    text = path.read_text()
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def graph_path(fixture: dict[str, Any]) -> str:
    """The request path after `/v1.0` (or `/beta`: beta examples are replayed on v1.0)."""
    url = fixture["url"]
    for version in ("/v1.0", "/beta"):
        if version in url:
            return url.split(version, 1)[1]
    raise ValueError(url)


def assert_documented(documented: Any, actual: Any, where: str = "body") -> None:
    """Every documented key is present with the documented value; `@odata.context` is compared by
    its fragment (the host differs). Extra keys are allowed only where the doc says it is truncated,
    which callers decide by passing the documented body they trust."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in documented.items():
            assert key in actual, f"{where}.{key}: missing"
            if key == "@odata.context":
                assert actual[key].split("#", 1)[1] == value.split("#", 1)[1], f"{where}.{key}"
            else:
                assert_documented(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), f"{where}: {actual!r}"
        for i, (d, a) in enumerate(zip(documented, actual)):
            assert_documented(d, a, f"{where}[{i}]")
    else:
        assert actual == documented, f"{where}: {actual!r} != {documented!r}"


def settings_only(body: dict[str, Any]) -> dict[str, Any]:
    """A partner body as a client would POST it: no nulls, no read-only or unknown properties."""
    read_only = {"isInMultiTenantOrganization", "@odata.context", "crossCloudMeetingConfiguration"}
    result = {k: v for k, v in body.items() if v is not None and k not in read_only}
    consent = result.get("automaticUserConsentSettings")
    if consent is not None and all(v is None for v in consent.values()):
        del result["automaticUserConsentSettings"]
    return result
