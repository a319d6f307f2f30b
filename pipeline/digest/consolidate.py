"""consolidate: one English summary per story, written from all of its sources, every sentence attributed.

Merge groups the articles without any model; this step, run right after it, needs the summarizer:

1. each source's English text is split into sentences, leaving out passages the translation kept in
   the original language;
2. `merge.story_sentences` of them are selected by maximal marginal relevance over TF-IDF vectors:
   central to the story (like what the other sources say) and unlike the sentences already chosen;
3. the selected sentences, in story order, are summarized abstractively by the configured summarizer
   (through `summarize_texts`, which chunks); a story of one article keeps that article's summary;
4. every sentence of the summary is attributed to the sources holding a sentence at least
   `merge.attribution_threshold` similar to it (TF-IDF cosine) AND all of its numbers, dates and names
   (the check stage's faithfulness test); a sentence no source supports is marked unsupported, and the
   numbers and names no source has become the story's flags, as for an article's summary, so an editor
   sees at once what the model may have made up.

Summaries are cached by the selected sentences and the summarizer's fingerprint: a story whose
sentences did not change costs nothing on the next run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from datasets import Dataset

from pipeline.config import MergeConfig, SummarizeConfig
from pipeline.errors import describe, isolate_failures
from pipeline.models.pool import ModelPool
from pipeline.models.summarizer import SUMMARY_LANGUAGE, summarize_texts
from pipeline.records import title_and_text
from pipeline.store.cache import StageCache, make_key
from pipeline.text.english import english_sentences
from pipeline.text.quality import faithfulness_flags
from pipeline.text.sentences import split_sentences
from pipeline.text.similarity import tfidf_cosine

log = logging.getLogger(__name__)

CACHE_STAGE = "consolidate"
SUMMARY_METHOD = "MMR over TF-IDF sentence vectors across sources, then the summarizer; TF-IDF cosine attribution"
# How the faithfulness flags of a story summary name its sources.
ANY_SOURCE = "any source"
# Headings, bylines and captions are too short to carry a fact of the story.
MIN_SENTENCE_WORDS = 4


@dataclass(frozen=True)
class SourceSentence:
    article: int  # index of the article in the story
    position: int  # order in that article
    text: str


def consolidate(
    digest: dict,
    articles: Dataset,
    config: MergeConfig,
    summarize_config: SummarizeConfig,
    models: ModelPool,
    cache: StageCache | None = None,
    fingerprint: str = "",
) -> tuple[dict, dict[str, int]]:
    """The digest with each story's key sentences, summary and attribution filled in, and counts of the
    story summaries written, computed and taken from the cache."""
    columns = ["id", "title", "text", "title_en", "text_en"]
    rows = {row["id"]: row for row in articles.select_columns(columns).to_list()}
    stories = [dict(story) for story in digest["stories"]]
    sentences = [
        story_sentences([(rows[entry["id"]]["text_en"], entry["language"]) for entry in story["articles"]])
        for story in stories
    ]
    chosen = [select_sentences(found, config.story_sentences, config.mmr_lambda) for found in sentences]
    summaries, report = _story_summaries(stories, chosen, summarize_config, models, cache, fingerprint)
    for story, found, selected, summary in zip(stories, sentences, chosen, summaries):
        ids = [entry["id"] for entry in story["articles"]]
        labels = [entry["source"] for entry in story["articles"]]
        story["key_sentences"] = [
            {"text": sentence.text, "article": ids[sentence.article], "source": labels[sentence.article]}
            for sentence in selected
        ]
        texts = [source_texts(rows[article_id]) for article_id in ids]
        story["summary"] = summary
        story["summary_sentences"] = attribute_summary(
            summary, found, ids, labels, texts, config.attribution_threshold
        )
        story["flags"] = faithfulness_flags(summary, tuple(text for pair in texts for text in pair), ANY_SOURCE)
    log.info("consolidate: %d story summaries, %d computed, %d from cache", *report.values())
    return {**digest, "stories": stories}, report


def story_sentences(texts: Sequence[tuple[str, str]]) -> list[SourceSentence]:
    """The English sentences of each source's (English text, source language), long enough to state something."""
    found = []
    for article, (text, language) in enumerate(texts):
        sentences = english_sentences(text, language)
        found.extend(
            SourceSentence(article, position, sentence)
            for position, sentence in enumerate(sentences)
            if len(sentence.split()) >= MIN_SENTENCE_WORDS
        )
    return found


