"""`news-digest eval ...`: the quality measurements of pipeline.eval on reference data."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from pipeline.cli_common import (
    EXTRA_ARGS, PLAIN_HELP, ConfigOption, DeviceOption, SetOption, VerboseOption, config_from_options, fail, setup_logging,
)
from pipeline.config import PipelineConfig
from pipeline.errors import PipelineError

eval_app = typer.Typer(help="Measure output quality on reference data: BLEU/chrF, ROUGE, detection accuracy, boilerplate, story grouping.",
                       no_args_is_help=True, **PLAIN_HELP)
JsonOption = Annotated[Optional[Path], typer.Option("--json", help="Also write the results to this JSON file")]


def _evaluate(ctx: typer.Context, config: Path | None, sets: list[str], device: str | None, verbose: bool,
              json_path: Path | None, measure: Any, tables: Any) -> None:
    """Shared by the eval commands: load the config, measure, write the JSON, print the tables."""
    from pipeline.store.atomic import write_json

    setup_logging(verbose)
    try:
        result = measure(config_from_options(ctx, config, sets, **{"runtime.device": device}))
        if json_path:
            write_json(json_path, result)
    except PipelineError as error:
        fail(error)
    for renderable in tables(result):
        Console().print(renderable, highlight=False, soft_wrap=True)


@eval_app.command("translate", context_settings=EXTRA_ARGS)
def eval_translate_cli(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="SRC", help="Source sentences, one a line")],
    reference: Annotated[Path, typer.Argument(metavar="REF", help="Reference translations, line by line with SRC")],
    lang: Annotated[str, typer.Option("--lang", help="Source language: a key of translate.models")],
    compare_naive: Annotated[bool, typer.Option("--compare-naive", help="Also one line at a time, no chunking")] = False,
    json_path: JsonOption = None,
    config: ConfigOption = None,
    sets: SetOption = [],
    device: DeviceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """BLEU and chrF of the translate stage on line-aligned files (FLORES-200, WMT newstest)."""
    from pipeline.eval.evaluation import evaluate_translation
    from pipeline.eval.report import translation_tables

    def measure(settings: PipelineConfig) -> dict:
        return evaluate_translation(settings, source, reference, lang, compare_naive)

    _evaluate(ctx, config, sets, device, verbose, json_path, measure, translation_tables)


@eval_app.command("summarize", context_settings=EXTRA_ARGS)
def eval_summarize_cli(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.jsonl", help='Lines of {"article": ..., "summary": ...}')],
    json_path: JsonOption = None,
    config: ConfigOption = None,
    sets: SetOption = [],
    device: DeviceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """ROUGE-1/2/L of the summarize stage against reference summaries, and the share that is faithful."""
    from pipeline.eval.evaluation import evaluate_summaries
    from pipeline.eval.report import summary_tables

    def measure(settings: PipelineConfig) -> dict:
        return evaluate_summaries(settings, file)

    _evaluate(ctx, config, sets, device, verbose, json_path, measure, summary_tables)


@eval_app.command("detect", context_settings=EXTRA_ARGS)
def eval_detect_cli(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.tsv", help="Lines of language<TAB>text (header optional)")],
    json_path: JsonOption = None,
    config: ConfigOption = None,
    sets: SetOption = [],
    verbose: VerboseOption = False,
) -> None:
    """Accuracy of the detect stage overall, per language and per length, and its confusions."""
    from pipeline.eval.evaluation import evaluate_detection
    from pipeline.eval.report import detection_tables

    def measure(settings: PipelineConfig) -> dict:
        return evaluate_detection(settings.detect, file)

    _evaluate(ctx, config, sets, None, verbose, json_path, measure, detection_tables)


@eval_app.command("clean", context_settings=EXTRA_ARGS)
def eval_clean_cli(
    ctx: typer.Context,
    pages: Annotated[Path, typer.Argument(metavar="PAGES", help="Folder of NAME.txt (scraped text) and NAME.html pages")],
    gold: Annotated[Path, typer.Argument(metavar="GOLD.json", help="Per NAME: lang, must_contain/must_not_contain or gold_text")],
    json_path: JsonOption = None,
    config: ConfigOption = None,
    sets: SetOption = [],
    verbose: VerboseOption = False,
) -> None:
    """Boilerplate snippets kept and dropped, and token F1, of the clean stage on scraped pages, next to trafilatura's."""
    from pipeline.eval.cleaning import evaluate_cleaning
    from pipeline.eval.report import cleaning_tables

    measure = functools.partial(evaluate_cleaning, pages_dir=pages, gold_path=gold)
    _evaluate(ctx, config, sets, None, verbose, json_path, measure, cleaning_tables)


@eval_app.command("group", context_settings=EXTRA_ARGS)
def eval_group_cli(
    ctx: typer.Context,
    corpus: Annotated[Path, typer.Argument(metavar="CORPUS", help="Folder of articles, as paths.corpus")],
    gold: Annotated[Path, typer.Argument(metavar="GOLD.json", help="Path relative to CORPUS -> story label")],
    translations: Annotated[Optional[Path], typer.Option(
        "--translations", help="English reference texts at DIR/<same relative path>, instead of the translate models"
    )] = None,
    json_path: JsonOption = None,
    config: ConfigOption = None,
    sets: SetOption = [],
    device: DeviceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Stories found against gold stories: pairwise and B-cubed precision/recall/F1, wrong merges, per language."""
    from pipeline.eval.grouping import evaluate_grouping
    from pipeline.eval.report import grouping_tables

    measure = functools.partial(evaluate_grouping, corpus=corpus, gold_path=gold, translations=translations)

    _evaluate(ctx, config, sets, device, verbose, json_path, measure, grouping_tables)
