"""How well articles are grouped into stories, against a gold story label per file: the plain function
behind `news-digest eval group`.

The corpus goes through ingest, clean and detect as in a run; the English text comes from the configured
translate models or, for each file that has one, from a reference translation DIR/<same relative path>
(to judge grouping apart from translation quality); then the merge stage's grouping. Scores are over the
articles that reach the digest and have a gold label:

- pairwise: a predicted pair is two articles put in one story, a gold pair two articles of one gold story;
  precision = correct predicted pairs / predicted pairs (1.0 when nothing was merged), recall = correct
  predicted pairs / gold pairs (1.0 when the gold has none);
- B-cubed: per article, the share of its predicted story that is of its gold story (precision) and the
  share of its gold story found in its predicted story (recall), averaged over articles;
- recall within the window: the share of gold pairs that may be one story in a run (dated at most
  `merge.date_window_days` apart by the article's date as ingest reads it, or undated) put in one story.
  On coverage spanning months it is the recall the pipeline aims at; `assignments` gives each article's
  predicted story.

The gold file is JSON mapping each file's path relative to the corpus (the extension may be left out when
only one file has that name) to its story label, a string or a number, or to an object with the label in
"story"; an object without "story" makes the file a story of its own (the dev data's pages.gold.json).
"""
from __future__ import annotations

import json
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any, Sequence

from datasets import Dataset

from pipeline.config import MergeConfig, PipelineConfig
from pipeline.digest.grouping import cluster_articles, similarity_matrix, within_window
from pipeline.errors import InputFileError
from pipeline.models.pool import open_pool
from pipeline.records import STATUS_OK
from pipeline.stages.clean import clean
from pipeline.stages.detect import detect
from pipeline.stages.ingest import ingest
from pipeline.stages.translate import translate


