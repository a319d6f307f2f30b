"""Shared fixtures: tiny random models built from the sample corpus, and a config file that uses them."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest
import torch
import yaml

from pipeline.config import load_config
from tests.demo_corpus import CORPUS_DIR
from tests.tiny_models import build_demo_models


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Random de->en and it->en MarianMT models and a BART summarizer, saved like hub checkpoints.

    Returns {"de": folder, "it": folder, "summarizer": folder}; built once per session in a temp dir.
    """
    return build_demo_models(tmp_path_factory.mktemp("tiny_models"))


@pytest.fixture
def tiny_config_file(tmp_path: Path, tiny_models: dict[str, Path]) -> Path:
    """A pipeline config in tmp_path that runs on a private copy of the corpus with the tiny models, on the
    transformers backend: the reference the CTranslate2 tests compare with, and no conversion per test."""
    corpus = tmp_path / "corpus"
    # copyfile, not copy2: the repo's articles are read-only and tests may edit or add to the copy.
    shutil.copytree(CORPUS_DIR, corpus, copy_function=shutil.copyfile)
    settings = {
        "paths": {"corpus": str(corpus), "work_dir": str(tmp_path / "outputs")},
        "runtime": {"device": "cpu", "progress": False},
        "translate": {
            "models": {"de": str(tiny_models["de"]), "it": str(tiny_models["it"])},
            "backend": "transformers",
            "num_beams": 1,
        },
        "summarize": {
            "model": str(tiny_models["summarizer"]),
            "backend": "transformers",
            "num_beams": 1,
            "max_summary_tokens": 24,
            "min_summary_tokens": 4,
        },
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    # Fail here, naming the key, rather than deep inside a test, when the config schema moves on.
    load_config(config_file)
    return config_file


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """For configs with runtime.threads 1, which sets torch's thread count for the whole process: put it
    back afterwards, so that later tests run as they would alone."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def quick_config_file(tiny_config_file: Path, one_torch_thread: None) -> Path:
    """tiny_config_file made cheap, for tests of the run plumbing (cache, selection, crashes) that run the
    pipeline several times: random models never stop early, so the output budget is the cost; and tiny
    models gain nothing from a second thread, which only spins when other jobs share the cores."""
    settings = yaml.safe_load(tiny_config_file.read_text(encoding="utf-8"))
    settings["translate"]["max_output_ratio"] = 0.25
    settings["runtime"]["threads"] = 1
    tiny_config_file.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return tiny_config_file


DEV_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"


@pytest.fixture(scope="session")
def dev_data() -> Path:
    """The dev data folder (../shared/data/dev beside the clone, as in CI). Missing, the tests that need it
    fail rather than skip: a skipped quality guard passes silently."""
    if not (DEV_DATA / "pages.gold.json").is_file():
        pytest.fail(f"the dev data is not at {DEV_DATA}: put ../shared/data/dev beside the clone")
    return DEV_DATA
