"""Summaries of any length of text: chunks at sentence boundaries, summarized in rounds until one
chunk holds them, so no part of a long text is ignored.
"""
from __future__ import annotations

import logging

from tqdm.auto import tqdm

from pipeline.config import SummarizeConfig
from pipeline.models.batching import generate_batched, pack_sentences
from pipeline.models.generators import Seq2SeqGenerator
from pipeline.text.sentences import split_paragraphs, split_sentences

log = logging.getLogger(__name__)
SUMMARY_LANGUAGE = "en"


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
            outputs = iter(
                generate_batched(
                    generator,
                    flat,
                    config.max_batch_tokens,
                    max_new_tokens=lambda _: config.max_summary_tokens,
                    min_new_tokens=config.min_summary_tokens,
                )
            )
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
