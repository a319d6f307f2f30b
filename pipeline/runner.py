"""The wiring: which stages run in which order, what each reads and writes, and how results are reused.

Per-article stages are run only on the articles whose inputs (or the stage's config and models) changed
since a result was cached; everything else is read back from the cache. Results are committed every
`runtime.checkpoint_articles` articles, so a killed run resumes where it stopped.
"""
from __future__ import annotations

import logging
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from datasets import Dataset
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from pipeline.config import PipelineConfig
from pipeline.engines import make_engine
from pipeline.engines.base import Engine
from pipeline.engines.local import LocalEngine
from pipeline.errors import EmptyCorpusError, RunLockedError
from pipeline.models.location import ModelLocation, locate_model, pick_device
from pipeline.models.pool import open_pool, resolve_backend, reuse_freed_memory
from pipeline.plan import ARTICLE_STAGES, STAGE_NAMES, ArticleStage, upstream_versions
from pipeline.records import STATUS_OK
from pipeline.stages.ingest import ingest
from pipeline.store.cache import StageCache, cache_file, fingerprint_of, make_key
from pipeline.store.runs import (
    RunFolder, StageTimer, mark_failed_run, now_iso, publish_digest, recover_work_dir, remove_failed_runs,
    report_previous_run,
)
from pipeline.store.selection import Selection, select_articles

log = logging.getLogger(__name__)

# Config section of a model -> the stages that load it; merge writes each story's summary with the summarizer.
MODEL_USERS = {"translate": ("translate",), "summarize": ("summarize", "merge")}


def configured_models(config: PipelineConfig) -> dict[str, tuple[str, str | None]]:
    """Config key -> (model reference, revision) for every model the run may load."""
    models = {f"translate.models.{lang}": (ref, config.translate.revision) for lang, ref in config.translate.models.items()}
    models["summarize.model"] = (config.summarize.model, config.summarize.revision)
    return models


def locate_all_models(config: PipelineConfig, stages: tuple[str, ...]) -> dict[str, ModelLocation]:
    """Fail before any work when a model the chosen stages need is missing."""
    return {
        key: locate_model(ref, revision, key)
        for key, (ref, revision) in configured_models(config).items()
        if set(MODEL_USERS[key.split(".")[0]]) & set(stages)
    }


def _fingerprint(stage: ArticleStage, config: PipelineConfig, locations: dict[str, ModelLocation]) -> str:
    section = getattr(config, stage.name).model_dump(mode="json")
    if "backend" in section:  # the backend that will run, so that installing ctranslate2 recomputes
        section["backend"] = resolve_backend(section["backend"])
    revisions = {key: loc.revision for key, loc in locations.items() if key.startswith(f"{stage.name}.")}
    return fingerprint_of(
        {"versions": upstream_versions(stage), "config": section, "models": revisions, "extra": stage.extra_fingerprint(config)}
    )


def run_article_stage(
    stage: ArticleStage,
    table: Dataset,
    config: PipelineConfig,
    cache: StageCache,
    locations: dict[str, ModelLocation],
    engine: Engine | None = None,
) -> tuple[Dataset, dict[str, Any]]:
    if len(table) == 0:
        # Nothing selected (`run --only-new` on a quiet night): the columns still appear for later stages.
        empty = Dataset.from_dict({column: [] for column in dict.fromkeys((*table.column_names, *stage.writes))})
        return empty, {"articles": 0, "computed": 0, "from_cache": 0}
    rows = table.to_list()
    fingerprint = _fingerprint(stage, config, locations)
    keys = {i: make_key(fingerprint, [row[c] for c in stage.reads]) for i, row in enumerate(rows) if row["status"] == STATUS_OK}
    cached = cache.get_many(stage.name, sorted(set(keys.values())))
    for index, key in keys.items():
        if key in cached:
            rows[index].update(cached[key])
    to_compute = [i for i, key in keys.items() if key not in cached]
    passing_through = [i for i, row in enumerate(rows) if row["status"] != STATUS_OK]
    engine = engine or LocalEngine()
    with tqdm(
        total=len(to_compute), desc=stage.name, unit="article", disable=not config.runtime.progress or not to_compute
    ) as bar:
        for outcome in engine.map_stage(stage, config, [rows[i] for i in to_compute]):
            part = [to_compute[position] for position in outcome.positions]
            for index, result in zip(part, outcome.rows):
                rows[index] = result
            if outcome.failed:  # not cached, so the next run tries again; the stage's columns are added below
                passing_through.extend(part)
            else:
                cache.put_many(stage.name, {keys[i]: {c: rows[i][c] for c in stage.writes} for i in part})
            bar.update(len(part))
    if passing_through:
        # Rows that are not ok only get the stage's empty columns, no model work: done here, whatever the engine.
        with open_pool(config, stage.backend) as models:
            results = stage.apply(Dataset.from_list([rows[i] for i in passing_through]), config, models).to_list()
        for index, result in zip(passing_through, results):
            rows[index] = result
    report = {"articles": len(rows), "computed": len(to_compute), "from_cache": len(keys) - len(to_compute)}
    return Dataset.from_list(rows), report


@contextmanager
def work_dir_lock(work_dir: Path, wait: bool) -> Iterator[None]:
    """One run per work folder at a time: a second one refuses at once, or queues with `wait`."""
    work_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(work_dir / ".lock"))
    holder_file = work_dir / ".lock.holder"
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        holder = holder_file.read_text(encoding="utf-8").strip() if holder_file.exists() else "unknown process"
        raise RunLockedError(str(work_dir), holder) from None
    try:
        holder_file.write_text(f"pid {os.getpid()} on {socket.gethostname()} since {now_iso()}", encoding="utf-8")
        yield
    finally:
        lock.release()


