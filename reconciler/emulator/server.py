"""`crosstenant emulator serve`: the emulator over HTTPS on a loopback address.

Once listening it writes `DIR/endpoint.json` (`{"url", "ca_bundle", "pid"}`, atomically) and
announces one line; SIGTERM or SIGINT stops it cleanly and removes `endpoint.json`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Callable, Iterator

import uvicorn

from reconciler.emulator.app import build_emulator
from reconciler.emulator.tls import ensure_certificates

ENDPOINT_FILE = "endpoint.json"
# Seconds a stop waits for open connections: an idle keep-alive client never answers the TLS
# close_notify, and asyncio would otherwise wait 30 s for it.
SHUTDOWN_GRACE = 1.0


def serve(port: int, state_dir: Path, seed: Path | None, host: str = "127.0.0.1",
          announce: Callable[[str], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT. `port=0` picks a free port; `host` must be a loopback address."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the emulator listens on loopback addresses only, not {host!r}")
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    tls = ensure_certificates(state_dir)
    emulator = build_emulator(state_dir, seed)
    sock = _bind(host, port)
    url = f"https://{_url_host(host)}:{sock.getsockname()[1]}"
    endpoint_path = state_dir / ENDPOINT_FILE

    def on_started() -> None:
        _write_json_atomically(endpoint_path, {"url": url, "ca_bundle": str(tls.ca_cert), "pid": os.getpid()})
        (announce or _print_line)(f"crosstenant emulator listening on {url} (CA bundle: {tls.ca_cert})")

    config = uvicorn.Config(emulator.app, ssl_certfile=str(tls.server_cert), ssl_keyfile=str(tls.server_key),
                            log_level="warning", access_log=False, lifespan="off", server_header=False,
                            timeout_graceful_shutdown=SHUTDOWN_GRACE)
    server = _Server(config, on_started)
    try:
        server.run(sockets=[sock])
    finally:
        endpoint_path.unlink(missing_ok=True)
        emulator.store.close()
        sock.close()


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]):
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the captured signal after shutdown, which would kill the process
        # before endpoint.json is removed; a stop signal is a clean exit here.
        def stop(signum: int, frame: object) -> None:
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: without it, a response's header and body writes wait
    # on the client's delayed ACK (~40 ms per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host


def _write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
