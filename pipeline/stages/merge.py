"""Merge stage: group the articles into stories and assemble one multilingual digest.

Grouping cannot trust the English translation alone (in tests the models are random and translate to
gibberish), so it combines two views of each article: language-independent anchors taken from the
original text (amounts, names, acronyms) and the English title and text. Each view is TF-IDF weighted and
compared by cosine similarity; the two similarities are combined as a noisy OR and clustered with
average linkage.

Each article gets a short source label and each story its facts that only one source has
(pipeline.facts); the story summary is left empty here and written by the consolidate step, the only
part of the digest that needs a model.
"""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any, Iterable, Sequence

import numpy as np
from datasets import Dataset
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline import render
from pipeline.anchors import extract_anchors
from pipeline.config import MergeConfig
from pipeline.facts import single_source_facts, source_label, unique_labels
from pipeline.stages import STATUS_OK
from pipeline.stages.consolidate import SUMMARY_METHOD

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
GROUPING_METHOD = "tf-idf cosine of original-text anchors OR English text, average linkage"
# An English term found in more than half of the articles cannot tell stories apart; dropping such terms
# also silences a broken or random model that emits the same few words for every input.
ENGLISH_MAX_DF = 0.5


def merge(articles: Dataset, config: MergeConfig, run_info: dict) -> dict:
    """Group the "ok" articles into stories and return the digest as a plain JSON-able dict."""
    rows = articles.to_list()
    ok_rows = [row for row in rows if row.get("status") == STATUS_OK]
    similarity = similarity_matrix(ok_rows)
    clusters = cluster_articles(similarity, config.similarity_threshold)
    stories = [_build_story(ok_rows, members, similarity) for members in clusters]
    stories.sort(key=lambda story: (-story["size"], _negated(story["last_date"]), story["id"]))
    skipped = [_skipped_entry(row) for row in rows if row.get("status") != STATUS_OK]
    log.info("merge: %d articles in %d stories, %d not ok", len(ok_rows), len(stories), len(skipped))
    return {
        "schema_version": SCHEMA_VERSION,
        "run": to_jsonable(run_info),
        "grouping": {"method": GROUPING_METHOD, "similarity_threshold": config.similarity_threshold},
        "consolidation": {
            "method": SUMMARY_METHOD,
            **config.model_dump(include={"story_sentences", "mmr_lambda", "attribution_threshold"}),
        },
        "totals": {
            "articles": len(ok_rows),
            "stories": len(stories),
            "skipped": len(skipped),
            "by_language": dict(Counter(_text(row.get("language")) or "und" for row in ok_rows).most_common()),
            "by_status": dict(Counter(entry["status"] for entry in skipped).most_common()),
        },
        "stories": stories,
        "skipped": skipped,
    }


def write_digest(digest: dict, out_dir: Path, formats: Iterable[str]) -> list[Path]:
    """Write digest.<fmt> for each format into `out_dir`, each file atomically; return the paths written."""
    return render.write_digest_files(digest, Path(out_dir), list(formats))


def similarity_matrix(rows: Sequence[dict]) -> np.ndarray:
    """Pairwise story similarity in [0, 1] of the rows: the anchor and English views as a noisy OR.

    1 - (1 - anchors) * (1 - english): either view alone can link two articles (the anchors must, when
    the translation is gibberish) and agreement between the views links them more strongly.
    """
    anchor_docs = [extract_anchors(f"{_text(row.get('title'))}\n\n{_text(row.get('text'))}") for row in rows]
    english_docs = [f"{_text(row.get('title_en'))}\n\n{_text(row.get('text_en'))}" for row in rows]
    combined = np.zeros((len(rows), len(rows)))
    for view in (_cosine_tfidf(anchor_docs), _cosine_tfidf(english_docs, max_df=ENGLISH_MAX_DF)):
        if view is not None:
            combined = 1.0 - (1.0 - combined) * (1.0 - np.clip(view, 0.0, 1.0))
    np.fill_diagonal(combined, 1.0)
    return combined


