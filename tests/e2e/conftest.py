"""End-to-end harness: the real CLI, in process, against a real emulator over HTTPS.

Every run goes through click, the engine, msgraph-sdk and azure-identity exactly as a user's
would; only the connection overrides point at the emulator.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from tests.support.emulator import CONTOSO, FABRIKAM, EmulatorProcess, SeededApp

TENANTS_YAML = f"""
tenants:
  contoso:
    tenant_id: {CONTOSO.tenant_id}
    auth: {{method: client_secret, client_id: {CONTOSO.client_id}, secret_env: CONTOSO_CLIENT_SECRET}}
  fabrikam:
    tenant_id: {FABRIKAM.tenant_id}
    auth: {{method: client_secret, client_id: {FABRIKAM.client_id}, secret_env: FABRIKAM_CLIENT_SECRET}}
"""


@dataclass
class Crosstenant:
    emulator: EmulatorProcess
    policies: Path
    secrets: dict[str, str]

    def write(self, name: str, text: str) -> Path:
        path = self.policies / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def env(self) -> dict[str, str]:
        return {
            "CROSSTENANT_GRAPH_URL": self.emulator.url,
            "CROSSTENANT_AUTHORITY": self.emulator.url,
            "CROSSTENANT_CA_BUNDLE": self.emulator.ca_bundle,
            "CROSSTENANT_POLICIES": str(self.policies),
            **self.secrets,
        }

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env(), input=input, catch_exceptions=False)

    def graph(self, app: SeededApp) -> httpx.Client:
        return self.emulator.graph(app)

    def graph_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.emulator.requests() if r["path"].startswith("/v1.0")]


@pytest.fixture
def crosstenant(fresh_emulator: EmulatorProcess, tmp_path: Path) -> Crosstenant:
    ct = Crosstenant(
        emulator=fresh_emulator,
        policies=tmp_path / "policies",
        secrets={"CONTOSO_CLIENT_SECRET": CONTOSO.secret, "FABRIKAM_CLIENT_SECRET": FABRIKAM.secret},
    )
    ct.write("tenants.yaml", TENANTS_YAML)
    return ct


def exit_code_and_output(result: Result) -> tuple[int, str]:
    return result.exit_code, result.output


Factory = Callable[..., Crosstenant]