def _problems(table: Dataset) -> list[dict[str, str]]:
    return [
        {"path": row["path"], "status": row["status"], "problem": row["problem"]}
        for row in table.select_columns(["path", "status", "problem"]).to_list()
        if row["status"] != STATUS_OK
    ]


def _run_merge(table: Dataset, config: PipelineConfig, run: RunFolder, context: dict[str, Any]) -> tuple[Dataset, dict[str, Any]]:
    # Imported here: grouping's scikit-learn and SciPy take 85 MB that would otherwise sit under the
    # translate and summarize stages' memory peaks.
    from pipeline.digest.consolidate import consolidate
    from pipeline.digest.continuity import earlier_stories
    from pipeline.stages.merge import merge, write_digest

    digest, stories = merge(table, config.merge, context["run_info"], earlier_stories(run))
    run.save_stories(stories)
    # Story summaries need the summarizer; they are cached like a summarize result of the same model.
    summarize_stage = next(stage for stage in ARTICLE_STAGES if stage.name == "summarize")
    fingerprint = _fingerprint(summarize_stage, config, context["locations"])
    with open_pool(config, summarize_stage.backend) as models:
        digest, story_report = consolidate(
            digest, stories, config.merge, config.summarize, models, context["cache"], fingerprint
        )
    written = write_digest(digest, run.stage_dir("merge"), config.merge.formats)
    # The copy <work_dir>/digest.* will show, its source links relative to the work folder, switched in one rename.
    staged = write_digest(digest, run.published_dir(), config.merge.formats, links_from=config.paths.work_dir)
    written += publish_digest(run, [path.suffix[1:] for path in staged])
    report = {"articles": len(table), "stories": len(digest["stories"]), **story_report}
    return table, {**report, "files": [str(p) for p in written]}


def _run_stage(name: str, table: Dataset | None, config: PipelineConfig, run: RunFolder, context: dict[str, Any]) -> tuple[Dataset, dict[str, Any]]:
    if name == "ingest":
        table = ingest(config.paths.corpus, config.ingest)
        if len(table) == 0 and not context["allow_empty"]:
            # A mount that failed at night looks like an empty corpus: never let it replace the digest.
            raise EmptyCorpusError(str(config.paths.corpus), str(config.paths.work_dir))
        inputs = table.select_columns(["id", "path", "content_hash", "status"]).to_list()
        table, selection = select_articles(table, context["selection"], context["cache"], run)
        run.update_manifest(inputs=inputs, selection=selection)
        context["run_info"]["selection"] = selection
        return table, {"articles": len(table), "corpus_articles": len(inputs)}
    previous = STAGE_NAMES[STAGE_NAMES.index(name) - 1]
    table = table if table is not None else run.load_table(previous, needed_by=name)
    if name == "merge":
        return _run_merge(table, config, run, context)
    stage = next(stage for stage in ARTICLE_STAGES if stage.name == name)
    return run_article_stage(stage, table, config, context["cache"], context["locations"], context["engine"])


def run_pipeline(
    config: PipelineConfig,
    stages: tuple[str, ...] = STAGE_NAMES,
    run_id: str | None = None,
    wait: bool = False,
    selection: Selection | None = None,
    allow_empty: bool = False,
) -> RunFolder:
    """Run `stages` in order. A run starting at ingest gets a new run folder, and `selection` picks the
    articles it covers; any other start continues the given (or newest) run from the previous stage's
    artifact. An empty corpus stops the run before it can replace the digest, unless `allow_empty`."""
    work_dir = config.paths.work_dir
    with work_dir_lock(work_dir, wait):
        recover_work_dir(work_dir)
        previous = report_previous_run(work_dir)
        remove_failed_runs(work_dir)
        locations = locate_all_models(config, stages)
        device = pick_device(config.runtime)
        if device == "cpu":  # before any stage starts a thread: a thread keeps the memory arena it first used
            reuse_freed_memory()
        run = RunFolder.create(work_dir) if stages[0] == "ingest" else RunFolder.open(work_dir, run_id)
        models = {key: {"ref": loc.ref, "source": loc.source, "revision": loc.revision} for key, loc in locations.items()}
        context: dict[str, Any] = {"locations": locations, "selection": selection or Selection(), "allow_empty": allow_empty}
        try:
            manifest = run.update_manifest(
                status="running", config=config.model_dump(mode="json"), device=device, models=models,
                corpus=str(config.paths.corpus),
                previous_run=previous,
            )
            context["run_info"] = {
                "run_id": run.run_id, "started_at": manifest["started_at"], "device": device, "models": models,
                "corpus_dir": str(Path(config.paths.corpus).resolve()), "selection": manifest.get("selection"),
            }
            # Inside the try: a cache that cannot be opened (a full disk, a damaged file) fails this run too.
            context["cache"] = StageCache(cache_file(config))
            context["engine"] = make_engine(config.engine)
            table: Dataset | None = None
            for name in stages:
                log.info("stage %s", name)
                with StageTimer() as timer:
                    table, report = _run_stage(name, table, config, run, context)
                    if name != "merge":
                        run.save_table(name, table)
                run.record_stage(name, {**report, "seconds": timer.seconds})
            run.update_manifest(status="completed", finished_at=now_iso(), errors=_problems(table))
        except BaseException as error:
            mark_failed_run(run, error)
            raise
        finally:
            for resource in ("cache", "engine"):
                if resource in context:
                    context[resource].close()
    return run
