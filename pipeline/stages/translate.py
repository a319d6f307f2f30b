"""translate: every non-English article and its title into English with one MarianMT model per source
language. Sentences are packed into chunks under the model's limit, chunks of all articles of a language
are batched by length, and the translation is put back together paragraph by paragraph. A chunk whose
translation fails the sanity check (empty, looping, length far off: `check.*`) keeps its original text,
and its article records that in `untranslated`, which the digest shows.
"""
from __future__ import annotations

import logging
import math
import uuid
from typing import Any

from datasets import Dataset
from tqdm.auto import tqdm

from pipeline.config import CheckConfig, TranslateConfig
from pipeline.models.batching import (
    Paragraphs,
    chunk_document,
    generate_batched,
    join_document,
)
from pipeline.models.pool import ModelPool
from pipeline.records import STATUS_OK, STATUS_SKIPPED
from pipeline.text.quality import translation_problem, untranslated_note

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 2

log = logging.getLogger(__name__)

Columns = dict[str, list[Any]]


def translate(
    articles: Dataset,
    config: TranslateConfig,
    models: ModelPool,
    progress: bool = False,
    sanity: CheckConfig = CheckConfig(),
) -> Dataset:
    """Add title_en, text_en, translated and untranslated (notes on passages kept in the original);
    articles in a language without a model become skipped."""
    return articles.map(
        _translate_columns,
        batched=True,
        batch_size=None,
        keep_in_memory=True,
        fn_kwargs={"config": config, "models": models, "progress": progress, "sanity": sanity},
        # Without it datasets hashes fn_kwargs, pickling the loaded models on every call: seconds and their
        # size again in memory. The table lives in memory and is never cached, so any fresh id will do.
        new_fingerprint=uuid.uuid4().hex,
    )


def _translate_columns(
    columns: Columns, config: TranslateConfig, models: ModelPool, progress: bool, sanity: CheckConfig
) -> Columns:
    size = len(columns["id"])
    columns["title_en"] = [""] * size
    columns["text_en"] = [""] * size
    columns["translated"] = [False] * size
    columns["untranslated"] = [[] for _ in range(size)]
    by_language: dict[str, list[int]] = {}
    for row, (status, language) in enumerate(zip(columns["status"], columns["language"])):
        if status != STATUS_OK:
            continue
        if language == config.target_language:
            columns["title_en"][row] = columns["title"][row]
            columns["text_en"][row] = columns["text"][row]
        elif language in config.models:
            by_language.setdefault(language, []).append(row)
        else:
            columns["status"][row] = STATUS_SKIPPED
            columns["problem"][row] = (
                f"language '{language}' has no translator (configure translate.models.{language})"
            )
            log.warning("%s: %s", columns["path"][row], columns["problem"][row])
    for language, rows in by_language.items():
        _translate_rows(columns, rows, language, config, models, progress, sanity)
    return columns


def _translate_rows(
    columns: Columns,
    rows: list[int],
    language: str,
    config: TranslateConfig,
    models: ModelPool,
    progress: bool,
    sanity: CheckConfig,
) -> None:
    generator = models.get(config.models[language], config.revision, f"translate.models.{language}", config.num_beams)
    documents: list[Paragraphs] = [
        chunk_document(columns["text"][row], language, generator, config.chunk_tokens) for row in rows
    ]
    titles = [chunk_document(columns["title"][row], language, generator, config.chunk_tokens) for row in rows]
    pieces = [chunk for document in documents + titles for paragraph in document for chunk in paragraph]
    owners = [row for row, doc in zip(rows + rows, documents + titles) for paragraph in doc for _ in paragraph]

    def budget(input_tokens: int) -> int:
        return output_budget(input_tokens, config, generator.max_input_tokens)

    with tqdm(total=len(pieces), desc=f"translate {language}", unit="chunk", disable=not progress) as bar:
        outputs = generate_batched(
            generator, pieces, config.max_batch_tokens, budget, progress=bar.update, max_batch_size=config.max_batch_size
        )
    translations = iter(_keep_failed_originals(pieces, outputs, owners, columns["untranslated"], sanity))
    rebuilt = [join_document([[next(translations) for _ in paragraph] for paragraph in doc]) for doc in documents]
    rebuilt_titles = [join_document([[next(translations) for _ in paragraph] for paragraph in t]) for t in titles]
    for row, text_en, title_en in zip(rows, rebuilt, rebuilt_titles):
        columns["text_en"][row] = text_en
        columns["title_en"][row] = title_en
        columns["translated"][row] = True
    log.info("translated %d %s articles (%d chunks) with %s", len(rows), language, len(pieces), generator.location.ref)


def output_budget(input_tokens: int, config: TranslateConfig, model_limit: int) -> int:
    """New tokens allowed for a chunk: enough for any real translation, bounded so a loop ends early."""
    return min(model_limit, math.ceil(input_tokens * config.max_output_ratio) + 8)


def _keep_failed_originals(
    pieces: list[str], outputs: list[str], owners: list[int], notes: list[list[str]], sanity: CheckConfig
) -> list[str]:
    """The outputs, each failed one replaced by its original piece and noted against its article."""
    kept = list(outputs)
    failed = 0
    for index, (piece, output) in enumerate(zip(pieces, outputs)):
        problem = translation_problem(piece, output, sanity)
        if problem:
            kept[index] = piece
            notes[owners[index]].append(untranslated_note(piece, problem))
            failed += 1
    if failed:
        log.warning("%d of %d chunks kept in the original: their translation failed the check", failed, len(pieces))
    return kept
