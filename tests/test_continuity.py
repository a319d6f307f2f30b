"""Stories that carry over from night to night: ids kept, status new / updated / unchanged, earlier sources
carried into a digest of only the new articles. Merge on in-memory rows, no model; the runs themselves
(with a killed run between nights) are in tests/test_nightly.py."""
from __future__ import annotations

from pathlib import Path

from datasets import Dataset

from pipeline.config import MergeConfig
from pipeline.digest import render
from pipeline.digest.continuity import STORY_COLUMN, EarlierStories, carried_articles
from pipeline.stages.merge import merge
from tests.test_merge import corpus_rows, run_info, unrelated_rows

STARTED = "2024-05-01T02:30:00+00:00"
LATE = "003_38cddb643da42179"  # the demo story's Italian article, which comes in on the second night


def night(rows: list[dict], earlier: EarlierStories | None) -> tuple[dict, list[dict]]:
    digest, kept = merge(Dataset.from_list(rows), MergeConfig(), run_info(), earlier)
    return digest, kept.to_list()


def earlier_from(kept: list[dict], corpus: list[dict], run_id: str) -> EarlierStories:
    """The stories a completed run kept, as the next run reads them, with that run's corpus."""
    return EarlierStories(run_id, STARTED, kept, frozenset(row["id"] for row in corpus))


def by_status(digest: dict) -> dict[str, tuple[str, int, list[str]]]:
    """status -> (id, size, new articles) of each story in the digest."""
    return {story["status"]: (story["id"], story["size"], story["new_articles"]) for story in digest["stories"]}


def without_continuity(digest: dict) -> list[dict]:
    """The digest's stories without what compares them with the previous run, for tests that compare two
    runs in one work folder."""
    return [
        {**story, "status": None, "new_articles": None, "articles": [{**a, "new": None} for a in story["articles"]]}
        for story in digest["stories"]
    ]


def test_three_nights_new_then_updated_then_unchanged_with_stable_ids() -> None:
    first_night = [row for row in corpus_rows() if row["id"] != LATE] + unrelated_rows()[:1]
    digest, kept = night(first_night, None)
    assert {story["status"] for story in digest["stories"]} == {"new"}
    [demo] = [story["id"] for story in digest["stories"] if story["size"] == 4]
    [football] = [story["id"] for story in digest["stories"] if story["size"] == 1]

    second_night = corpus_rows() + unrelated_rows()[:1]
    digest, kept = night(second_night, earlier_from(kept, second_night, "night-1"))
    assert by_status(digest) == {"updated": (demo, 5, [LATE]), "unchanged": (football, 1, [])}
    assert digest["totals"]["new_articles"] == 1 and digest["continuity"]["previous_run"] == "night-1"
    updated = next(story for story in digest["stories"] if story["status"] == "updated")
    assert [article["id"] for article in updated["articles"] if article["new"]] == [LATE]

    digest, kept = night(second_night, earlier_from(kept, second_night, "night-2"))
    assert [(story["id"], story["status"], story["new_articles"]) for story in digest["stories"]] == [
        (demo, "unchanged", []), (football, "unchanged", [])
    ]
    assert digest["totals"]["new_articles"] == 0


def test_a_digest_of_only_the_new_articles_shows_their_stories_with_every_source() -> None:
    corpus = corpus_rows() + unrelated_rows()[:1]
    _, kept = night([row for row in corpus if row["id"] != LATE], None)
    demo = next(row[STORY_COLUMN] for row in kept if row["id"] == "000_5cb2c3b4ab8db09f")

    # `run --only-new`: the table holds the new article only; the earlier ones are carried from the stories kept.
    digest, kept = night([row for row in corpus if row["id"] == LATE], earlier_from(kept, corpus, "night-1"))
    [story] = digest["stories"]
    assert (story["id"], story["status"], story["size"], story["new_articles"]) == (demo, "updated", 5, [LATE])
    assert {article["id"] for article in story["articles"] if not article["new"]} == {row["id"] for row in corpus_rows()} - {LATE}
    assert story["articles"][0]["summary"], "carried sources come with their summaries"
    # The football story, a date far from the new article's, is kept as it was for later nights.
    assert {row["id"]: row[STORY_COLUMN] for row in kept}["football_it"] != demo and len(kept) == 6

    # A quiet night: nothing to show, and every story is kept with its id.
    digest, quiet = night([], earlier_from(kept, corpus, "night-2"))
    assert digest["stories"] == []
    assert {row["id"]: row[STORY_COLUMN] for row in quiet} == {row["id"]: row[STORY_COLUMN] for row in kept}


def test_an_article_removed_from_the_corpus_leaves_its_story_which_is_then_updated() -> None:
    corpus = corpus_rows()
    _, kept = night(corpus, None)
    gone, rest = corpus[1], [row for row in corpus if row is not corpus[1]]
    digest, _ = night(rest, earlier_from(kept, rest, "night-1"))
    [story] = digest["stories"]
    assert story["status"] == "updated" and story["new_articles"] == [] and gone["id"] not in {a["id"] for a in story["articles"]}


def test_only_stories_today_may_join_by_date_are_grouped_again() -> None:
    def row(article_id: str, story: str, date: str) -> dict:
        return {"id": article_id, STORY_COLUMN: story, "date": date, "status": "ok"}

    earlier = EarlierStories("night-1", STARTED, [
        row("a1", "story-a", "2024-04-01"), row("a2", "story-a", "2024-04-20"),  # its newest within 7 days
        row("b1", "story-b", "2024-04-01"),  # 21 days before the new article: too old to be joined
        row("c1", "story-c", ""),  # undated: may join any story
        row("gone", "story-d", "2024-04-27"),  # no longer in the corpus
    ], frozenset({"a1", "a2", "b1", "c1", "new"}))
    open_rows, kept_rows = carried_articles(earlier, [row("new", "", "2024-04-22")], window_days=7)
    assert [r["id"] for r in open_rows] == ["a1", "a2", "c1"] and [r["id"] for r in kept_rows] == ["b1"]
    # Articles in today's table are today's, not carried, whatever their status.
    open_rows, kept_rows = carried_articles(earlier, [{**row("a2", "", "2024-04-20"), "status": "failed"}], 7)
    assert open_rows == [] and [r["id"] for r in kept_rows] == ["a1", "b1", "c1"]


def test_pages_show_the_status_and_mark_the_new_sources(tmp_path: Path) -> None:
    corpus = corpus_rows()
    _, kept = night([row for row in corpus if row["id"] != LATE], None)
    digest, _ = night(corpus, earlier_from(kept, corpus, "night-1"))
    linked = render.add_source_links(digest, tmp_path)
    markdown, html = render.render_page(linked, "md"), render.render_page(linked, "html")
    assert "**updated: 1 new source since 2024-05-01 02:30 UTC**" in markdown
    assert markdown.count("· **new**") == 1 and "Netflix pubblica un’offerta di lavoro AI" in markdown.split("· **new**")[0].splitlines()[-1]
    assert 'class="status status-updated">updated: 1 new source since 2024-05-01 02:30 UTC</span>' in html
    assert html.count('<span class="new">new</span>') == 1
