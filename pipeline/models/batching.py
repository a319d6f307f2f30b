"""Cutting text into pieces a model can read whole, running them in length-sorted batches, and putting
the results back in order. Nothing is ever dropped: a sentence longer than the model's limit is split
at word boundaries (or, for a run of text with no spaces, at character boundaries), never truncated.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable, Sequence

from pipeline.models.generators import Seq2SeqGenerator
from pipeline.text.sentences import split_paragraphs, split_sentences

log = logging.getLogger(__name__)

Paragraphs = list[list[str]]  # a document: its paragraphs, each a list of chunks


def _split_overlong(sentence: str, generator: Seq2SeqGenerator, limit: int) -> list[str]:
    words = sentence.split()
    if len(words) == 1:
        # No word boundary to use: cut by characters, a token never spans more than a few of them.
        step = max(1, limit)
        return [sentence[start : start + step] for start in range(0, len(sentence), step)]
    pieces: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for word, tokens in zip(words, generator.count_tokens(words)):
        if current and current_tokens + tokens > limit:
            pieces.append(" ".join(current))
            current, current_tokens = [], 0
        if tokens > limit:
            pieces.extend(_split_overlong(word, generator, limit))
            continue
        current.append(word)
        current_tokens += tokens
    if current:
        pieces.append(" ".join(current))
    return pieces


def pack_sentences(sentences: Sequence[str], generator: Seq2SeqGenerator, target_tokens: int) -> list[str]:
    """Join consecutive sentences into chunks of about `target_tokens`; no chunk exceeds the model limit."""
    limit = generator.max_input_tokens
    target = min(target_tokens, limit)
    chunks: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for sentence, tokens in zip(sentences, generator.count_tokens(list(sentences))):
        if tokens > limit:
            log.debug("sentence of %d tokens exceeds the limit of %d: split at word boundaries", tokens, limit)
            pieces = _split_overlong(sentence, generator, limit)
        else:
            pieces = [sentence]
        for piece, piece_tokens in zip(pieces, [tokens] if len(pieces) == 1 else generator.count_tokens(pieces)):
            # +1: joining with a space may merge into an extra token at the seam.
            if current and current_tokens + piece_tokens + 1 > target:
                chunks.append(" ".join(current))
                current, current_tokens = [], 0
            current.append(piece)
            current_tokens += piece_tokens + 1
    if current:
        chunks.append(" ".join(current))
    return chunks


def chunk_document(text: str, language: str, generator: Seq2SeqGenerator, target_tokens: int) -> Paragraphs:
    return [
        pack_sentences(split_sentences(paragraph, language), generator, target_tokens)
        for paragraph in split_paragraphs(text)
    ]


def join_document(paragraphs: Iterable[Iterable[str]]) -> str:
    return "\n\n".join(" ".join(chunk.strip() for chunk in chunks) for chunks in paragraphs)


def generate_batched(
    generator: Seq2SeqGenerator,
    texts: Sequence[str],
    max_batch_tokens: int,
    max_new_tokens: Callable[[int], int],
    min_new_tokens: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Generate for every text, in batches of similar length bounded by `max_batch_tokens` of padded
    input counted once per beam, and return the outputs in the order of `texts`. `max_new_tokens` maps
    input length to the output budget, so a batch of short sentences does not pay for the longest article."""
    # Beam search decodes num_beams hypotheses per input: memory and the speed sweet spot (measured with
    # bench/translate.py) scale with inputs x beams, not inputs.
    budget = max_batch_tokens // generator.num_beams
    counts = generator.count_tokens(list(texts))
    order = sorted((index for index, text in enumerate(texts) if text.strip()), key=lambda index: counts[index])
    outputs = [""] * len(texts)
    batch: list[int] = []

    def flush() -> None:
        longest = max(counts[index] for index in batch)
        results = generator.generate(
            [texts[index] for index in batch], max_new_tokens=max_new_tokens(longest), min_new_tokens=min_new_tokens
        )
        for index, result in zip(batch, results):
            outputs[index] = result
        if progress:
            progress(len(batch))
        batch.clear()

    for index in order:
        # Sorted ascending, so the newcomer is the longest: the padded batch is (size + 1) x its length.
        if batch and (len(batch) + 1) * (counts[index] + 2) > budget:
            flush()
        batch.append(index)
    if batch:
        flush()
    return outputs
