"""The packer against the real tokenizers of the tiny Marian and BART models: whatever the text, no chunk
it hands the model is longer than the model reads, counted as the model counts (special tokens included),
and no character is lost."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.models.batching import chunk_document, pack_sentences
from pipeline.models.generators import TokenizedGenerator
from pipeline.models.location import locate_model

PROSE = [
    "Der Bundesrat hat am Dienstag in Zürich über die neue Regelung für Streaming-Dienste beraten.",
    "Il governo ha annunciato che la riforma entrerà in vigore il 1° gennaio, secondo il ministro.",
    "Netflix posted a $900,000 job for an AI product manager while actors were on strike.",
]
CODE = [
    "function f(x){return x*2;}",
    "if (a<b) { console.log('x'); } else { window.location='/'; }",
    "for i in range(10): print(i ** 2)",
    "<script>var _gaq=_gaq||[];_gaq.push(['_setAccount','UA-1-1']);</script>",
]
words = st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=14)
FRAGMENTS = st.one_of(
    st.lists(words, min_size=10, max_size=300).map(" ".join),  # a long sentence without punctuation
    st.text(" \n\t", min_size=1, max_size=80),  # runs of spaces and newlines
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=400),  # CJK
    st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x1F64F), min_size=1, max_size=300),  # emoji
    st.builds(lambda host, parts: f"https://{host}.example.com/" + "/".join(parts) + "?utm_source=x&id=1",
              words, st.lists(words, max_size=60)),
    st.sampled_from(CODE),
    st.sampled_from(PROSE),
)


@pytest.fixture(scope="module")
def tokenizers(tiny_models: dict[str, Path]) -> dict[str, TokenizedGenerator]:
    return {name: TokenizedGenerator(locate_model(str(tiny_models[key]), None, key))
            for name, key in (("marian", "de"), ("bart", "summarizer"))}


def _with_limit(generator: TokenizedGenerator, limit: int | None) -> TokenizedGenerator:
    """The generator as if its model read `limit` tokens at most: small limits make short texts hard cases."""
    if limit is None:
        return generator
    narrowed = copy.copy(generator)
    narrowed.input_limit, narrowed.max_input_tokens = limit, limit - 2
    return narrowed


def _assert_fits_and_keeps_everything(chunks: list[str], text: str, generator: TokenizedGenerator) -> None:
    # Counted by the tokenizer itself, as generate() will encode the chunk, not by the packer's own counts.
    lengths = [len(generator.tokenizer(chunk, truncation=False)["input_ids"]) for chunk in chunks]
    assert max(lengths, default=0) <= generator.input_limit, (lengths, generator.input_limit)
    assert "".join("".join(chunks).split()) == "".join(text.split())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    model=st.sampled_from(["marian", "bart"]),
    limit=st.sampled_from([8, 24, 64, None]),
    fragments=st.lists(FRAGMENTS, min_size=1, max_size=8),
    repeat=st.sampled_from([1, 2, 10]),
    target=st.integers(4, 1200),
    language=st.sampled_from(["de", "it", "en"]),
)
def test_no_chunk_exceeds_the_real_limit_and_nothing_is_lost(
    tokenizers: dict[str, TokenizedGenerator], model: str, limit: int | None, fragments: list[str], repeat: int,
    target: int, language: str,
) -> None:
    generator = _with_limit(tokenizers[model], limit)
    sentences = [fragment for fragment in fragments * repeat if fragment.strip()]
    _assert_fits_and_keeps_everything(pack_sentences(sentences, generator, target), " ".join(sentences), generator)
    text = "\n\n".join(fragments * repeat)
    document = chunk_document(text, language, generator, target)
    _assert_fits_and_keeps_everything([chunk for paragraph in document for chunk in paragraph], text, generator)


@pytest.mark.parametrize("model", ["marian", "bart"])
def test_text_the_tokenizer_merges_across_seams_is_split_again(tokenizers: dict[str, TokenizedGenerator], model: str) -> None:
    # Counted one by one, these pieces fit; joined, BART's byte-level BPE gives them more tokens than the sum.
    generator = tokenizers[model]
    sentences = ["Zürich über東京 😀🎉 " * 40, "xqz Bundesrat f(x) {} " * 300, "東京都は日本の首都である" * 300, "😀🎉" * 1000]
    _assert_fits_and_keeps_everything(pack_sentences(sentences, generator, 10_000), " ".join(sentences), generator)
