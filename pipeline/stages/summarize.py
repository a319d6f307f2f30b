"""summarize: an abstractive English summary of every article, from its lead (title and first sentences up
to `summarize.lead_tokens`: news puts what matters first, and the default summarizer was trained on
leads) or, with `summarize.input: whole`, from the whole text: cut into chunks at sentence boundaries, each
chunk summarized, and the joined chunk summaries summarized again until one chunk holds them.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any

from datasets import Dataset

from pipeline.config import SummarizeConfig
from pipeline.models.pool import ModelPool
from pipeline.models.summarizer import summarize_articles
from pipeline.records import STATUS_OK

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 2

log = logging.getLogger(__name__)


def summarize(articles: Dataset, config: SummarizeConfig, models: ModelPool, progress: bool = False) -> Dataset:
    """Add `summary`, written from `title_en` and `text_en`, for every row whose status is ok."""
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
    titles = [columns["title_en"][row] for row in rows]
    summaries = summarize_articles(titles, [columns["text_en"][row] for row in rows], generator, config, progress)
    for row, summary in zip(rows, summaries):
        columns["summary"][row] = summary
    return columns
