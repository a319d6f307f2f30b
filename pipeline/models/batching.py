"""Cutting text into pieces a model can read whole, running them in length-sorted batches, and putting
the results back in order. Nothing is ever dropped: a piece longer than the model's limit is split
between sentences, words or (for a run of text with no spaces) characters, never truncated.
"""
from __future__ import annotations

import itertools
import logging
from typing import Callable, Iterable, Sequence

from pipeline.models.generators import Seq2SeqGenerator
from pipeline.text.sentences import split_paragraphs, split_sentences

log = logging.getLogger(__name__)

Paragraphs = list[list[str]]  # a document: its paragraphs, each a list of chunks


def pack_sentences(sentences: Sequence[str], generator: Seq2SeqGenerator, target_tokens: int) -> list[str]:
    """Join consecutive sentences into chunks of about `target_tokens`; no chunk exceeds the model limit.

    Sentences are packed by their token counts taken one by one, which is only an estimate of the joined
    chunk's: a tokenizer merges differently across a seam, inside a long run of words or of bytes (CJK,
    emoji). So every chunk is then counted as the model will read it, special tokens included, and one
    over the limit is halved (at sentences, else words, else characters) until each part fits."""
    if not sentences:
        return []
    target = min(target_tokens, generator.max_input_tokens)
    packed: list[list[str]] = []
    current: list[str] = []
    current_tokens = 0
    for sentence, tokens in zip(sentences, generator.count_tokens(list(sentences))):
        # +1: joining with a space may merge into an extra token at the seam.
        if current and current_tokens + tokens + 1 > target:
            packed.append(current)
            current, current_tokens = [], 0
        current.append(sentence)
        current_tokens += tokens + 1
    if current:
        packed.append(current)
    texts = [" ".join(pieces) for pieces in packed]
    chunks: list[str] = []
    for pieces, text, tokens in zip(packed, texts, generator.count_input_tokens(texts)):
        chunks.extend([text] if tokens <= generator.input_limit else _halve_until_fit(pieces, " ", generator))
    return chunks


def _halve_until_fit(pieces: list[str], separator: str, generator: Seq2SeqGenerator) -> list[str]:
    """Text over the limit, cut into halves until each fits: between sentences, else words, else characters."""
    if len(pieces) == 1:
        words = pieces[0].split()
        pieces, separator = (words, " ") if len(words) > 1 else (list(pieces[0]), "")
    if len(pieces) == 1:  # one character: nothing left to cut, the model stage reports the article
        return pieces
    middle = len(pieces) // 2
    halves = [pieces[:middle], pieces[middle:]]
    texts = [separator.join(half) for half in halves]
    chunks: list[str] = []
    for half, text, tokens in zip(halves, texts, generator.count_input_tokens(texts)):
        chunks.extend([text] if tokens <= generator.input_limit else _halve_until_fit(half, separator, generator))
    return chunks


def chunk_document(text: str, language: str, generator: Seq2SeqGenerator, target_tokens: int) -> Paragraphs:
    return [
        pack_sentences(split_sentences(paragraph, language), generator, target_tokens)
        for paragraph in split_paragraphs(text)
    ]


def join_document(paragraphs: Iterable[Iterable[str]]) -> str:
    return "\n\n".join(" ".join(chunk.strip() for chunk in chunks) for chunks in paragraphs)


def length_bucket(tokens: int) -> int:
    """The smallest length of a fixed ladder at or above `tokens`: multiples of 8 up to 64, then four steps
    per doubling (80, 96, 112, 128, 160, ...). It depends on the text alone, never on the rest of the corpus."""
    step = max(8, 1 << max(tokens.bit_length() - 3, 0))
    return -(-tokens // step) * step


def generate_batched(
    generator: Seq2SeqGenerator,
    texts: Sequence[str],
    max_batch_tokens: int,
    max_new_tokens: Callable[[int], int],
    min_new_tokens: int = 0,
    progress: Callable[[int], None] | None = None,
    max_batch_size: int | None = None,
) -> list[str]:
    """Generate for every text, in batches of similar length bounded by `max_batch_tokens` of padded
    input and by `max_batch_size` inputs (if given), both counted once per beam, and return the outputs in
    the order of `texts`. `max_new_tokens` maps input length to the output budget, so a batch of short
    sentences does not pay for the longest article.

    A text's output must not depend on what else the corpus holds (an editor re-running a night after a
    run of other articles must get the same digest): so a text's budget is that of its `length_bucket`,
    never the longest batch-mate's, and a batch holds texts of one budget. (Padding to the longest of the
    batch does not change an output: the attention mask hides it; tests/test_batching.py checks the whole.)"""
    # Beam search decodes num_beams hypotheses per input: memory and the speed sweet spot (measured with
    # bench/translate.py) scale with inputs x beams, not inputs.
    budget = max_batch_tokens // generator.num_beams
    # Each input decodes with its own vocabulary-sized buffers (several MB for a 50k vocabulary), so a batch
    # of many short inputs (titles) would be the run's memory peak without a cap on their number.
    most_inputs = max(1, max_batch_size // generator.num_beams) if max_batch_size else len(texts)
    counts = generator.count_tokens(list(texts))
    budgets = [max_new_tokens(length_bucket(count)) for count in counts]
    order = sorted((index for index, text in enumerate(texts) if text.strip()), key=lambda index: counts[index])

    def fits(batch: list[int]) -> bool:
        # Sorted ascending, so the last input is the longest: the padded batch is its size x that length.
        return len(batch) <= most_inputs and len(batch) * (counts[batch[-1]] + 2) <= budget

    batches: list[list[int]] = []
    for index in order:
        last = batches[-1] if batches else []
        if last and budgets[index] == budgets[last[0]] and fits([*last, index]):
            last.append(index)
        else:
            batches.append([index])
    batches = _spread_over_workers(batches, generator.parallel_batches, budgets.__getitem__, fits)
    outputs = [""] * len(texts)
    results = generator.generate_batches(
        (([texts[index] for index in batch], budgets[batch[0]]) for batch in batches), min_new_tokens=min_new_tokens
    )
    for batch, batch_outputs in zip(batches, results):
        for index, output in zip(batch, batch_outputs):
            outputs[index] = output
        if progress:
            progress(len(batch))
    return outputs


def _spread_over_workers(
    batches: list[list[int]], workers: int, budget_of: Callable[[int], int], fits: Callable[[list[int]], bool]
) -> list[list[int]]:
    """The inputs of each run of batches that share an output budget, re-cut in order into a multiple of
    `workers` batches of near-equal size, so that workers decoding side by side finish together. Packed
    greedily, the last batch is a remainder: 64 leads in batches of 7 left one of two workers idle for most
    of a round, a tenth of the summarize stage. A run of fewer batches than workers, or one whose re-cut
    batches would not all `fit`, stays as it was."""
    spread: list[list[int]] = []
    for _, same_budget in itertools.groupby(batches, key=lambda batch: budget_of(batch[0])):
        run = list(same_budget)
        inputs = [index for batch in run for index in batch]
        count = -(-len(run) // workers) * workers
        cut = [inputs[len(inputs) * part // count : len(inputs) * (part + 1) // count] for part in range(count)]
        spread.extend(cut if len(run) >= workers > 1 and all(part and fits(part) for part in cut) else run)
    return spread
