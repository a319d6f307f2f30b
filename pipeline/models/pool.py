"""The models a stage uses, loaded once on first use and freed when the stage is done."""
from __future__ import annotations

import gc
import logging
from typing import Callable

import torch

from pipeline.config import PipelineConfig, RuntimeConfig
from pipeline.errors import PipelineError
from pipeline.models.generators import (
    BackendOptions,
    Seq2SeqGenerator,
    TransformersGenerator,
)
from pipeline.models.location import (
    ModelLocation,
    configure_threads,
    locate_model,
    pick_device,
)

log = logging.getLogger(__name__)


def _load_ctranslate2(location: ModelLocation, device: str, num_beams: int, options: BackendOptions) -> Seq2SeqGenerator:
    # Imported on use: ctranslate2 is an optional dependency and the transformers path must not need it.
    from pipeline.models.ct2 import CTranslate2Generator

    return CTranslate2Generator(location, device, num_beams, options)


GeneratorFactory = Callable[[ModelLocation, str, int, BackendOptions], Seq2SeqGenerator]
BACKENDS: dict[str, GeneratorFactory] = {
    "transformers": lambda location, device, num_beams, options: TransformersGenerator(location, device, num_beams),
    "ctranslate2": _load_ctranslate2,
}


class ModelPool:
    """Loads each model once, on first use, and frees them all when the stage is done."""

    def __init__(self, runtime: RuntimeConfig, backend: str = "transformers", options: BackendOptions | None = None):
        if backend not in BACKENDS:
            raise PipelineError(f"unknown backend '{backend}'. Fix: use one of {', '.join(sorted(BACKENDS))}")
        self.device = pick_device(runtime)
        self.factory = BACKENDS[backend]
        self.options = options or BackendOptions()
        self.loaded: dict[tuple[str, str | None, int], Seq2SeqGenerator] = {}
        configure_threads(runtime)

    def get(self, ref: str, revision: str | None, config_key: str, num_beams: int) -> Seq2SeqGenerator:
        key = (ref, revision, num_beams)
        if key not in self.loaded:
            location = locate_model(ref, revision, config_key)
            log.info("loading %s from %s (%s) on %s", ref, location.source, location.path, self.device)
            self.loaded[key] = self.factory(location, self.device, num_beams, self.options)
        return self.loaded[key]

    def close(self) -> None:
        self.loaded.clear()
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def __enter__(self) -> "ModelPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_pool(config: PipelineConfig, section: str | None) -> ModelPool:
    """The pool for one stage, running its config section's backend (transformers for stages without one)."""
    if section is None:
        return ModelPool(config.runtime)
    settings = getattr(config, section)
    options = BackendOptions(compute_type=settings.ct2_compute_type, convert_dir=config.cache_dir / "ct2")
    return ModelPool(config.runtime, settings.backend, options)
