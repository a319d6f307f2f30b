"""The English sentences of an article's English text.

Translation keeps a passage in the original language when its translation fails the sanity check, so
`text_en` can mix languages. The story summary is written by an English summarizer and names are told
from common nouns by English capitalisation: both must only see the sentences that really are English.
"""
from __future__ import annotations

from pipeline.text.language import default_detector
from pipeline.text.sentences import split_paragraphs, split_sentences

ENGLISH = "en"


def english_sentences(text: str, source_language: str) -> list[str]:
    """The sentences of `text` (from an article in `source_language`) that read as English rather than
    as the source language; all of them for an English article."""
    sentences = [s for paragraph in split_paragraphs(text or "") for s in split_sentences(paragraph, ENGLISH)]
    if source_language in ("", ENGLISH):
        return sentences
    kept = []
    for sentence in sentences:
        scores = default_detector().distribution(sentence)
        if scores.get(ENGLISH, 0.0) >= scores.get(source_language, 0.0):
            kept.append(sentence)
    return kept
