"""Run the emulator as the product meets it: `python -m reconciler.emulator serve` in a subprocess,
over HTTPS with its own CA, and drive its control API.

    with EmulatorProcess(tmp_path) as emu:
        token = emu.token(CONTOSO.tenant_id, CONTOSO.client_id, CONTOSO.secret)
        emu.add_fault(method="GET", path="/policies/crossTenantAccessPolicy", status=429, retry_after=1)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
DEMO_SEED = REPO / "examples" / "seed.yaml"
STARTUP_TIMEOUT = 15.0  # seconds; the emulator itself starts in well under 2 s
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class SeededApp:
    tenant_id: str
    client_id: str
    secret: str  # the emulator's own test credential, from examples/seed.yaml
    domain: str


CONTOSO_ID = "00000000-0000-0000-0000-00000000c0de"
FABRIKAM_ID = "00000000-0000-0000-0000-0000000fab1c"
CONTOSO = SeededApp(CONTOSO_ID, "11111111-0000-0000-0000-000000000001", "emulator-only-contoso-secret",
                    "contoso.example")
FABRIKAM = SeededApp(FABRIKAM_ID, "22222222-0000-0000-0000-000000000002", "emulator-only-fabrikam-secret",
                     "fabrikam.example")
CONTOSO_READONLY = SeededApp(CONTOSO_ID, "33333333-0000-0000-0000-000000000003", "emulator-only-readonly-secret",
                             "contoso.example")
CONTOSO_NO_POLICY = SeededApp(CONTOSO_ID, "44444444-0000-0000-0000-000000000004", "emulator-only-nopolicy-secret",
                              "contoso.example")


class EmulatorError(RuntimeError):
    pass


class EmulatorProcess:
    def __init__(self, state_dir: Path, seed: Path | None = DEMO_SEED, *, startup_timeout: float = STARTUP_TIMEOUT):
        self.state_dir = Path(state_dir)
        self.seed = seed
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._http: httpx.Client | None = None
        self._tokens: dict[tuple[str, str, str], str] = {}
        self.url = ""
        self.ca_bundle = ""
        self.announcement = ""

    # ----- lifecycle
    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> EmulatorProcess:
        if self._proc is not None:
            raise EmulatorError("already started")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        endpoint = self.state_dir / "endpoint.json"
        endpoint.unlink(missing_ok=True)
        args = [sys.executable, "-m", "reconciler.emulator", "serve", "--port", "0", "--state", str(self.state_dir)]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        self._stdout = open(self.state_dir / "emulator.out", "wb")
        self._stderr = open(self.state_dir / "emulator.err", "wb")
        self._proc = subprocess.Popen(args, cwd=REPO, stdout=self._stdout, stderr=self._stderr,
                                      env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + self.startup_timeout
        while True:
            info = _read_endpoint(endpoint)
            if info is not None and info.get("pid") == self._proc.pid:
                break
            if self._proc.poll() is not None:
                self._close_files()
                raise EmulatorError(f"the emulator exited with {self._proc.returncode}: {self.stderr()}")
            if time.monotonic() > deadline:
                self.stop()
                raise EmulatorError(f"the emulator did not start within {self.startup_timeout} s: {self.stderr()}")
            time.sleep(0.02)
        self.url, self.ca_bundle = info["url"], info["ca_bundle"]
        self.announcement = self._wait_for_announcement(deadline)
        self._http = httpx.Client(base_url=self.url, verify=self.ca_bundle, timeout=10.0)
        return self

    def stop(self) -> int | None:
        """SIGTERM, then kill after a bound; returns the exit code."""
        if self._http is not None:
            self._http.close()
            self._http = None
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT)
        self._close_files()
        return proc.returncode

    def restart(self) -> EmulatorProcess:
        self.stop()
        return self.start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stderr(self) -> str:
        path = self.state_dir / "emulator.err"
        return path.read_text(errors="replace") if path.exists() else ""

    # ----- HTTP
    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            raise EmulatorError("not started")
        return self._http

    def token(self, tenant: str, client_id: str, secret: str, scope: str = "https://127.0.0.1/.default") -> str:
        """An access token from the emulator's token endpoint (cached per credential)."""
        key = (tenant, client_id, scope)
        if key not in self._tokens:
            response = self.http.post(f"/{tenant}/oauth2/v2.0/token", data={
                "client_id": client_id, "client_secret": secret, "scope": scope, "grant_type": "client_credentials",
            })
            if response.status_code != 200:
                raise EmulatorError(f"token request failed: {response.status_code} {response.json().get('error')}")
            self._tokens[key] = response.json()["access_token"]
        return self._tokens[key]

    def graph(self, app: SeededApp) -> httpx.Client:
        """An httpx client on `/v1.0` that sends `app`'s token."""
        token = self.token(app.tenant_id, app.client_id, app.secret)
        return httpx.Client(base_url=f"{self.url}/v1.0", verify=self.ca_bundle, timeout=10.0,
                            headers={"Authorization": f"Bearer {token}"})

    # ----- control API
    def requests(self) -> list[dict[str, Any]]:
        return self._control("GET", "/_emulator/requests").json()["value"]

    def clear_requests(self) -> None:
        self._control("DELETE", "/_emulator/requests")

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        return self._control("POST", "/_emulator/faults", json=rule).json()

    def faults(self) -> list[dict[str, Any]]:
        return self._control("GET", "/_emulator/faults").json()["value"]

    def clear_faults(self) -> None:
        self._control("DELETE", "/_emulator/faults")

    def config(self, **knobs: Any) -> dict[str, Any]:
        return self._control("POST", "/_emulator/config", json=knobs).json()

    def reset(self) -> None:
        """Back to the seeded state: store, request log, faults and knobs."""
        self._control("POST", "/_emulator/reset")

    def health(self) -> dict[str, Any]:
        return self._control("GET", "/_emulator/health").json()

    def _control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise EmulatorError(f"{method} {path}: {response.status_code} {response.text}")
        return response

    def _wait_for_announcement(self, deadline: float) -> str:
        path = self.state_dir / "emulator.out"
        while time.monotonic() < deadline:
            text = path.read_text(errors="replace")
            if text.endswith("\n"):
                return text.strip()
            time.sleep(0.01)
        return path.read_text(errors="replace").strip()

    def _close_files(self) -> None:
        for fh in (getattr(self, "_stdout", None), getattr(self, "_stderr", None)):
            if fh is not None and not fh.closed:
                fh.close()


def _read_endpoint(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
