"""Paragraphs and sentences (pysbd, per language), the units every stage cuts text into."""
from __future__ import annotations

from functools import lru_cache

import pysbd

# pysbd's time grows with the square of the text it is given (100k characters 1.5 s, a 5 MB line about an
# hour), so it reads windows of at most this many characters: linear in the text, and no slower per
# character below this size. News sentences are far shorter.
WINDOW_CHARS = 2000


@lru_cache(maxsize=None)
def _segmenter(language: str) -> pysbd.Segmenter:
    supported = language if language in pysbd.languages.LANGUAGE_CODES else "en"
    return pysbd.Segmenter(language=supported, clean=False)


def split_sentences(text: str, language: str) -> list[str]:
    """The sentences of `text`, as pysbd finds them in the whole text. Each window's last sentence may be
    cut by the window's end, so it is read again at the start of the next window; a sentence longer than
    a window is cut at its last space in the window (between characters when it has none)."""
    segmenter = _segmenter(language)
    sentences: list[str] = []
    start = 0
    while start < len(text):
        window = text[start : start + WINDOW_CHARS]
        pieces = [piece for piece in segmenter.segment(window) if piece.strip()]
        if start + len(window) >= len(text):
            sentences += pieces
            break
        last_start = window.rfind(pieces[-1].strip()) if len(pieces) > 1 else 0
        if last_start > 0:
            sentences += pieces[:-1]
            start += last_start
        else:
            cut = window.rstrip().rfind(" ")
            cut = cut if cut > 0 else len(window)
            sentences.append(window[:cut])
            start += cut
    return [sentence.strip() for sentence in sentences if sentence.strip()]


def split_paragraphs(text: str) -> list[str]:
    return [paragraph.strip() for paragraph in text.split("\n\n") if paragraph.strip()]
