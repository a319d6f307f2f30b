"""Nightly runs: digests of only the new articles (`--only-new`, `--since`), and the `cache` commands."""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipeline import plan
from pipeline import runner as runner_module
from pipeline.cli import app
from pipeline.config import load_config
from pipeline.store.cache import StageCache, cache_file, cache_info, prune_cache
from pipeline.store.runs import RunFolder

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _digest(config_file: Path) -> dict:
    return json.loads((config_file.parent / "outputs" / "digest.json").read_text(encoding="utf-8"))


def _paths(digest: dict) -> set[str]:
    return {article["path"] for story in digest["stories"] for article in story["articles"]}


def test_only_new_and_since_cover_new_or_changed_articles_and_removed_ones_leave(quick_config_file: Path) -> None:
    corpus = Path(yaml.safe_load(quick_config_file.read_text())["paths"]["corpus"])
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    everything = _paths(_digest(quick_config_file))
    assert _digest(quick_config_file)["run"]["selection"]["mode"] == "all"
    # --since takes whole seconds: wait until the first run's articles are strictly older.
    time.sleep(1.1)
    mark = datetime.now().isoformat(timespec="seconds")
    first, changed, removed = sorted(corpus.iterdir())[:3]
    (corpus / "new.txt").write_text(first.read_text(encoding="utf-8") + "\n\nNachtrag der Redaktion.\n", encoding="utf-8")
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nAggiornamento della redazione.\n", encoding="utf-8")
    removed.unlink()

    result = _invoke("run", "-c", str(quick_config_file), "--only-new")
    assert result.exit_code == 0, result.output
    digest = _digest(quick_config_file)
    # The new articles join the demo story, shown with all its sources; the removed file is gone.
    assert _new_paths(digest) == {"new.txt", changed.name}
    assert _paths(digest) == everything - {removed.name} | {"new.txt"}
    assert digest["run"]["selection"]["mode"] == "only-new" and digest["run"]["selection"]["corpus_articles"] == 5
    assert "covers articles new or changed since run" in result.output
    assert "selection.covers: articles new or changed" in (quick_config_file.parent / "outputs" / "digest.md").read_text()

    result = _invoke("run", "-c", str(quick_config_file), "--since", mark)
    assert result.exit_code == 0, result.output
    digest = _digest(quick_config_file)
    assert _paths(digest) == everything - {removed.name} | {"new.txt"} and digest["run"]["selection"]["mode"] == "since"

    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    assert _paths(_digest(quick_config_file)) == everything - {removed.name} | {"new.txt"}

    # Nothing new since that run: an empty digest that says so, and no model work.
    result = _invoke("run", "-c", str(quick_config_file), "--only-new")
    assert result.exit_code == 0, result.output
    digest = _digest(quick_config_file)
    assert digest["stories"] == [] and digest["skipped"] == [] and digest["run"]["selection"]["articles"] == 0


def _new_paths(digest: dict) -> set[str]:
    return {article["path"] for story in digest["stories"] for article in story["articles"] if article["new"]}


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs in the pipeline's own code."""


