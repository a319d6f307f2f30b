"""The summarize stage's plumbing: by default from each article's lead, in one call per batch of articles;
with `input: whole`, long texts are summarized chunk by chunk, then once more."""
from __future__ import annotations

import re

import pytest
from datasets import Dataset

from pipeline.config import SummarizeConfig
from pipeline.models.summarizer import lead_of, summarize_texts
from pipeline.stages.summarize import summarize
from tests.fakes import EchoGenerator, FakePool, ShrinkingGenerator

CONFIG = SummarizeConfig(model="shrink", chunk_tokens=12, max_summary_tokens=4, min_summary_tokens=1)


def _sentences(count: int) -> str:
    return " ".join(f"Sentence {n} says what happened." for n in range(count))


def test_short_text_is_summarized_in_one_call() -> None:
    generator = ShrinkingGenerator(max_input_tokens=12)
    assert summarize_texts(["Netflix posts a job. It pays well."], generator, CONFIG) == ["Netflix posts a."]
    assert len(generator.calls) == 1


class SerialGenerator(EchoGenerator):
    """'Summarizes' a chunk as its first two words and a serial number, so that each summary is unique and a
    test can follow it into the next round; records every (input, output) pair in call order."""

    def __init__(self, max_input_tokens: int = 12):
        super().__init__(max_input_tokens)
        self.pairs: list[tuple[str, str]] = []

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        outputs = [" ".join(text.split()[:2]) + f" s{len(self.pairs) + n}." for n, text in enumerate(texts)]
        self.pairs += zip(super().generate(texts, max_new_tokens), outputs)
        return outputs


def test_two_chunks_are_summarized_and_their_summaries_summarized_once_more() -> None:
    generator = SerialGenerator(max_input_tokens=12)
    text = "Alpha one two three. Beta four five six.\n\nGamma seven eight nine. Delta ten eleven twelve."
    assert summarize_texts([text], generator, CONFIG) == ["Alpha one s2."]
    assert generator.pairs == [
        ("Alpha one two three. Beta four five six.", "Alpha one s0."),
        ("Gamma seven eight nine. Delta ten eleven twelve.", "Gamma seven s1."),
        ("Alpha one s0. Gamma seven s1.", "Alpha one s2."),
    ]


def test_long_text_is_summarized_in_rounds_and_every_sentence_and_summary_is_read() -> None:
    generator = SerialGenerator(max_input_tokens=12)
    text = "\n\n".join(_sentences(10).replace("Sentence ", f"P{p}-") for p in range(4))  # 200 words, limit 12
    [summary] = summarize_texts([text], generator, CONFIG)
    inputs = [chunk for chunk, _ in generator.pairs]
    outputs = [output for _, output in generator.pairs]
    # Each sentence of the text reaches exactly one chunk.
    for sentence in re.findall(r"P\d-\d says what happened\.", text):
        assert sum(sentence in chunk for chunk in inputs) == 1, sentence
    # Rounds go on until the summaries fit one chunk: every summary but the final one is read again, once.
    for index, output in enumerate(outputs[:-1]):
        assert sum(output in chunk for chunk in inputs[index + 1 :]) == 1, output
    later_rounds = [chunk for chunk in inputs if "what happened" not in chunk]
    assert len(later_rounds) > 1 and summary == outputs[-1] and summary.startswith("P0-0 says ")


def test_rows_not_ok_get_an_empty_summary_and_no_model_is_loaded() -> None:
    rows = [{"id": "x", "status": "skipped", "problem": "empty file", "text_en": ""}]
    pool = FakePool()
    result = summarize(Dataset.from_list(rows), CONFIG, pool)
    assert result[0]["summary"] == "" and pool.requested == []


@pytest.mark.parametrize(("policy", "expected"), [("whole", ["Alpha posts ", "", "Beta 0 "]), ("lead", ["Alpha job ", "", "Beta 0 "])])
def test_stage_gives_each_ok_article_the_summary_of_its_own_text(policy: str, expected: list[str]) -> None:
    rows = [
        {"id": "a", "status": "ok", "problem": "", "title_en": "Alpha job", "text_en": "Alpha posts a job. It pays well."},
        {"id": "x", "status": "failed", "problem": "unreadable", "title_en": "", "text_en": ""},
        {"id": "b", "status": "ok", "problem": "", "title_en": "", "text_en": _sentences(30).replace("Sentence", "Beta")},
    ]
    config = CONFIG.model_copy(update={"input": policy})
    result = summarize(Dataset.from_list(rows), config, FakePool(shrink=SerialGenerator(12))).to_list()
    assert [re.sub(r"s\d+\.$", "", row["summary"]) for row in result] == expected


def test_lead_policy_reads_title_and_first_sentences_of_every_article_in_one_call() -> None:
    generator = EchoGenerator(max_input_tokens=50)
    config = CONFIG.model_copy(update={"lead_tokens": 15})
    rows = [
        {"id": "a", "status": "ok", "problem": "", "title_en": "Strike ends", "text_en": _sentences(40)},
        {"id": "b", "status": "ok", "problem": "", "title_en": "Short one.", "text_en": "Short one. It ends here."},
    ]
    result = summarize(Dataset.from_list(rows), config, FakePool(shrink=generator)).to_list()
    assert generator.calls == [["Short one. It ends here.", "Strike ends Sentence 0 says what happened. Sentence 1 says"
                                " what happened."]]
    assert [row["summary"] for row in result] == [generator.calls[0][1], generator.calls[0][0]]


def test_lead_never_passes_the_model_limit_nor_splits_more_of_the_text_than_it_reads() -> None:
    generator = EchoGenerator(max_input_tokens=12)
    text = "\n\n".join(_sentences(3).replace("Sentence ", f"P{p}-") for p in range(50))
    assert lead_of("", text, generator, 512) == "P0-0 says what happened. P0-1 says what happened."
    counted: list[str] = []
    generator.count_tokens = lambda texts: counted.extend(texts) or [len(text.split()) for text in texts]
    assert lead_of("A title", text, generator, 8) == "A title P0-0 says what happened."
    assert all("P1-" not in piece for piece in counted)  # the second paragraph was never split nor counted


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
