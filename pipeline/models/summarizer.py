"""Summaries of articles: from their lead (the title and first sentences, one model window, one call), or
from the whole text, in chunks at sentence boundaries summarized in rounds until one chunk holds them.
"""
from __future__ import annotations

import logging
from typing import Callable

from tqdm.auto import tqdm

from pipeline.config import SummarizeConfig
from pipeline.models.batching import generate_batched, pack_sentences
from pipeline.models.generators import Seq2SeqGenerator
from pipeline.text.sentences import split_paragraphs, split_sentences

log = logging.getLogger(__name__)
SUMMARY_LANGUAGE = "en"


def summarize_articles(
    titles: list[str], texts: list[str], generator: Seq2SeqGenerator, config: SummarizeConfig, progress: bool = False
) -> list[str]:
    """One summary per article, read as `summarize.input` says; all articles of a call are batched together."""
    if config.input == "whole":
        return summarize_texts(texts, generator, config, progress)
    leads = [lead_of(title, text, generator, config.lead_tokens) for title, text in zip(titles, texts)]
    with tqdm(total=len(leads), desc="summarize", unit="article", disable=not progress) as bar:
        summaries = _summarize_batched(leads, generator, config, progress=bar.update)
    return [summary.strip() for summary in summaries]


def _summarize_batched(
    texts: list[str], generator: Seq2SeqGenerator, config: SummarizeConfig, progress: Callable[[int], None] | None = None
) -> list[str]:
    """A summary of each text, in the batches summarize.* allows, every one within the same length budget."""
    return generate_batched(
        generator,
        texts,
        config.max_batch_tokens,
        max_new_tokens=lambda _: config.max_summary_tokens,
        min_new_tokens=config.min_summary_tokens,
        progress=progress,
        max_batch_size=config.max_batch_size,
    )


def lead_of(title: str, text: str, generator: Seq2SeqGenerator, lead_tokens: int) -> str:
    """The title and the text's first sentences, up to `lead_tokens` and never past the model's limit.
    Sentences are split only as far as the lead reaches: pysbd is the slow part of reading a long text."""
    sentences: list[str] = []
    tokens = 0
    # A title the cleaner took from the first sentence is in the text already.
    heading = [title] if title and not text.startswith(title) else []
    for found in (heading, *(split_sentences(p, SUMMARY_LANGUAGE) for p in split_paragraphs(text))):
        if tokens > lead_tokens:
            break
        if found:  # a tokenizer given no text at all raises
            sentences += found
            tokens += sum(generator.count_tokens(found)) + len(found)
    chunks = pack_sentences(sentences, generator, lead_tokens)
    return chunks[0] if chunks else ""


def summarize_texts(
    texts: list[str], generator: Seq2SeqGenerator, config: SummarizeConfig, progress: bool = False
) -> list[str]:
    """One summary per text; all chunks of one round are batched together across texts."""
    summaries = [""] * len(texts)
    pending = {index: text for index, text in enumerate(texts) if text.strip()}
    with tqdm(total=len(pending), desc="summarize", unit="article", disable=not progress) as bar:
        while pending:
            plans = {index: _chunks(text, generator, config) for index, text in pending.items()}
            flat = [chunk for chunks in plans.values() for chunk in chunks]
            outputs = iter(_summarize_batched(flat, generator, config))
            next_round: dict[int, str] = {}
            for index, chunks in plans.items():
                chunk_summaries = [next(outputs).strip() for _ in chunks]
                if len(chunks) == 1:
                    summaries[index] = chunk_summaries[0]
                    bar.update(1)
                elif any(chunk_summaries):
                    next_round[index] = " ".join(chunk_summaries)
                else:  # nothing to summarize again: the model wrote no words for any chunk
                    bar.update(1)
            for index in _not_shrinking(pending, next_round, generator):
                # Another round would be as long again, forever: the joined chunk summaries are the summary.
                summaries[index] = next_round.pop(index)
                bar.update(1)
            pending = next_round
    return summaries


def _chunks(text: str, generator: Seq2SeqGenerator, config: SummarizeConfig) -> list[str]:
    paragraphs = split_paragraphs(text)
    sentences = [sentence for paragraph in paragraphs for sentence in split_sentences(paragraph, SUMMARY_LANGUAGE)]
    return pack_sentences(sentences, generator, config.chunk_tokens)


def _not_shrinking(before: dict[int, str], after: dict[int, str], generator: Seq2SeqGenerator) -> list[int]:
    """The texts whose joined chunk summaries are no shorter than the text they came from."""
    stuck = []
    for index, text in after.items():
        old, new = generator.count_tokens([before[index], text])
        if new >= old:
            log.warning(
                "summaries of chunks (%d tokens) are not shorter than their source (%d tokens): kept as the "
                "summary. Fix: raise summarize.chunk_tokens or lower summarize.max_summary_tokens", new, old
            )
            stuck.append(index)
    return stuck
