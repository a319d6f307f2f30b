"""What a nightly run does when an article, the disk, the corpus mount or a setting goes wrong: the article
fails alone, the machine's error is one line with the path and the fix, and the digest in the work folder
is never spoilt (never half old and half new, never replaced by an empty one)."""
from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline.digest.render
from pipeline.cli import app
from pipeline.models.generators import TransformersGenerator
from pipeline.store.runs import RunFolder

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _digest_run_ids(work_dir: Path) -> dict[str, str]:
    """The run each of the work folder's digest files comes from."""
    run_id = json.loads((work_dir / "digest.json").read_text(encoding="utf-8"))["run"]["run_id"]
    ids = {"json": run_id}
    for fmt in ("md", "html"):
        text = (work_dir / f"digest.{fmt}").read_text(encoding="utf-8")
        ids[fmt] = next(root.name for root in (work_dir / "runs").iterdir() if root.name in text)
    return ids


def _add_article(corpus: Path, name: str, extra: str) -> None:
    first = sorted(corpus.glob("*.txt"))[0]
    (corpus / name).write_text(first.read_text(encoding="utf-8") + f"\n\n{extra}\n", encoding="utf-8")


def test_an_article_the_model_cannot_take_fails_alone_and_the_exit_code_counts_it(
    quick_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, work_dir = quick_config_file.parent / "corpus", quick_config_file.parent / "outputs"
    german, english = (next(path for path in corpus.glob("*.txt") if marker in path.read_text(encoding="utf-8"))
                       for marker in ("Schauspieler", "Hollywood still on strike"))
    # The models choke on these two words: one in the German text (translate), one in the English (summarize).
    for source, name, word in ((german, "poison.txt", "POISON"), (english, "venom.txt", "VENOM")):
        (corpus / name).write_text(source.read_text(encoding="utf-8").replace("Netflix", f"Netflix {word}"), encoding="utf-8")
    generate = TransformersGenerator.generate

    def fragile(self, texts, *args, **kwargs):
        if any("POISON" in text or "VENOM" in text for text in texts):
            raise RuntimeError("probability tensor contains inf, nan or element < 0\nsecond line of the error")
        return generate(self, texts, *args, **kwargs)

    monkeypatch.setattr(TransformersGenerator, "generate", fragile)
    result = _invoke("run", "-c", str(quick_config_file))
    # Over runtime.max_failed_articles (0): exit code 3, yet the digest of everything else is written.
    assert result.exit_code == 3, result.output
    assert "7 articles, 5 ok, 2 failed, 0 skipped" in result.output
    assert "2 articles failed, more than runtime.max_failed_articles (0)" in result.output
    digest = json.loads((work_dir / "digest.json").read_text(encoding="utf-8"))
    assert sum(len(story["articles"]) for story in digest["stories"]) == 5
    problems = {entry["path"]: (entry["status"], entry["problem"]) for entry in digest["skipped"]}
    assert problems == {
        "poison.txt": ("failed", "translate failed: RuntimeError: probability tensor contains inf, nan or element < 0"),
        "venom.txt": ("failed", "summarize failed: RuntimeError: probability tensor contains inf, nan or element < 0"),
    }
    assert RunFolder.open(work_dir).read_manifest()["status"] == "completed"

    result = _invoke("run", "-c", str(quick_config_file), "--set", "runtime.max_failed_articles=2")
    assert result.exit_code == 0, result.output
    # Failures are not cached: the next run tries them again, and only them.
    stages = RunFolder.open(work_dir).read_manifest()["stages"]
    assert (stages["translate"]["computed"], stages["summarize"]["computed"]) == (1, 1)


def test_the_three_digest_files_always_come_from_one_run(quick_config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, work_dir = quick_config_file.parent / "corpus", quick_config_file.parent / "outputs"
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    first = RunFolder.open(work_dir).run_id
    assert _digest_run_ids(work_dir) == {"json": first, "md": first, "html": first}
    _add_article(corpus, "new.txt", "Ein neuer Absatz zum Schluss.")
    write_text = pipeline.digest.render.write_text
    html_written = []

    def disk_full_on_the_second_html(target: Path, text: str) -> None:
        if Path(target).name == "digest.html":
            html_written.append(target)
            if len(html_written) == 2:
                raise OSError(errno.ENOSPC, "No space left on device", str(target))
        write_text(target, text)

    # A failed run: the disk fills up while the digest for the work folder is written (the run folder's
    # copy came first), after its Markdown and JSON.
    monkeypatch.setattr(pipeline.digest.render, "write_text", disk_full_on_the_second_html)
    result = _invoke("run", "-c", str(quick_config_file))
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert _digest_run_ids(work_dir) == {"json": first, "md": first, "html": first}
    monkeypatch.undo()

    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    last = RunFolder.open(work_dir).run_id
    assert _digest_run_ids(work_dir) == {"json": last, "md": last, "html": last} and last != first
    assert "new.txt" in (work_dir / "digest.md").read_text(encoding="utf-8")


def test_a_full_disk_is_one_line_with_the_path_the_manifest_says_failed_and_the_next_run_says_so(
    quick_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work_dir = quick_config_file.parent / "outputs"
    save_table = RunFolder.save_table

    def disk_full_at_translate(self, stage, table):
        if stage == "translate":
            raise OSError(errno.ENOSPC, "No space left on device", str(self.stage_dir(stage)))
        save_table(self, stage, table)

    monkeypatch.setattr(RunFolder, "save_table", disk_full_at_translate)
    result = _invoke("run", "-c", str(quick_config_file))
    assert result.exit_code == 1
    failed = RunFolder.open(work_dir)
    line = f"error: {failed.stage_dir('translate')}: No space left on device. Fix: free space on that disk"
    assert line in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    manifest = failed.read_manifest()
    assert manifest["status"] == "failed" and "No space left on device" in manifest["error"]
    assert "Traceback" in _invoke("run", "-c", str(quick_config_file), "-v").output
    monkeypatch.undo()

    result = _invoke("run", "-c", str(quick_config_file))
    assert result.exit_code == 0, result.output
    assert "the previous run" in result.output and "failed" in result.output and "No space left" in result.output


def test_a_work_folder_that_cannot_be_made_and_an_unreadable_config_are_one_line_each(
    quick_config_file: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the work folder's parent should be", encoding="utf-8")
    result = _invoke("run", "-c", str(quick_config_file), "--work-dir", str(blocker / "outputs"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"error: {blocker / 'outputs'}") and "Fix:" in result.output
    folder_as_config = tmp_path / "config-folder"
    folder_as_config.mkdir()
    result = _invoke("run", "-c", str(folder_as_config))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert f"{folder_as_config}: config key '-': cannot be read" in result.output


def test_an_empty_or_vanished_corpus_leaves_the_digest_unless_allowed(quick_config_file: Path) -> None:
    corpus, work_dir = quick_config_file.parent / "corpus", quick_config_file.parent / "outputs"
    assert _invoke("run", "-c", str(quick_config_file)).exit_code == 0
    before = {path.name: path.read_bytes() for path in work_dir.glob("digest.*") if path.is_file()}
    for path in corpus.iterdir():
        path.unlink()
    result = _invoke("run", "-c", str(quick_config_file))
    assert result.exit_code == 1 and "has no article files" in result.output and "--allow-empty" in result.output
    assert {path.name: path.read_bytes() for path in work_dir.glob("digest.*") if path.is_file()} == before
    corpus.rmdir()
    result = _invoke("run", "-c", str(quick_config_file))
    assert result.exit_code == 2 and "paths.corpus" in result.output
    assert {path.name: path.read_bytes() for path in work_dir.glob("digest.*") if path.is_file()} == before
    corpus.mkdir()
    assert _invoke("run", "-c", str(quick_config_file), "--allow-empty").exit_code == 0
    assert json.loads((work_dir / "digest.json").read_text(encoding="utf-8"))["stories"] == []


def test_a_missing_model_folder_is_not_told_to_download_and_overrides_are_named(
    tiny_config_file: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-model"
    result = _invoke("run", "-c", str(tiny_config_file), "--set", f"translate.models.it={missing}")
    assert result.exit_code == 2
    assert f"model folder {missing} for translate.models.it: folder not found" in result.output
    assert "hf download" not in result.output
    result = _invoke("models", "-c", str(tiny_config_file), "--set", f"summarize.model={missing}")
    assert result.exit_code == 2 and "folder not found" in result.output
    result = _invoke("run", "-c", str(tiny_config_file), "--set", "translate.num_beams=many")
    assert result.exit_code == 2 and result.output.startswith("error: --set translate.num_beams: config key")
    result = _invoke("run", "-c", str(tiny_config_file), "--device", "gpu")
    assert result.exit_code == 2 and result.output.startswith("error: --device: config key 'runtime.device'")
    result = _invoke("run", "-c", str(tiny_config_file), "--summarize.num_beams", "0")
    assert result.exit_code == 2 and result.output.startswith("error: --summarize.num_beams: config key")
