"""The CTranslate2 backend on the tiny random models: same outputs as transformers on the same weights,
converted once into the cache, usable by the whole pipeline, and clear errors when it cannot run."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import RuntimeConfig
from pipeline.errors import PipelineError
from pipeline.models.generators import BackendOptions, TransformersGenerator
from pipeline.models.location import locate_model
from pipeline.models.pool import ModelPool

pytest.importorskip("ctranslate2")

from pipeline.models.ct2 import CTranslate2Generator, converted_folder  # noqa: E402  (needs ctranslate2)
from tests.test_continuity import without_continuity  # noqa: E402

SOURCES = {
    "de": ["Die Gewerkschaft in München fordert höhere Löhne.", "Netflix sucht eine Managerin.", "Ja."],
    "summarizer": ["Netflix posts a job that pays up to $900,000 while actors strike over AI. " * 3, "Short one."],
}


@pytest.mark.parametrize("model", ["de", "summarizer"])
@pytest.mark.parametrize(("max_new", "min_new"), [(12, 0), (9, 9)])
def test_greedy_outputs_equal_transformers_on_the_same_weights(
    tiny_models: dict[str, Path], tmp_path: Path, model: str, max_new: int, min_new: int
) -> None:
    location = locate_model(str(tiny_models[model]), None, "test")
    reference = TransformersGenerator(location, "cpu", num_beams=1)
    # float32: the same arithmetic as torch, so equal outputs are expected, not just similar ones.
    ct2 = CTranslate2Generator(location, "cpu", 1, BackendOptions(compute_type="float32", convert_dir=tmp_path))
    texts = SOURCES[model]
    expected = reference.generate(texts, max_new_tokens=max_new, min_new_tokens=min_new)
    assert ct2.generate(texts, max_new_tokens=max_new, min_new_tokens=min_new) == expected
    assert ct2.count_tokens(texts) == reference.count_tokens(texts)
    assert ct2.max_input_tokens == reference.max_input_tokens



def test_batches_run_on_every_thread_at_once_and_come_back_in_order(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    location = locate_model(str(tiny_models["de"]), None, "test")
    ct2 = CTranslate2Generator(location, "cpu", 1, BackendOptions(compute_type="int8", convert_dir=tmp_path, threads=2))
    assert ct2.translator.num_translators == 2
    batches = [([text], 6 + index) for index, text in enumerate(SOURCES["de"] * 3)]
    one_at_a_time = [ct2.generate(texts, budget) for texts, budget in batches]
    assert list(ct2.generate_batches(batches)) == one_at_a_time



def test_a_stage_after_a_ctranslate2_stage_still_gets_every_thread(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    # Loading a CTranslate2 model with one thread per batch lowers the OpenMP count torch reports.
    runtime = RuntimeConfig(device="cpu", threads=2)
    with ModelPool(runtime, "ctranslate2", BackendOptions(convert_dir=tmp_path)) as translate_models:
        translate_models.get(str(tiny_models["de"]), None, "translate.models.de", 1)
    with ModelPool(runtime, "ctranslate2", BackendOptions(convert_dir=tmp_path)) as summarize_models:
        summarizer = summarize_models.get(str(tiny_models["summarizer"]), None, "summarize.model", 1)
        assert summarizer.translator.num_translators == 2
        assert torch.get_num_threads() == 2

def _run(config_file: Path, *overrides: str) -> None:
    args = ["run", "-c", str(config_file)]
    for override in overrides:
        args += ["--set", override]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _stories(config_file: Path) -> list:
    """The stories of the work folder's digest, leaving out how they compare with the previous run."""
    return without_continuity(json.loads((config_file.parent / "outputs" / "digest.json").read_text(encoding="utf-8")))


def test_pipeline_on_ctranslate2_writes_the_same_digest_as_on_transformers(tiny_config_file: Path) -> None:
    _run(tiny_config_file)
    expected = _stories(tiny_config_file)
    ct2 = ("translate.backend=ctranslate2", "summarize.backend=ctranslate2")
    float32 = ("translate.ct2_compute_type=float32", "summarize.ct2_compute_type=float32")
    _run(tiny_config_file, *ct2, *float32)
    assert _stories(tiny_config_file) == expected
    converted = sorted(path.name for path in (tiny_config_file.parent / "outputs" / "cache" / "ct2").iterdir() if path.is_dir())
    assert len(converted) == 3 and all(name.endswith("@float32") for name in converted)
    _run(tiny_config_file, *ct2)  # default compute type: int8 on CPU, converted on first use
    assert all(article["summary"] for story in _stories(tiny_config_file) for article in story["articles"])


