"""What every command shares: the config and override options, loading the config from them, logging,
and the one-line error exit."""
from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from pipeline.config import PipelineConfig, load_config, parse_override
from pipeline.errors import ConfigError, MachineError, PipelineError

# Plain help: typer's rich help shows a "<bool>" type next to every flag.
PLAIN_HELP = {"rich_markup_mode": None}
console = Console(stderr=True)
EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}

ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config (default: the packaged configs/default.yaml)")]
SetOption = Annotated[list[str], typer.Option("--set", metavar="KEY=VALUE", help="Override a config key: section.key=value (repeatable)")]
DeviceOption = Annotated[Optional[str], typer.Option(help="auto | cpu | cuda (runtime.device)")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log every step")]


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


def config_from_options(ctx: typer.Context, config: Path | None, sets: list[str], **named: Any) -> PipelineConfig:
    overrides = dict(parse_override(item) for item in sets)
    sources = {key: f"--set {key}" for key in overrides}
    extra = _extra_overrides(ctx.args)
    overrides.update(extra)
    sources.update({key: f"--{key}" for key in extra})
    given = {key: str(value) if isinstance(value, Path) else value for key, value in named.items() if value is not None}
    overrides.update(given)
    sources.update({key: f"--{OPTION_NAMES.get(key, key)}" for key in given})
    return load_config(config, overrides, sources)


def setup_logging(verbose: bool) -> None:
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


def fail(error: PipelineError) -> None:
    console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(error.exit_code)


def fail_machine(error: OSError, verbose: bool) -> None:
    """A full disk or a missing or unwritable folder: one line with the path and the fix; the traceback with -v."""
    if verbose:
        print_traceback(error)
    fail(MachineError(error))


def print_traceback(error: BaseException) -> None:
    console.print("".join(traceback.format_exception(error)), highlight=False, markup=False, soft_wrap=True)
