"""The local Microsoft Graph: a multi-tenant, stateful HTTPS server (`crosstenant emulator serve`).

A product component, never imported by the reconciler's core. Routes are grouped by Graph
area under `routes/`; state lives in SQLite (`store.py`).
"""
