"""The command line: parse options, load the config, call the runner, report. No model code here.

Any config key can be overridden with `--set section.key=value` or spaCy-style `--section.key value`.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli_common import (
    EXTRA_ARGS, PLAIN_HELP, ConfigOption, DeviceOption, SetOption, VerboseOption, config_from_options, console, fail,
    fail_machine, print_traceback, setup_logging,
)
from pipeline.cli_eval import eval_app
from pipeline.config import DEFAULT_CONFIG_PATH, PipelineConfig
from pipeline.errors import (
    ArticlesFailedError, ModelFolderError, ModelNotFoundError, PipelineError, UsageError,
)
from pipeline.records import STATUS_FAILED
from pipeline.runner import STAGE_NAMES, configured_models, run_pipeline
from pipeline.store.selection import Selection, parse_since

app = typer.Typer(help="Multilingual news digest: ingest, clean, detect, translate, summarize, merge.", no_args_is_help=True,
                  **PLAIN_HELP)
CorpusOption = Annotated[Optional[Path], typer.Option(help="Corpus folder (paths.corpus)")]
WorkDirOption = Annotated[Optional[Path], typer.Option("--work-dir", help="Output folder (paths.work_dir)")]
RunIdOption = Annotated[Optional[str], typer.Option("--run", help="Run id under <work_dir>/runs (default: newest)")]
ONLY_NEW_HELP = "Digest of the articles new or changed since the last completed run"
SINCE_HELP = "Digest of the articles first seen since DATE (YYYY-MM-DD[THH:MM], local time)"


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
            print_traceback(error.__cause__)
        fail(error)
    except OSError as error:
        fail_machine(error, verbose)
    manifest = run.read_manifest()
    _report(run.run_id, manifest)
    failed = sum(error["status"] == STATUS_FAILED for error in manifest.get("errors", []))
    if failed > config.runtime.max_failed_articles:
        fail(ArticlesFailedError(failed, config.runtime.max_failed_articles))


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
    setup_logging(verbose)
    try:
        named = {"runtime.device": device, "paths.corpus": corpus, "paths.work_dir": work_dir}
        settings = config_from_options(ctx, config, sets, **named, **{"engine.name": engine, "engine.address": address})
        selection = Selection(only_new=only_new, since=parse_since(since) if since else None)
    except PipelineError as error:
        fail(error)
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
            fail(UsageError("init", f"{target} already exists", "edit it, or init another folder"))
        (folder / "corpus").mkdir(parents=True, exist_ok=True)
        write_text(target, STARTER_HEADER + DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    except OSError as error:
        fail_machine(error, verbose=False)
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
        setup_logging(verbose)
        try:
            settings = config_from_options(ctx, config, sets, **{"runtime.device": device, "paths.corpus": corpus, "paths.work_dir": work_dir})
        except PipelineError as error:
            fail(error)
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
        settings = config_from_options(ctx, config, sets)
    except PipelineError as error:
        fail(error)
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

    setup_logging(verbose)
    try:
        settings = config_from_options(ctx, config, sets)
        folders = convert_models(configured_models(settings), settings)
    except PipelineError as error:
        fail(error)
    table = Table()
    for column in ("config key", "converted model"):
        table.add_column(column, overflow="fold")
    for key, folder in folders.items():
        table.add_row(key, str(folder))
    Console().print(table)


app.add_typer(eval_app, name="eval")


cache_app = typer.Typer(help="Inspect and prune the per-article result cache (<cache_dir>/stages.sqlite).", no_args_is_help=True, **PLAIN_HELP)
app.add_typer(cache_app, name="cache")


@cache_app.command("info", context_settings=EXTRA_ARGS)
def cache_info_cli(ctx: typer.Context, config: ConfigOption = None, sets: SetOption = [], work_dir: WorkDirOption = None) -> None:
    """Where the cache is, its size, and entries, bytes, oldest entry and last use per stage."""
    from pipeline.store.cache import cache_info

    try:
        info = cache_info(config_from_options(ctx, config, sets, **{"paths.work_dir": work_dir}))
    except PipelineError as error:
        fail(error)
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
        done = prune_cache(config_from_options(ctx, config, sets, **{"paths.work_dir": work_dir}), unused_days, everything)
    except PipelineError as error:
        fail(error)
    removed = done["removed"]
    Console().print(
        f"{done['path']}: removed {removed['results']:,} results and {removed['articles']:,} first-seen records, "
        f"{done['bytes_before']:,} -> {done['file_bytes']:,} bytes", highlight=False, soft_wrap=True,
    )
