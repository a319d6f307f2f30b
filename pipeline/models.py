"""Where models come from and where they run: the only module that loads weights or picks a device.

A model reference is a local folder (made with `save_pretrained`) or a Hugging Face hub id. Hub ids are
looked up in the HF cache first; only when that misses and `HF_HUB_OFFLINE` is not set is a download
tried. Anything missing fails fast with one line naming the model, the config key and the fix.
"""
from __future__ import annotations

import gc
import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

import torch
from huggingface_hub import constants as hub_constants
from huggingface_hub import snapshot_download

from pipeline.config import PipelineConfig, RuntimeConfig
from pipeline.errors import ModelNotFoundError, PipelineError

log = logging.getLogger(__name__)

# Special tokens (e.g. </s>) that the tokenizer adds to every input and that count against the limit.
SPECIAL_TOKEN_MARGIN = 2


@dataclass(frozen=True)
class ModelLocation:
    ref: str
    source: str  # "local folder", "HF cache" or "hub download"
    path: Path
    revision: str  # commit hash for hub models, "local" for folders


def pick_device(runtime: RuntimeConfig) -> str:
    if runtime.device == "cuda" and not torch.cuda.is_available():
        raise PipelineError("runtime.device is 'cuda' but no CUDA device is visible. Fix: use --device cpu or auto")
    if runtime.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return runtime.device


def configure_threads(runtime: RuntimeConfig) -> None:
    if runtime.threads:
        torch.set_num_threads(runtime.threads)


def _looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or Path(ref).expanduser().exists() or ref.count("/") > 1


def _folder_revision(folder: Path) -> str:
    """A local folder has no commit hash: stand in with one over its files' names, sizes and times."""
    stats = sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file())
    return "local-" + hashlib.sha256(repr(stats).encode()).hexdigest()[:12]


def locate_model(ref: str, revision: str | None, config_key: str, download: bool = True) -> ModelLocation:
    """Resolve a reference to a folder on disk: local folder, else HF cache, else (if allowed) download."""
    folder = Path(ref).expanduser()
    if _looks_like_path(ref):
        if not (folder / "config.json").is_file():
            raise ModelNotFoundError(ref, config_key, f"folder {folder} has no config.json")
        return ModelLocation(ref, "local folder", folder.resolve(), _folder_revision(folder))
    try:
        cached = Path(snapshot_download(ref, revision=revision, local_files_only=True))
        return ModelLocation(ref, "HF cache", cached, cached.name)
    except Exception:  # huggingface_hub raises several types for "not cached"; all mean the same here
        if hub_constants.HF_HUB_OFFLINE or not download:
            detail = "HF_HUB_OFFLINE is set" if hub_constants.HF_HUB_OFFLINE else "not downloaded yet"
            raise ModelNotFoundError(ref, config_key, detail) from None
    try:
        fetched = Path(snapshot_download(ref, revision=revision))
    except Exception as error:
        raise ModelNotFoundError(ref, config_key, f"download failed: {type(error).__name__}") from None
    return ModelLocation(ref, "hub download", fetched, fetched.name)


class Seq2SeqGenerator(Protocol):
    """What the translate and summarize stages need from a model, whatever runs it."""

    location: ModelLocation
    max_input_tokens: int
    num_beams: int

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]: ...


@contextmanager
def loading_errors(location: ModelLocation) -> Iterator[None]:
    """A folder that is there but cannot be loaded fails like a missing model: one line, with the fix."""
    try:
        yield
    except (OSError, ValueError) as error:
        raise ModelNotFoundError(location.ref, str(location.path), f"cannot load: {error}".splitlines()[0]) from None


class TokenizedGenerator:
    """The tokenizer half every backend shares: token counts and the input limit, taken from the model's
    own Hugging Face tokenizer and config so that all backends split text identically."""

    def __init__(self, location: ModelLocation):
        from transformers import AutoConfig, AutoTokenizer

        self.location = location
        with loading_errors(location):
            self.tokenizer = AutoTokenizer.from_pretrained(location.path)
            self.model_config = AutoConfig.from_pretrained(location.path)
        model_limit = getattr(self.model_config, "max_position_embeddings", None) or 512
        tokenizer_limit = self.tokenizer.model_max_length if self.tokenizer.model_max_length < 10**6 else model_limit
        self.max_input_tokens = min(model_limit, tokenizer_limit) - SPECIAL_TOKEN_MARGIN

    def count_tokens(self, texts: list[str]) -> list[int]:
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def check_fits(self, longest_input: int) -> None:
        # Callers split text to fit, so an overlong input is a bug upstream and must fail loudly.
        if longest_input > self.max_input_tokens + SPECIAL_TOKEN_MARGIN:
            raise PipelineError(f"input of {longest_input} tokens exceeds {self.location.ref}'s limit")


class TransformersGenerator(TokenizedGenerator):
    """Tokenizer + `AutoModelForSeq2SeqLM.generate`; works on transformers 4.x and 5.x alike."""

    def __init__(self, location: ModelLocation, device: str, num_beams: int):
        from transformers import AutoModelForSeq2SeqLM

        super().__init__(location)
        self.device = device
        self.num_beams = num_beams
        dtype = torch.float16 if device == "cuda" else torch.float32
        with loading_errors(location):
            self.model = AutoModelForSeq2SeqLM.from_pretrained(location.path, dtype=dtype).to(device).eval()

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=False).to(self.device)
        self.check_fits(batch["input_ids"].shape[1])
        with torch.inference_mode():
            output = self.model.generate(
                **batch,
                num_beams=self.num_beams,
                max_new_tokens=max_new_tokens,
                min_new_tokens=min(min_new_tokens, max_new_tokens),
            )
        return self.tokenizer.batch_decode(output, skip_special_tokens=True)


@dataclass(frozen=True)
class BackendOptions:
    """Settings a backend may need beyond the model, the device and the beam size."""

    compute_type: str = "auto"  # CTranslate2 weights and arithmetic; "auto": int8 on CPU, int8_float16 on CUDA
    convert_dir: Path = Path("outputs/cache/ct2")  # where converted CTranslate2 models are kept


def _load_ctranslate2(location: ModelLocation, device: str, num_beams: int, options: BackendOptions) -> Seq2SeqGenerator:
    # Imported on use: ctranslate2 is an optional dependency and the transformers path must not need it.
    from pipeline.ct2 import CTranslate2Generator

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
