"""The local engine: in this process, one batch after another (the default; the base install is enough)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from datasets import Dataset

from pipeline.config import PipelineConfig
from pipeline.engines.base import Outcome, Row, batch_starts
from pipeline.models.pool import open_pool

if TYPE_CHECKING:
    from pipeline.plan import ArticleStage


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
