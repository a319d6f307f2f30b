"""The models a stage uses, loaded once on first use and freed when the stage is done, and the choice
of the backend that runs them."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import importlib.util
import logging
from dataclasses import replace
from typing import Callable

import torch

from pipeline.config import PipelineConfig, RuntimeConfig
from pipeline.errors import ConversionError, PipelineError
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
from pipeline.text.language import release_identifier

log = logging.getLogger(__name__)


def _load_ctranslate2(location: ModelLocation, device: str, num_beams: int, options: BackendOptions) -> Seq2SeqGenerator:
    # Imported on use: ctranslate2 is an optional dependency and the transformers path must not need it.
    from pipeline.models.ct2 import CTranslate2Generator

    return CTranslate2Generator(location, device, num_beams, options)


def _load_transformers(location: ModelLocation, device: str, num_beams: int, options: BackendOptions) -> Seq2SeqGenerator:
    return TransformersGenerator(location, device, num_beams)


def _load_ctranslate2_or_transformers(
    location: ModelLocation, device: str, num_beams: int, options: BackendOptions
) -> Seq2SeqGenerator:
    """Backend auto: a model CTranslate2 cannot convert still runs, slower, rather than stop the night."""
    try:
        return _load_ctranslate2(location, device, num_beams, options)
    except ConversionError as error:
        log.warning("%s; running it on transformers", error)
        return _load_transformers(location, device, num_beams, options)


GeneratorFactory = Callable[[ModelLocation, str, int, BackendOptions], Seq2SeqGenerator]
BACKENDS: dict[str, GeneratorFactory] = {"transformers": _load_transformers, "ctranslate2": _load_ctranslate2}
AUTO = "auto"


def resolve_backend(name: str) -> str:
    """`auto` is CTranslate2 where it is installed (several times faster on CPU), else transformers."""
    if name != AUTO:
        return name
    return "ctranslate2" if importlib.util.find_spec("ctranslate2") else "transformers"


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    # find_library asks ldconfig (a subprocess): looked up once, not at every checkpoint batch.
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    # Only glibc has both; elsewhere (macOS, Windows, musl) the allocator is left as it is.
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def return_freed_memory() -> None:
    """Hand freed heap back to the system: glibc keeps it otherwise (0.2-0.3 GB after a batch of the translate
    stage, and again after its models are freed), and the next batch's buffers or the next stage's model
    stack on top of it."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


# mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8


@functools.cache
def reuse_freed_memory() -> None:
    """Let glibc reuse the memory of freed buffers instead of asking the system for fresh pages each time.

    By default every buffer above a few MB (a batch's activations, each decoding step's scores) is mapped
    afresh and handed back when freed, in a per-thread arena that keeps little of what it frees: each pass
    then faults its pages in again and the kernel zeroes them. Summarizing 192 leads in batches of 32 took
    9 million page faults and 44% longer than with the buffers reused. One arena, no separate mappings and
    no automatic trim bring that to nearly none; return_freed_memory still hands the heap back between
    checkpoint batches and stages. Set before the model's worker threads start: a thread keeps the arena it
    first used."""
    libc = _glibc()
    if libc is not None:
        for parameter, value in ((_M_ARENA_MAX, 1), (_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, 2**31 - 1)):
            libc.mallopt(parameter, value)


class ModelPool:
    """Loads each model once, on first use, and frees them all when the stage is done."""

    def __init__(self, runtime: RuntimeConfig, backend: str = "transformers", options: BackendOptions | None = None):
        if backend not in (*BACKENDS, AUTO):
            raise PipelineError(f"unknown backend '{backend}'. Fix: use one of {', '.join(sorted((*BACKENDS, AUTO)))}")
        self.device = pick_device(runtime)
        self.backend = resolve_backend(backend)
        chose_ct2 = backend == AUTO and self.backend == "ctranslate2"
        self.factory = _load_ctranslate2_or_transformers if chose_ct2 else BACKENDS[self.backend]
        self.options = replace(options or BackendOptions(), threads=configure_threads(runtime))
        self.loaded: dict[tuple[str, str | None, int], Seq2SeqGenerator] = {}
        if self.device == "cpu":
            reuse_freed_memory()
        return_freed_memory()  # what the work before this stage freed (merge's grouping tables)

    def get(self, ref: str, revision: str | None, config_key: str, num_beams: int) -> Seq2SeqGenerator:
        key = (ref, revision, num_beams)
        if key not in self.loaded:
            location = locate_model(ref, revision, config_key)
            log.info("loading %s from %s (%s) on %s", ref, location.source, location.path, self.device)
            # The stages that tell languages apart do so before their seq2seq model loads (merge too): py3langid's
            # 70 MB would otherwise sit under the run's memory peak, which is a seq2seq model at work.
            release_identifier()
            self.loaded[key] = self.factory(location, self.device, num_beams, self.options)
            # A CTranslate2 model loaded with one thread per batch leaves torch (same OpenMP runtime) on one.
            torch.set_num_threads(self.options.threads)
        return self.loaded[key]

    def close(self) -> None:
        if not self.loaded:
            return  # nothing to free, and a full collection took 0.5 s each at 50 articles
        self.loaded.clear()
        gc.collect()
        return_freed_memory()
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


def describe_backend(config: PipelineConfig, config_key: str, location: ModelLocation) -> str:
    """The backend that will run the model and, for CTranslate2, whether its conversion is cached."""
    section = getattr(config, config_key.split(".")[0])
    backend = resolve_backend(section.backend)
    if backend != "ctranslate2":
        return backend
    from pipeline.models.ct2 import converted_folder, is_converted, resolve_compute_type

    compute_type = resolve_compute_type(section.ct2_compute_type, pick_device(config.runtime))
    folder = converted_folder(location, compute_type, config.cache_dir / "ct2")
    return f"ctranslate2 {compute_type}, " + ("converted" if is_converted(folder) else "converts on first use")