def read_gold(path: Path) -> dict[str, str]:
    """File key -> story label, from one of the forms in the module docstring."""
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(str(path), "file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError, IsADirectoryError) as error:
        raise InputFileError(str(path), f"not a JSON file ({type(error).__name__})") from None
    if not isinstance(entries, dict) or not entries:
        raise InputFileError(str(path), "expected a JSON object mapping file paths to story labels")
    gold = {}
    for key, value in entries.items():
        if isinstance(value, dict):
            value = value.get("story", key)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise InputFileError(str(path), f"the label of {key!r} is not a string or a number")
        gold[key] = str(value)
    return gold


def match_gold(paths: Sequence[str], gold: dict[str, str], gold_path: Path) -> dict[str, str]:
    """Corpus path -> gold label; a key names a path exactly, or without its extension if only one has it."""
    by_stem: dict[str, list[str]] = {}
    for path in paths:
        by_stem.setdefault(path.rsplit(".", 1)[0], []).append(path)
    matched = {}
    for key, label in gold.items():
        if key in paths:
            matched[key] = label
        elif len(by_stem.get(key, [])) == 1:
            matched[by_stem[key][0]] = label
        elif by_stem.get(key):
            raise InputFileError(str(gold_path), f"{key!r} matches {', '.join(by_stem[key])}",
                                 "name the file with its extension, or set ingest.extensions")
    return matched


def evaluate_grouping(
    config: PipelineConfig, corpus: Path, gold_path: Path, translations: Path | None = None
) -> dict[str, Any]:
    """Group the corpus as a run would and score the stories against the gold labels."""
    gold = read_gold(gold_path)
    table = detect(clean(ingest(corpus, config.ingest), config.clean), config.detect)
    rows = english_rows(table, config, translations)
    labels = match_gold([row["path"] for row in rows], gold, gold_path)
    ok_rows = [row for row in rows if row["status"] == STATUS_OK]
    predicted = predict_stories(ok_rows, config.merge)
    scored = [path for path in predicted if path in labels]
    languages = {row["path"]: row["language"] for row in ok_rows}
    not_ok = Counter(row["language"] or "und" for row in rows if row["status"] != STATUS_OK and row["path"] in labels)
    return {
        "corpus": str(corpus), "gold": str(gold_path), "translations": str(translations) if translations else None,
        "threshold": config.merge.similarity_threshold,
        "skipped": {"articles": sum(not_ok.values()), "by_language": dict(sorted(not_ok.items()))},
        "not_in_gold": len(predicted) - len(scored),
        "missing_from_corpus": len(gold) - len(labels),
        **score_grouping({path: predicted[path] for path in scored}, labels, languages),
        "recall_within_window": recall_within_window(
            {path: predicted[path] for path in scored}, labels, {row["path"]: row["date"] for row in ok_rows},
            config.merge.date_window_days,
        ),
        "assignments": predicted,
    }


def predict_stories(rows: Sequence[dict], config: MergeConfig) -> dict[str, int]:
    """Path -> story number, as the merge stage groups `rows` (records with their English text)."""
    stories = cluster_articles(similarity_matrix(rows, config), config.similarity_threshold)
    return {rows[index]["path"]: number for number, members in enumerate(stories) for index in members}


def recall_within_window(
    predicted: dict[str, Any], gold: dict[str, str], dates: dict[str, str], window_days: int
) -> dict[str, Any]:
    """Pairwise recall over the gold pairs whose dates (path -> ISO date) allow one story in a run."""
    paths = sorted(predicted)
    may_join = within_window([dates.get(path) or "" for path in paths], window_days)
    pairs = [(a, b) for (i, a), (j, b) in combinations(enumerate(paths), 2) if gold[a] == gold[b] and may_join[i, j]]
    correct = sum(predicted[a] == predicted[b] for a, b in pairs)
    return {"recall": round(correct / len(pairs), 4) if pairs else 1.0, "gold_pairs": len(pairs), "correct_pairs": correct}


def english_rows(table: Dataset, config: PipelineConfig, translations: Path | None) -> list[dict]:
    """The records with title_en and text_en: from DIR/<path> where that file exists, else translated."""
    rows = table.to_list()
    given = {}
    for row in rows:
        reference = translations / row["path"] if translations else None
        if row["status"] == STATUS_OK and reference is not None and reference.is_file():
            given[row["id"]] = {"title_en": "", "text_en": reference.read_text(encoding="utf-8"),
                                "translated": row["language"] != config.translate.target_language, "untranslated": []}
    pending = [row for row in rows if row["id"] not in given]
    if any(row["status"] == STATUS_OK for row in pending):
        with open_pool(config, "translate") as models:
            pending = translate(Dataset.from_list(pending), config.translate, models, sanity=config.check).to_list()
    translated = {row["id"]: row for row in pending}
    return [{**row, **given[row["id"]]} if row["id"] in given else translated[row["id"]] for row in rows]


def score_grouping(predicted: dict[str, Any], gold: dict[str, str], languages: dict[str, str]) -> dict[str, Any]:
    """Pairwise and B-cubed scores of `predicted` (path -> story) against `gold` (path -> label, a superset),
    per language too, with the stories that mix gold stories."""
    paths = sorted(predicted)
    members: dict[Any, list[str]] = {}
    for path in paths:
        members.setdefault(predicted[path], []).append(path)
    wrong = sorted(
        ({"size": len(story), "gold_stories": len({gold[path] for path in story}),
          "articles": [{"path": path, "gold": gold[path]} for path in story]}
         for story in members.values() if len({gold[path] for path in story}) > 1),
        key=lambda merge: (-merge["size"], merge["articles"][0]["path"]),
    )
    by_language = {
        language: {"articles": sum(languages[path] == language for path in paths),
                   "bcubed": _bcubed([path for path in paths if languages[path] == language], predicted, gold)}
        for language in sorted({languages[path] for path in paths})
    }
    return {
        "articles": len(paths),
        "stories_found": len(members),
        "stories_gold": len({gold[path] for path in paths}),
        "pairwise": _pairwise(paths, predicted, gold),
        "bcubed": _bcubed(paths, predicted, gold),
        "in_wrong_story": sum(merge["size"] for merge in wrong),
        "wrong_merges": wrong,
        "per_language": by_language,
    }


def _pairwise(paths: Sequence[str], predicted: dict[str, Any], gold: dict[str, str]) -> dict[str, Any]:
    predicted_pairs = {pair for pair in combinations(paths, 2) if predicted[pair[0]] == predicted[pair[1]]}
    gold_pairs = {pair for pair in combinations(paths, 2) if gold[pair[0]] == gold[pair[1]]}
    correct = len(predicted_pairs & gold_pairs)
    precision = correct / len(predicted_pairs) if predicted_pairs else 1.0
    recall = correct / len(gold_pairs) if gold_pairs else 1.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": _f1(precision, recall),
            "predicted_pairs": len(predicted_pairs), "gold_pairs": len(gold_pairs), "correct_pairs": correct}


def _bcubed(paths: Sequence[str], predicted: dict[str, Any], gold: dict[str, str]) -> dict[str, float]:
    """B-cubed over the articles in `paths`, their stories taken whole (all scored articles)."""
    if not paths:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    story: dict[Any, list[str]] = {}
    label: dict[str, list[str]] = {}
    for path in predicted:
        story.setdefault(predicted[path], []).append(path)
        label.setdefault(gold[path], []).append(path)
    precision = sum(sum(gold[o] == gold[p] for o in story[predicted[p]]) / len(story[predicted[p]]) for p in paths)
    recall = sum(sum(predicted[o] == predicted[p] for o in label[gold[p]]) / len(label[gold[p]]) for p in paths)
    precision, recall = precision / len(paths), recall / len(paths)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": _f1(precision, recall)}


def _f1(precision: float, recall: float) -> float:
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
