"""Where each run leaves its files: the one module that knows the layout of the work folder.

    <work_dir>/
      digest.md, digest.json, digest.html   links to digest.current/digest.* (the latest digest)
      digest.current                         link to the published folder of the run that wrote it,
                                             replaced in one rename: the three files switch together
      cache/stages.sqlite                    per-article results across runs (pipeline.cache)
      runs/<run_id>/
        manifest.json                        inputs, models, config, timings, errors, status
        01_ingest/ … 06_check/               the article table after each stage (datasets on disk)
        07_merge/digest.*                    this run's digest
        07_merge/published/digest.*          the same, its source links relative to <work_dir>
        07_merge/stories/                    the stories the next run continues: every article grouped
                                             or carried, with its story's id (pipeline.digest.continuity)
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from datasets import Dataset, load_from_disk

from pipeline.errors import ArtifactMissingError, PipelineError, describe
from pipeline.store.atomic import atomic_path, write_json

log = logging.getLogger(__name__)

STAGE_FOLDERS = {
    "ingest": "01_ingest",
    "clean": "02_clean",
    "detect": "03_detect",
    "translate": "04_translate",
    "summarize": "05_summarize",
    "check": "06_check",
    "merge": "07_merge",
}
DIGEST_NAME = "digest"
FORMATS = ("md", "json", "html")  # the digest's file formats
CURRENT_DIGEST = f"{DIGEST_NAME}.current"
PUBLISHED_FOLDER = "published"
STORIES_FOLDER = "stories"
MANIFEST_NAME = "manifest.json"
STATUS_RUNNING, STATUS_COMPLETED, STATUS_INTERRUPTED, STATUS_FAILED = "running", "completed", "interrupted", "failed"
# Everything written through pipeline.store.atomic; a killed write leaves a hidden temp sibling ".<name>.*".
_ATOMIC_TARGETS = (*STAGE_FOLDERS.values(), STORIES_FOLDER, MANIFEST_NAME, *(f"{DIGEST_NAME}.{fmt}" for fmt in FORMATS))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunFolder:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.run_id = self.root.name

    @classmethod
    def create(cls, work_dir: Path) -> "RunFolder":
        runs = Path(work_dir) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for attempt in range(1000):
            root = runs / (stamp if attempt == 0 else f"{stamp}-{attempt}")
            try:
                root.mkdir()
            except FileExistsError:
                continue
            run = cls(root)
            run.write_manifest({"run_id": run.run_id, "status": STATUS_RUNNING, "started_at": now_iso()})
            return run
        raise PipelineError(f"cannot create a run folder under {runs}")

    @classmethod
    def open(cls, work_dir: Path, run_id: str | None = None) -> "RunFolder":
        """The named run, or the newest one."""
        runs = Path(work_dir) / "runs"
        if run_id:
            root = runs / run_id
        else:
            existing = run_roots(work_dir)
            if not existing:
                raise PipelineError(f"no run in {runs}. Fix: start one with `news-digest ingest` or `news-digest run`")
            root = existing[-1]
        if not (root / MANIFEST_NAME).is_file():
            raise PipelineError(f"{root} is not a run folder (no {MANIFEST_NAME}). Fix: pass a run id from {runs}")
        return cls(root)

    @classmethod
    def last_completed(cls, work_dir: Path, before: str | None = None) -> "RunFolder | None":
        """The newest run that got all the way to a digest (older than run `before` when given), or None."""
        roots = run_roots(work_dir)
        if before is not None:
            roots = [root for root in roots if _run_order(root) < _run_order(Path(before))]
        for root in reversed(roots):
            manifest = cls(root).read_manifest()
            if manifest.get("status") == STATUS_COMPLETED and "merge" in manifest.get("stages", {}):
                return cls(root)
        return None

    @property
    def work_dir(self) -> Path:
        return self.root.parent.parent

    def stage_dir(self, stage: str) -> Path:
        return self.root / STAGE_FOLDERS[stage]

    def published_dir(self) -> Path:
        return self.stage_dir("merge") / PUBLISHED_FOLDER

    def stories_dir(self) -> Path:
        return self.stage_dir("merge") / STORIES_FOLDER

    def save_table(self, stage: str, table: Dataset) -> None:
        _save_dataset(self.stage_dir(stage), table)

    def save_stories(self, table: Dataset) -> None:
        _save_dataset(self.stories_dir(), table)

    def load_stories(self) -> Dataset | None:
        """The stories this run kept for the next one; None for a run from before they were kept."""
        folder = self.stories_dir()
        return load_from_disk(str(folder), keep_in_memory=True) if folder.is_dir() else None

    def load_table(self, stage: str, needed_by: str) -> Dataset:
        folder = self.stage_dir(stage)
        if not folder.is_dir():
            raise ArtifactMissingError(needed_by, stage, str(self.root))
        # Loaded into memory so that later maps never write cache files into the run folder.
        return load_from_disk(str(folder), keep_in_memory=True)

    def read_manifest(self) -> dict[str, Any]:
        return json.loads((self.root / MANIFEST_NAME).read_text(encoding="utf-8"))

    def update_manifest(self, **fields: Any) -> dict[str, Any]:
        manifest = self.read_manifest()
        manifest.update(fields)
        self.write_manifest(manifest)
        return manifest

    def record_stage(self, stage: str, report: dict[str, Any]) -> None:
        manifest = self.read_manifest()
        manifest.setdefault("stages", {})[stage] = report
        self.write_manifest(manifest)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest["updated_at"] = now_iso()
        manifest["pid"] = os.getpid()
        write_json(self.root / MANIFEST_NAME, manifest)


def _save_dataset(folder: Path, table: Dataset) -> None:
    with atomic_path(folder, is_dir=True) as staging:
        table.save_to_disk(str(staging))


def publish_digest(run: RunFolder, formats: list[str]) -> list[Path]:
    """Make `run`'s published digest the work folder's, all formats in one rename of the `digest.current`
    link: a reader, a crash or a failure at any point sees every file from the old run or every file from
    the new one. Returns the work folder's digest paths."""
    work_dir = run.work_dir
    _replace_link(work_dir / CURRENT_DIGEST, os.path.relpath(run.published_dir(), work_dir))
    paths = []
    for fmt in FORMATS:
        path = work_dir / f"{DIGEST_NAME}.{fmt}"
        target = f"{CURRENT_DIGEST}/{DIGEST_NAME}.{fmt}"
        if fmt not in formats:
            if path.is_symlink():  # a format this run did not write: no file from an older run stays
                path.unlink()
        elif not path.is_symlink() or os.readlink(path) != target:  # set up once (a digest file of an older version)
            _replace_link(path, target)
        paths += [path] if fmt in formats else []
    return paths


