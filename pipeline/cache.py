"""Per-article stage results, kept across runs in SQLite, so a nightly run pays only for what changed.

A result is keyed by (stage, key) where the key hashes the article's input columns for that stage and the
stage's fingerprint (its config section and the revisions of the models it uses). Every write is one
committed transaction: a run killed mid-stage loses at most the batch in flight.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    stage TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    used REAL NOT NULL,
    PRIMARY KEY (stage, key)
)
"""


def make_key(fingerprint: str, values: Iterable[Any]) -> str:
    payload = json.dumps([fingerprint, *values], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def fingerprint_of(parts: Mapping[str, Any]) -> str:
    return make_key("fingerprint", [parts])


class StageCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(self.path, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute(SCHEMA)
        self.connection.commit()

    def get_many(self, stage: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        # SQLite limits the number of bound parameters per statement.
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.connection.execute(
                f"SELECT key, value FROM results WHERE stage = ? AND key IN ({marks})", [stage, *part]
            ).fetchall()
            found.update({key: json.loads(value) for key, value in rows})
        if found:
            with self.connection:
                self.connection.executemany(
                    "UPDATE results SET used = ? WHERE stage = ? AND key = ?",
                    [(time.time(), stage, key) for key in found],
                )
        return found

    def put_many(self, stage: str, items: Mapping[str, Mapping[str, Any]]) -> None:
        now = time.time()
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO results (stage, key, value, created, used) VALUES (?, ?, ?, ?, ?)",
                [(stage, key, json.dumps(value, ensure_ascii=False), now, now) for key, value in items.items()],
            )

    def stats(self) -> dict[str, dict[str, float]]:
        rows = self.connection.execute(
            "SELECT stage, COUNT(*), SUM(LENGTH(value)), MIN(created), MAX(used) FROM results GROUP BY stage"
        ).fetchall()
        return {
            stage: {"entries": count, "bytes": size or 0, "oldest": oldest, "last_used": last_used}
            for stage, count, size, oldest, last_used in rows
        }

    def prune(self, unused_for_days: float) -> int:
        cutoff = time.time() - unused_for_days * 86400
        with self.connection:
            removed = self.connection.execute("DELETE FROM results WHERE used < ?", [cutoff]).rowcount
        self.connection.execute("VACUUM")
        return removed

    def close(self) -> None:
        self.connection.close()
