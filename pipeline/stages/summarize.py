"""summarize: an abstractive English summary of every article. A text longer than the model reads at once
is cut into chunks at sentence boundaries, each chunk is summarized, and the joined chunk summaries are
summarized again, round after round, until one chunk holds them: no part of a long article is ignored.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any

from datasets import Dataset

from pipeline.config import SummarizeConfig
from pipeline.models.pool import ModelPool
from pipeline.models.summarizer import summarize_texts
from pipeline.records import STATUS_OK

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 1

log = logging.getLogger(__name__)


def summarize(articles: Dataset, config: SummarizeConfig, models: ModelPool, progress: bool = False) -> Dataset:
    """Add `summary`, written from `text_en`, for every row whose status is ok."""
    return articles.map(
        _summarize_columns,
        batched=True,
        batch_size=None,
        keep_in_memory=True,
        fn_kwargs={"config": config, "models": models, "progress": progress},
        # Without it datasets hashes fn_kwargs, pickling the loaded models on every call: seconds and their
        # size again in memory. The table lives in memory and is never cached, so any fresh id will do.
        new_fingerprint=uuid.uuid4().hex,
    )


def _summarize_columns(
    columns: dict[str, list[Any]], config: SummarizeConfig, models: ModelPool, progress: bool
) -> dict[str, list[Any]]:
    rows = [row for row, status in enumerate(columns["status"]) if status == STATUS_OK]
    columns["summary"] = [""] * len(columns["id"])
    if not rows:
        return columns
    generator = models.get(config.model, config.revision, "summarize.model", config.num_beams)
    summaries = summarize_texts([columns["text_en"][row] for row in rows], generator, config, progress)
    for row, summary in zip(rows, summaries):
        columns["summary"][row] = summary
    return columns



