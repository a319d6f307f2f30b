"""The command line: parse options, load the config, call the runner, report. No model code here.

Any config key can be overridden with `--set section.key=value` or spaCy-style `--section.key value`.
"""
from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from pipeline.config import DEFAULT_CONFIG_PATH, PipelineConfig, load_config, parse_override
from pipeline.errors import (
    ArticlesFailedError, ConfigError, MachineError, ModelFolderError, ModelNotFoundError, PipelineError, UsageError,
)
from pipeline.records import STATUS_FAILED
from pipeline.runner import STAGE_NAMES, configured_models, run_pipeline
from pipeline.store.selection import Selection, parse_since

# Plain help: typer's rich help shows a "<bool>" type next to every flag.
PLAIN_HELP = {"rich_markup_mode": None}
app = typer.Typer(help="Multilingual news digest: ingest, clean, detect, translate, summarize, merge.", no_args_is_help=True,
                  **PLAIN_HELP)
console = Console(stderr=True)
EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}

ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config (default: the packaged configs/default.yaml)")]
SetOption = Annotated[list[str], typer.Option("--set", metavar="KEY=VALUE", help="Override a config key: section.key=value (repeatable)")]
DeviceOption = Annotated[Optional[str], typer.Option(help="auto | cpu | cuda (runtime.device)")]
CorpusOption = Annotated[Optional[Path], typer.Option(help="Corpus folder (paths.corpus)")]
WorkDirOption = Annotated[Optional[Path], typer.Option("--work-dir", help="Output folder (paths.work_dir)")]
RunIdOption = Annotated[Optional[str], typer.Option("--run", help="Run id under <work_dir>/runs (default: newest)")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log every step")]
ONLY_NEW_HELP = "Digest of the articles new or changed since the last completed run"
SINCE_HELP = "Digest of the articles first seen since DATE (YYYY-MM-DD[THH:MM], local time)"


# Config keys set by a shortcut option, by that option's name (the others are --<key>).
OPTION_NAMES = {"runtime.device": "device", "paths.corpus": "corpus", "paths.work_dir": "work-dir",
                "engine.name": "engine", "engine.address": "address"}


def _extra_overrides(args: list[str]) -> dict[str, Any]:
    """`--translate.num_beams 1` and `--translate.num_beams=1`, as spaCy accepts them."""
    overrides: dict[str, Any] = {}
    queue = list(args)
    while queue:
        flag = queue.pop(0)
        if not flag.startswith("--") or "." not in flag:
            raise ConfigError("command line", flag, "unexpected argument", "write overrides as --section.key value")
        if "=" not in flag:
            if not queue:
                raise ConfigError("command line", flag[2:], "missing value")
            flag = f"{flag}={queue.pop(0)}"
        key, value = parse_override(flag[2:])
        overrides[key] = value
    return overrides


def _load(ctx: typer.Context, config: Path | None, sets: list[str], **named: Any) -> PipelineConfig:
    overrides = dict(parse_override(item) for item in sets)
    sources = {key: f"--set {key}" for key in overrides}
    extra = _extra_overrides(ctx.args)
    overrides.update(extra)
    sources.update({key: f"--{key}" for key in extra})
    given = {key: str(value) if isinstance(value, Path) else value for key, value in named.items() if value is not None}
    overrides.update(given)
    sources.update({key: f"--{OPTION_NAMES.get(key, key)}" for key in given})
    return load_config(config, overrides, sources)


def _setup_logging(verbose: bool) -> None:
    import datasets
    import transformers

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # The libraries' own bars (weights loading, dataset saving) would bury the per-stage progress.
    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    if not verbose:
        # Token-count warnings come from measuring long texts on purpose before they are split.
        transformers.utils.logging.set_verbosity_error()


def _fail(error: PipelineError) -> None:
    console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(error.exit_code)


def _fail_machine(error: OSError, verbose: bool) -> None:
    """A full disk or a missing or unwritable folder: one line with the path and the fix; the traceback with -v."""
    if verbose:
        console.print("".join(traceback.format_exception(error)), highlight=False, markup=False, soft_wrap=True)
    _fail(MachineError(error))


def _report(run_id: str, manifest: dict) -> None:
    previous = manifest.get("previous_run") or {}
    if previous.get("status") not in (None, "completed"):
        line = f"the previous run {previous['run_id']} {previous['status']}: {previous.get('error', 'no error recorded')}"
        console.print(line, highlight=False, soft_wrap=True)
    stages = Table(title=f"run {run_id}")
    for column in ("stage", "articles", "computed", "from cache", "seconds"):
        stages.add_column(column)
    for name, report in manifest.get("stages", {}).items():
        stages.add_row(name, *(str(report.get(key, "")) for key in ("articles", "computed", "from_cache", "seconds")))
    console.print(stages)
    for error in manifest.get("errors", []):
        console.print(f"{error['status']}: {error['path']}: {error['problem']}", highlight=False, soft_wrap=True)
    outcome = Counter(error["status"] for error in manifest.get("errors", []))
    articles = manifest.get("stages", {}).get("ingest", {}).get("articles")
    if articles is not None and "errors" in manifest:
        ok = articles - sum(outcome.values())
        line = f"run {run_id}: {articles} articles, {ok} ok, {outcome['failed']} failed, {outcome['skipped']} skipped"
        console.print(line, highlight=False, soft_wrap=True)
    files = manifest.get("stages", {}).get("merge", {}).get("files", [])
    if files:
        console.print("digest: " + ", ".join(files[len(files) // 2 :]), highlight=False, soft_wrap=True)
    chosen = manifest.get("selection") or {}
    if chosen.get("mode", "all") != "all":
        line = f"covers {chosen['covers']}: {chosen['articles']} of {chosen['corpus_articles']} articles"
        console.print(line, highlight=False, soft_wrap=True)


def _execute(
    config: PipelineConfig, stages: tuple[str, ...], run_id: str | None = None, wait: bool = False,
    selection: Selection | None = None, allow_empty: bool = False, verbose: bool = False,
) -> None:
    try:
        run = run_pipeline(config, stages, run_id=run_id, wait=wait, selection=selection, allow_empty=allow_empty)
    except PipelineError as error:
        if verbose and error.__cause__ is not None:  # a library's error behind ours (SQLite): its traceback
            console.print("".join(traceback.format_exception(error.__cause__)), highlight=False, markup=False, soft_wrap=True)
        _fail(error)
    except OSError as error:
        _fail_machine(error, verbose)
    manifest = run.read_manifest()
    _report(run.run_id, manifest)
    failed = sum(error["status"] == STATUS_FAILED for error in manifest.get("errors", []))
    if failed > config.runtime.max_failed_articles:
        _fail(ArticlesFailedError(failed, config.runtime.max_failed_articles))


@app.command(context_settings=EXTRA_ARGS)
def run(
    ctx: typer.Context,
    config: ConfigOption = None,
    sets: SetOption = [],
    device: DeviceOption = None,
    corpus: CorpusOption = None,
    work_dir: WorkDirOption = None,
    wait: Annotated[bool, typer.Option(help="Wait for a run already holding the work folder")] = False,
    engine: Annotated[Optional[str], typer.Option(help="local | ray (engine.name)")] = None,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster to join, e.g. auto or HEAD_IP:6379 (engine.address)")] = None,
    only_new: Annotated[bool, typer.Option("--only-new", help=ONLY_NEW_HELP)] = False,
    since: Annotated[Optional[str], typer.Option(metavar="DATE", help=SINCE_HELP)] = None,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Write an empty digest when the corpus has no article")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run every stage on the corpus and write the digest."""
    _setup_logging(verbose)
    try:
        named = {"runtime.device": device, "paths.corpus": corpus, "paths.work_dir": work_dir}
        settings = _load(ctx, config, sets, **named, **{"engine.name": engine, "engine.address": address})
        selection = Selection(only_new=only_new, since=parse_since(since) if since else None)
    except PipelineError as error:
        _fail(error)
    _execute(settings, STAGE_NAMES, wait=wait, selection=selection, allow_empty=allow_empty, verbose=verbose)


STARTER_HEADER = """\
# news-digest config, written by `news-digest init`. Run `news-digest run -c config.yaml` in this folder:
# relative paths (corpus, outputs) are relative to the folder you run it in. Every key is listed below
# with its default value; change what you need, or delete a key to keep its default.

"""


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(metavar="[DIR]", help="Folder to set up (default: the current one)")] = Path("."),
) -> None:
    """Write a starter config.yaml (every key, with its default and a comment) and an empty corpus/ folder."""
    from pipeline.store.atomic import write_text

    target = folder / "config.yaml"
    try:
        if target.exists():
            _fail(UsageError("init", f"{target} already exists", "edit it, or init another folder"))
        (folder / "corpus").mkdir(parents=True, exist_ok=True)
        write_text(target, STARTER_HEADER + DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    except OSError as error:
        _fail_machine(error, verbose=False)
    Console().print(
        f"wrote {target} and {folder / 'corpus'}/. Next: put articles in {folder / 'corpus'}/, then "
        f"`news-digest run -c config.yaml` in {folder}", highlight=False, soft_wrap=True,
    )


def _register_stage_command(name: str) -> None:
    def command(
        ctx: typer.Context,
        config: ConfigOption = None,
        sets: SetOption = [],
        device: DeviceOption = None,
        corpus: CorpusOption = None,
        work_dir: WorkDirOption = None,
        run_id: RunIdOption = None,
        verbose: VerboseOption = False,
    ) -> None:
        _setup_logging(verbose)
        try:
            settings = _load(ctx, config, sets, **{"runtime.device": device, "paths.corpus": corpus, "paths.work_dir": work_dir})
        except PipelineError as error:
            _fail(error)
        _execute(settings, (name,), run_id=run_id, verbose=verbose)

    first = "Start a new run: read the corpus into" if name == "ingest" else "Run the stage on the previous stage's table in"
    command.__doc__ = f"{first} a run folder ({name} only)."
    app.command(name=name, context_settings=EXTRA_ARGS)(command)


for _stage in STAGE_NAMES:
    _register_stage_command(_stage)


models_app = typer.Typer(help="The configured models: where each resolves (`models`, `models list`), and "
                         "converting them for the ctranslate2 backend (`models convert`).", **PLAIN_HELP)
app.add_typer(models_app, name="models")


@models_app.callback(invoke_without_command=True)
def models_default(ctx: typer.Context, config: ConfigOption = None, sets: SetOption = []) -> None:
    """`news-digest models` alone lists, as `models list` does."""
    if ctx.invoked_subcommand is None:
        list_models(ctx, config, sets)


@models_app.command(name="list", context_settings=EXTRA_ARGS)
def list_models(ctx: typer.Context, config: ConfigOption = None, sets: SetOption = []) -> None:
    """List the configured models, where each one resolves, the backend that will run it (and whether its
    CTranslate2 conversion is cached), and how to get a missing one onto an offline machine."""
    from pipeline.models.location import locate_model
    from pipeline.models.pool import describe_backend

    try:
        settings = _load(ctx, config, sets)
    except PipelineError as error:
        _fail(error)
    table = Table()
    for column in ("config key", "model", "found in", "revision / fix"):
        table.add_column(column, overflow="fold")
    backends = Table()
    for column in ("config key", "runs on"):
        backends.add_column(column, overflow="fold")
    missing = False
    for key, (ref, revision) in configured_models(settings).items():
        try:
            location = locate_model(ref, revision, key, download=False)
            table.add_row(key, ref, f"{location.source}: {location.path}", location.revision)
            backends.add_row(key, describe_backend(settings, key, location))
        except ModelFolderError as error:
            missing = True
            table.add_row(key, ref, "[red]missing[/]", error.detail)
        except PipelineError:
            missing = True
            table.add_row(key, ref, "[red]missing[/]", f"hf download {ref}" + (f" --revision {revision}" if revision else ""))
    Console().print(table)
    Console().print(backends)
    if missing:
        console.print(
            "Missing models: download them on a machine with internet (`hf download MODEL`), copy "
            "~/.cache/huggingface to this machine and set HF_HUB_OFFLINE=1, or point the config key at a "
            "local folder made with save_pretrained.",
            soft_wrap=True,
        )
        raise typer.Exit(ModelNotFoundError.exit_code)


@models_app.command(name="convert", context_settings=EXTRA_ARGS)
def convert_models_cli(ctx: typer.Context, config: ConfigOption = None, sets: SetOption = [], verbose: VerboseOption = False) -> None:
    """Convert the configured models for the ctranslate2 backend, once, into <cache_dir>/ct2/."""
    from pipeline.models.ct2 import convert_models

    _setup_logging(verbose)
    try:
        settings = _load(ctx, config, sets)
        folders = convert_models(configured_models(settings), settings)
    except PipelineError as error:
        _fail(error)
    table = Table()
    for column in ("config key", "converted model"):
        table.add_column(column, overflow="fold")
    for key, folder in folders.items():
        table.add_row(key, str(folder))
    Console().print(table)


eval_app = typer.Typer(help="Measure output quality on reference data: BLEU/chrF, ROUGE, detection accuracy, boilerplate, story grouping.",
                       no_args_is_help=True, **PLAIN_HELP)
app.add_typer(eval_app, name="eval")
JsonOption = Annotated[Optional[Path], typer.Option("--json", help="Also write the results to this JSON file")]


def _evaluate(ctx: typer.Context, config: Path | None, sets: list[str], device: str | None, verbose: bool,
              json_path: Path | None, measure: Any, tables: Any) -> None:
    """Shared by the eval commands: load the config, measure, write the JSON, print the tables."""
    from pipeline.store.atomic import write_json

    _setup_logging(verbose)
    try:
        result = measure(_load(ctx, config, sets, **{"runtime.device": device}))
        if json_path:
            write_json(json_path, result)
    except PipelineError as error:
        _fail(error)
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


cache_app = typer.Typer(help="Inspect and prune the per-article result cache (<cache_dir>/stages.sqlite).", no_args_is_help=True, **PLAIN_HELP)
app.add_typer(cache_app, name="cache")


@cache_app.command("info", context_settings=EXTRA_ARGS)
def cache_info_cli(ctx: typer.Context, config: ConfigOption = None, sets: SetOption = [], work_dir: WorkDirOption = None) -> None:
    """Where the cache is, its size, and entries, bytes, oldest entry and last use per stage."""
    from pipeline.store.cache import cache_info

    try:
        info = cache_info(_load(ctx, config, sets, **{"paths.work_dir": work_dir}))
    except PipelineError as error:
        _fail(error)
    if not info["exists"]:
        Console().print(f"no cache yet at {info['path']} (the first run creates it)", highlight=False, soft_wrap=True)
        return
    table = Table(title=f"{info['path']}: {info['file_bytes']:,} bytes, {info['articles_seen']:,} articles seen")
    for column in ("stage", "entries", "bytes", "oldest", "last used"):
        table.add_column(column)
    for stage, row in info["stages"].items():
        table.add_row(stage, f"{row['entries']:,}", f"{row['bytes']:,}", row["oldest"], row["last_used"])
    Console().print(table)


@cache_app.command("prune", context_settings=EXTRA_ARGS)
def cache_prune_cli(
    ctx: typer.Context,
    unused_days: Annotated[Optional[float], typer.Option("--unused-days", metavar="N", help="Remove results unused for N days")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Remove every stage result (first-seen dates stay)")] = False,
    config: ConfigOption = None,
    sets: SetOption = [],
    work_dir: WorkDirOption = None,
) -> None:
    """Remove old results from the cache; a later run recomputes whatever it needs."""
    from pipeline.store.cache import prune_cache

    try:
        done = prune_cache(_load(ctx, config, sets, **{"paths.work_dir": work_dir}), unused_days, everything)
    except PipelineError as error:
        _fail(error)
    removed = done["removed"]
    Console().print(
        f"{done['path']}: removed {removed['results']:,} results and {removed['articles']:,} first-seen records, "
        f"{done['bytes_before']:,} -> {done['file_bytes']:,} bytes", highlight=False, soft_wrap=True,
    )
