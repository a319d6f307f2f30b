"""Grouping articles into stories: pairwise similarity from what the articles say, then average linkage.

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
   mean of the cosine over all anchors and the cosine over the anchors also seen in another language.
   Quoted passages are left out: translations reword them, and a quote only one source has costs
   similarity without ever being shared.
2. The English text, only when it is English: translated passages that a model failed on (kept in the
   original, or gibberish from a random model) would tie articles of one language together, so an article
   whose English sentences are too few, too short a share of its text, or made of words that are not
   English (wordfreq) abstains from this view. Two cosines of sublinear TF x IDF, the headline and the lead
   paragraph counted twice (they carry the event): one over the lowercase words (what happened: "quake",
   "rescuers", "hike"), one over the names (who and where). IDF is the corpus's (as if it held at least
   IDF_MIN_ARTICLES articles) times the word's rarity in general English, so that a night of a dozen
   articles still weighs "Malatya" above "killed".

Two articles that both have English text get the geometric mean of the words' cosine and the mean of the
names' cosine and the anchors' cosine: a story is one event (the words) about the same people, places and
figures (the names; the anchors add amounts and dates). Either alone is not enough: two rugby league
matches of one weekend share the words, a central bank's rate decision and its president's hearing on
another subject share the names. Otherwise the anchors carry the pair alone, and only when the rarity of
what the two share (without IDF: it does not depend on the corpus) reaches `merge.min_shared_evidence`.
A pair of dated articles further apart than `merge.date_window_days` gets no similarity at all, so that a
corpus growing night after night never chains everything on one topic over months.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import wordfreq
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from wordfreq import zipf_frequency

from pipeline.config import MergeConfig
from pipeline.records import field_text, title_and_text
from pipeline.text.english import english_sentences
from pipeline.text.names import name_ngrams
from pipeline.text.numbers import dates_and_amounts
from pipeline.text.sentences import split_paragraphs

GROUPING_METHOD = (
    "English text when both articles have it: geometric mean of the TF-IDF cosine of its words and the mean "
    "of the cosines of its names and of the rarity-weighted anchors; otherwise the anchors (names, amounts, "
    "dates) alone; inside a date window; average linkage"
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
# on one story, the terms all of them share (the story itself) would otherwise weigh the least.
IDF_MIN_ARTICLES = 50
# The English view needs this many English words, making up at least this share of the English text.
MIN_ENGLISH_WORDS = 20
MIN_ENGLISH_SHARE = 0.5
# Below this Zipf in English a word is no English word: gibberish of random models, untranslated text.
MIN_ENGLISH_ZIPF = 1.0
# An English word's rarity is (ENGLISH_MAX_ZIPF - Zipf): "the" (7.7) and "said" (6.3) weigh little, a
# word wordfreq never saw 7; never below MIN_WORD_RARITY, so that no word of the text counts for nothing.
ENGLISH_MAX_ZIPF = 7.0
MIN_WORD_RARITY = 0.5
# The headline and the lead paragraph (the first LEAD_PARAGRAPHS paragraphs of the English text, headline
# first) are counted this many times.
LEAD_WEIGHT = 2
LEAD_PARAGRAPHS = 2
# English prose is about a third function words ("the", "of", "was"); a random model's string of
# content words ("lobby tunnel quell oval") has next to none.
MIN_STOP_WORD_SHARE = 0.15
# An English term found in more than half of the articles cannot tell stories apart (counted as in IDF,
# so that in a small corpus on one story the words of the story stay).
ENGLISH_MAX_DF = 0.5
_ENGLISH_WORD = re.compile(r"(?u)\b[^\W\d_]{3,}\b")
_ANY_WORD = re.compile(r"(?u)\b[^\W\d_]+\b")


def similarity_matrix(rows: Sequence[dict], config: MergeConfig) -> np.ndarray:
    """Pairwise story similarity in [0, 1] of the article records (see the module docstring)."""
    anchors, shared_evidence = anchor_similarity(rows)
    words, names, usable = english_similarity(rows)
    english = np.sqrt(words * (names + anchors) / 2)
    linked_by_anchors = np.where(shared_evidence >= config.min_shared_evidence, anchors, 0.0)
    combined = np.where(np.outer(usable, usable), english, linked_by_anchors)
    combined = combined * within_window([field_text(row.get("date")) for row in rows], config.date_window_days)
    np.fill_diagonal(combined, 1.0)
    _release_word_frequencies()
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


def anchor_similarity(rows: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of the rarity x IDF weighted anchors (across languages, the geometric mean with the cosine
    over anchors seen in another language), and the summed rarity (no IDF) of the anchors each pair shares."""
    documents = [anchors_of(title_and_text(row.get("title"), row.get("text"))) for row in rows]
    languages = np.array([field_text(row.get("language")) for row in rows])
    seen_in: dict[str, set[str]] = {}
    for document, language in zip(documents, languages):
        for anchor in document:
            seen_in.setdefault(anchor, set()).add(language)
    counts = [Counter(document) for document in documents]
    weights, vocabulary = weighted_terms(counts, anchor_weight)
    cells = [(row, vocabulary[anchor]) for row, (document, language) in enumerate(zip(documents, languages))
             for anchor in document if seen_in[anchor] - {language}]
    cell_rows, cell_columns = zip(*cells) if cells else ((), ())
    portable = sparse.csr_matrix((np.ones(len(cells)), (cell_rows, cell_columns)), shape=weights.shape)
    full = _cosine(weights)
    across = np.sqrt(full * _cosine(weights.multiply(portable)))
    similarity = np.where(np.equal.outer(languages, languages), full, across)
    rarity, _ = weighted_terms(counts, anchor_weight, idf=False)
    return similarity, ((rarity > 0).astype(float) @ rarity.T).toarray()


