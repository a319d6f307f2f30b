"""Bad input never stops a run and never goes unexplained. Each bad file gets one line in the command's
output and one entry in the digest's skipped section, and every good article is still processed; a broken
config stops the run before any work, naming the key and the fix.

Empty, binary, Latin-1 and French files are covered by tests/test_cli.py; these are the rest.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
DEMO_ARTICLES = 5


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _add_bad_files(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Bad files of every other kind; returns path -> a word their problem must contain."""
    german = sorted(corpus.iterdir())[0].read_text(encoding="utf-8")
    with (corpus / "huge.txt").open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # sparse: 20 MB on paper, nothing written
    (corpus / "loop.txt").symlink_to("loop.txt")
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "unreadable.txt").write_text(german, encoding="utf-8")
    if os.geteuid() == 0:
        # chmod does not stop root: make exactly this file's read fail the way a permission error does.
        read_bytes = Path.read_bytes

        def refuse(path: Path) -> bytes:
            if path.name == "unreadable.txt":
                raise PermissionError(13, "Permission denied", str(path))
            return read_bytes(path)

        monkeypatch.setattr(Path, "read_bytes", refuse)
    else:
        (corpus / "unreadable.txt").chmod(0)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "back").symlink_to("..")  # a folder loop: its files must be read once, not forever
    return {"huge.txt": "too large", "loop.txt": "unreadable", "pipe.txt": "not a regular file", "unreadable.txt": "permission"}


def _add_odd_names(corpus: Path) -> set[str]:
    """Good articles under awkward names; returns their paths as the digest must show them."""
    german = sorted(corpus.iterdir())[0].read_text(encoding="utf-8")
    names = ["-rf leading dash.txt", "  spaces  around .txt", "Übersicht – 記事 ü.txt"]
    for index, name in enumerate(names):
        (corpus / name).write_text(f"{german}\n\nFassung {index}.\n", encoding="utf-8")
    (corpus / os.fsdecode(b"latin1-name-\xe9.txt")).write_text(german + "\n\nFassung 9.\n", encoding="utf-8")
    return {*names, "latin1-name-\\xe9.txt"}


def test_bad_files_get_one_line_each_and_good_ones_under_odd_names_are_processed(
    quick_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = quick_config_file.parent / "corpus"
    bad = _add_bad_files(corpus, monkeypatch)
    odd = _add_odd_names(corpus)
    demo = sorted(corpus.glob("00*.txt"))
    # Two languages in one file (a German article, then an Italian one): the larger share decides.
    mixed = demo[0].read_text(encoding="utf-8") + "\n\n" + demo[3].read_text(encoding="utf-8")
    (corpus / "mixed.txt").write_text(mixed, encoding="utf-8")

    result = _invoke("run", "-c", str(quick_config_file))
    assert result.exit_code == 0, result.output
    digest = json.loads((quick_config_file.parent / "outputs" / "digest.json").read_text(encoding="utf-8"))
    skipped = {entry["path"]: entry["problem"] for entry in digest["skipped"]}
    assert set(skipped) == set(bad)
    for path, word in bad.items():
        assert word in skipped[path], skipped[path]
        lines = [line for line in result.output.splitlines() if path in line]
        assert len(lines) == 1 and word in lines[0], lines
    articles = {article["path"]: article for story in digest["stories"] for article in story["articles"]}
    assert odd | {"mixed.txt"} <= set(articles) and len(articles) == DEMO_ARTICLES + len(odd) + 1
    assert articles["mixed.txt"]["language"] == "de"
    assert not any(path.startswith("sub/") for path in articles), "a folder loop must not read files twice"


@pytest.mark.parametrize(
    ("args", "config_text", "expected"),
    [
        (["--set", "translate.num_beams=many"], None, ["translate.num_beams", "valid integer"]),
        (["--set", "transalte.num_beams=1"], None, ["'transalte'", "unknown key", "translate"]),
        ([], "runtime:\n  checkpoint_articles: lots\n", ["runtime.checkpoint_articles", "valid integer"]),
        ([], "runtime:\n  device: cpu\n   threads: 1\n", ["not valid YAML", "line 3"]),
        ([], "- just\n- a list\n", ["top level must be a mapping"]),
        (["--translate.num_beams"], None, ["translate.num_beams", "missing value"]),
    ],
    ids=["wrong-type-override", "unknown-section", "wrong-type-in-file", "yaml-syntax", "not-a-mapping", "flag-without-value"],
)
def test_a_broken_config_stops_before_any_work_naming_the_key_and_fix(
    quick_config_file: Path, args: list[str], config_text: str | None, expected: list[str]
) -> None:
    config = quick_config_file
    if config_text is not None:
        config = quick_config_file.parent / "broken.yaml"
        config.write_text(config_text, encoding="utf-8")
    result = _invoke("run", "-c", str(config), *args)
    assert result.exit_code == 2, result.output
    assert all(part in result.output for part in expected), result.output
    assert len(result.output.strip().splitlines()) == 1, "one line, not a traceback"
    assert not (quick_config_file.parent / "outputs").exists()


def test_a_missing_config_file_names_itself(tmp_path: Path) -> None:
    result = _invoke("run", "-c", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "nope.yaml" in result.output and "file not found" in result.output
