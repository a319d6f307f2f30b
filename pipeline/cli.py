"""The command line: parse options, load the config, call the runner, report. No model code here.

Any config key can be overridden with `--set section.key=value` or spaCy-style `--section.key value`.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from pipeline.artifacts import RunFolder
from pipeline.config import PipelineConfig, load_config, parse_override
from pipeline.errors import ConfigError, PipelineError
from pipeline.runner import STAGE_NAMES, configured_models, run_pipeline

app = typer.Typer(help="Multilingual news digest: ingest, clean, detect, translate, summarize, merge.", no_args_is_help=True)
console = Console(stderr=True)
EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}

ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config (default: configs/default.yaml)")]
SetOption = Annotated[list[str], typer.Option("--set", help="Override a config key: section.key=value (repeatable)")]
DeviceOption = Annotated[Optional[str], typer.Option(help="auto | cpu | cuda (runtime.device)")]
CorpusOption = Annotated[Optional[Path], typer.Option(help="Corpus folder (paths.corpus)")]
WorkDirOption = Annotated[Optional[Path], typer.Option("--work-dir", help="Output folder (paths.work_dir)")]
RunIdOption = Annotated[Optional[str], typer.Option("--run", help="Run id under <work_dir>/runs (default: newest)")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log every step")]


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
    overrides.update(_extra_overrides(ctx.args))
    overrides.update({key: str(value) if isinstance(value, Path) else value for key, value in named.items() if value is not None})
    return load_config(config, overrides)


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


def _report(run: RunFolder) -> None:
    manifest = run.read_manifest()
    stages = Table(title=f"run {run.run_id}")
    for column in ("stage", "articles", "computed", "from cache", "seconds"):
        stages.add_column(column)
    for name, report in manifest.get("stages", {}).items():
        stages.add_row(name, *(str(report.get(key, "")) for key in ("articles", "computed", "from_cache", "seconds")))
    console.print(stages)
    for error in manifest.get("errors", []):
        console.print(f"{error['status']}: {error['path']}: {error['problem']}", highlight=False, soft_wrap=True)
    files = manifest.get("stages", {}).get("merge", {}).get("files", [])
    if files:
        console.print("digest: " + ", ".join(files[len(files) // 2 :]), highlight=False, soft_wrap=True)


def _execute(config: PipelineConfig, stages: tuple[str, ...], run_id: str | None = None, wait: bool = False) -> None:
    try:
        run = run_pipeline(config, stages, run_id=run_id, wait=wait)
    except PipelineError as error:
        _fail(error)
    _report(run)


@app.command(context_settings=EXTRA_ARGS)
def run(
    ctx: typer.Context,
    config: ConfigOption = None,
    sets: SetOption = [],
    device: DeviceOption = None,
    corpus: CorpusOption = None,
    work_dir: WorkDirOption = None,
    wait: Annotated[bool, typer.Option(help="Wait for a run already holding the work folder")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run every stage on the corpus and write the digest."""
    _setup_logging(verbose)
    try:
        settings = _load(ctx, config, sets, **{"runtime.device": device, "paths.corpus": corpus, "paths.work_dir": work_dir})
    except PipelineError as error:
        _fail(error)
    _execute(settings, STAGE_NAMES, wait=wait)


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
        _execute(settings, (name,), run_id=run_id)

    first = "Start a new run: read the corpus into" if name == "ingest" else "Run the stage on the previous stage's table in"
    command.__doc__ = f"{first} a run folder ({name} only)."
    app.command(name=name, context_settings=EXTRA_ARGS)(command)


for _stage in STAGE_NAMES:
    _register_stage_command(_stage)


@app.command(context_settings=EXTRA_ARGS)
def models(ctx: typer.Context, config: ConfigOption = None, sets: SetOption = []) -> None:
    """List the configured models, where each one resolves, and how to get it onto an offline machine."""
    from pipeline.models import locate_model

    try:
        settings = _load(ctx, config, sets)
    except PipelineError as error:
        _fail(error)
    table = Table()
    for column in ("config key", "model", "found in", "revision / fix"):
        table.add_column(column, overflow="fold")
    missing = False
    for key, (ref, revision) in configured_models(settings).items():
        try:
            location = locate_model(ref, revision, key, download=False)
            table.add_row(key, ref, f"{location.source}: {location.path}", location.revision)
        except PipelineError:
            missing = True
            table.add_row(key, ref, "[red]missing[/]", f"hf download {ref}" + (f" --revision {revision}" if revision else ""))
    Console().print(table)
    if missing:
        console.print(
            "Missing models: download them on a machine with internet (`hf download MODEL`), copy "
            "~/.cache/huggingface to this machine and set HF_HUB_OFFLINE=1, or point the config key at a "
            "local folder made with save_pretrained.",
            soft_wrap=True,
        )
        raise typer.Exit(1)
