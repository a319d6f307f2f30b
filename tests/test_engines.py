"""The engine seam: engines are chosen by name, the local one is the default and never imports ray, and the
runner commits what an engine hands back (failed batches reported, never cached)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from datasets import Dataset
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import EngineConfig, PipelineConfig
from pipeline.engines import make_engine
from pipeline.engines.base import Outcome, mark_failed
from pipeline.engines.local import LocalEngine
from pipeline.errors import ConfigError
from pipeline.records import STATUS_FAILED, STATUS_OK
from pipeline.runner import ArticleStage, run_article_stage
from pipeline.store.cache import StageCache

CONFIG = PipelineConfig.model_validate({"runtime": {"device": "cpu", "progress": False, "checkpoint_articles": 2}})
# A stand-in stage ("clean" only for the config section the cache fingerprint reads): upper-cases ok rows.
SHOUT = ArticleStage(
    "clean",
    version=1,
    reads=("raw_text",),
    writes=("text", "status", "problem"),
    apply=lambda table, config, models: table.map(
        lambda row: {"text": row["raw_text"].upper() if row["status"] == STATUS_OK else ""}
    ),
)


def _rows(count: int) -> list[dict[str, Any]]:
    return [{"id": f"a{i}", "status": STATUS_OK, "problem": "", "raw_text": f"article {i}"} for i in range(count)]


def test_the_local_engine_hands_back_every_batch_in_order() -> None:
    outcomes = list(LocalEngine().map_stage(SHOUT, CONFIG, _rows(5)))
    assert [outcome.positions for outcome in outcomes] == [[0, 1], [2, 3], [4]]
    assert [row["text"] for outcome in outcomes for row in outcome.rows] == [f"ARTICLE {i}" for i in range(5)]
    assert not any(outcome.failed for outcome in outcomes)


class FirstBatchLostEngine:
    """Computes like the local engine, except that the first batch fails for good."""

    def map_stage(self, stage: ArticleStage, config: PipelineConfig, rows: list[dict[str, Any]]) -> Iterator[Outcome]:
        for outcome in LocalEngine().map_stage(stage, config, rows):
            if outcome.positions[0] == 0:
                lost = [rows[position] for position in outcome.positions]
                outcome = Outcome(outcome.positions, mark_failed(lost, "worker lost"), failed=True)
            yield outcome

    def close(self) -> None:
        pass


def test_a_failed_batch_is_reported_per_article_and_not_cached(tmp_path: Path) -> None:
    cache = StageCache(tmp_path / "cache.sqlite")
    table, report = run_article_stage(SHOUT, Dataset.from_list(_rows(5)), CONFIG, cache, {}, FirstBatchLostEngine())
    rows = table.to_list()
    assert [(row["status"], row["problem"], row["text"]) for row in rows[:2]] == [(STATUS_FAILED, "worker lost", "")] * 2
    assert [row["text"] for row in rows[2:]] == ["ARTICLE 2", "ARTICLE 3", "ARTICLE 4"]
    assert cache.stats()["clean"]["entries"] == 3 and report["computed"] == 5
    # The next run tries the failed articles again, and only them.
    _, report = run_article_stage(SHOUT, Dataset.from_list(_rows(5)), CONFIG, cache, {})
    assert (report["computed"], report["from_cache"]) == (2, 3)


def test_the_ray_engine_without_its_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "pipeline.engines.ray_engine", raising=False)
    with pytest.raises(ConfigError, match=r"engine\.name.*ray extra.*pip install torch==2\.13\.0 -e \"\.\[dev,ray\]\""):
        make_engine(EngineConfig(name="ray"))


def test_the_run_command_takes_engine_shortcuts_and_rejects_an_unknown_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--engine", "spark", "--work-dir", str(tmp_path)])
    assert result.exit_code == 2 and "engine.name" in result.output and "'ray'" in result.output


def test_the_default_path_never_imports_ray(tiny_config_file: Path) -> None:
    # A fresh interpreter: everything the CLI imports, the model classes, and the stages up to detect on the
    # local engine (the model stages run the same engine code, only slower).
    script = (
        "import sys\n"
        "import pipeline.cli\n"
        "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n"
        "from pipeline.config import load_config\n"
        "from pipeline.runner import run_pipeline\n"
        "run = run_pipeline(load_config(sys.argv[1]), ('ingest', 'clean', 'detect'))\n"
        "assert run.read_manifest()['status'] == 'completed'\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'ray'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tiny_config_file)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
