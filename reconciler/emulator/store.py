"""Emulator state: JSON documents in SQLite, keyed by (tenant id, collection, object id).

Collections are plain names chosen by the route modules (e.g. "partners", "identitySync",
"servicePrincipals", "applications", "jobs"). Insertion order is kept, so paging is stable.
One process owns the database; separate CLI commands see the same tenants through it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterator


class Store:
    def __init__(self, path: Path | str):
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS objects ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " tenant_id TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,"
            " body TEXT NOT NULL, UNIQUE (tenant_id, collection, id))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, tenant_id: str, collection: str, obj_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM objects WHERE tenant_id=? AND collection=? AND id=?",
                (tenant_id, collection, obj_id.lower()),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, tenant_id: str, collection: str, obj_id: str, body: dict[str, Any]) -> None:
        """Insert or replace; a replaced object keeps its place in the listing order."""
        text = json.dumps(body, separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT INTO objects (tenant_id, collection, id, body) VALUES (?,?,?,?)"
                " ON CONFLICT (tenant_id, collection, id) DO UPDATE SET body=excluded.body",
                (tenant_id, collection, obj_id.lower(), text),
            )

    def delete(self, tenant_id: str, collection: str, obj_id: str) -> bool:
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM objects WHERE tenant_id=? AND collection=? AND id=?",
                (tenant_id, collection, obj_id.lower()),
            )
        return cur.rowcount > 0

    def list(self, tenant_id: str, collection: str, id_prefix: str = "") -> list[dict[str, Any]]:
        """All objects of a collection in insertion order; `id_prefix` narrows to e.g. one SP's jobs."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM objects WHERE tenant_id=? AND collection=? AND id LIKE ? ORDER BY seq",
                (tenant_id, collection, id_prefix.lower().replace("%", r"\%") + "%"),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def tenants(self) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT tenant_id FROM objects ORDER BY tenant_id").fetchall()
        return (r[0] for r in rows)

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def clear(self) -> None:
        """Remove every object and meta value (the control API's reset, before reseeding)."""
        with self._lock:
            self._db.execute("DELETE FROM objects")
            self._db.execute("DELETE FROM meta")

    def close(self) -> None:
        self._db.close()
