"""Run a complete example estate (policies + seed) against its own emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

from ruamel.yaml import YAML

from tests.e2e.conftest import Crosstenant
from tests.support.emulator import EmulatorProcess

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TOPOLOGIES = ("one_to_one", "one_to_many", "many_to_one", "mesh")


def _load_all(folder: Path) -> list[dict]:
    yaml = YAML(typ="safe")
    return [yaml.load(p.read_text()) or {} for p in sorted(folder.rglob("*.yaml"))]


def secrets_for(policies: Path, seed: Path) -> dict[str, str]:
    """The environment a run needs: each tenant's `secret_env` set to its app's secret in the seed."""
    secrets_by_client = {
        app["client_id"]: app["secret"]
        for tenant in (YAML(typ="safe").load(seed.read_text())["tenants"] or {}).values()
        for app in tenant.get("apps", [])
    }
    env = {}
    for doc in _load_all(policies):
        for tenant in (doc.get("tenants") or {}).values():
            auth = tenant.get("auth") or {}
            if auth.get("secret_env"):
                env[auth["secret_env"]] = secrets_by_client[auth["client_id"]]
    return env


def estate(example: str, workdir: Path, emulator: EmulatorProcess) -> Crosstenant:
    """A copy of examples/<example>/policies in `workdir`, wired to `emulator`."""
    source = EXAMPLES / example
    policies = workdir / "policies"
    shutil.copytree(source / "policies", policies)
    return Crosstenant(emulator, policies, secrets_for(policies, source / "seed.yaml"))
