"""Graph route modules, one per area. Each exposes `routes(ctx)` (paths under `/v1.0/`) and may
expose `control_routes(ctx)` (paths under `/_emulator/`); `app.py` mounts them by a fixed list."""
