"""The local engine: in this process, one batch after another (the default; the base install is enough)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from pipeline.config import PipelineConfig
from pipeline.engines.base import Outcome, Row, apply_isolating_failures, batch_starts
from pipeline.models.pool import open_pool, return_freed_memory

if TYPE_CHECKING:
    from pipeline.plan import ArticleStage


def outcomes_of(start: int, results: list[tuple[Row, bool]]) -> Iterator[Outcome]:
    """The results of the rows from `start` on: one Outcome to commit and, if any failed, one to report only."""
    for failed in (False, True):
        positions = [start + offset for offset, (_, was_failed) in enumerate(results) if was_failed is failed]
        if positions:
            yield Outcome(positions, [results[position - start][0] for position in positions], failed)


class LocalEngine:
    """In this process, batch after batch; each model loads once per stage."""

    def map_stage(self, stage: ArticleStage, config: PipelineConfig, rows: list[Row]) -> Iterator[Outcome]:
        step = config.runtime.checkpoint_articles
        with open_pool(config, stage.backend) as models:
            for start in batch_starts(len(rows), config):
                part = rows[start : start + step]
                yield from outcomes_of(start, apply_isolating_failures(stage, config, models, part))
                return_freed_memory()

    def close(self) -> None:
        pass
