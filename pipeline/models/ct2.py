"""The CTranslate2 backend: the same Hugging Face checkpoints, converted once to CTranslate2 (int8 on CPU
by default) and run by its C++ decoder, several times faster than `generate` on a few CPU cores.

A converted model is kept in `<cache_dir>/ct2/<name>@<revision>@<compute_type>`, written on first use
(or ahead of a run by `news-digest models convert`) under a file lock, and reused by every later run.
Tokenization stays with the model's own Hugging Face tokenizer, so both backends split, count and decode
text identically.
"""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Iterator

from filelock import FileLock
from tqdm.auto import tqdm

from pipeline.config import PipelineConfig
from pipeline.errors import ConversionError, PipelineError
from pipeline.models.generators import (
    BackendOptions,
    TokenizedGenerator,
    loading_errors,
)
from pipeline.models.location import ModelLocation, locate_model, pick_device
from pipeline.store.atomic import atomic_path

log = logging.getLogger(__name__)


def require_ctranslate2() -> ModuleType:
    try:
        import ctranslate2
    except ImportError:
        raise PipelineError(
            "backend 'ctranslate2' needs the ctranslate2 package, which is not installed. "
            "Fix: pip install 'ctranslate2>=4.4,<5' (no wheel for this platform: build it from source), or set "
            "translate.backend / summarize.backend to auto or transformers"
        ) from None
    return ctranslate2


# "auto", best first: int8 weights (a quarter of float32's size, the fastest on CPU); on CUDA int8 weights
# with float16 arithmetic, else plain float16 on GPUs without int8 kernels.
AUTO_COMPUTE_TYPES = {"cpu": ("int8", "float32"), "cuda": ("int8_float16", "float16")}


def resolve_compute_type(requested: str, device: str) -> str:
    if requested != "auto":
        return requested
    supported = require_ctranslate2().get_supported_compute_types(device)
    return next((kind for kind in AUTO_COMPUTE_TYPES[device] if kind in supported), AUTO_COMPUTE_TYPES[device][-1])


def converted_folder(location: ModelLocation, compute_type: str, root: Path) -> Path:
    # Hub ids keep their owner ("Helsinki-NLP--opus-mt-de-en"); local folders are told apart by revision.
    name = location.path.name if location.source == "local folder" else location.ref.replace("/", "--")
    return Path(root) / re.sub(r"[^\w.@-]+", "_", f"{name}@{location.revision}@{compute_type}")


def is_converted(folder: Path) -> bool:
    return (folder / "model.bin").is_file()


def ensure_converted(location: ModelLocation, compute_type: str, root: Path) -> Path:
    """The converted model's folder, converting it first if no earlier run or command has."""
    target = converted_folder(location, compute_type, root)
    if is_converted(target):
        return target
    ctranslate2 = require_ctranslate2()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Two runs sharing a cache must not convert the same model at once; the second reuses the first's.
    with FileLock(str(target) + ".lock"):
        if is_converted(target):
            return target
        log.info("converting %s to CTranslate2 (%s) into %s, once", location.ref, compute_type, target)
        start = time.perf_counter()
        # Converting reads the whole float32 checkpoint: a minute for the default summarizer on 2 cores, so a
        # first run says what it is doing rather than look stuck.
        with tqdm(total=1, desc=f"converting {location.ref} to CTranslate2 {compute_type} (once)", unit="model") as bar:
            converter = _make_converter(ctranslate2, str(location.path))
            with atomic_path(target, is_dir=True) as staging:
                try:
                    converter.convert(str(staging), quantization=compute_type, force=True)
                except Exception as error:  # the converter raises whatever its model loader does
                    raise ConversionError(location.ref, f"{type(error).__name__}: {error}") from None
            bar.update(1)
        log.info("converted %s in %.0f s", location.ref, time.perf_counter() - start)
    return target


def _make_converter(ctranslate2: ModuleType, path: str) -> Any:
    class Converter(ctranslate2.converters.TransformersConverter):
        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            # transformers 5 dropped BartConfig.normalize_before, which the BART loader still reads;
            # BART is post-norm, which is what False means.
            if not hasattr(model.config, "normalize_before"):
                model.config.normalize_before = False
            return model

    return Converter(path)