def anchor_weight(anchor: str) -> float:
    kind, _, value = anchor.partition(":")
    if kind == "name":
        return max(0.0, NAME_MAX_ZIPF - _zipf(value))
    if kind == "date":
        return AMOUNT_WEIGHT
    significant_digits = len(value.replace(".", "").strip("0"))
    return AMOUNT_WEIGHT * min(1.0, significant_digits / AMOUNT_FULL_DIGITS)


def english_similarity(rows: Sequence[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cosines of the English lowercase words and of the English names (see the module docstring),
    and which articles have enough English to take part (the others get zeros)."""
    words, names, usable = [], [], []
    for row in rows:
        paragraphs = _english_paragraphs(row)
        usable.append(bool(paragraphs))
        lead = [sentence for paragraph in paragraphs[:LEAD_PARAGRAPHS] for sentence in paragraph]
        counted = [sentence for paragraph in paragraphs for sentence in paragraph] + lead * (LEAD_WEIGHT - 1)
        words.append(Counter(word for sentence in counted for word in _words(sentence)))
        names.append(Counter(name for sentence in counted for name in name_ngrams(sentence, " ")))
    most = ENGLISH_MAX_DF * max(len(rows), IDF_MIN_ARTICLES)
    word_weights, name_weights = (
        weighted_terms(documents, _word_rarity, max_holders=most)[0] for documents in (words, names)
    )
    # An article none of whose lowercase words is left cannot say what happened: it abstains.
    usable = np.array(usable, dtype=bool) & (word_weights.getnnz(axis=1) > 0)
    return _cosine(word_weights), _cosine(name_weights), usable


def weighted_terms(
    documents: Sequence[Counter], weight: Callable[[str], float], idf: bool = True, max_holders: float = math.inf
) -> tuple[sparse.csr_matrix, dict[str, int]]:
    """Articles x terms: sublinear term frequency x weight(term) x (with `idf`) the term's smoothed IDF in the
    corpus, counted as if it held at least IDF_MIN_ARTICLES articles; terms of more than `max_holders`
    articles weigh 0. Returns the matrix and the column of each term."""
    holders = Counter(term for document in documents for term in document)
    vocabulary = {term: column for column, term in enumerate(sorted(holders))}
    articles = max(len(documents), IDF_MIN_ARTICLES)
    scale = {
        term: weight(term) * (math.log((1 + articles) / (1 + count)) + 1 if idf else 1.0)  # scikit-learn's IDF
        for term, count in holders.items() if count <= max_holders
    }
    cells = [(row, vocabulary[term], (1 + math.log(count)) * scale[term])
             for row, document in enumerate(documents) for term, count in document.items() if term in scale]
    rows, columns, values = zip(*cells) if cells else ((), (), ())
    return sparse.csr_matrix((values, (rows, columns)), shape=(len(documents), len(vocabulary))), vocabulary


def _english_paragraphs(row: dict) -> list[list[str]]:
    """The English sentences of each paragraph of the record's English text (headline first), or [] when
    they are too few to compare."""
    english = title_and_text(row.get("title_en"), row.get("text_en"))
    language = field_text(row.get("language"))
    paragraphs = [english_sentences(paragraph, language) for paragraph in split_paragraphs(english)]
    joined = " ".join(sentence for paragraph in paragraphs for sentence in paragraph)
    words = [word for word in _ENGLISH_WORD.findall(joined) if _english_zipf(word.casefold()) >= MIN_ENGLISH_ZIPF]
    enough = len(words) >= MIN_ENGLISH_WORDS and len(joined) >= MIN_ENGLISH_SHARE * len(" ".join(english.split()))
    tokens = _ANY_WORD.findall(joined.casefold())
    reads_as_english = sum(token in ENGLISH_STOP_WORDS for token in tokens) >= MIN_STOP_WORD_SHARE * len(tokens)
    return paragraphs if enough and reads_as_english else []


def _words(sentence: str) -> list[str]:
    """The lowercase words of an English sentence, without stop words: what happened, not who."""
    return [word for word in _ENGLISH_WORD.findall(sentence) if word.islower() and word not in ENGLISH_STOP_WORDS]


def _word_rarity(term: str) -> float:
    return max(MIN_WORD_RARITY, ENGLISH_MAX_ZIPF - _english_zipf(term))


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


def _cosine(matrix: sparse.spmatrix) -> np.ndarray:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    unit = sparse.diags(1.0 / norms) @ matrix
    return (unit @ unit.T).toarray()


def _release_word_frequencies() -> None:
    """wordfreq keeps every table it has read: 250 MB for the seven languages, which the merge stage would
    otherwise still hold while it loads the summarizer for the story summaries, the run's memory peak.
    The values looked up stay in the caches below."""
    wordfreq.get_frequency_dict.cache_clear()
    wordfreq.get_frequency_list.cache_clear()


@lru_cache(maxsize=200_000)
def _zipf(words: str) -> float:
    return max(zipf_frequency(words, language) for language in FREQUENCY_LANGUAGES)


@lru_cache(maxsize=200_000)
def _english_zipf(word: str) -> float:
    return zipf_frequency(word, "en")
