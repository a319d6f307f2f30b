"""The plan: the per-article stages in data-flow order, what each reads and writes, and its version.

One list declares the wiring, so the runner, the engines and the cache all agree on it. A stage's cache
key holds its own version and those of the stages before it: raising one version recomputes that stage
and every stage after it, and nothing before.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from datasets import Dataset

from pipeline.config import PipelineConfig
from pipeline.models.pool import ModelPool
from pipeline.stages import check as check_stage
from pipeline.stages import clean as clean_stage
from pipeline.stages import detect as detect_stage
from pipeline.stages import summarize as summarize_stage
from pipeline.stages import translate as translate_stage
from pipeline.store.cache import fingerprint_of

Apply = Callable[[Dataset, PipelineConfig, ModelPool], Dataset]


@dataclass(frozen=True)
class ArticleStage:
    name: str
    reads: tuple[str, ...]  # the input columns: a change in any of them means work for that article
    writes: tuple[str, ...]
    apply: Apply
    version: int  # raised whenever the stage's output for the same input changes: see the README
    backend: str | None = None  # config key of the model backend, for stages that run models
    extra_fingerprint: Callable[[PipelineConfig], str] = field(default=lambda config: "")


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


ARTICLE_STAGES: tuple[ArticleStage, ...] = (
    ArticleStage(
        "clean",
        version=clean_stage.VERSION,
        reads=("raw_text", "format", "repeated_lines"),
        writes=("title", "text", "removed_lines", "status", "problem"),
        apply=lambda table, config, models: clean_stage.clean(table, config.clean),
        extra_fingerprint=lambda config: _file_hash(clean_stage.rules_path(config.clean)),
    ),
    ArticleStage(
        "detect",
        version=detect_stage.VERSION,
        reads=("title", "text"),
        writes=("language", "language_confidence", "status", "problem"),
        apply=lambda table, config, models: detect_stage.detect(table, config.detect),
    ),
    ArticleStage(
        "translate",
        version=translate_stage.VERSION,
        reads=("title", "text", "language"),
        writes=("title_en", "text_en", "translated", "untranslated", "status", "problem"),
        apply=lambda table, config, models: translate_stage.translate(table, config.translate, models, sanity=config.check),
        backend="translate",
        # Failed chunks keep their original text, by the check section's thresholds.
        extra_fingerprint=lambda config: fingerprint_of(config.check.model_dump(mode="json")),
    ),
    ArticleStage(
        "summarize",
        version=summarize_stage.VERSION,
        reads=("title_en", "text_en"),
        writes=("summary", "status", "problem"),
        apply=lambda table, config, models: summarize_stage.summarize(table, config.summarize, models),
        backend="summarize",
    ),
    ArticleStage(
        "check",
        version=check_stage.VERSION,
        reads=("title", "text", "title_en", "text_en", "translated", "untranslated", "summary"),
        writes=("flags",),
        apply=lambda table, config, models: check_stage.check(table, config.check),
    ),
)
STAGE_NAMES = ("ingest", *(stage.name for stage in ARTICLE_STAGES), "merge")


def upstream_versions(stage: ArticleStage) -> dict[str, int]:
    """The versions of `stage` and of every stage before it, for its cache key."""
    names = [each.name for each in ARTICLE_STAGES]
    return {each.name: each.version for each in ARTICLE_STAGES[: names.index(stage.name) + 1]}
