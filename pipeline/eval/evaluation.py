"""Output quality measured on reference data, the plain functions behind `news-digest eval`:

- translation: BLEU and chrF (sacrebleu) of the translate stage itself on parallel files, one sentence
  a line as FLORES-200 and WMT newstest ship them; optionally against translating one line at a time;
- summaries: ROUGE-1/2/L (rouge-score, stemmed) of the summarize stage against reference summaries, and
  the share of generated summaries that pass the faithfulness check of pipeline.quality;
- language detection: accuracy of the detect stage overall, per language, per length, and its confusions.

Each returns a JSON-able dict; pipeline.eval_report turns it into tables.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from statistics import fmean
from typing import Any, Sequence

from datasets import Dataset

from pipeline.config import DetectConfig, PipelineConfig, TranslateConfig
from pipeline.errors import ConfigError, InputFileError, PipelineError
from pipeline.models.generators import Seq2SeqGenerator
from pipeline.models.pool import ModelPool, open_pool
from pipeline.models.summarizer import summarize_articles
from pipeline.records import STATUS_OK
from pipeline.stages.translate import output_budget, translate
from pipeline.text.language import build_detector, detect_language
from pipeline.text.quality import faithfulness_flags

# Lines per document handed to the translate stage: about a news article of one-sentence paragraphs.
# Chunks of all documents are batched together, so this shapes the input, never the scores.
LINES_PER_DOCUMENT = 10
BUCKETS = ("<40", "40-200", ">200")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
TSV_HEADER = "language\ttext"


def bucket_of(text: str) -> str:
    """Length bucket in characters: short texts (headlines) are where detectors differ."""
    if len(text) < 40:
        return "<40"
    return "40-200" if len(text) <= 200 else ">200"


def read_lines(path: Path) -> list[str]:
    """One sentence a line; an empty line would break the alignment with the other file, so it is refused."""
    lines = _read_text(path).splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise InputFileError(str(path), f"line {number} is empty", "give one sentence on every line")
    if not lines:
        raise InputFileError(str(path), "no lines")
    return [line.strip() for line in lines]


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """(language, text) pairs from language<TAB>text lines; a first line `language<TAB>text` is a header."""
    lines = _read_text(path).splitlines()
    header = 1 if lines and lines[0].strip() == TSV_HEADER else 0
    pairs = []
    for number, line in enumerate(lines[header:], start=1 + header):
        language, tab, text = line.partition("\t")
        if not tab or not language.strip() or not text.strip():
            raise InputFileError(str(path), f"line {number} is not language<TAB>text", "fix or remove that line")
        pairs.append((language.strip(), text.strip()))
    if not pairs:
        raise InputFileError(str(path), "no labelled lines")
    return pairs


def read_summary_pairs(path: Path) -> list[tuple[str, str]]:
    """(article, reference summary) pairs from JSON lines {"article": ..., "summary": ...}."""
    pairs = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputFileError(str(path), f"line {number} is not JSON ({error.msg})") from None
        if not isinstance(record, dict) or not all(isinstance(record.get(key), str) for key in ("article", "summary")):
            raise InputFileError(str(path), f"line {number} lacks the string fields 'article' and 'summary'")
        pairs.append((record["article"], record["summary"]))
    if not pairs:
        raise InputFileError(str(path), "no JSON lines")
    return pairs


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(str(path), "file not found") from None
    except (UnicodeDecodeError, IsADirectoryError) as error:
        raise InputFileError(str(path), f"not a UTF-8 text file ({type(error).__name__})") from None


def translate_lines(
    lines: Sequence[str], language: str, config: PipelineConfig, models: ModelPool
) -> tuple[list[str], int]:
    """Translate with the translate stage, one hypothesis per line, and count passages kept in the original.

    Each line is a paragraph of its own inside documents of LINES_PER_DOCUMENT lines: the stage splits,
    chunks and batches as it does for articles and rebuilds paragraph by paragraph, so the n-th paragraph
    of a document's translation is the n-th line's. That count is verified, never assumed.
    """
    groups = [list(lines[start : start + LINES_PER_DOCUMENT]) for start in range(0, len(lines), LINES_PER_DOCUMENT)]
    rows = [
        {"id": f"doc{index}", "path": f"doc{index}", "status": STATUS_OK, "problem": "", "title": "",
         "text": "\n\n".join(group), "language": language}
        for index, group in enumerate(groups)
    ]
    translated = translate(Dataset.from_list(rows), config.translate, models, sanity=config.check).to_list()
    hypotheses: list[str] = []
    for index, (row, group) in enumerate(zip(translated, groups)):
        paragraphs = row["text_en"].split("\n\n")
        if len(paragraphs) != len(group):
            raise PipelineError(
                f"alignment lost: document {index} had {len(group)} lines but its translation "
                f"{len(paragraphs)} paragraphs (lines {index * LINES_PER_DOCUMENT + 1}-"
                f"{index * LINES_PER_DOCUMENT + len(group)})"
            )
        hypotheses.extend(paragraph.strip() for paragraph in paragraphs)
    return hypotheses, sum(len(row["untranslated"]) for row in translated)


def translate_naively(lines: Sequence[str], generator: Seq2SeqGenerator, config: TranslateConfig) -> list[str]:
    """The baseline a first script would be: each line alone through tokenizer + generate, without the
    stage's sentence splitting, packing, batching and sanity fallback. Same beams and output budget as
    the stage, so that the difference is down to those steps alone."""
    return [
        generator.generate([line], max_new_tokens=output_budget(count, config, generator.max_input_tokens))[0].strip()
        for line, count in zip(lines, generator.count_tokens(list(lines)))
    ]


def score_translation(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, Any]:
    """Corpus BLEU and chrF, with sacrebleu's signatures so that the numbers can be compared elsewhere."""
    from sacrebleu.metrics import BLEU, CHRF

    bleu, chrf = BLEU(), CHRF()
    return {
        "bleu": round(bleu.corpus_score(list(hypotheses), [list(references)]).score, 2),
        "chrf": round(chrf.corpus_score(list(hypotheses), [list(references)]).score, 2),
        "signatures": {"bleu": str(bleu.get_signature()), "chrf": str(chrf.get_signature())},
    }


