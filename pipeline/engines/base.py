"""What every engine shares: the Engine interface, batch results, and the cut into batches."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Protocol

from datasets import Dataset

from pipeline.config import PipelineConfig
from pipeline.errors import describe, isolate_failures
from pipeline.records import STATUS_FAILED

if TYPE_CHECKING:
    from pipeline.models.pool import ModelPool
    from pipeline.plan import ArticleStage

log = logging.getLogger(__name__)

Row = dict[str, Any]


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


def apply_isolating_failures(
    stage: ArticleStage, config: PipelineConfig, models: ModelPool, rows: list[Row]
) -> list[tuple[Row, bool]]:
    """(result, failed) for each row; an article the stage raises on fails alone, marked with the problem."""

    def apply(part: list[Row]) -> list[tuple[Row, bool]]:
        return [(row, False) for row in stage.apply(Dataset.from_list(part), config, models).to_list()]

    def fail(row: Row, error: Exception) -> tuple[Row, bool]:
        problem = f"{stage.name} failed: {describe(error)}"
        log.warning("%s: %s", row.get("path", row["id"]), problem)
        return mark_failed([row], problem)[0], True

    return isolate_failures(rows, apply, fail)
