"""Detect stage: tag each article with its language (ISO 639-1) and how sure the model is.

The model is py3langid (a naive-Bayes byte n-gram model over 140 languages, 4.5 MB, offline); it won
the comparison in bench/lid_accuracy.py. Decisions, each measured there or in tests/test_detect.py:

- The article is split into sentence-sized chunks and their probability distributions are averaged,
  weighted by each chunk's letter count, so an English quote inside a German article only adds its
  own share of English instead of swinging the whole article.
- Every chunk is scored against all languages once. The answer is then restricted to
  `config.languages` by renormalising over them (per chunk the same as py3langid's `set_languages`),
  which is what makes short headlines work; the full distribution is kept to notice articles that are
  clearly in another language (Swedish, Afrikaans...), which a restricted model would confidently
  call German or Dutch.
- Outcomes: a configured language; "und" with status skipped and the problem "language not supported
  (sv)" when the text is confidently in a language outside `config.languages`; "und" with status
  skipped when even the best configured language is below `config.min_confidence`.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import datasets

from pipeline.config import DetectConfig
from pipeline.records import STATUS_OK, STATUS_SKIPPED, title_and_text
from pipeline.text.language import (
    UNDETERMINED,
    Detection,
    LanguageDetector,
    build_detector,
    detect_language,
)

logger = logging.getLogger(__name__)

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 2


def _undetermined_problem(found: Detection) -> str:
    if found.best_guess == UNDETERMINED:
        return "language could not be determined (no words in title or text)"
    return (
        f"language could not be determined (best guess {found.best_guess}, confidence {found.confidence:.2f})"
    )


def _detect_batch(
    batch: dict[str, list[Any]], detector: LanguageDetector, tally: Counter[str]
) -> dict[str, list[Any]]:
    languages: list[str] = []
    confidences: list[float] = []
    statuses = list(batch["status"])
    problems = list(batch["problem"]) if "problem" in batch else [""] * len(statuses)
    for index, status in enumerate(statuses):
        if status != STATUS_OK:
            languages.append(UNDETERMINED)
            confidences.append(0.0)
            continue
        found = detect_language(title_and_text(batch["title"][index], batch["text"][index]), detector)
        languages.append(found.language)
        confidences.append(found.confidence)
        uncertain = found.confidence < detector.min_confidence
        if uncertain or found.language == UNDETERMINED:
            statuses[index] = STATUS_SKIPPED
            problems[index] = (
                _undetermined_problem(found) if uncertain
                else f"language not supported ({found.best_guess}): not one of detect.languages"
            )
            logger.debug("detect: %s skipped: %s", batch["id"][index], problems[index])
            tally["skipped"] += 1
        else:
            tally[found.language] += 1
    return {
        "language": languages, "language_confidence": confidences, "status": statuses, "problem": problems,
    }


def detect(articles: datasets.Dataset, config: DetectConfig) -> datasets.Dataset:
    """Add `language` and `language_confidence`; rows whose language is too uncertain become skipped."""
    detector = build_detector(config)
    tally: Counter[str] = Counter()
    features = articles.features.copy()
    features["language"] = datasets.Value("string")
    features["language_confidence"] = datasets.Value("float64")
    features["problem"] = datasets.Value("string")
    detected = articles.map(
        _detect_batch,
        batched=True,
        fn_kwargs={"detector": detector, "tally": tally},
        features=features,
        # The run folders are the pipeline's cache; a datasets cache keyed on a pickled model is not.
        load_from_cache_file=False,
        desc="detect",
    )
    summary = ", ".join(f"{key}: {count}" for key, count in sorted(tally.items()))
    logger.info("detect: %s", summary or "no ok rows")
    return detected