def evaluate_translation(
    config: PipelineConfig, source: Path, reference: Path, language: str, compare_naive: bool = False
) -> dict[str, Any]:
    """Score the translate stage (and with `compare_naive` the one-line-at-a-time baseline) on SRC/REF."""
    if language not in config.translate.models:
        raise ConfigError("eval translate", f"translate.models.{language}", "no model for this language",
                          f"configure one or pass --lang {' or '.join(sorted(config.translate.models))}")
    sources, references = read_lines(source), read_lines(reference)
    if len(sources) != len(references):
        raise InputFileError(str(reference), f"{len(references)} lines, but {source} has {len(sources)}",
                             "give line-aligned files")
    result: dict[str, Any] = {"source": str(source), "reference": str(reference), "language": language,
                              "lines": len(sources), "model": config.translate.models[language], "systems": {}}
    with open_pool(config, "translate") as models:
        # Loaded before the clock starts, so that both timings are of translation alone.
        generator = models.get(config.translate.models[language], config.translate.revision,
                               f"translate.models.{language}", config.translate.num_beams)
        started = time.perf_counter()
        hypotheses, untranslated = translate_lines(sources, language, config, models)
        result["systems"]["pipeline"] = {**score_translation(hypotheses, references), "untranslated": untranslated,
                                         "seconds": round(time.perf_counter() - started, 2)}
        if compare_naive:
            started = time.perf_counter()
            naive = translate_naively(sources, generator, config.translate)
            result["systems"]["naive"] = {**score_translation(naive, references),
                                          "seconds": round(time.perf_counter() - started, 2)}
    if compare_naive:
        pipeline, naive_scores = result["systems"]["pipeline"], result["systems"]["naive"]
        result["difference"] = {key: round(pipeline[key] - naive_scores[key], 2) for key in ("bleu", "chrf")}
    return result


