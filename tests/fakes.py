"""Stand-ins for models, for tests that check the plumbing (order, counts, limits) rather than wording."""
from __future__ import annotations

from pathlib import Path

from pipeline.models.generators import OneBatchAtATime
from pipeline.models.location import ModelLocation


class EchoGenerator(OneBatchAtATime):
    """Counts a token per whitespace-separated word and 'generates' its input, tagged, so tests can see
    that every piece came back, in order, and that no call ever exceeded the limit."""

    def __init__(self, max_input_tokens: int = 12, tag: str = "", num_beams: int = 1):
        self.location = ModelLocation("echo", "test", Path("."), "echo-1")
        self.max_input_tokens = self.input_limit = max_input_tokens
        self.num_beams = num_beams
        self.tag = tag
        self.calls: list[list[str]] = []

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(text.split()) for text in texts]

    def count_input_tokens(self, texts: list[str]) -> list[int]:
        return self.count_tokens(texts)

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        assert all(len(text.split()) <= self.max_input_tokens for text in texts), "input over the limit"
        self.calls.append(list(texts))
        return [f"{self.tag}{text}" for text in texts]


class ShrinkingGenerator(EchoGenerator):
    """'Summarizes' by keeping the first `keep` words of its input."""

    def __init__(self, max_input_tokens: int = 12, keep: int = 3):
        super().__init__(max_input_tokens)
        self.keep = keep

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        echoed = super().generate(texts, max_new_tokens, min_new_tokens)
        return [" ".join(text.split()[: self.keep]) + "." for text in echoed]


class FakePool:
    """Hands out one generator per model reference, like ModelPool, and records what was asked for."""

    def __init__(self, **generators: EchoGenerator):
        self.generators = generators
        self.requested: list[str] = []

    def get(self, ref: str, revision: str | None, config_key: str, num_beams: int) -> EchoGenerator:
        self.requested.append(ref)
        return self.generators[ref]
