"""check: the quality flags of every article (pipeline.quality), for the digest to show next to it."""
from __future__ import annotations

import logging
from typing import Any

from datasets import Dataset

from pipeline.config import CheckConfig
from pipeline.records import STATUS_OK
from pipeline.text.quality import article_flags

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 1

log = logging.getLogger(__name__)


def check(articles: Dataset, config: CheckConfig) -> Dataset:
    """Add `flags` (a list of short problem lines, empty when nothing was found) to every row."""
    return articles.map(
        _check_columns, batched=True, batch_size=None, keep_in_memory=True, fn_kwargs={"config": config}
    )


def _check_columns(columns: dict[str, list[Any]], config: CheckConfig) -> dict[str, list[Any]]:
    names = list(columns)
    rows = [dict(zip(names, values)) for values in zip(*columns.values())]
    columns["flags"] = [article_flags(row, config) if row["status"] == STATUS_OK else [] for row in rows]
    flagged = sum(bool(flags) for flags in columns["flags"])
    log.info("check: %d of %d articles flagged", flagged, len(rows))
    return columns
