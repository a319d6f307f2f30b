"""Faults of the machine around a run, each one line with the file and the fix: the cache database failing
(SQLite's errors are not OSErrors), a write that fills the disk, and what failed runs leave behind."""
from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline.store.cache
from pipeline.cli import app
from pipeline.errors import MachineError
from pipeline.store.atomic import write_text
from pipeline.store.runs import CURRENT_DIGEST, RunFolder, remove_failed_runs

runner = CliRunner()


class DiskFullAtTranslate:
    """A cache connection whose disk fills up when translate results are stored: SQLite then says
    "disk I/O error" (an sqlite3.OperationalError, not an OSError)."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __getattr__(self, name: str):
        return getattr(self.connection, name)

    def __enter__(self):
        return self.connection.__enter__()

    def __exit__(self, *exc):
        return self.connection.__exit__(*exc)

    def executemany(self, sql: str, rows: list):
        rows = list(rows)
        if sql.startswith("INSERT OR REPLACE INTO results") and rows and rows[0][0] == "translate":
            error = sqlite3.OperationalError("disk I/O error")
            error.sqlite_errorname = "SQLITE_IOERR_WRITE"
            raise error
        return self.connection.executemany(sql, rows)


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_a_cache_error_mid_run_is_one_line_a_failed_manifest_and_the_previous_digest(
    quick_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work_dir = quick_config_file.parent / "outputs"
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    digest = (work_dir / "digest.json").read_bytes()
    connect = sqlite3.connect
    monkeypatch.setattr(pipeline.store.cache.sqlite3, "connect", lambda *a, **k: DiskFullAtTranslate(connect(*a, **k)))
    result = _invoke("run", "-c", str(quick_config_file), "--set", "translate.num_beams=2")

    assert result.exit_code == 1
    cache = work_dir / "cache" / "stages.sqlite"
    assert result.output.startswith(f"error: {cache}: OperationalError: disk I/O error. Fix: free space on that disk")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    manifest = RunFolder.open(work_dir).read_manifest()
    assert manifest["status"] == "failed" and "disk I/O error" in manifest["error"]
    assert (work_dir / "digest.json").read_bytes() == digest


def test_a_damaged_cache_file_fails_the_run_in_its_manifest_with_the_fix(quick_config_file: Path) -> None:
    cache = quick_config_file.parent / "outputs" / "cache" / "stages.sqlite"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"not a database, a file a full disk cut short" * 100)

    result = _invoke("run", "-c", str(quick_config_file))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"error: {cache}: DatabaseError: file is not a database. Fix: move the file aside")
    assert RunFolder.open(cache.parent.parent).read_manifest()["status"] == "failed"


def test_the_previous_run_interrupted_is_said_once(quick_config_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    killed = quick_config_file.parent / "outputs" / "runs" / "20200101T000000Z"
    killed.mkdir(parents=True)
    (killed / "manifest.json").write_text(json.dumps({"run_id": killed.name, "status": "running"}), encoding="utf-8")

    with caplog.at_level(logging.WARNING):
        result = _invoke("run", "-c", str(quick_config_file))

    assert result.exit_code == 0, result.output
    said = result.output + "".join(record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING)
    assert said.count("interrupted") == 1, said
    assert f"the previous run {killed.name} interrupted" in result.output


def test_a_write_that_fills_the_disk_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write() says it: no file name

    monkeypatch.setattr(Path, "write_text", disk_full)
    target = tmp_path / "runs" / "manifest.json"
    with pytest.raises(OSError) as raised:
        write_text(target, "{}")
    assert str(MachineError(raised.value)).startswith(f"{target}: No space left on device. Fix: free space")


def _fake_run(work_dir: Path, run_id: str, status: str) -> Path:
    root = work_dir / "runs" / run_id
    (root / "01_ingest").mkdir(parents=True)
    stages = {"merge": {}} if status == "completed" else {}
    (root / "manifest.json").write_text(json.dumps({"run_id": run_id, "status": status, "stages": stages}), encoding="utf-8")
    return root


def test_failed_and_killed_runs_older_than_the_newest_completed_run_are_removed(tmp_path: Path) -> None:
    work_dir = tmp_path / "outputs"
    statuses = {
        "20240101T020000Z": "completed", "20240102T020000Z": "failed", "20240103T020000Z": "interrupted",
        "20240104T020000Z": "completed", "20240104T020000Z-1": "failed", "20240105T020000Z": "failed",
    }
    roots = {run_id: _fake_run(work_dir, run_id, status) for run_id, status in statuses.items()}
    # A failed run whose digest is still the work folder's (it failed after publishing) is never removed.
    published = roots["20240102T020000Z"] / "07_merge" / "published"
    published.mkdir(parents=True)
    os.symlink(os.path.relpath(published, work_dir), work_dir / CURRENT_DIGEST)

    assert remove_failed_runs(work_dir) == ["20240103T020000Z"]
    left = sorted(path.name for path in (work_dir / "runs").iterdir())
    assert left == ["20240101T020000Z", "20240102T020000Z", "20240104T020000Z", "20240104T020000Z-1", "20240105T020000Z"]
    (work_dir / CURRENT_DIGEST).unlink()
    assert remove_failed_runs(work_dir) == ["20240102T020000Z"]
    assert remove_failed_runs(tmp_path / "no-runs-yet") == []