def test_convert_models_converts_once_into_the_cache(tiny_config_file: Path, tiny_models: dict[str, Path]) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["models", "convert", "-c", str(tiny_config_file)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    location = locate_model(str(tiny_models["it"]), None, "test")
    folder = converted_folder(location, "int8", tiny_config_file.parent / "outputs" / "cache" / "ct2")
    assert (folder / "model.bin").is_file()
    written = (folder / "model.bin").stat().st_mtime_ns
    assert runner.invoke(app, ["models", "convert", "-c", str(tiny_config_file)]).exit_code == 0
    assert (folder / "model.bin").stat().st_mtime_ns == written


def test_missing_ctranslate2_and_unknown_backend_fail_with_the_fix(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PipelineError, match="transformers, ctranslate2|ctranslate2, transformers"):
        ModelPool(RuntimeConfig(device="cpu"), "onnx")
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # what an environment without the package sees
    pool = ModelPool(RuntimeConfig(device="cpu"), "ctranslate2", BackendOptions(convert_dir=tmp_path))
    with pytest.raises(PipelineError, match=r"pip install 'ctranslate2"):
        pool.get(str(tiny_models["de"]), None, "translate.models.de", 1)


def _models_listing(config_file: Path, *overrides: str) -> str:
    args = ["models", "-c", str(config_file)] + [part for override in overrides for part in ("--set", override)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "1000"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_default_backend_converts_each_model_once_on_first_use_and_models_shows_it(tiny_config_file: Path) -> None:
    auto = ("translate.backend=auto", "summarize.backend=auto")
    before = _models_listing(tiny_config_file, *auto)
    assert before.count("ctranslate2 int8, converts on first use") == 3
    _run(tiny_config_file, *auto)
    ct2_dir = tiny_config_file.parent / "outputs" / "cache" / "ct2"
    folders = sorted(path for path in ct2_dir.iterdir() if path.is_dir())
    assert [folder.name.rsplit("@", 1)[1] for folder in folders] == ["int8"] * 3
    written = [(folder / "model.bin").stat().st_mtime_ns for folder in folders]
    _run(tiny_config_file, *auto, "summarize.max_summary_tokens=20")  # the summarizer runs again
    assert [(folder / "model.bin").stat().st_mtime_ns for folder in folders] == written
    after = _models_listing(tiny_config_file, *auto)
    assert after.count("ctranslate2 int8, converted") == 3


def test_auto_runs_a_model_that_cannot_be_converted_on_transformers_with_one_warning(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import pipeline.models.ct2 as ct2_module

    class BrokenConverter:
        def convert(self, output_dir: str, **options: object) -> None:
            raise NotImplementedError("no loader for this architecture")

    monkeypatch.setattr(ct2_module, "_make_converter", lambda ctranslate2, path: BrokenConverter())
    options = BackendOptions(convert_dir=tmp_path)
    generator = ModelPool(RuntimeConfig(device="cpu"), "auto", options).get(str(tiny_models["de"]), None, "translate.models.de", 1)
    assert isinstance(generator, TransformersGenerator)
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1 and "cannot convert" in warnings[0] and "running it on transformers" in warnings[0]
    assert not any(path.is_dir() for path in tmp_path.iterdir())  # no half-written model left behind
    with pytest.raises(PipelineError, match="cannot convert"):  # asked for by name: no silent fallback
        ModelPool(RuntimeConfig(device="cpu"), "ctranslate2", options).get(str(tiny_models["de"]), None, "x", 1)


def test_auto_is_transformers_without_ctranslate2_and_picks_float16_on_gpus_without_int8(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ctranslate2

    from pipeline.models.ct2 import resolve_compute_type
    from pipeline.models.pool import resolve_backend

    assert resolve_backend("auto") == "ctranslate2"
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda device: {"float32", "float16", "int8_float16"})
    assert resolve_compute_type("auto", "cuda") == "int8_float16"
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types", lambda device: {"float32", "float16"})
    assert resolve_compute_type("auto", "cuda") == "float16"
    assert resolve_compute_type("int8", "cuda") == "int8"
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    assert resolve_backend("auto") == "transformers" and resolve_backend("ctranslate2") == "ctranslate2"
