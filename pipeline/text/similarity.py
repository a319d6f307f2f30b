"""The one text similarity of the package: cosine of TF-IDF vectors (scikit-learn), for grouping
articles into stories and for choosing and attributing story-summary sentences."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

# scikit-learn's default: words of two or more word characters.
WORDS = r"(?u)\b\w\w+\b"


def tfidf_cosine(
    documents: Sequence[str] | Sequence[list[str]], max_df: float = 1.0, token_pattern: str = WORDS
) -> np.ndarray:
    """Pairwise cosine similarity (rows are L2-normalised) of English texts, with English stop words
    left out, or of documents given as token lists; all zeros when no document has a term to compare."""
    pre_tokenised = bool(documents) and isinstance(documents[0], list)
    vectorizer = TfidfVectorizer(
        analyzer=(lambda tokens: tokens) if pre_tokenised else "word",
        stop_words=None if pre_tokenised else "english",
        token_pattern=None if pre_tokenised else token_pattern,
        sublinear_tf=True,
        max_df=max_df,
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no term at all, or every term above max_df
        return np.zeros((len(documents), len(documents)))
    return (matrix @ matrix.T).toarray()
