"""Grouping articles into stories: pairwise similarity from two kinds of evidence, then average linkage.

1. Anchors of the original text: names (capitalised words and their runs), amounts and full dates, each
   weighted by how rare it is. A name's rarity is its frequency in general language (wordfreq's Zipf scale,
   the most frequent of the languages we read), so that "Jahr", "Geld" and "Menschen", capitalised in every
   German article, count for nothing while "Sag-Aftra" or "Drosten" count much; an amount weighs by its
   significant digits, since round figures (60 %, 500, 10,000) turn up in unrelated stories and a figure
   like 383 or 2.75 million rarely does. Every anchor is further weighted by its inverse document frequency
   in the corpus, so that a site's boilerplate repeated on all its pages counts little. Articles are
   compared by the cosine of these weights: what two articles do NOT share counts against them, which keeps
   long pages on one topic (two different Covid stories both naming the same virologist) apart. Articles in
   different languages can only share what is written the same way in both, so their cosine is the geometric
   mean of the cosine over all anchors and the cosine over the anchors also seen in another language. Two
   articles are not linked at all unless the rarity of what they share (without IDF: it does not depend on
   the corpus) reaches `merge.min_shared_evidence`. Quoted passages are left out: translations reword them,
   and a quote only one source has costs similarity without ever being shared.
2. The English text, TF-IDF cosine, only when it is English: translated passages that a model failed on
   (kept in the original, or gibberish from a random model) would tie articles of one language together,
   so an article whose English sentences are too few, too short a share of its text, or made of words
   that are not English (wordfreq) abstains from this view.

Two articles with English text get the mean of both views (the anchors alone if higher); otherwise the
anchors alone. A pair of dated articles further apart than `merge.date_window_days` gets no similarity
at all, so that a corpus growing night after night never chains everything on one topic over months.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date
from functools import lru_cache
from typing import Sequence

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from wordfreq import zipf_frequency

from pipeline.config import MergeConfig
from pipeline.records import field_text, title_and_text
from pipeline.text.english import english_sentences
from pipeline.text.names import name_ngrams
from pipeline.text.numbers import dates_and_amounts
from pipeline.text.similarity import tfidf_cosine

GROUPING_METHOD = (
    "cosine of rarity-weighted anchors (names, amounts, dates) with the English text's TF-IDF cosine when "
    "both are English, inside a date window; average linkage"
)
# The languages whose general word frequencies tell a common word from a rare name.
FREQUENCY_LANGUAGES = ("de", "it", "en", "fr", "es", "nl", "pt")
# Words at least this frequent (Zipf 5: once in 100,000 words, like "Jahr", "Berlin", "news") are no
# evidence of a story; rarer names weigh (NAME_MAX_ZIPF - Zipf), up to 5 for a name wordfreq never saw.
NAME_MAX_ZIPF = 5.0
# A full date, or an amount with AMOUNT_FULL_DIGITS significant digits or more, weighs like a name of
# Zipf 2, rare but not unheard of; an amount with fewer significant digits weighs proportionally less.
AMOUNT_WEIGHT = 3.0
AMOUNT_FULL_DIGITS = 3
# IDF is estimated as if the corpus held at least this many articles: in a corpus of a handful of articles
# on one story, the anchors all of them share (the story itself) would otherwise weigh the least.
IDF_MIN_ARTICLES = 50
# The English view needs this many English words, making up at least this share of the English text.
MIN_ENGLISH_WORDS = 20
MIN_ENGLISH_SHARE = 0.5
# Below this Zipf in English a word is no English word: gibberish of random models, untranslated text.
MIN_ENGLISH_ZIPF = 1.0
# An English term found in more than half of the articles (and more than two) cannot tell stories apart;
# dropping such terms also silences a random model that emits the same few words for every input.
ENGLISH_MAX_DF = 0.5
_ENGLISH_WORD = re.compile(r"(?u)\b[^\W\d_]{3,}\b")


def similarity_matrix(rows: Sequence[dict], config: MergeConfig) -> np.ndarray:
    """Pairwise story similarity in [0, 1] of the article records (see the module docstring)."""
    anchors = anchor_similarity(rows, config.min_shared_evidence)
    english, usable = english_similarity(rows)
    both_english = np.outer(usable, usable)
    combined = np.where(both_english, np.maximum(anchors, (anchors + english) / 2), anchors)
    combined = combined * within_window([field_text(row.get("date")) for row in rows], config.date_window_days)
    np.fill_diagonal(combined, 1.0)
    return np.clip(combined, 0.0, 1.0)


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


def anchors_of(text: str) -> set[str]:
    """The anchors of one original text: "name:sag aftra", "num:300000", "pct:87", "date:2023-07-26"."""
    found = {"name:" + name for name in name_ngrams(text, " ")}
    dates, amounts = dates_and_amounts(text)
    found.update(amount.token for amount in amounts)
    found.update(f"date:{mention.value}" for mention in dates if "?" not in mention.value)
    return found


def anchor_similarity(rows: Sequence[dict], min_shared_evidence: float) -> np.ndarray:
    """Cosine of the rarity x IDF weighted anchors; across languages, the geometric mean with the cosine
    over anchors seen in another language; zero for pairs whose shared anchors' rarity (no IDF) sums to
    less than `min_shared_evidence`."""
    documents = [anchors_of(title_and_text(row.get("title"), row.get("text"))) for row in rows]
    languages = np.array([field_text(row.get("language")) for row in rows])
    frequency = Counter(anchor for document in documents for anchor in document)
    vocabulary = {anchor: index for index, anchor in enumerate(sorted(frequency))}
    count = len(rows)
    seen_in: dict[str, set[str]] = {}
    for document, language in zip(documents, languages):
        for anchor in document:
            seen_in.setdefault(anchor, set()).add(language)
    rarity = np.zeros((count, len(vocabulary)))
    portable = np.zeros_like(rarity, dtype=bool)
    holders = np.array([frequency[anchor] for anchor in vocabulary])
    idf = np.log((1 + max(count, IDF_MIN_ARTICLES)) / (1 + holders)) + 1  # scikit-learn's smoothed IDF
    for row, (document, language) in enumerate(zip(documents, languages)):
        for anchor in document:
            rarity[row, vocabulary[anchor]] = anchor_weight(anchor)
            portable[row, vocabulary[anchor]] = bool(seen_in[anchor] - {language})
    weights = rarity * idf
    full = _cosine(weights)
    across = np.sqrt(full * _cosine(np.where(portable, weights, 0.0)))
    similarity = np.where(np.equal.outer(languages, languages), full, across)
    shared_evidence = (rarity > 0).astype(float) @ rarity.T
    return np.where(shared_evidence >= min_shared_evidence, similarity, 0.0)


def anchor_weight(anchor: str) -> float:
    kind, _, value = anchor.partition(":")
    if kind == "name":
        return max(0.0, NAME_MAX_ZIPF - _zipf(value))
    if kind == "date":
        return AMOUNT_WEIGHT
    significant_digits = len(value.replace(".", "").strip("0"))
    return AMOUNT_WEIGHT * min(1.0, significant_digits / AMOUNT_FULL_DIGITS)


def english_similarity(rows: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """TF-IDF cosine of the English words of each article's English sentences, and which articles have
    enough of them to take part (the others get zeros)."""
    documents, usable = [], []
    for row in rows:
        english = title_and_text(row.get("title_en"), row.get("text_en"))
        sentences = " ".join(english_sentences(english, field_text(row.get("language"))))
        words = [word for word in _ENGLISH_WORD.findall(sentences) if _english_zipf(word.casefold()) >= MIN_ENGLISH_ZIPF]
        enough = len(words) >= MIN_ENGLISH_WORDS and len(sentences) >= MIN_ENGLISH_SHARE * len(" ".join(english.split()))
        usable.append(enough)
        documents.append(" ".join(words) if enough else "")
    # In a small corpus, half the articles may be a single story: a term is dropped only past two articles.
    max_df = max(ENGLISH_MAX_DF, 2 / max(len(rows), 1))
    return tfidf_cosine(documents, max_df=max_df, token_pattern=_ENGLISH_WORD.pattern), np.array(usable)


def within_window(dates: Sequence[str], window_days: int) -> np.ndarray:
    """1 for each pair of articles that may be one story, 0 for two full dates more than `window_days`
    apart; an article without a full date (YYYY-MM-DD) may go with any."""
    days = np.array([_day_number(text) for text in dates], dtype=float)  # NaN: no full date
    apart = np.abs(np.subtract.outer(days, days)) > window_days  # False wherever a NaN takes part
    return np.where(apart, 0.0, 1.0)


def _day_number(text: str) -> float:
    try:
        return float(date.fromisoformat(text[:10]).toordinal()) if len(text) >= 10 else math.nan
    except ValueError:
        return math.nan


def _cosine(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    return (matrix @ matrix.T) / np.outer(norms, norms)


@lru_cache(maxsize=200_000)
def _zipf(words: str) -> float:
    return max(zipf_frequency(words, language) for language in FREQUENCY_LANGUAGES)


@lru_cache(maxsize=200_000)
def _english_zipf(word: str) -> float:
    return zipf_frequency(word, "en")