def cluster_articles(similarity: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters whose mean pairwise similarity exceeds `threshold`, as lists of row indices."""
    count = similarity.shape[0]
    if count < 2:
        return [[index] for index in range(count)]
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - threshold
    )
    labels = model.fit_predict(np.clip(1.0 - similarity, 0.0, 1.0))
    clusters: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        clusters.setdefault(int(label), []).append(index)
    return list(clusters.values())


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


def _cosine_tfidf(documents: list[str] | list[list[str]], max_df: float = 1.0) -> np.ndarray | None:
    """Cosine similarity of TF-IDF vectors; None when the view has nothing to compare and abstains."""
    if not documents:
        return None
    pre_tokenised = isinstance(documents[0], list)
    vectorizer = TfidfVectorizer(
        analyzer=(lambda tokens: tokens) if pre_tokenised else "word",
        stop_words=None if pre_tokenised else "english",
        token_pattern=None if pre_tokenised else r"(?u)\b[^\W\d_]{3,}\b",
        sublinear_tf=True,
        max_df=max_df,
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:
        # No anchors at all, or every English term too common: nothing to compare.
        return None
    return (matrix @ matrix.T).toarray()


def _build_story(rows: Sequence[dict], members: list[int], similarity: np.ndarray) -> dict:
    block = similarity[np.ix_(members, members)]
    # The central article is the one most similar on average to the rest; longer text breaks ties.
    centrality = block.mean(axis=1)
    central = max(range(len(members)), key=lambda i: (centrality[i], len(_text(rows[members[i]].get("text")))))
    central_row = rows[members[central]]
    articles = [_article_entry(rows[index], float(block[central, i])) for i, index in enumerate(members)]
    articles.sort(key=lambda entry: (entry["id"] != central_row["id"], _negated(entry["date"]), entry["id"]))
    by_id = {rows[index]["id"]: rows[index] for index in members}
    ordered_rows = [by_id[entry["id"]] for entry in articles]
    labels = unique_labels([source_label(row) for row in ordered_rows])
    for entry, label in zip(articles, labels):
        entry["source"] = label
    member_ids = sorted(entry["id"] for entry in articles)
    dates = sorted(entry["date"] for entry in articles if entry["date"])
    return {
        "id": "story-" + hashlib.sha1("\n".join(member_ids).encode("utf-8")).hexdigest()[:12],
        "title": _text(central_row.get("title_en")) or _text(central_row.get("title")) or central_row["path"],
        "central_article": central_row["id"],
        "size": len(articles),
        "languages": dict(Counter(entry["language"] for entry in articles).most_common()),
        "first_date": dates[0] if dates else "",
        "last_date": dates[-1] if dates else "",
        # Written by the consolidate step, which needs the summarizer.
        "summary": "",
        "summary_sentences": [],
        "key_sentences": [],
        "single_source_facts": single_source_facts(ordered_rows, labels),
        "articles": articles,
    }


def _article_entry(row: dict, similarity_to_central: float) -> dict:
    text = _text(row.get("text"))
    return {
        "id": row["id"],
        "path": row.get("path") or "",  # verbatim: file names may start or end with spaces
        "language": _text(row.get("language")) or "und",
        "language_confidence": _number(row.get("language_confidence")),
        "title": _text(row.get("title")),
        "title_en": _text(row.get("title_en")),
        "summary": _text(row.get("summary")),
        "chars": len(text),
        "words": len(text.split()),
        "date": _text(row.get("date")),
        "author": _text(row.get("author")),
        "translated": bool(row.get("translated")),
        "similarity_to_central": round(similarity_to_central, 3),
        # Quality flags of the check stage; a table from before that stage has none.
        "flags": [_text(flag) for flag in row.get("flags") or []],
    }


def _skipped_entry(row: dict) -> dict:
    return {
        "id": _text(row.get("id")),
        "path": row.get("path") or "",  # verbatim: file names may start or end with spaces
        "status": _text(row.get("status")) or "unknown",
        "problem": _text(row.get("problem")) or "no reason recorded",
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _negated(iso_date: str) -> tuple:
    # Newest first inside an ascending sort: invert each character; undated sorts last.
    # The trailing 0 puts "2023-07-26" before the coarser "2023-07".
    return (not iso_date, tuple(-ord(char) for char in iso_date) + (0,))
