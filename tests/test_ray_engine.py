"""The ray engine: same digest and cache as the local engine, retries, and no article lost to a dead worker.

One local Ray instance (2 CPUs) for the whole module, so its start-up is paid once. Skipped when the ray
extra is not installed; CI installs it (.ci/run), so there these tests run.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any, Iterator

import pytest
from datasets import Dataset

ray = pytest.importorskip("ray", reason='the ray extra is not installed: pip install torch==2.13.0 -e ".[dev,ray]"')

from pipeline.config import PipelineConfig, load_config  # noqa: E402
from pipeline.engines.ray_engine import RayEngine  # noqa: E402
from pipeline.records import STATUS_FAILED, STATUS_OK  # noqa: E402
from pipeline.runner import ArticleStage, run_article_stage, run_pipeline  # noqa: E402
from pipeline.store.cache import StageCache  # noqa: E402

# Ray's own DataContext.copy() trips its deprecated-setting warnings; nothing here sets them.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # The fake stages below travel to the actors by value, whatever the workers' import path.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


def _digest_and_cache(work_dir: Path) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    digest = json.loads((work_dir / "digest.json").read_text(encoding="utf-8"))
    run = digest.pop("run")
    digest["models"] = run["models"]  # run id, start time: these differ between any two runs
    with closing(sqlite3.connect(work_dir / "cache" / "stages.sqlite")) as connection:
        cache = {(stage, key): value for stage, key, value in connection.execute("SELECT stage, key, value FROM results")}
    return digest, cache


def test_the_demo_corpus_gives_the_same_digest_and_cache_on_ray_as_locally(tiny_config_file: Path, tmp_path: Path) -> None:
    # Batches of 2: the 5 articles make 3 batches, spread over 2 actors. Short translations keep it quick.
    settings = {"runtime.checkpoint_articles": 2, "translate.max_output_ratio": 0.5}
    local = load_config(tiny_config_file, settings)
    on_ray = load_config(tiny_config_file, {**settings, "engine.name": "ray", "paths.work_dir": str(tmp_path / "on_ray")})
    run_pipeline(local)
    manifest = run_pipeline(on_ray).read_manifest()
    assert manifest["status"] == "completed" and manifest["config"]["engine"]["name"] == "ray"
    assert all(manifest["stages"][name]["computed"] == 5 for name in ("clean", "detect", "translate", "summarize"))
    digest, cache = _digest_and_cache(on_ray.paths.work_dir)
    assert _digest_and_cache(local.paths.work_dir) == (digest, cache)
    assert sum(len(story["articles"]) for story in digest["stories"]) == 5
    assert ray.is_initialized()  # the engine leaves alone a Ray instance it did not start


def _articles(count: int) -> Dataset:
    return Dataset.from_list(
        [
            {"id": f"a{i}", "path": f"a{i}.txt", "status": STATUS_OK, "problem": "", "raw_text": f"article {i}", "format": "txt"}
            for i in range(count)
        ]
    )


def _shout(table: Dataset, marks: Path) -> Dataset:
    """A stand-in stage that upper-cases the text and fails on purpose, by article: "article 0" kills its
    worker on the first attempt only (as an OOM kill or a lost node would), "article 2" raises every time,
    "article 4" kills its worker every time. Attempts are counted in files under `marks`."""
    ok = [text for text, status in zip(table["raw_text"], table["status"]) if status == STATUS_OK]
    if "article 0" in ok and not (marks / "died once").exists():
        (marks / "died once").touch()
        os._exit(1)
    for text in {"article 2", "article 4"} & set(ok):
        with (marks / text).open("a") as attempts:
            attempts.write("attempt\n")
    if "article 2" in ok:
        raise ValueError("cannot shout 'article 2'")
    if "article 4" in ok:
        os._exit(1)
    # Like every stage, it works on ok rows only and gives the others its column, empty.
    return table.map(lambda row: {"text": row["raw_text"].upper() if row["status"] == STATUS_OK else ""})


def test_failing_batches_are_retried_then_reported_per_article_and_no_article_is_lost(tmp_path: Path) -> None:
    # "clean" only for its config section, which the cache fingerprint reads.
    stage = ArticleStage("clean", version=1, reads=("raw_text",), writes=("text", "status", "problem"), apply=lambda t, c, m: _shout(t, tmp_path))
    config = PipelineConfig.model_validate(
        {"runtime": {"device": "cpu", "progress": False, "checkpoint_articles": 2}, "engine": {"name": "ray", "retries": 1}}
    )
    cache = StageCache(tmp_path / "cache.sqlite")
    table, _ = run_article_stage(stage, _articles(8), config, cache, {}, RayEngine(config.engine))
    rows = {row["id"]: row for row in table.to_list()}
    assert (tmp_path / "died once").exists()
    ok = (0, 1, 3, 6, 7)
    assert [rows[f"a{i}"]["text"] for i in ok] == [f"ARTICLE {i}" for i in ok]
    assert all(rows[f"a{i}"]["status"] == STATUS_OK for i in ok)
    # A batch that raises gets 1 + engine.retries attempts, the last one article by article: only the
    # article that raises fails, with the problem and no text; its batch-mate "article 3" goes through.
    assert (tmp_path / "article 2").read_text().count("attempt") == 3
    assert (rows["a2"]["status"], rows["a2"]["problem"], rows["a2"]["text"]) == (
        STATUS_FAILED, "clean failed: ValueError: cannot shout 'article 2'", ""
    )
    # A worker that dies takes its whole batch with it, 1 + engine.retries times.
    assert (tmp_path / "article 4").read_text().count("attempt") == 2
    assert all(rows[i]["status"] == STATUS_FAILED and "Ray worker died on every attempt (2)" in rows[i]["problem"] for i in ("a4", "a5"))
    # Failures are not cached: the next run tries those articles again.
    assert cache.stats()["clean"]["entries"] == 5
