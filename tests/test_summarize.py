"""The summarize stage's plumbing: long texts are summarized chunk by chunk, then once more."""
from __future__ import annotations

import pytest
from datasets import Dataset

from pipeline.config import SummarizeConfig
from pipeline.models.summarizer import summarize_texts
from pipeline.stages.summarize import summarize
from tests.fakes import EchoGenerator, FakePool, ShrinkingGenerator

CONFIG = SummarizeConfig(model="shrink", chunk_tokens=12, max_summary_tokens=4, min_summary_tokens=1)


def _sentences(count: int) -> str:
    return " ".join(f"Sentence {n} says what happened." for n in range(count))


def test_short_text_is_summarized_in_one_call() -> None:
    generator = ShrinkingGenerator(max_input_tokens=12)
    assert summarize_texts(["Netflix posts a job. It pays well."], generator, CONFIG) == ["Netflix posts a."]
    assert len(generator.calls) == 1


def test_long_text_is_summarized_in_rounds_and_every_chunk_is_read() -> None:
    generator = ShrinkingGenerator(max_input_tokens=12, keep=3)
    text = _sentences(40)  # 200 words against a 12-word limit
    [summary] = summarize_texts([text], generator, CONFIG)
    first_round = generator.calls[0]
    assert " ".join(first_round) == text  # the first round saw all of it, nothing cut
    assert len(generator.calls) > 2  # chunks, then summaries of summaries, then one final call
    assert generator.calls[-1] == [generator.calls[-1][0]]
    assert summary and len(summary.split()) <= 4


def test_rows_not_ok_get_an_empty_summary_and_no_model_is_loaded() -> None:
    rows = [{"id": "x", "status": "skipped", "problem": "empty file", "text_en": ""}]
    pool = FakePool()
    result = summarize(Dataset.from_list(rows), CONFIG, pool)
    assert result[0]["summary"] == "" and pool.requested == []


def test_stage_summarizes_every_ok_article() -> None:
    rows = [
        {"id": "a", "status": "ok", "problem": "", "text_en": _sentences(3)},
        {"id": "b", "status": "ok", "problem": "", "text_en": _sentences(30)},
    ]
    result = summarize(Dataset.from_list(rows), CONFIG, FakePool(shrink=ShrinkingGenerator(12))).to_list()
    assert all(row["summary"] for row in result)


def test_chunk_summaries_that_do_not_shrink_become_the_summary_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    long_text, short_text = _sentences(40), "Short one."
    summaries = summarize_texts([long_text, short_text], EchoGenerator(max_input_tokens=12), CONFIG)
    assert summaries[0].split() == long_text.split() and summaries[1] == short_text
    assert "summarize.chunk_tokens" in caplog.text


class SilentGenerator(EchoGenerator):
    """Writes nothing, as random real-size models do when they emit only special tokens."""

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        return [""] * len(super().generate(texts, max_new_tokens, min_new_tokens))


def test_chunk_summaries_without_words_end_the_rounds_with_an_empty_summary() -> None:
    generator = SilentGenerator(max_input_tokens=12)
    assert summarize_texts([_sentences(40), "Short one."], generator, CONFIG) == ["", ""]
    assert len(generator.calls) == 1  # nothing left to summarize again
