"""The shared-evidence floor of articles without English; grouping judged on multi-outlet English coverage
written for the purpose (tests/data/outlets, see outlets.README.md beside it): thirteen events of one April
week, most told by two to four outlets from different angles (a short wire update, a long feature, the
market reaction, the coaches' quotes), next to events of the same kind that week (two rugby league matches,
two Islamic State attacks, two central banks, two wildfires, a Grand National and last year's winner's
trainer, the ECB president on another subject). All are dated within `merge.date_window_days` of each
other, so only their content can keep them apart."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.config import MergeConfig
from pipeline.digest import grouping
from pipeline.eval.grouping import predict_stories, read_gold, score_grouping
from pipeline.text.metadata import extract_metadata

OUTLETS = Path(__file__).resolve().parent / "data" / "outlets"


def outlet_rows() -> list[dict]:
    """The English articles as merge receives them: the date from the header, the headline as the title."""
    rows = []
    for path in sorted(OUTLETS.glob("*.txt")):
        metadata = extract_metadata(path.read_text(encoding="utf-8"))
        title, _, text = metadata.body.strip().partition("\n\n")
        rows.append({"id": path.stem, "path": path.name, "date": metadata.date, "language": "en",
                     "title": title, "text": text, "title_en": title, "text_en": text})
    return rows


def outlet_scores(config: MergeConfig) -> dict:
    rows = outlet_rows()
    gold = {f"{key}.txt": label for key, label in read_gold(OUTLETS.parent / "outlets.gold.json").items()}
    return score_grouping(predict_stories(rows, config), gold, {row["path"]: "en" for row in rows})


def test_the_outlet_articles_are_dated_within_one_window() -> None:
    days = [date.fromisoformat(row["date"]) for row in outlet_rows()]

    assert len(days) == 33 and (max(days) - min(days)).days <= MergeConfig().date_window_days


def test_each_event_is_one_story_and_events_of_one_kind_stay_apart() -> None:
    scores = outlet_scores(MergeConfig())

    assert scores["wrong_merges"] == []
    assert scores["bcubed"]["precision"] == 1.0
    assert scores["pairwise"]["recall"] >= 0.85


def test_a_story_needs_the_same_event_and_the_same_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the names alone, the ECB president's hearing on the digital euro joins the rate decision.
    words, names, usable = grouping.english_similarity(outlet_rows())
    monkeypatch.setattr(grouping, "english_similarity", lambda rows: (names, names, usable))

    merged = [merge["articles"] for merge in outlet_scores(MergeConfig())["wrong_merges"]]

    assert any({"path": "lagarde_digital_euro.txt", "gold": "lagarde_digital_euro"} in story for story in merged)


def test_articles_without_english_sharing_one_name_are_not_linked() -> None:
    # One racing driver, two events: all the two articles have in common is his name, rarer than the
    # floor's 4.0 (Zipf 2.5: it scores 2.5), and their anchors are otherwise alike (hardly any).
    rows = [
        {"title": "Formel 1", "text": "Beim Rennen am Sonntag siegte Fisichella vor vollen Rängen.", "language": "de"},
        {"title": "Libri", "text": "Ieri sera Fisichella ha presentato il suo libro ai tifosi.", "language": "it"},
    ]
    floor = MergeConfig().min_shared_evidence

    assert grouping.similarity_matrix(rows, MergeConfig())[0, 1] == 0.0
    without_floor = grouping.similarity_matrix(rows, MergeConfig(min_shared_evidence=0.0))[0, 1]
    assert without_floor > MergeConfig().similarity_threshold
    assert grouping.anchor_similarity(rows)[1][0, 1] < floor
