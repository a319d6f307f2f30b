"""Where each run leaves its files: the one module that knows the layout of the work folder.

    <work_dir>/
      digest.md, digest.json, digest.html   latest digest (replaced atomically)
      cache/stages.sqlite                    per-article results across runs (pipeline.cache)
      runs/<run_id>/
        manifest.json                        inputs, models, config, timings, errors, status
        01_ingest/ … 05_summarize/           the article table after each stage (datasets on disk)
        06_merge/digest.*                    this run's digest
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from datasets import Dataset, load_from_disk

from pipeline.atomic import atomic_path, write_json
from pipeline.errors import ArtifactMissingError, PipelineError

STAGE_FOLDERS = {
    "ingest": "01_ingest",
    "clean": "02_clean",
    "detect": "03_detect",
    "translate": "04_translate",
    "summarize": "05_summarize",
    "merge": "06_merge",
}
DIGEST_NAME = "digest"
MANIFEST_NAME = "manifest.json"


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
            run.write_manifest({"run_id": run.run_id, "status": "running", "started_at": now_iso()})
            return run
        raise PipelineError(f"cannot create a run folder under {runs}")

    @classmethod
    def open(cls, work_dir: Path, run_id: str | None = None) -> "RunFolder":
        """The named run, or the newest one."""
        runs = Path(work_dir) / "runs"
        if run_id:
            root = runs / run_id
        else:
            existing = sorted(p for p in runs.glob("*") if (p / MANIFEST_NAME).is_file()) if runs.is_dir() else []
            if not existing:
                raise PipelineError(f"no run in {runs}. Fix: start one with `news-digest ingest` or `news-digest run`")
            root = existing[-1]
        if not (root / MANIFEST_NAME).is_file():
            raise PipelineError(f"{root} is not a run folder (no {MANIFEST_NAME}). Fix: pass a run id from {runs}")
        return cls(root)

    def stage_dir(self, stage: str) -> Path:
        return self.root / STAGE_FOLDERS[stage]

    def save_table(self, stage: str, table: Dataset) -> None:
        with atomic_path(self.stage_dir(stage), is_dir=True) as staging:
            table.save_to_disk(str(staging))

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


class StageTimer:
    def __enter__(self) -> "StageTimer":
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = round(time.perf_counter() - self.started, 3)
