"""Grouping articles into stories: pairwise similarity, then agglomerative clustering."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from pipeline.records import title_and_text
from pipeline.text.names import extract_anchors
from pipeline.text.similarity import tfidf_cosine

GROUPING_METHOD = "tf-idf cosine of original-text anchors OR English text, average linkage"
# An English term found in more than half of the articles cannot tell stories apart; dropping such terms
# also silences a broken or random model that emits the same few words for every input.
ENGLISH_MAX_DF = 0.5


def similarity_matrix(rows: Sequence[dict]) -> np.ndarray:
    """Pairwise story similarity in [0, 1] of the rows: the anchor and English views as a noisy OR.

    1 - (1 - anchors) * (1 - english): either view alone can link two articles (the anchors must, when
    the translation is gibberish) and agreement between the views links them more strongly.
    """
    anchor_docs = [extract_anchors(title_and_text(row.get('title'), row.get('text'))) for row in rows]
    english_docs = [title_and_text(row.get('title_en'), row.get('text_en')) for row in rows]
    combined = np.zeros((len(rows), len(rows)))
    english_view = tfidf_cosine(english_docs, max_df=ENGLISH_MAX_DF, token_pattern=r"(?u)\b[^\W\d_]{3,}\b")
    for view in (tfidf_cosine(anchor_docs), english_view):
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
