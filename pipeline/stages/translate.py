"""translate: every non-English article and its title into English with one MarianMT model per source
language. Sentences are packed into chunks under the model's limit, chunks of all articles of a language
are batched by length, and the translation is put back together paragraph by paragraph.
"""
from __future__ import annotations

import logging
import math
from typing import Any

from datasets import Dataset
from tqdm.auto import tqdm

from pipeline.chunking import Paragraphs, chunk_document, generate_batched, join_document
from pipeline.config import TranslateConfig
from pipeline.models import ModelPool
from pipeline.stages import STATUS_OK, STATUS_SKIPPED

log = logging.getLogger(__name__)

Columns = dict[str, list[Any]]


def translate(articles: Dataset, config: TranslateConfig, models: ModelPool, progress: bool = False) -> Dataset:
    """Add title_en, text_en and translated; articles in a language without a model become skipped."""
    return articles.map(
        _translate_columns,
        batched=True,
        batch_size=None,
        keep_in_memory=True,
        fn_kwargs={"config": config, "models": models, "progress": progress},
    )


def _translate_columns(columns: Columns, config: TranslateConfig, models: ModelPool, progress: bool) -> Columns:
    size = len(columns["id"])
    columns["title_en"] = [""] * size
    columns["text_en"] = [""] * size
    columns["translated"] = [False] * size
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
        _translate_rows(columns, rows, language, config, models, progress)
    return columns


def _translate_rows(
    columns: Columns, rows: list[int], language: str, config: TranslateConfig, models: ModelPool, progress: bool
) -> None:
    generator = models.get(config.models[language], config.revision, f"translate.models.{language}", config.num_beams)
    documents: list[Paragraphs] = [
        chunk_document(columns["text"][row], language, generator, config.chunk_tokens) for row in rows
    ]
    titles = [chunk_document(columns["title"][row], language, generator, config.chunk_tokens) for row in rows]
    pieces = [chunk for document in documents + titles for paragraph in document for chunk in paragraph]
    output_cap = generator.max_input_tokens

    def output_budget(input_tokens: int) -> int:
        return min(output_cap, math.ceil(input_tokens * config.max_output_ratio) + 8)

    with tqdm(total=len(pieces), desc=f"translate {language}", unit="chunk", disable=not progress) as bar:
        translations = iter(
            generate_batched(generator, pieces, config.max_batch_tokens, output_budget, progress=bar.update)
        )
    rebuilt = [join_document([[next(translations) for _ in paragraph] for paragraph in doc]) for doc in documents]
    rebuilt_titles = [join_document([[next(translations) for _ in paragraph] for paragraph in t]) for t in titles]
    for row, text_en, title_en in zip(rows, rebuilt, rebuilt_titles):
        columns["text_en"][row] = text_en
        columns["title_en"][row] = title_en
        columns["translated"][row] = True
    log.info("translated %d %s articles (%d chunks) with %s", len(rows), language, len(pieces), generator.location.ref)
