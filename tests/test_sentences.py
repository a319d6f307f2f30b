"""Sentence splitting: pysbd's sentences, in time linear in the length of the text (pysbd alone takes 4x
longer each time the text doubles)."""
from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from pipeline.text.sentences import WINDOW_CHARS, split_sentences

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
# Linear growth is 10x for ten times the text, quadratic 100x: this bound leaves room for a busy machine.
MAX_GROWTH = 25


class TooSlow(Exception):
    pass


def _one_line_corpus(chars: int) -> str:
    """The demo articles as one line, repeated to `chars` characters: a scrape that lost its line breaks."""
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(CORPUS_DIR.glob("*.txt")))
    text = " ".join(text.split())
    return " ".join([text] * (chars // len(text) + 1))[:chars]


def _seconds(text: str) -> float:
    started = time.perf_counter()
    split_sentences(text, "de")
    return time.perf_counter() - started


def test_splitting_ten_times_the_text_takes_about_ten_times_as_long() -> None:
    text = _one_line_corpus(1_000_000)
    small = min(_seconds(text[:100_000]) for _ in range(2))
    limit = MAX_GROWTH * small

    def give_up(*_: object) -> None:
        raise TooSlow()

    # Quadratic splitting would take minutes on the large text: stop it once it is clearly not linear.
    previous = signal.signal(signal.SIGALRM, give_up)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        large = _seconds(text)
    except TooSlow:
        pytest.fail(f"1M characters took over {MAX_GROWTH}x the time of 100k ({small:.2f} s): not linear")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert large / small < MAX_GROWTH, (small, large)


def test_windows_cut_between_sentences_and_lose_no_text() -> None:
    sentences = [
        f"Dr. Müller sagte am Montag in Köln, die Firma zahle z. B. {day * 1000:,} Euro im Jahr, so die Zeitung."
        for day in range(1, 120)
    ]
    text = " ".join(sentences)
    assert len(text) > 4 * WINDOW_CHARS
    assert split_sentences(text, "de") == sentences
    unpunctuated = " ".join(f"wort{index}" for index in range(3000))
    pieces = split_sentences(unpunctuated, "de")
    assert " ".join(pieces) == unpunctuated
    assert len(pieces) > 1 and max(len(piece) for piece in pieces) <= WINDOW_CHARS
    one_run = "x" * (3 * WINDOW_CHARS)
    assert "".join(split_sentences(one_run, "de")) == one_run
