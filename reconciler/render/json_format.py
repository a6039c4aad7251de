"""The JSON rendering: the plan's own JSON, with sorted keys, so a saved plan diffs cleanly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def render_json(plan_json: Mapping[str, Any]) -> str:
    return json.dumps(plan_json, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
