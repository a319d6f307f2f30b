"""Crashes for real. A run killed with SIGKILL in the middle of translate resumes from the results it
committed and ends with the digest of an uninterrupted run; what a killed write leaves behind is never
read as output; a crash while the digest is being replaced leaves the previous digest whole."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import pipeline.store.atomic
from pipeline.cli import app
from pipeline.store.runs import RunFolder, recover_work_dir
from tests.demo_corpus import read_corpus_by_language

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = 10
KILL_AFTER = 2  # translate results committed before the kill
runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _write_short_corpus(folder: Path) -> None:
    """ARTICLES one-paragraph articles, German and Italian: each translates in a fraction of a second."""
    texts = read_corpus_by_language()
    # The first paragraphs of the demo articles are news text (later ones include affiliate notes,
    # which clean rightly removes).
    paragraphs = [
        (language, p.strip())
        for language in ("de", "it")
        for p in "\n\n".join(texts[language]).split("\n\n")
        if 200 < len(p.strip()) < 500
    ]
    folder.mkdir()
    for index, (language, body) in enumerate(paragraphs[:7] + paragraphs[-3:]):
        title = f"Meldung {index}" if language == "de" else f"Notizia {index}"
        (folder / f"{index:02d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def _config(tmp_path: Path, tiny_models: dict[str, Path]) -> Path:
    settings = {
        "paths": {"corpus": str(tmp_path / "corpus"), "work_dir": str(tmp_path / "killed")},
        # One article per commit: the kill lands between commits, whatever the machine's speed.
        "runtime": {"device": "cpu", "progress": False, "checkpoint_articles": 1, "threads": 1},
        "translate": {
            "models": {"de": str(tiny_models["de"]), "it": str(tiny_models["it"])},
            "num_beams": 1,
            "max_output_ratio": 0.25,
        },
        "summarize": {"model": str(tiny_models["summarizer"]), "num_beams": 1, "max_summary_tokens": 16, "min_summary_tokens": 4},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def _translated(database: Path) -> int:
    if not database.is_file():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as connection:
            return connection.execute("SELECT COUNT(*) FROM results WHERE stage = 'translate'").fetchone()[0]
    except sqlite3.OperationalError:  # the run is still creating the database
        return 0


def _kill_mid_translate(config: Path, database: Path, log: Path) -> int:
    """Start `python -m pipeline run`, SIGKILL it once KILL_AFTER translations are committed; return how
    many were committed at the kill."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "-c", str(config)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr
        )
    deadline = time.monotonic() + 600
    try:
        while _translated(database) < KILL_AFTER:
            assert process.poll() is None, f"the run ended before it could be killed:\n{log.read_text()}"
            assert time.monotonic() < deadline, "translate did not start in time"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    return _translated(database)


def _comparable(digest: dict) -> dict:
    """The digest without what differs between any two runs (run id, times, models' locations)."""
    return {key: value for key, value in digest.items() if key != "run"}


def test_a_run_killed_mid_translate_resumes_and_writes_the_digest_of_an_uninterrupted_run(
    tmp_path: Path, tiny_models: dict[str, Path], one_torch_thread: None
) -> None:
    _write_short_corpus(tmp_path / "corpus")
    config = _config(tmp_path, tiny_models)
    killed = tmp_path / "killed"
    committed = _kill_mid_translate(config, killed / "cache" / "stages.sqlite", tmp_path / "killed.log")
    assert KILL_AFTER <= committed < ARTICLES, "the kill must land inside the translate stage"
    [killed_run] = list((killed / "runs").iterdir())
    manifest = json.loads((killed_run / "manifest.json").read_text(encoding="utf-8"))  # whole, never half-written
    assert manifest["status"] == "running" and "translate" not in manifest.get("stages", {})
    assert not (killed / "digest.json").exists()

    result = _invoke("run", "-c", str(config))
    assert result.exit_code == 0, result.output
    translate = RunFolder.open(killed).read_manifest()["stages"]["translate"]
    assert translate["from_cache"] == committed and translate["computed"] == ARTICLES - committed
    assert RunFolder(killed_run).read_manifest()["status"] == "interrupted"

    result = _invoke("run", "-c", str(config), "--work-dir", str(tmp_path / "uninterrupted"))
    assert result.exit_code == 0, result.output
    resumed = json.loads((killed / "digest.json").read_text(encoding="utf-8"))
    uninterrupted = json.loads((tmp_path / "uninterrupted" / "digest.json").read_text(encoding="utf-8"))
    assert resumed["totals"]["articles"] == ARTICLES
    assert _comparable(resumed) == _comparable(uninterrupted)