def test_three_nights_new_updated_unchanged_with_one_story_id_and_a_killed_run_between_that_changes_nothing(
    quick_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = Path(yaml.safe_load(quick_config_file.read_text())["paths"]["corpus"])
    late = next(path for path in corpus.iterdir() if path.name.startswith("003_"))  # the Italian article
    held_back = late.read_bytes()
    late.unlink()
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    [story] = _digest(quick_config_file)["stories"]
    assert story["status"] == "new" and story["size"] == 4
    late.write_bytes(held_back)

    # Killed once the run has kept its stories, before it completes: the next run must not build on them.
    def killed(*args: object) -> None:
        raise Killed()

    monkeypatch.setattr(runner_module, "publish_digest", killed)
    with pytest.raises(Killed):
        _invoke("run", "-c", str(quick_config_file), "--only-new")
    monkeypatch.undo()
    assert RunFolder.open(quick_config_file.parent / "outputs").stories_dir().is_dir()

    assert _invoke("run", "-c", str(quick_config_file), "--only-new").exit_code == 0
    [second] = _digest(quick_config_file)["stories"]
    assert (second["id"], second["status"], second["size"]) == (story["id"], "updated", 5)
    assert _new_paths(_digest(quick_config_file)) == {late.name}

    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    [third] = _digest(quick_config_file)["stories"]
    assert (third["id"], third["status"], third["new_articles"]) == (story["id"], "unchanged", [])
    assert third["summary"] == second["summary"] and _merge_work(quick_config_file) == {"computed": 0, "from_cache": 1}
    # The same input gives the same digest whatever the cache held.
    assert prune_cache(load_config(quick_config_file), everything=True)["removed"]["results"] > 0
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    assert _digest(quick_config_file)["stories"] == [third] and _merge_work(quick_config_file)["computed"] == 1


def _merge_work(config_file: Path) -> dict[str, int]:
    merged = RunFolder.open(config_file.parent / "outputs").read_manifest()["stages"]["merge"]
    return {key: merged[key] for key in ("computed", "from_cache")}


def test_since_and_only_new_reject_bad_use_before_any_work(quick_config_file: Path) -> None:
    result = _invoke("run", "-c", str(quick_config_file), "--since", "yesterday")
    assert result.exit_code == 2 and "--since: 'yesterday' is not a date" in result.output and "YYYY-MM-DD" in result.output
    result = _invoke("run", "-c", str(quick_config_file), "--since", "2024-05-01", "--only-new")
    assert result.exit_code == 2 and "choose one of the two" in result.output
    assert not (quick_config_file.parent / "outputs").exists()


def test_only_new_compares_with_the_newest_run_that_wrote_a_digest(tmp_path: Path) -> None:
    work_dir = tmp_path / "outputs"
    done = RunFolder.create(work_dir)
    done.update_manifest(status="completed", stages={"ingest": {}, "merge": {}})
    for status, stages in (("failed", {"ingest": {}, "merge": {}}), ("interrupted", {}), ("completed", {"ingest": {}})):
        RunFolder.create(work_dir).update_manifest(status=status, stages=stages)  # newer, but no digest
    assert RunFolder.last_completed(work_dir).run_id == done.run_id
    assert RunFolder.last_completed(tmp_path / "elsewhere") is None


def _fill_cache(config_file: Path) -> Path:
    """A cache with results of two stages, one of them last used 40 days ago, and two articles seen."""
    cache = StageCache(cache_file(load_config(config_file)))
    cache.put_many("translate", {"k1": {"text_en": "a" * 100}, "k2": {"text_en": "b" * 50}})
    cache.put_many("summarize", {"k3": {"summary": "c" * 10}})
    cache.record_seen([("id1", "a.txt"), ("id2", "b.txt")], "run-1")
    with cache.connection:
        old = time.time() - 40 * 86400
        cache.connection.execute("UPDATE results SET used = ?, created = ? WHERE key = 'k2'", [old, old])
        cache.connection.execute("UPDATE articles SET last_seen = ? WHERE id = 'id2'", [old])
    cache.close()
    return cache.path


def test_cache_info_reports_entries_bytes_and_dates_per_stage(quick_config_file: Path) -> None:
    result = _invoke("cache", "info", "-c", str(quick_config_file))
    assert result.exit_code == 0 and "no cache yet" in result.output
    assert not cache_file(load_config(quick_config_file)).exists(), "looking must not create the cache"
    path = _fill_cache(quick_config_file)
    info = cache_info(load_config(quick_config_file))
    assert info["path"] == str(path) and info["file_bytes"] > 0 and info["articles_seen"] == 2
    translate = info["stages"]["translate"]
    assert translate["entries"] == 2 and translate["bytes"] > 150
    assert translate["oldest"] < translate["last_used"] and translate["last_used"].endswith("Z")
    result = _invoke("cache", "info", "-c", str(quick_config_file))
    assert result.exit_code == 0 and "translate" in result.output and "summarize" in result.output


def test_cache_prune_by_age_or_all_keeps_what_is_asked(quick_config_file: Path) -> None:
    config = load_config(quick_config_file)
    path = _fill_cache(quick_config_file)
    result = _invoke("cache", "prune", "-c", str(quick_config_file), "--unused-days", "30")
    assert result.exit_code == 0, result.output
    assert "removed 1 results and 1 first-seen records" in result.output
    assert cache_info(config)["stages"]["translate"]["entries"] == 1
    done = prune_cache(config, everything=True)
    assert done["removed"] == {"results": 2, "articles": 0} and done["file_bytes"] <= done["bytes_before"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
        assert connection.execute("SELECT id FROM articles").fetchall() == [("id1",)]
    result = _invoke("cache", "prune", "-c", str(quick_config_file))
    assert result.exit_code == 2 and "--unused-days N and --all" in result.output


def _stage_work(config_file: Path) -> dict[str, int]:
    runs = sorted((config_file.parent / "outputs" / "runs").iterdir())
    stages = json.loads((runs[-1] / "manifest.json").read_text(encoding="utf-8"))["stages"]
    return {name: stages[name]["computed"] for name in ("clean", "detect", "translate", "summarize", "check")}


def test_raising_a_stage_version_recomputes_that_stage_and_the_later_ones_only(
    quick_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    first = _stage_work(quick_config_file)
    assert all(first.values())
    # What a code change to translate does, once its author raises translate's VERSION.
    raised = tuple(replace(stage, version=stage.version + 1) if stage.name == "translate" else stage
                   for stage in plan.ARTICLE_STAGES)
    monkeypatch.setattr(plan, "ARTICLE_STAGES", raised)
    monkeypatch.setattr(runner_module, "ARTICLE_STAGES", raised)
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    assert _stage_work(quick_config_file) == {
        "clean": 0, "detect": 0, "translate": first["translate"], "summarize": first["summarize"], "check": first["check"]
    }