def _replace_link(path: Path, target: str) -> None:
    temp = path.with_name(f".{path.name}.link")
    temp.unlink(missing_ok=True)
    temp.symlink_to(target)
    os.replace(temp, path)


def mark_failed_run(run: RunFolder, error: BaseException) -> None:
    """Record a failed run in its manifest when anything can still be written; a full disk may forbid even that."""
    problem = describe(error)
    if isinstance(error, OSError) and error.filename:
        problem = f"{error.filename}: {problem}"
    try:
        run.update_manifest(status=STATUS_FAILED, finished_at=now_iso(), error=problem)
    except OSError as unwritable:
        log.warning("%s: could not mark run %s failed (%s); the next run reports it", run.root, run.run_id, describe(unwritable))


def report_previous_run(work_dir: Path) -> dict[str, Any] | None:
    """How the newest run so far ended (run_id, status, error), for the new run's manifest and report."""
    roots = run_roots(work_dir)
    if not roots:
        return None
    manifest = RunFolder(roots[-1]).read_manifest()
    return {key: manifest[key] for key in ("run_id", "status", "error") if key in manifest}


def remove_failed_runs(work_dir: Path) -> list[str]:
    """Delete the folders of failed or interrupted runs older than the newest completed run (their partial
    tables, nothing a later run reads: finished work is in the cache); call only while holding the lock.
    Newer ones stay, for the next run's report. Returns the ids removed."""
    completed = RunFolder.last_completed(work_dir)
    if completed is None:
        return []
    current = (Path(work_dir) / CURRENT_DIGEST).resolve()
    removed = []
    for root in run_roots(work_dir):
        if _run_order(root) >= _run_order(completed.root):
            break
        status = RunFolder(root).read_manifest().get("status")
        if status in (STATUS_FAILED, STATUS_INTERRUPTED) and not current.is_relative_to(root.resolve()):
            shutil.rmtree(root)
            removed.append(root.name)
    if removed:
        log.info("removed the folders of %d failed or interrupted runs: %s", len(removed), ", ".join(removed))
    return removed


