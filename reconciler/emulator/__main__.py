"""`python -m reconciler.emulator serve --port P --state DIR [--seed FILE] [--host H]` (no click needed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconciler.emulator.seed import SeedError
from reconciler.emulator.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconciler.emulator", description="The local Microsoft Graph.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the emulator over HTTPS on a loopback address")
    run.add_argument("--port", type=int, default=8443, help="port to listen on (0: a free port)")
    run.add_argument("--state", type=Path, required=True, help="state folder (database, CA, keys)")
    run.add_argument("--seed", type=Path, default=None, help="seed YAML, applied when the state is empty")
    run.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    args = parser.parse_args(argv)
    try:
        serve(args.port, args.state, args.seed, host=args.host)
    except (SeedError, ValueError, OSError) as err:
        parser.exit(1, f"crosstenant emulator: {err}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
