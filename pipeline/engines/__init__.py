"""Engines: where a stage computes the articles the cache did not have. The runner decides what needs work
and commits results to the cache; an engine only turns rows into results, batch by batch, and hands each
batch back as soon as it is done, in any order. Engines are chosen by name (`engine.name`):

- local: in this process, one batch after another (the default; the base install is enough).
- ray: Ray Data on a cluster, or on a Ray instance it starts here; `pipeline.engines.ray_engine`, imported
  only when chosen, so the base install and the local engine never import ray.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol

from datasets import Dataset

from pipeline.config import EngineConfig, PipelineConfig
from pipeline.errors import ConfigError
from pipeline.models import open_pool
from pipeline.stages import STATUS_FAILED

if TYPE_CHECKING:
    from pipeline.runner import ArticleStage

Row = dict[str, Any]
RAY_INSTALL = 'pip install torch==2.13.0 -e ".[dev,ray]"'


@dataclass(frozen=True)
class Outcome:
    """Results for some of the rows given to `Engine.map_stage`, to be committed together."""

    positions: list[int]  # indexes into the rows given to map_stage
    rows: list[Row]
    # The batch failed on every attempt: the rows are the inputs marked failed with the problem, without
    # the stage's columns; they are reported, never cached, so the next run tries them again.
    failed: bool = False


class Engine(Protocol):
    def map_stage(self, stage: ArticleStage, config: PipelineConfig, rows: list[Row]) -> Iterator[Outcome]:
        """Apply `stage` to every row, in batches of `runtime.checkpoint_articles`."""
        ...

    def close(self) -> None: ...


def batch_starts(count: int, config: PipelineConfig) -> range:
    """Where each batch starts: every engine cuts the same batches, so models see the same inputs together."""
    return range(0, count, config.runtime.checkpoint_articles)


def mark_failed(rows: list[Row], problem: str) -> list[Row]:
    return [{**row, "status": STATUS_FAILED, "problem": problem} for row in rows]


class LocalEngine:
    """In this process, batch after batch; each model loads once per stage."""

    def map_stage(self, stage: ArticleStage, config: PipelineConfig, rows: list[Row]) -> Iterator[Outcome]:
        step = config.runtime.checkpoint_articles
        with open_pool(config, stage.backend) as models:
            for start in batch_starts(len(rows), config):
                part = rows[start : start + step]
                results = stage.apply(Dataset.from_list(part), config, models).to_list()
                yield Outcome(list(range(start, start + len(part))), results)

    def close(self) -> None:
        pass


def _ray_engine(settings: EngineConfig) -> Engine:
    try:
        from pipeline.engines.ray_engine import RayEngine
    except ImportError as error:
        if (error.name or "").split(".")[0] != "ray":
            raise
        raise ConfigError("config", "engine.name", "'ray' needs the ray extra, which is not installed", RAY_INSTALL) from None
    return RayEngine(settings)


ENGINES: dict[str, Callable[[EngineConfig], Engine]] = {"local": lambda settings: LocalEngine(), "ray": _ray_engine}


def make_engine(settings: EngineConfig) -> Engine:
    return ENGINES[settings.name](settings)
