"""Installed like a package: the wheel carries the configs and templates (one copy, configs/ at the top of
the repository), `news-digest init` sets up a folder, and the help is readable. `.ci/run` installs the
built wheel into a fresh environment and runs it from an unrelated folder."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import PipelineConfig, load_config

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_the_wheel_carries_the_repository_configs_and_the_templates(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)]
    subprocess.run(command, check=True, timeout=300, capture_output=True)
    (wheel,) = tmp_path.glob("news_digest-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for config in sorted((REPO / "configs").glob("*.yaml")):
            packaged = f"pipeline/configs/{config.name}"
            assert packaged in names
            assert archive.read(packaged) == config.read_bytes(), f"{packaged} is not configs/{config.name}"
    assert {"pipeline/digest/templates/digest.md.j2", "pipeline/digest/templates/digest.html.j2"} <= names


def test_init_writes_a_starter_config_of_every_default_and_an_empty_corpus(tmp_path: Path) -> None:
    folder = tmp_path / "newsroom"
    result = runner.invoke(app, ["init", str(folder)])

    assert result.exit_code == 0, result.output
    assert list((folder / "corpus").iterdir()) == []
    starter = folder / "config.yaml"
    assert load_config(starter) == PipelineConfig()
    tree = yaml.safe_load(starter.read_text(encoding="utf-8"))
    assert set(tree) == set(PipelineConfig.model_fields)
    for section, fields in tree.items():
        assert set(fields) == set(type(getattr(PipelineConfig(), section)).model_fields), section
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == 2
    assert f"{starter} already exists" in again.output


def test_help_shows_no_type_next_to_flags() -> None:
    for command in ([], ["run"], ["cache", "prune"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.output, result.output
