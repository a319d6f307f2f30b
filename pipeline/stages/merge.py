"""Merge stage: group the articles into stories and assemble one multilingual digest.

Grouping (pipeline.digest.grouping) cannot trust the English translation alone (in tests the models are
random and translate to gibberish): it weighs names, amounts and dates of the original text by their
rarity, adds the English text where it really is English, and clusters with average linkage.

Stories carry over from night to night (pipeline.digest.continuity): today's articles are grouped together
with those of the earlier stories they may join, a continuing story keeps its id, and each story says
whether it is new, updated or unchanged since the previous completed run.

Each article gets a short source label and each story its facts that only one source has
(pipeline.facts); the story summary is left empty here and written by the consolidate step, the only
part of the digest that needs a model.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any, Iterable, Sequence

import numpy as np
from datasets import Dataset

from pipeline.config import MergeConfig
from pipeline.digest import render
from pipeline.digest.consolidate import SUMMARY_METHOD
from pipeline.digest.continuity import STORY_COLUMN, EarlierStories, StoryIdentity, carried_articles, identify_stories
from pipeline.digest.facts import single_source_facts, source_label, unique_labels
from pipeline.digest.grouping import (
    GROUPING_METHOD,
    cluster_articles,
    similarity_matrix,
)
from pipeline.records import STATUS_OK, field_text

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3


def merge(
    articles: Dataset, config: MergeConfig, run_info: dict, earlier: EarlierStories | None = None
) -> tuple[dict, Dataset]:
    """Group the "ok" articles into stories, continuing the `earlier` stories (pipeline.digest.continuity).
    Returns the digest as a plain JSON-able dict, with every story that holds one of the table's articles
    and all of its sources, and the stories to keep for the next run: every article grouped or carried,
    with its story's id in the STORY_COLUMN."""
    rows = articles.to_list()
    ok_rows = [row for row in rows if row.get("status") == STATUS_OK]
    open_rows, kept_rows = carried_articles(earlier, rows, config.date_window_days) if earlier else ([], [])
    grouped = ok_rows + open_rows
    similarity = similarity_matrix(grouped, config)
    clusters = cluster_articles(similarity, config.similarity_threshold)
    kept_ids = {row[STORY_COLUMN] for row in kept_rows}
    identities = identify_stories([[grouped[i]["id"] for i in members] for members in clusters], earlier, kept_ids)
    today = {row["id"] for row in ok_rows}
    stories = [
        _build_story(grouped, members, similarity, identity)
        for members, identity in zip(clusters, identities)
        if any(grouped[index]["id"] in today for index in members)
    ]
    stories.sort(key=lambda story: (-story["size"], _negated(story["last_date"]), story["id"]))
    skipped = [_skipped_entry(row) for row in rows if row.get("status") != STATUS_OK]
    kept = [{**grouped[i], STORY_COLUMN: identity.id} for members, identity in zip(clusters, identities) for i in members]
    kept += kept_rows
    log.info(
        "merge: %d stories (%s), %d articles carried from earlier runs, %d earlier stories kept as they were, %d not ok",
        len(stories), ", ".join(f"{n} {status}" for status, n in Counter(s["status"] for s in stories).items()),
        len(open_rows), len(kept_ids), len(skipped),
    )
    digest = {
        "schema_version": SCHEMA_VERSION,
        "run": to_jsonable(run_info),
        "grouping": {
            "method": GROUPING_METHOD,
            **config.model_dump(include={"similarity_threshold", "min_shared_evidence", "date_window_days"}),
        },
        "consolidation": {
            "method": SUMMARY_METHOD,
            **config.model_dump(include={"story_sentences", "mmr_lambda", "attribution_threshold"}),
        },
        "continuity": {
            "previous_run": earlier.run_id if earlier else None,
            "previous_run_started_at": earlier.started_at if earlier else None,
        },
        "totals": _totals(stories, skipped),
        "stories": stories,
        "skipped": skipped,
    }
    # Even with no article at all, the table has its columns: consolidate reads them.
    return digest, Dataset.from_list(kept) if kept else Dataset.from_dict({c: [] for c in [*articles.column_names, STORY_COLUMN]})


