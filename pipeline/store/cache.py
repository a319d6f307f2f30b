"""Per-article stage results, kept across runs in SQLite, so a nightly run pays only for what changed.

A result is keyed by (stage, key) where the key hashes the article's input columns for that stage and the
stage's fingerprint (its config section and the revisions of the models it uses). Every write is one
committed transaction: a run killed mid-stage loses at most the batch in flight.

The same database remembers when each article id (path + content hash) was first seen, for
`run --since`. `cache_info` and `prune_cache` are the twins of `news-digest cache info|prune`.
"""
from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

from pipeline.config import PipelineConfig
from pipeline.errors import CacheError, UsageError

CACHE_FILE_NAME = "stages.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    stage TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    used REAL NOT NULL,
    PRIMARY KEY (stage, key)
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    first_seen REAL NOT NULL,
    first_run TEXT NOT NULL,
    last_seen REAL NOT NULL
);
"""
SECONDS_PER_DAY = 86400
MAX_BOUND_KEYS = 500


def make_key(fingerprint: str, values: Iterable[Any]) -> str:
    payload = json.dumps([fingerprint, *values], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def fingerprint_of(parts: Mapping[str, Any]) -> str:
    return make_key("fingerprint", [parts])


Method = TypeVar("Method", bound=Callable[..., Any])


def _reported(method: Method) -> Method:
    """SQLite's errors (a full disk is "disk I/O error", not an OSError) as one line naming the file and the fix."""

    @functools.wraps(method)
    def wrapper(self: "StageCache", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as error:
            raise CacheError(str(self.path), error) from error

    return wrapper  # type: ignore[return-value]


class StageCache:
    @_reported
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(self.path, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.executescript(SCHEMA)

    @_reported
    def get_many(self, stage: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        rows = self._select_in("SELECT key, value FROM results WHERE stage = ? AND key IN ({marks})", [stage], keys)
        found = {key: json.loads(value) for key, value in rows}
        if found:
            with self.connection:
                self.connection.executemany(
                    "UPDATE results SET used = ? WHERE stage = ? AND key = ?",
                    [(time.time(), stage, key) for key in found],
                )
        return found

    @_reported
    def put_many(self, stage: str, items: Mapping[str, Mapping[str, Any]]) -> None:
        now = time.time()
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO results (stage, key, value, created, used) VALUES (?, ?, ?, ?, ?)",
                [(stage, key, json.dumps(value, ensure_ascii=False), now, now) for key, value in items.items()],
            )

    @_reported
    def record_seen(self, articles: Iterable[tuple[str, str]], run_id: str) -> dict[str, float]:
        """Note (id, path) pairs as seen now; return each id's first-seen time (epoch seconds)."""
        now = time.time()
        rows = [(article_id, path, now, run_id, now) for article_id, path in articles]
        with self.connection:
            self.connection.executemany(
                "INSERT INTO articles (id, path, first_seen, first_run, last_seen) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
                rows,
            )
        query = "SELECT id, first_seen FROM articles WHERE id IN ({marks})"
        return dict(self._select_in(query, [], [row[0] for row in rows]))

    @_reported
    def stats(self) -> dict[str, dict[str, Any]]:
        """Per stage: entries, bytes of stored results, oldest entry and last use (ISO 8601, UTC)."""
        rows = self.connection.execute(
            "SELECT stage, COUNT(*), SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(value AS BLOB))), "
            "MIN(created), MAX(used) FROM results GROUP BY stage ORDER BY stage"
        ).fetchall()
        return {
            stage: {"entries": count, "bytes": size or 0, "oldest": _iso(oldest), "last_used": _iso(last_used)}
            for stage, count, size, oldest, last_used in rows
        }

    @_reported
    def count_articles(self) -> int:
        return self.connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    @_reported
    def prune(self, unused_days: float | None = None, everything: bool = False) -> dict[str, int]:
        """Drop results unused for `unused_days` (and first-seen records of articles not seen for as
        long), or every result with `everything`; the file shrinks to match."""
        with self.connection:
            if everything:
                results = self.connection.execute("DELETE FROM results").rowcount
                articles = 0
            else:
                cutoff = time.time() - (unused_days or 0) * SECONDS_PER_DAY
                results = self.connection.execute("DELETE FROM results WHERE used < ?", [cutoff]).rowcount
                articles = self.connection.execute("DELETE FROM articles WHERE last_seen < ?", [cutoff]).rowcount
        self.connection.execute("VACUUM")
        # In WAL mode the freed pages reach the main file only at a checkpoint.
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"results": results, "articles": articles}

    @_reported
    def close(self) -> None:
        self.connection.close()

    def _select_in(self, query: str, leading: list[Any], keys: list[str]) -> list[tuple]:
        """Rows of `query`, whose `IN ({marks})` is filled with `keys` a few hundred at a time: SQLite
        limits the number of bound parameters per statement."""
        rows: list[tuple] = []
        for start in range(0, len(keys), MAX_BOUND_KEYS):
            part = keys[start : start + MAX_BOUND_KEYS]
            marks = ",".join("?" * len(part))
            rows += self.connection.execute(query.format(marks=marks), [*leading, *part]).fetchall()
        return rows


def cache_file(config: PipelineConfig) -> Path:
    return config.cache_dir / CACHE_FILE_NAME


def cache_info(config: PipelineConfig) -> dict[str, Any]:
    """Where the cache is, its size on disk, and entries, bytes, oldest and last use per stage.
    Reading never creates the cache: a missing file is reported as such."""
    path = cache_file(config)
    info: dict[str, Any] = {"path": str(path), "exists": path.is_file(), "file_bytes": _file_bytes(path)}
    if not info["exists"]:
        return info | {"stages": {}, "articles_seen": 0}
    cache = StageCache(path)
    try:
        return info | {"stages": cache.stats(), "articles_seen": cache.count_articles()}
    finally:
        cache.close()


def prune_cache(config: PipelineConfig, unused_days: float | None = None, everything: bool = False) -> dict[str, Any]:
    """Remove results not used for `unused_days` days, or all of them; return what went and the size left.

    Safe while a run is going: a result it has not read yet is computed again."""
    if (unused_days is None) == (not everything):
        raise UsageError("cache prune", "give exactly one of --unused-days N and --all", "e.g. --unused-days 30")
    if unused_days is not None and unused_days < 0:
        raise UsageError("--unused-days", f"{unused_days:g} is negative", "give 0 or more days")
    path = cache_file(config)
    if not path.is_file():
        return {"path": str(path), "removed": {"results": 0, "articles": 0}, "bytes_before": 0, "file_bytes": 0}
    before = _file_bytes(path)
    cache = StageCache(path)
    try:
        removed = cache.prune(unused_days, everything)
    finally:
        cache.close()
    return {"path": str(path), "removed": removed, "bytes_before": before, "file_bytes": _file_bytes(path)}


def _file_bytes(path: Path) -> int:
    # The write-ahead log holds committed results not yet copied into the main file.
    return sum(part.stat().st_size for part in (path, path.with_name(path.name + "-wal")) if part.is_file())


def _iso(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if epoch else ""
