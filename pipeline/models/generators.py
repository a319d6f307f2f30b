"""Model backends behind one small interface: token counting and generation.

The tokenizer half is shared, so every backend splits text identically.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import torch

from pipeline.errors import ModelFolderError, ModelNotFoundError, PipelineError
from pipeline.models.location import DEFAULT_THREADS, ModelLocation

# Special tokens (e.g. </s>) that the tokenizer adds to every input and that count against the limit.
SPECIAL_TOKEN_MARGIN = 2


class Seq2SeqGenerator(Protocol):
    """What the translate and summarize stages need from a model, whatever runs it."""

    location: ModelLocation
    max_input_tokens: int  # for packing: input_limit less the special tokens every input gets
    input_limit: int  # tokens the model reads at most, special tokens included
    num_beams: int
    parallel_batches: int  # batches the backend decodes side by side

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def count_input_tokens(self, texts: list[str]) -> list[int]:
        """Tokens of each text as the model will read it, special tokens included."""
        ...

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]: ...

    def generate_batches(self, batches: Iterable[tuple[list[str], int]], min_new_tokens: int = 0) -> Iterator[list[str]]:
        """`generate` on each (texts, max_new_tokens) batch, outputs yielded in the batches' order; a backend
        may run several batches at once."""
        ...


class OneBatchAtATime:
    """`generate_batches` for backends that run one batch after another."""

    parallel_batches = 1

    def generate_batches(self, batches: Iterable[tuple[list[str], int]], min_new_tokens: int = 0) -> Iterator[list[str]]:
        for texts, max_new_tokens in batches:
            yield self.generate(texts, max_new_tokens, min_new_tokens)  # type: ignore[attr-defined]


@contextmanager
def loading_errors(location: ModelLocation) -> Iterator[None]:
    """A folder that is there but cannot be loaded fails like a missing model: one line, with the fix."""
    try:
        yield
    except (OSError, ValueError) as error:
        kind = ModelFolderError if location.source == "local folder" else ModelNotFoundError
        raise kind(location.ref, str(location.path), f"cannot load: {error}".splitlines()[0]) from None


class TokenizedGenerator(OneBatchAtATime):
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
        self.input_limit = min(model_limit, tokenizer_limit)
        self.max_input_tokens = self.input_limit - SPECIAL_TOKEN_MARGIN

    def count_tokens(self, texts: list[str]) -> list[int]:
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def count_input_tokens(self, texts: list[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(texts, truncation=False)["input_ids"]]

    def check_fits(self, longest_input: int) -> None:
        # Callers split text to fit, so an overlong input is a bug upstream and must fail loudly.
        if longest_input > self.input_limit:
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
    threads: int = DEFAULT_THREADS  # CPU threads the backend may use