def score_summaries(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE F1 over the pairs, with Porter stemming as in the CNN/DailyMail literature."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    scores = [scorer.score(reference, prediction) for prediction, reference in zip(predictions, references)]
    return {kind: round(fmean(score[kind].fmeasure for score in scores), 4) for kind in ROUGE_TYPES}


def evaluate_summaries(config: PipelineConfig, path: Path) -> dict[str, Any]:
    """ROUGE of the summarize stage's summaries against the references in `path`, and their faithfulness."""
    pairs = read_summary_pairs(path)
    articles, references = [article for article, _ in pairs], [summary for _, summary in pairs]
    settings = config.summarize
    with open_pool(config, "summarize") as models:
        generator = models.get(settings.model, settings.revision, "summarize.model", settings.num_beams)
        started = time.perf_counter()
        # The pairs have no titles: the lead policy reads the first sentences only.
        generated = summarize_articles([""] * len(articles), articles, generator, settings)
        seconds = round(time.perf_counter() - started, 2)
    flags = [faithfulness_flags(summary, (article,)) for summary, article in zip(generated, articles)]
    reference_flags = [faithfulness_flags(summary, (article,)) for summary, article in zip(references, articles)]
    return {
        "file": str(path), "pairs": len(pairs), "model": settings.model, "seconds": seconds,
        **score_summaries(generated, references),
        "faithful_share": round(sum(not found for found in flags) / len(pairs), 4),
        # The same check on the human references: how strict the check is on this data.
        "reference_faithful_share": round(sum(not found for found in reference_flags) / len(pairs), 4),
        "unfaithful": [{"line": index + 1, "summary": generated[index], "flags": found}
                       for index, found in enumerate(flags) if found],
    }


def evaluate_detection(config: DetectConfig, path: Path) -> dict[str, Any]:
    """Accuracy of the detect stage's decision (detect_language) on labelled texts."""
    labelled = read_labelled(path)
    detector = build_detector(config)
    predictions = [detect_language(text, detector).language for _, text in labelled]
    return {"file": str(path), "languages": list(config.languages), **detection_report(labelled, predictions)}


def detection_report(labelled: Sequence[tuple[str, str]], predictions: Sequence[str]) -> dict[str, Any]:
    """Accuracy overall, per gold language and per length bucket, and the (gold, predicted) confusions."""
    by_language: dict[str, list[bool]] = {}
    by_bucket: dict[str, list[bool]] = {bucket: [] for bucket in BUCKETS}
    confusions: Counter[tuple[str, str]] = Counter()
    for (gold, text), predicted in zip(labelled, predictions):
        by_language.setdefault(gold, []).append(predicted == gold)
        by_bucket[bucket_of(text)].append(predicted == gold)
        if predicted != gold:
            confusions[gold, predicted] += 1
    outcomes = [predicted == gold for (gold, _), predicted in zip(labelled, predictions)]
    return {
        "texts": len(outcomes),
        "accuracy": _accuracy(outcomes),
        "per_language": {language: _accuracy(found) for language, found in sorted(by_language.items())},
        "per_bucket": {bucket: _accuracy(found) for bucket, found in by_bucket.items()},
        "confusions": [{"gold": gold, "predicted": predicted, "count": count}
                       for (gold, predicted), count in confusions.most_common()],
    }


def _accuracy(outcomes: Sequence[bool]) -> dict[str, Any]:
    return {"texts": len(outcomes), "correct": sum(outcomes),
            "accuracy": round(sum(outcomes) / len(outcomes), 4) if outcomes else None}
