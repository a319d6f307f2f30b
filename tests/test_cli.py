"""End to end through the CLI, on the demo corpus and tiny random models (the real loading path)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from datasets import load_from_disk
from typer.testing import CliRunner

from pipeline.cli import app
from tests.test_continuity import without_continuity

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _digest(config_file: Path) -> dict:
    return json.loads((config_file.parent / "outputs" / "digest.json").read_text(encoding="utf-8"))


def _same_stories(later: dict, earlier: dict) -> bool:
    """`later` has the stories of `earlier`, each now "unchanged" since then: what a rerun on the same
    corpus must give."""
    unchanged = all(story["status"] == "unchanged" and not story["new_articles"] for story in later["stories"])
    return unchanged and without_continuity(later) == without_continuity(earlier)


def _manifests(config_file: Path) -> list[dict]:
    runs = sorted((config_file.parent / "outputs" / "runs").iterdir())
    return [json.loads((run / "manifest.json").read_text(encoding="utf-8")) for run in runs]


def test_run_writes_one_story_from_five_articles_in_three_languages(tiny_config_file: Path) -> None:
    result = _invoke("run", "--config", str(tiny_config_file))
    assert result.exit_code == 0, result.output
    outputs = tiny_config_file.parent / "outputs"
    digest = _digest(tiny_config_file)
    articles = [article for story in digest["stories"] for article in story["articles"]]
    assert len(articles) == 5 and len(digest["stories"]) == 1
    assert sorted(article["language"] for article in articles) == ["de", "de", "de", "en", "it"]
    english = next(article for article in articles if article["language"] == "en")
    assert english["translated"] is False
    assert english["title_en"] == english["title"] == "With Hollywood still on strike, Netflix posts $900,000 AI job"
    # Each article carries the summary the summarize stage wrote for it.
    [summarized] = (tiny_config_file.parent / "outputs" / "runs").glob("*/*_summarize")
    stage = load_from_disk(str(summarized))
    summaries = dict(zip(stage["id"], stage["summary"]))
    assert all(article["summary"] and article["summary"] == summaries[article["id"]] for article in articles)
    assert all(article["translated"] for article in articles if article["language"] != "en")
    # Random translators fail the sanity check: the check stage's flags reach the digest.
    assert all(any("kept in the original" in flag for flag in article["flags"]) for article in articles
               if article["translated"])
    manifest = _manifests(tiny_config_file)[-1]
    assert manifest["status"] == "completed"
    assert set(manifest["stages"]) == {"ingest", "clean", "detect", "translate", "summarize", "check", "merge"}
    assert len(manifest["inputs"]) == 5 and manifest["models"]["summarize.model"]["source"] == "local folder"
    # The Markdown and HTML pages show the same story, with a link to every article's file.
    for ext in ("md", "html"):
        page = (outputs / f"digest.{ext}").read_text(encoding="utf-8")
        assert re.search(r"5 articles in 1 story\W", page) and digest["stories"][0]["title"] in page
        assert all(article["path"] in page for article in articles)


def test_unchanged_rerun_does_no_model_work_and_a_changed_option_redoes_only_its_stage(tiny_config_file: Path) -> None:
    assert _invoke("run", "-c", str(tiny_config_file)).exit_code == 0
    first = _digest(tiny_config_file)
    assert _invoke("run", "-c", str(tiny_config_file)).exit_code == 0
    stages = _manifests(tiny_config_file)[-1]["stages"]
    assert all(stages[name]["computed"] == 0 for name in ("clean", "detect", "translate", "summarize"))
    assert _same_stories(_digest(tiny_config_file), first)
    # spaCy-style override of one summarize option: translation stays cached.
    assert _invoke("run", "-c", str(tiny_config_file), "--summarize.max_summary_tokens", "20").exit_code == 0
    stages = _manifests(tiny_config_file)[-1]["stages"]
    assert stages["translate"]["computed"] == 0 and stages["summarize"]["computed"] == 5


def test_stages_one_by_one_give_the_same_digest_as_run(tiny_config_file: Path) -> None:
    for stage in ("ingest", "clean", "detect", "translate", "summarize", "check", "merge"):
        result = _invoke(stage, "-c", str(tiny_config_file))
        assert result.exit_code == 0, result.output
    by_stage = _digest(tiny_config_file)
    assert sum(len(story["articles"]) for story in by_stage["stories"]) == 5
    assert _invoke("run", "-c", str(tiny_config_file)).exit_code == 0
    assert _same_stories(_digest(tiny_config_file), by_stage)


def test_a_stage_without_its_input_artifact_says_which_command_to_run(quick_config_file: Path) -> None:
    assert _invoke("ingest", "-c", str(quick_config_file)).exit_code == 0
    result = _invoke("translate", "-c", str(quick_config_file))
    assert result.exit_code == 1
    assert "needs the 'detect' artifact" in result.output
    # The command the message names is a real one: after running it (and its own prerequisites), the stage runs.
    named = re.search(r"run `news-digest (\w+)` first", result.output)
    assert named and named.group(1) == "detect"
    for stage in ("clean", named.group(1)):
        assert _invoke(stage, "-c", str(quick_config_file)).exit_code == 0
    assert _invoke("translate", "-c", str(quick_config_file)).exit_code == 0


def test_bad_articles_are_reported_and_good_ones_still_processed(tiny_config_file: Path) -> None:
    corpus = Path(yaml.safe_load(tiny_config_file.read_text())["paths"]["corpus"])
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (corpus / "latin1 -odd name.txt").write_bytes(
        ("Die Gewerkschaft in München fordert höhere Löhne für Schauspieler. " * 5).encode("latin-1")
    )
    (corpus / "french.txt").write_text(
        "Le gouvernement a annoncé mardi une nouvelle réforme des retraites qui suscite la colère des syndicats. "
        "Les manifestations se multiplient dans toutes les grandes villes du pays depuis plusieurs semaines.",
        encoding="utf-8",
    )
    result = _invoke("run", "-c", str(tiny_config_file))
    assert result.exit_code == 0, result.output
    digest = _digest(tiny_config_file)
    skipped = {entry["path"]: entry["problem"] for entry in digest["skipped"]}
    assert set(skipped) == {"empty.txt", "binary.txt", "french.txt"}
    assert "translate.models.fr" in skipped["french.txt"]
    for path in skipped:
        assert path in result.output
    articles = {article["path"]: article for story in digest["stories"] for article in story["articles"]}
    assert len(articles) == 6 and articles["latin1 -odd name.txt"]["language"] == "de"


def test_unknown_config_key_fails_before_any_work_naming_the_key(tiny_config_file: Path) -> None:
    result = _invoke("run", "-c", str(tiny_config_file), "--set", "translate.beams=2")
    assert result.exit_code == 2
    assert "translate.beams" in result.output and "num_beams" in result.output
    assert not (tiny_config_file.parent / "outputs").exists()


def test_missing_model_fails_fast_naming_model_and_fix(tiny_config_file: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    result = _invoke("run", "-c", str(tiny_config_file), "--set", f"translate.models.it={missing}")
    assert result.exit_code == 2
    assert str(missing) in result.output and "translate.models.it" in result.output and "Fix:" in result.output
    assert not (tiny_config_file.parent / "outputs" / "runs").exists()


def test_models_command_says_where_each_model_resolves(
    tiny_config_file: Path, tiny_models: dict[str, Path], monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line, paths unfolded
    result = _invoke("models", "-c", str(tiny_config_file))
    assert result.exit_code == 0
    for key, name in (("translate.models.de", "de"), ("translate.models.it", "it"), ("summarize.model", "summarizer")):
        row = next(line for line in result.output.splitlines() if key in line)
        assert f"local folder: {tiny_models[name]}" in row
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = _invoke("models", "-c", str(tiny_config_file), "--set", "summarize.model=someone/not-cached-model")
    assert result.exit_code == 2 and "hf download" in result.output
    row = next(line for line in result.output.splitlines() if "summarize.model" in line)
    assert "missing" in row and "hf download someone/not-cached-model" in row
    assert "local folder" in next(line for line in result.output.splitlines() if "translate.models.de" in line)


def test_a_wrong_set_names_the_option_and_the_fix() -> None:
    unknown = _invoke("run", "--set", "foo.bar=2")
    assert unknown.exit_code == 2
    assert unknown.output.startswith("error: --set foo.bar: config key 'foo': unknown key. Fix: remove it or use one of:")
    too_deep = _invoke("run", "--set", "translate.num_beams.x=1")
    assert too_deep.exit_code == 2
    assert too_deep.output.startswith(
        "error: --set translate.num_beams.x: config key 'translate.num_beams.x': 'translate.num_beams' is a key, "
        "not a section. Fix: set it alone, e.g. --set translate.num_beams=VALUE"
    )