def select_sentences(sentences: Sequence[SourceSentence], count: int, mmr_lambda: float) -> list[SourceSentence]:
    """Up to `count` sentences by maximal marginal relevance, returned in story order.

    Relevance is centrality: the mean similarity to the sentences of the *other* sources (of all other
    sentences in a single-source story), so that what several sources agree on comes first; it is
    scaled to [0, 1] to be comparable with the redundancy term, the highest similarity to a sentence
    already chosen.
    """
    if len(sentences) <= count:
        return list(sentences)
    similarity = tfidf_cosine([sentence.text for sentence in sentences])
    articles = np.array([sentence.article for sentence in sentences])
    peers = articles[:, None] != articles[None, :]
    if not peers.any():
        peers = ~np.eye(len(sentences), dtype=bool)
    centrality = (similarity * peers).sum(axis=1) / peers.sum(axis=1)
    if centrality.max() > 0:
        centrality = centrality / centrality.max()
    chosen: list[int] = []
    redundancy = np.zeros(len(sentences))
    for _ in range(count):
        score = mmr_lambda * centrality - (1.0 - mmr_lambda) * redundancy
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        redundancy = np.maximum(redundancy, similarity[best])
    return [sentences[index] for index in sorted(chosen, key=lambda i: (sentences[i].article, sentences[i].position))]


def source_texts(row: dict[str, Any]) -> tuple[str, str]:
    """An article's original and English title and text: what a summary sentence may rest on."""
    return title_and_text(row.get("title"), row.get("text")), title_and_text(row.get("title_en"), row.get("text_en"))


def attribute_summary(
    summary: str,
    sentences: Sequence[SourceSentence],
    ids: Sequence[str],
    labels: Sequence[str],
    texts: Sequence[tuple[str, str]],
    threshold: float,
) -> list[dict[str, Any]]:
    """Each summary sentence with the sources it rests on, most similar first; none means unsupported.

    A source supports a sentence when it has a sentence at least `threshold` similar to it AND holds
    every number, date and name of it (the check stage's faithfulness test, on the source's original and
    English text, `texts[article]`): word overlap alone would let "Netflix offers 50,000 dollars" rest on
    a source that says 900,000. Each sentence also lists what no source of the story has (`flags`).
    """
    parts = split_sentences(summary, SUMMARY_LANGUAGE) if summary.strip() else []
    if not parts:
        return []
    similarity = tfidf_cosine([sentence.text for sentence in sentences] + parts)[len(sentences):, : len(sentences)]
    articles = np.array([sentence.article for sentence in sentences], dtype=int)
    attributed = []
    for row, part in zip(similarity, parts):
        best = {int(article): float(row[articles == article].max()) for article in np.unique(articles)}
        # A zero threshold still asks for a shared term: similarity 0 is no evidence at all.
        similar = [a for a, value in best.items() if value >= threshold and value > 0]
        supporting = sorted((a for a in similar if not faithfulness_flags(part, texts[a])), key=lambda a: -best[a])
        attributed.append({
            "text": part,
            "sources": [{"article": ids[a], "source": labels[a], "similarity": round(best[a], 3)} for a in supporting],
            "supported": bool(supporting),
            "flags": faithfulness_flags(part, tuple(text for pair in texts for text in pair), ANY_SOURCE),
        })
    return attributed


def _story_summaries(
    stories: list[dict],
    chosen: list[list[SourceSentence]],
    config: SummarizeConfig,
    models: ModelPool,
    cache: StageCache | None,
    fingerprint: str,
) -> tuple[list[str], dict[str, int]]:
    summaries = [""] * len(stories)
    pending: dict[int, tuple[str, str]] = {}  # story index -> (cache key, text to summarize)
    for index, (story, selected) in enumerate(zip(stories, chosen)):
        if story["size"] == 1:
            # The article's own summary was written from its whole text, not from a selection.
            summaries[index] = story["articles"][0]["summary"]
        elif selected:
            texts = [sentence.text for sentence in selected]
            pending[index] = (make_key(fingerprint, texts), " ".join(texts))
    keys = sorted({key for key, _ in pending.values()})
    found = cache.get_many(CACHE_STAGE, keys) if cache is not None and keys else {}
    missing = [index for index, (key, _) in pending.items() if key not in found]
    if missing:
        generator = models.get(config.model, config.revision, "summarize.model", config.num_beams)

        def fail(index: int, error: Exception) -> None:
            log.warning("story '%s': its summary failed (%s); it shows its key sentences instead",
                        stories[index]["title"], describe(error))

        written = isolate_failures(
            missing, lambda part: summarize_texts([pending[index][1] for index in part], generator, config), fail
        )
        computed = {pending[index][0]: {"summary": text} for index, text in zip(missing, written) if text is not None}
        # A failed summary is not cached, so that the next run tries again; meanwhile the story's own sentences stand in.
        failed = {pending[index][0]: {"summary": pending[index][1]} for index, text in zip(missing, written) if text is None}
        if cache is not None:
            cache.put_many(CACHE_STAGE, computed)
        found.update(computed)
        found.update(failed)
    for index, (key, _) in pending.items():
        summaries[index] = found[key]["summary"]
    report = {"story_summaries": len(pending), "computed": len(missing), "from_cache": len(pending) - len(missing)}
    return summaries, report