def test_what_killed_writes_leave_is_never_read_and_is_cleared_under_the_lock(tmp_path: Path) -> None:
    work_dir = tmp_path / "outputs"
    run = RunFolder.create(work_dir)  # status "running", as a killed run leaves it
    (work_dir / "digest.json").write_text('{"complete": true}\n', encoding="utf-8")
    # A write killed before its rename, in each place writes happen:
    stale = [work_dir / ".digest.json.k1ll3d", run.root / ".manifest.json.x9", run.stage_dir("merge") / ".digest.md.q2"]
    for temp in stale:
        temp.mkdir(parents=True)
        (temp / "half-written").write_text('{"stories": [{"ti', encoding="utf-8")
    # A table swap killed between its two renames: only the previous version is left, moved aside.
    (run.root / ".05_summarize.old").mkdir()
    (run.root / ".05_summarize.old" / "data.arrow").write_bytes(b"previous table")
    (work_dir / "runs" / "20000101T000000Z").mkdir()  # killed before its manifest was written
    (work_dir / ".lock.holder").write_text("pid 1 on host since then", encoding="utf-8")

    assert recover_work_dir(work_dir) == [run.run_id]
    assert not any(temp.exists() for temp in stale)
    assert (run.root / "05_summarize" / "data.arrow").read_bytes() == b"previous table"
    assert run.read_manifest()["status"] == "interrupted"
    assert not (work_dir / "runs" / "20000101T000000Z").exists() and (work_dir / ".lock.holder").exists()
    assert json.loads((work_dir / "digest.json").read_text(encoding="utf-8")) == {"complete": True}
    assert RunFolder.open(work_dir).run_id == run.run_id


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs in the pipeline's own code."""


def test_a_crash_while_the_digest_is_replaced_leaves_the_old_digest_whole(
    quick_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work_dir = quick_config_file.parent / "outputs"
    corpus = quick_config_file.parent / "corpus"
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    old = {path.name: path.read_bytes() for path in work_dir.glob("digest.*") if path.is_file()}
    first = sorted(corpus.iterdir())[0]
    (corpus / "new.txt").write_text(first.read_text(encoding="utf-8") + "\n\nEin neuer Absatz zum Schluss.\n", encoding="utf-8")
    replace = os.replace

    def crash_on_the_digest(source, target, *args, **kwargs):
        if Path(target).parent == work_dir and Path(target).name.startswith("digest."):
            raise Killed()
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(pipeline.store.atomic.os, "replace", crash_on_the_digest)
    with pytest.raises(Killed):
        _invoke("run", "-c", str(quick_config_file))
    monkeypatch.undo()
    assert {path.name: path.read_bytes() for path in work_dir.glob("digest.*") if path.is_file()} == old
    assert RunFolder.open(work_dir).read_manifest()["status"] == "failed"
    # The temp file a real SIGKILL would have left at that moment.
    (work_dir / ".digest.json.k1ll3d").mkdir()
    (work_dir / ".digest.json.k1ll3d" / "digest.json").write_text('{"stories": [', encoding="utf-8")

    result = _invoke("run", "-c", str(quick_config_file))
    assert result.exit_code == 0, result.output
    digest = json.loads((work_dir / "digest.json").read_text(encoding="utf-8"))
    assert "new.txt" in {article["path"] for story in digest["stories"] for article in story["articles"]}
    assert not (work_dir / ".digest.json.k1ll3d").exists()
