"""Paragraphs and sentences (pysbd, per language), the units every stage cuts text into."""
from __future__ import annotations

from functools import lru_cache

import pysbd


@lru_cache(maxsize=None)
def _segmenter(language: str) -> pysbd.Segmenter:
    supported = language if language in pysbd.languages.LANGUAGE_CODES else "en"
    return pysbd.Segmenter(language=supported, clean=False)


def split_sentences(text: str, language: str) -> list[str]:
    return [sentence.strip() for sentence in _segmenter(language).segment(text) if sentence.strip()]


def split_paragraphs(text: str) -> list[str]:
    return [paragraph.strip() for paragraph in text.split("\n\n") if paragraph.strip()]