def _totals(stories: list[dict], skipped: list[dict]) -> dict:
    listed = [entry for story in stories for entry in story["articles"]]
    return {
        "articles": len(listed),
        "new_articles": sum(entry["new"] for entry in listed),
        "stories": len(stories),
        "by_story_status": dict(Counter(story["status"] for story in stories).most_common()),
        "skipped": len(skipped),
        "by_language": dict(Counter(entry["language"] for entry in listed).most_common()),
        "by_status": dict(Counter(entry["status"] for entry in skipped).most_common()),
    }


def write_digest(digest: dict, out_dir: Path, formats: Iterable[str], links_from: Path | None = None) -> list[Path]:
    """Write digest.<fmt> for each format into `out_dir`, each file atomically, with links to the sources
    relative to `links_from` (default: `out_dir`); return the paths written."""
    return render.write_digest_files(digest, Path(out_dir), list(formats), links_from)


def to_jsonable(value: Any) -> Any:
    """Paths, dates and numpy scalars as strings and numbers, so that run info survives json.dumps."""
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _build_story(rows: Sequence[dict], members: list[int], similarity: np.ndarray, identity: StoryIdentity) -> dict:
    block = similarity[np.ix_(members, members)]
    # The central article is the one most similar on average to the rest; longer text breaks ties.
    centrality = block.mean(axis=1)
    central = max(range(len(members)), key=lambda i: (centrality[i], len(field_text(rows[members[i]].get("text")))))
    central_row = rows[members[central]]
    new = set(identity.new_articles)
    articles = [_article_entry(rows[index], float(block[central, i]), rows[index]["id"] in new) for i, index in enumerate(members)]
    articles.sort(key=lambda entry: (entry["id"] != central_row["id"], _negated(entry["date"]), entry["id"]))
    by_id = {rows[index]["id"]: rows[index] for index in members}
    ordered_rows = [by_id[entry["id"]] for entry in articles]
    labels = unique_labels([source_label(row) for row in ordered_rows])
    for entry, label in zip(articles, labels):
        entry["source"] = label
    dates = sorted(entry["date"] for entry in articles if entry["date"])
    return {
        "id": identity.id,
        "status": identity.status,
        "new_articles": identity.new_articles,
        "title": field_text(central_row.get("title_en")) or field_text(central_row.get("title")) or central_row["path"],
        "central_article": central_row["id"],
        "size": len(articles),
        "languages": dict(Counter(entry["language"] for entry in articles).most_common()),
        "first_date": dates[0] if dates else "",
        "last_date": dates[-1] if dates else "",
        # Written by the consolidate step, which needs the summarizer.
        "summary": "",
        "summary_sentences": [],
        "flags": [],  # numbers and names of the story summary that no source has
        "key_sentences": [],
        "single_source_facts": single_source_facts(ordered_rows, labels),
        "articles": articles,
    }


def _article_entry(row: dict, similarity_to_central: float, new: bool) -> dict:
    text = field_text(row.get("text"))
    return {
        "id": row["id"],
        "path": row.get("path") or "",  # verbatim: file names may start or end with spaces
        "language": field_text(row.get("language")) or "und",
        "language_confidence": _number(row.get("language_confidence")),
        "title": field_text(row.get("title")),
        "title_en": field_text(row.get("title_en")),
        "summary": field_text(row.get("summary")),
        "chars": len(text),
        "words": len(text.split()),
        "date": field_text(row.get("date")),
        "author": field_text(row.get("author")),
        "translated": bool(row.get("translated")),
        "similarity_to_central": round(similarity_to_central, 3),
        "new": new,  # not in the stories of the previous completed run
        # Quality flags of the check stage; a table from before that stage has none.
        "flags": [field_text(flag) for flag in row.get("flags") or []],
    }


def _skipped_entry(row: dict) -> dict:
    return {
        "id": field_text(row.get("id")),
        "path": row.get("path") or "",  # verbatim: file names may start or end with spaces
        "status": field_text(row.get("status")) or "unknown",
        "problem": field_text(row.get("problem")) or "no reason recorded",
    }


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _negated(iso_date: str) -> tuple:
    # Newest first inside an ascending sort: invert each character; undated sorts last.
    # The trailing 0 puts "2023-07-26" before the coarser "2023-07".
    return (not iso_date, tuple(-ord(char) for char in iso_date) + (0,))