def run_roots(work_dir: Path) -> list[Path]:
    """Run folders with a manifest, oldest first (ids are UTC stamps, "-N" for several in one second)."""
    runs = Path(work_dir) / "runs"
    roots = [p for p in runs.iterdir() if (p / MANIFEST_NAME).is_file()] if runs.is_dir() else []
    return sorted(roots, key=_run_order)


def _run_order(root: Path) -> tuple[str, int]:
    stamp, _, suffix = root.name.partition("-")
    return stamp, int(suffix) if suffix.isdigit() else 0


def recover_work_dir(work_dir: Path) -> list[str]:
    """Tidy up after killed runs; call only while holding the work folder's lock. Returns the ids of the
    runs found killed.

    What a killed run leaves is never read as output: a temp sibling of an artifact (`.digest.json.x1y2/`)
    is a write that never reached its rename and is removed; `.04_translate.old/` without `04_translate/`
    is the previous complete table, moved aside just before the kill, and is put back; a run whose
    manifest still says "running" is marked "interrupted"."""
    work_dir = Path(work_dir)
    interrupted = []
    _tidy_temps(work_dir)
    for root in (work_dir / "runs").glob("*") if (work_dir / "runs").is_dir() else []:
        if not root.is_dir() or root.name.startswith("."):
            continue
        _tidy_temps(root)
        _tidy_temps(root / STAGE_FOLDERS["merge"])
        _tidy_temps(root / STAGE_FOLDERS["merge"] / PUBLISHED_FOLDER)
        if not (root / MANIFEST_NAME).is_file():
            if not any(root.iterdir()):
                root.rmdir()  # killed between creating the folder and writing its manifest
            continue
        run = RunFolder(root)
        if run.read_manifest().get("status") == STATUS_RUNNING:
            problem = "the process ended before the run finished (killed or crashed); found by the next run"
            run.update_manifest(status=STATUS_INTERRUPTED, error=problem, found_at=now_iso())
            interrupted.append(run.run_id)
            # Said once, by the new run's report ("the previous run ... interrupted").
            log.info("run %s was interrupted; this run reuses every result it committed", run.run_id)
    return interrupted


def _tidy_temps(folder: Path) -> None:
    if not folder.is_dir():
        return
    for temp in folder.iterdir():
        target_name = next((name for name in _ATOMIC_TARGETS if temp.name.startswith(f".{name}.")), None)
        if target_name is None or not temp.is_dir():
            continue
        target = folder / target_name
        if temp.name == f".{target_name}.old" and not target.exists():
            os.replace(temp, target)
            log.warning("%s: restored the previous version, moved aside by a killed run", target)
        else:
            shutil.rmtree(temp, ignore_errors=True)
            log.info("%s: removed a temp file left by a killed run", temp)


class StageTimer:
    def __enter__(self) -> "StageTimer":
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = round(time.perf_counter() - self.started, 3)
