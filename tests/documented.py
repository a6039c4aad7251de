"""Graph's documented examples used as fixtures (copies from graph-reference/examples/)."""

from __future__ import annotations

import json
from pathlib import Path

_EXAMPLES = Path(__file__).parent / "fixtures" / "graph"


def example_body(name: str) -> dict:
    return json.loads((_EXAMPLES / f"{name}.json").read_text())["body"]


# The documented GET of a partner configuration (partners-get.response.json).
PARTNER_GET = example_body("partners-get.response")
