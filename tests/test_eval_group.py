"""`news-digest eval group`: gold forms, the scores, and wrong merges showing up in the figures."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import InputFileError
from pipeline.eval.grouping import match_gold, read_gold, score_grouping

ACME = (
    "Acme Robotics buys Zenith Labs for 4.2 billion dollars\n\n"
    "Acme Robotics, the warehouse automation maker based in Tacoma, agreed to buy the battery start-up Zenith "
    "Labs for 4.2 billion dollars, chief executive Priya Raman told investors on Tuesday. The deal still needs "
    "the approval of regulators in Washington and Brussels, and Zenith founder Tomasz Wielgus will join the "
    "board. Shares of Acme rose 7 percent after the announcement, while analysts at Baird called the price high."
)
ACME_AGAIN = (
    "Zenith Labs goes to Acme Robotics\n\n"
    "The Tacoma company Acme Robotics is paying 4.2 billion dollars for Zenith Labs, whose batteries power its "
    "warehouse machines. Priya Raman, who leads Acme, said the purchase would close next spring if regulators "
    "agree. Tomasz Wielgus, who founded Zenith in a Warsaw garage, gets a seat on the board; Baird analysts "
    "think Acme paid too much, and its shares gained 7 percent."
)
FLOOD = (
    "Danube floods the old town of Passau\n\n"
    "The Danube reached 9.2 metres in Passau on Monday, forcing about 2,500 residents of the old town from their "
    "homes. Mayor Jürgen Dupper declared a disaster, and 1,200 firefighters and soldiers of the Bundeswehr filled "
    "sandbags along the Inn and the Ilz. Bavarian premier Markus Söder promised 100 million euros of emergency aid "
    "and the weather service expects more rain until Wednesday, when the river could crest again."
)


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_gold_takes_labels_story_objects_and_pages_of_their_own(tmp_path: Path) -> None:
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"a.txt": 3, "b.txt": "x", "c.txt": {"story": 3, "lang": "de"}, "d": {"lang": "en"}}))

    assert read_gold(gold) == {"a.txt": "3", "b.txt": "x", "c.txt": "3", "d": "d"}


@pytest.mark.parametrize("content", ['["a.txt"]', '{"a.txt": [1]}', '{"a.txt": true}', "{}", "not json"])
def test_unusable_gold_is_one_error_naming_the_file(tmp_path: Path, content: str) -> None:
    gold = tmp_path / "gold.json"
    gold.write_text(content)

    with pytest.raises(InputFileError, match="gold.json"):
        read_gold(gold)


def test_gold_keys_may_leave_out_the_extension_unless_two_files_share_the_name(tmp_path: Path) -> None:
    gold = {"de_site": "1", "sub/en_site.txt": "2"}
    assert match_gold(["de_site.txt", "sub/en_site.txt", "other.txt"], gold, tmp_path) == {
        "de_site.txt": "1", "sub/en_site.txt": "2"
    }
    with pytest.raises(InputFileError, match="de_site.html, de_site.txt"):
        match_gold(["de_site.html", "de_site.txt"], gold, tmp_path)


def test_scores_of_a_wrong_merge_and_a_missed_pair() -> None:
    gold = {"a1": "A", "a2": "A", "b": "B", "c": "C"}
    languages = {"a1": "de", "a2": "en", "b": "en", "c": "it"}
    # a2 is split from a1 and wrongly merged with b; c stays alone.
    result = score_grouping({"a1": 0, "a2": 1, "b": 1, "c": 2}, gold, languages)

    assert (result["articles"], result["stories_found"], result["stories_gold"]) == (4, 3, 3)
    assert result["pairwise"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                  "predicted_pairs": 1, "gold_pairs": 1, "correct_pairs": 0}
    assert result["bcubed"] == {"precision": 0.75, "recall": 0.75, "f1": 0.75}
    assert result["in_wrong_story"] == 2
    assert result["wrong_merges"] == [{"size": 2, "gold_stories": 2,
                                       "articles": [{"path": "a2", "gold": "A"}, {"path": "b", "gold": "B"}]}]
    assert result["per_language"]["it"] == {"articles": 1, "bcubed": {"precision": 1.0, "recall": 1.0, "f1": 1.0}}
    perfect = score_grouping({"a1": 0, "a2": 0, "b": 1, "c": 2}, gold, languages)
    assert perfect["pairwise"]["f1"] == perfect["bcubed"]["f1"] == 1.0 and perfect["wrong_merges"] == []


def test_eval_group_command_reports_found_against_gold_stories(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"acme.txt": ACME, "acme-again.txt": ACME_AGAIN, "flood.txt": FLOOD})
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"acme.txt": "acme", "acme-again.txt": "acme", "flood": "flood"}))
    out = tmp_path / "scores.json"

    result = CliRunner().invoke(app, ["eval", "group", str(corpus), str(gold), "--json", str(out)])

    assert result.exit_code == 0, result.output
    scores = json.loads(out.read_text())
    assert (scores["articles"], scores["stories_found"], scores["stories_gold"]) == (3, 2, 2)
    assert scores["pairwise"]["f1"] == scores["bcubed"]["f1"] == 1.0
    assert "no wrong merge" in result.output


def test_a_wrong_merge_shows_in_the_figures_and_the_report(tmp_path: Path) -> None:
    # The same text under two gold stories: grouping must merge them, and that merge is wrong.
    corpus = write_corpus(tmp_path / "corpus", {"acme.txt": ACME, "copy.txt": ACME, "flood.txt": FLOOD})
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"acme.txt": 1, "copy.txt": 2, "flood.txt": 3}))
    out = tmp_path / "scores.json"

    result = CliRunner().invoke(app, ["eval", "group", str(corpus), str(gold), "--json", str(out)])

    assert result.exit_code == 0, result.output
    scores = json.loads(out.read_text())
    assert scores["pairwise"]["precision"] == 0.0 and scores["bcubed"]["precision"] < 1.0
    assert scores["in_wrong_story"] == 2 and scores["stories_found"] == 2
    assert "wrong merge of 2 articles from 2 stories: acme.txt (1), copy.txt (2)" in result.output


def test_translations_replace_the_models_english(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"acme.txt": ACME, "flood.txt": FLOOD})
    # Reference "translations" that make both articles one story: grouping must read them.
    english = write_corpus(tmp_path / "english", {"acme.txt": FLOOD, "flood.txt": FLOOD})
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"acme.txt": "a", "flood.txt": "b"}))
    out = tmp_path / "scores.json"

    result = CliRunner().invoke(
        app, ["eval", "group", str(corpus), str(gold), "--translations", str(english), "--json", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["stories_found"] == 1


def test_missing_gold_file_is_a_usage_error(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"acme.txt": ACME})

    result = CliRunner().invoke(app, ["eval", "group", str(corpus), str(tmp_path / "nope.json")])

    assert result.exit_code == 2 and "nope.json: file not found" in result.output


def test_json_gives_each_article_its_story_and_recall_within_the_date_window(tmp_path: Path) -> None:
    # Two articles on one story a week apart (beyond a 3-day window), two on another, one of them undated.
    corpus = write_corpus(tmp_path / "corpus", {
        "acme.txt": "date 2023-07-26\n" + ACME, "acme-later.txt": "date 2023-08-02\n" + ACME_AGAIN,
        "flood.txt": "date 2023-07-27\n" + FLOOD, "flood-undated.txt": FLOOD,
    })
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"acme": "acme", "acme-later": "acme", "flood": "flood", "flood-undated": "flood"}))
    out = tmp_path / "scores.json"

    result = CliRunner().invoke(app, ["eval", "group", str(corpus), str(gold), "--json", str(out),
                                      "--set", "merge.date_window_days=3"])

    assert result.exit_code == 0, result.output
    scores = json.loads(out.read_text())
    stories = scores["assignments"]
    assert sorted(stories) == ["acme-later.txt", "acme.txt", "flood-undated.txt", "flood.txt"]
    assert stories["acme.txt"] != stories["acme-later.txt"] != stories["flood.txt"] == stories["flood-undated.txt"]
    # Of the two gold pairs, only the floods may be one story in a run, and are.
    assert scores["recall_within_window"] == {"recall": 1.0, "gold_pairs": 1, "correct_pairs": 1}
    assert scores["pairwise"]["recall"] == 0.5
    assert "recall within the date window: 1.0000" in result.output
