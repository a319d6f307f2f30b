"""Stories that carry over from night to night in one work folder.

Every completed run keeps its stories: each article of the digest's stories, and of the earlier stories
it carried along, with the id of its story (`runs/<run_id>/07_merge/stories/`). The next run's merge
compares with the newest completed run before it, so a killed or failed run never counts:

1. The earlier articles still in the corpus but not in today's table are carried: a run that covers
   only part of the corpus (`run --only-new`, `--since`) still shows each story with all its sources.
   A run of the whole corpus reads them all again and carries nothing.
2. Today's articles are grouped (pipeline.digest.grouping, unchanged) together with the carried articles
   of the earlier stories they may join: those with an article within `merge.date_window_days` of one of
   today's articles, as grouping decides it (an undated article may join any story). The other earlier
   stories are too old to be joined: they are kept as they were, with their id, and not grouped again.
3. Each story takes the id of the earlier story it shares the most articles with; an earlier id goes to
   one story at most. A story with no earlier article, or whose earlier story's id went to a story
   holding more of its articles, gets a new id from its article ids.
4. Status: "new" when no article of it was in the earlier stories, "unchanged" when it has the same
   articles as the earlier story of the same id, "updated" otherwise (earlier articles plus new or
   edited ones, since an edited file is a new article, or articles that left).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from pipeline.digest.grouping import within_window
from pipeline.records import STATUS_OK, field_text
from pipeline.store.runs import RunFolder

STORY_COLUMN = "story"  # the story id of each article in a run's kept stories
STATUS_NEW, STATUS_UPDATED, STATUS_UNCHANGED = "new", "updated", "unchanged"


@dataclass(frozen=True)
class EarlierStories:
    """The stories of the newest completed run before this one."""

    run_id: str
    started_at: str  # ISO 8601, when that run started
    rows: list[dict]  # its articles, each with its story id under STORY_COLUMN
    corpus: frozenset[str] = field(default_factory=frozenset)  # ids of the articles in today's corpus


@dataclass(frozen=True)
class StoryIdentity:
    id: str
    status: str
    new_articles: list[str]  # ids of the articles no earlier story had


def earlier_stories(run: RunFolder) -> EarlierStories | None:
    """The stories kept by the newest completed run before `run`, with the ids of the articles in `run`'s
    corpus; None when there is no such run, or it is from before stories were kept."""
    previous = RunFolder.last_completed(run.work_dir, before=run.run_id)
    table = previous.load_stories() if previous else None
    if table is None:
        return None
    corpus = frozenset(entry["id"] for entry in run.read_manifest().get("inputs", []))
    return EarlierStories(previous.run_id, previous.read_manifest()["started_at"], table.to_list(), corpus)


def carried_articles(earlier: EarlierStories, today: Sequence[dict], window_days: int) -> tuple[list[dict], list[dict]]:
    """The earlier articles still in the corpus and not in `today` (every row of today's table), as
    (those of the stories today's "ok" articles may join, those of the stories too old to be joined)."""
    today_ids = {row["id"] for row in today}
    carried = [row for row in earlier.rows if row["id"] in earlier.corpus and row["id"] not in today_ids]
    # Compared date by date rather than article by article: a few hundred distinct days at most.
    today_dates = sorted({field_text(row.get("date")) for row in today if row.get("status") == STATUS_OK})
    earlier_dates = sorted({field_text(row.get("date")) for row in carried})
    pairs = within_window(today_dates + earlier_dates, window_days)[: len(today_dates), len(today_dates):]
    joinable = dict(zip(earlier_dates, pairs.any(axis=0)))
    open_stories = {row[STORY_COLUMN] for row in carried if joinable[field_text(row.get("date"))]}
    return (
        [row for row in carried if row[STORY_COLUMN] in open_stories],
        [row for row in carried if row[STORY_COLUMN] not in open_stories],
    )


def identify_stories(
    clusters: Sequence[Sequence[str]], earlier: EarlierStories | None, kept_ids: set[str] = frozenset()
) -> list[StoryIdentity]:
    """Id, status and new articles of each cluster of article ids (see the module docstring); `kept_ids`
    are the ids of the earlier stories kept as they were, which no cluster may take."""
    story_of = {row["id"]: row[STORY_COLUMN] for row in earlier.rows} if earlier else {}
    members_before: dict[str, set[str]] = {}
    for article, story in story_of.items():
        members_before.setdefault(story, set()).add(article)
    candidates = sorted(
        (-shared, story, index)
        for index, members in enumerate(clusters)
        for story, shared in Counter(story_of[m] for m in members if m in story_of).items()
    )
    ids: dict[int, str] = {}
    taken = set(kept_ids)
    for _, story, index in candidates:
        if index not in ids and story not in taken:
            ids[index] = story
            taken.add(story)
    identities = []
    for index, members in enumerate(clusters):
        if index not in ids:
            ids[index] = _fresh_id(members, taken)
            taken.add(ids[index])
        new = sorted(m for m in members if m not in story_of)
        if len(new) == len(members):
            status = STATUS_NEW
        else:
            status = STATUS_UNCHANGED if members_before.get(ids[index]) == set(members) else STATUS_UPDATED
        identities.append(StoryIdentity(ids[index], status, new))
    return identities


def _fresh_id(members: Sequence[str], taken: set[str]) -> str:
    """`story-` and 12 hex digits of SHA-1 over the sorted article ids; hashed again in the rare case that
    an earlier story, started by the same articles, holds that id."""
    story_id = "story-" + _sha1("\n".join(sorted(members)))
    while story_id in taken:
        story_id = "story-" + _sha1(story_id)
    return story_id


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
