"""Which articles a run's digest covers: every article (the default), only those new or changed since the
last completed run (`run --only-new`), or those first seen since a date (`run --since DATE`).

Ingest always reads the whole corpus and records every article in the manifest's `inputs` and in the
cache's first-seen table; the selection then narrows the table, so the later stages do no work, not even
cache look-ups, for the articles left out. An article's id hashes its path and content, so an edited or
renamed file is a new article; a removed file is simply not in the corpus any more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datasets import Dataset

from pipeline.errors import UsageError
from pipeline.store.cache import StageCache
from pipeline.store.runs import RunFolder


@dataclass(frozen=True)
class Selection:
    only_new: bool = False
    since: datetime | None = None  # timezone-aware

    def __post_init__(self) -> None:
        if self.only_new and self.since:
            raise UsageError("--only-new/--since", "choose one of the two", "drop --only-new or --since")


def parse_since(text: str) -> datetime:
    """`2024-05-01`, `2024-05-01T06:00` or with an offset (`...+02:00`, `...Z`); local time when none is given."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError("--since", f"'{text}' is not a date", "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    # A naive datetime is taken as local time, the way a cron job's author thinks of "since midnight".
    return moment if moment.tzinfo else moment.astimezone()


def select_articles(
    table: Dataset, selection: Selection, cache: StageCache, run: RunFolder
) -> tuple[Dataset, dict[str, Any]]:
    """Record every article as seen, then keep the selected ones. Returns the table and a description
    of the selection for the manifest and the digest's run info."""
    rows = table.select_columns(["id", "path"]).to_list()
    first_seen = cache.record_seen([(row["id"], row["path"]) for row in rows], run.run_id)
    keep: list[int] | None = None
    info: dict[str, Any] = {"mode": "all", "covers": "every article in the corpus"}
    if selection.only_new:
        previous = RunFolder.last_completed(run.work_dir)
        if previous:
            known = {entry["id"] for entry in previous.read_manifest().get("inputs", [])}
            covers = f"articles new or changed since run {previous.run_id}"
        else:
            known, covers = set(), "every article (no completed run before)"
        keep = [index for index, row in enumerate(rows) if row["id"] not in known]
        info = {"mode": "only-new", "covers": covers, "previous_run": previous.run_id if previous else None}
    elif selection.since:
        cutoff = selection.since.timestamp()
        keep = [index for index, row in enumerate(rows) if first_seen[row["id"]] >= cutoff]
        since = selection.since.isoformat(timespec="seconds")
        info = {"mode": "since", "covers": f"articles first seen since {since}", "since": since}
    selected = table if keep is None else table.select(keep)
    return selected, {**info, "articles": len(selected), "corpus_articles": len(table)}