class CTranslate2Generator(TokenizedGenerator):
    """`ctranslate2.Translator.translate_batch` behind the Seq2SeqGenerator interface, with the model's
    generation settings (forced first/last token, n-gram blocking, length penalty) carried over so that
    greedy outputs equal `transformers.generate`'s on the same weights."""

    def __init__(self, location: ModelLocation, device: str, num_beams: int, options: BackendOptions):
        from transformers import GenerationConfig

        ctranslate2 = require_ctranslate2()
        super().__init__(location)
        self.num_beams = num_beams
        compute_type = resolve_compute_type(options.compute_type, device)
        folder = ensure_converted(location, compute_type, options.convert_dir)
        # On CPU one batch per thread (runtime.threads), each on one core: 1.2-1.4x the throughput of one batch
        # at a time on all cores (bench/threads.py). A GPU runs one batch at a time.
        workers, threads_per_batch = (options.threads, 1) if device == "cpu" else (1, options.threads)
        self.parallel_batches = workers
        with loading_errors(location):
            self.translator = ctranslate2.Translator(
                str(folder), device=device, compute_type=compute_type, inter_threads=workers, intra_threads=threads_per_batch
            )
            try:
                generation = GenerationConfig.from_pretrained(location.path)
            except OSError:  # no generation_config.json: transformers derives one from config.json too
                generation = GenerationConfig.from_model_config(self.model_config)
        forced_bos = generation.forced_bos_token_id
        self.target_prefix = [self.tokenizer.convert_ids_to_tokens(forced_bos)] if forced_bos is not None else None
        # transformers spends the last of max_new_tokens on a forced end token; CTranslate2 just stops.
        self.reserved_end = 1 if generation.forced_eos_token_id is not None else 0
        self.decoding = {
            "no_repeat_ngram_size": generation.no_repeat_ngram_size or 0,
            "repetition_penalty": generation.repetition_penalty or 1.0,
            "length_penalty": generation.length_penalty if generation.length_penalty is not None else 1.0,
        }

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        return self._decode([result.hypotheses[0] for result in self._submit(texts, max_new_tokens, min_new_tokens)])

    def generate_batches(self, batches: Iterable[tuple[list[str], int]], min_new_tokens: int = 0) -> Iterator[list[str]]:
        """All batches are queued at once, so every worker thread has one to decode; their outputs still
        come back in order, and are the same as one batch at a time would give."""
        pending = [self._submit(texts, max_new_tokens, min_new_tokens, asynchronous=True) for texts, max_new_tokens in batches]
        for results in pending:
            yield self._decode([result.result().hypotheses[0] for result in results])

    def _submit(self, texts: list[str], max_new_tokens: int, min_new_tokens: int, asynchronous: bool = False) -> list[Any]:
        encoded = self.tokenizer(texts, truncation=False)["input_ids"]
        self.check_fits(max(len(ids) for ids in encoded))
        max_length = max(1, max_new_tokens - self.reserved_end)
        return self.translator.translate_batch(
            [self.tokenizer.convert_ids_to_tokens(ids) for ids in encoded],
            [self.target_prefix] * len(texts) if self.target_prefix else None,
            beam_size=self.num_beams,
            max_decoding_length=max_length,
            min_decoding_length=min(min_new_tokens, max_length),
            max_input_length=0,  # never truncate: inputs were split to fit, and check_fits guards that
            asynchronous=asynchronous,
            **self.decoding,
        )

    def _decode(self, hypotheses: list[list[str]]) -> list[str]:
        return self.tokenizer.batch_decode([self.tokenizer.convert_tokens_to_ids(tokens) for tokens in hypotheses], skip_special_tokens=True)


def convert_models(models: dict[str, tuple[str, str | None]], config: PipelineConfig) -> dict[str, Path]:
    """Convert each configured model (config key -> (reference, revision)) for its section's compute
    type, ahead of a run; models already converted are left as they are."""
    device = pick_device(config.runtime)
    folders = {}
    for key, (ref, revision) in models.items():
        section = getattr(config, key.split(".")[0])
        compute_type = resolve_compute_type(section.ct2_compute_type, device)
        folders[key] = ensure_converted(locate_model(ref, revision, key), compute_type, config.cache_dir / "ct2")
    return folders
