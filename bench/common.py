"""What the bench scripts share: the real-shape random models, forced output lengths, the naive baseline,
a bare-CTranslate2 replay, and one results table whose ratios all come from the same run.

Random weights rarely emit an end token, so every output runs to its length budget; the scripts also
force min = max length, so a folder with real weights (--model) does exactly the same amount of work.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from pipeline.config import RuntimeConfig
from pipeline.models.generators import BackendOptions, OneBatchAtATime, Seq2SeqGenerator
from pipeline.models.pool import ModelPool

BENCH_DIR = Path("outputs/bench")
MODEL_NAMES = {"de": "opus-mt-de-en", "it": "opus-mt-it-en", "summarizer": "distilbart"}


def bench_models(root: Path = BENCH_DIR / "models") -> dict[str, Path]:
    """Random models with the real checkpoints' shapes, built once (about 30 s, 1.8 GB) and reused."""
    folders = {key: root / name for key, name in MODEL_NAMES.items()}
    if not all((folder / "config.json").is_file() for folder in folders.values()):
        # Imported only to build: transformers' model classes would add 130 MB to every measured run's peak RSS.
        from tests.tiny_models import build_demo_models

        print(f"building real-shape random models in {root} (once)")
        build_demo_models(root, real_size=True)
    return folders


def common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=int, default=6, help="workload size N (5..500)")
    parser.add_argument("--naive-articles", type=int, default=None, help="run the naive baseline on the first K only")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default, one per core)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=[], help="variants to leave out (names as in the table)")


def quiet(threads: int) -> None:
    import datasets
    import transformers

    logging.basicConfig(level=logging.WARNING)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    if threads:
        torch.set_num_threads(threads)


@dataclass
class Result:
    name: str
    seconds: float
    articles: int
    offered_tokens: int  # input tokens in the texts given
    source_tokens: int  # of those, the ones the model actually read
    output_tokens: int
    load_seconds: float = 0.0


def print_table(results: list[Result], baseline: str) -> None:
    """One markdown table; every ratio is against `baseline`, measured in this same run."""
    base = next((r for r in results if r.name == baseline), None)
    print(f"\nthreads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"| variant | s | articles/s | source tok/s | output tok/s | source read | x {baseline} (source tok/s) "
          f"| x {baseline} (output tok/s) | x {baseline} (articles/s) |")
    print("|---|---|---|---|---|---|---|---|---|")

    def rates(r: Result) -> tuple[float, float, float]:
        return r.source_tokens / r.seconds, r.output_tokens / r.seconds, r.articles / r.seconds

    for r in results:
        tps, ops, aps = rates(r)
        ratios = [f"{mine / theirs:.1f}" for mine, theirs in zip(rates(r), rates(base))] if base else ["-"] * 3
        read = f"{100 * r.source_tokens / r.offered_tokens:.0f}%"
        print(f"| {r.name} | {r.seconds:.1f} | {aps:.3f} | {tps:.0f} | {ops:.0f} | {read} | " + " | ".join(ratios) + " |")


class ForcedLengthGenerator(OneBatchAtATime):
    """Wraps a generator so every output is exactly its budget long, and counts what was generated."""

    def __init__(self, inner: Seq2SeqGenerator, calls: list[tuple[list[str], int]]):
        self.inner = inner
        self.location = inner.location
        self.max_input_tokens = inner.max_input_tokens
        self.input_limit = inner.input_limit
        self.num_beams = inner.num_beams
        self.calls = calls

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def count_input_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_input_tokens(texts)

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        self.calls.append((list(texts), max_new_tokens))
        self.inner.generate(texts, max_new_tokens, max_new_tokens)
        # Random weights pick rare vocabulary entries that re-tokenize into many pieces, so a chunk summary
        # fed to the next round would be several times its real length. Hand back text of the generated
        # length in ordinary tokens instead: the source's first tokens.
        tokenizer = self.inner.tokenizer
        return [tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"][:max_new_tokens]) for text in texts]


class ForcedLengthPool:
    """A ModelPool whose generators force output lengths and record every generate() call."""

    def __init__(self, pool: ModelPool):
        self.pool = pool
        self.calls: list[tuple[list[str], int]] = []

    def get(self, ref: str, revision: str | None, config_key: str, num_beams: int) -> ForcedLengthGenerator:
        return ForcedLengthGenerator(self.pool.get(ref, revision, config_key, num_beams), self.calls)

    def output_tokens(self) -> int:
        return sum(len(texts) * budget for texts, budget in self.calls)


def run_naive(
    name: str, folder: Path, texts: list[str], num_beams: int, budget: Callable[[int], int]
) -> tuple[Result, list[int]]:
    """What a first script does: load the model, then tokenizer + generate on each whole text, one at a
    time, with the tokenizer's default truncation at the model limit. Returns tokens read per text."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
    load = time.perf_counter() - start
    offered = sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])
    read, produced = [], 0
    start = time.perf_counter()
    for text in texts:
        batch = tokenizer([text], return_tensors="pt", truncation=True)
        length = budget(batch["input_ids"].shape[1])
        model.generate(**batch, num_beams=num_beams, max_new_tokens=length, min_new_tokens=length)
        read.append(batch["input_ids"].shape[1] - 1)  # less the end token the tokenizer appends
        produced += length
    seconds = time.perf_counter() - start
    return Result(name, seconds, len(texts), offered, sum(read), produced, load), read


def run_bare_ct2(name: str, generator: Seq2SeqGenerator, calls: list[tuple[list[str], int]], articles: int, source_tokens: int) -> Result:
    """The same generate() calls our stage made (same chunks, batches and budgets), replayed straight into
    `Translator.translate_batch` with tokenization done beforehand: the floor our stage's overhead is
    measured against."""
    tokenizer = generator.tokenizer
    tokenized = [[tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(texts)["input_ids"]] for texts, _ in calls]
    start = time.perf_counter()
    for tokens, (texts, budget) in zip(tokenized, calls):
        length = max(1, budget - generator.reserved_end)
        generator.translator.translate_batch(
            tokens,
            [generator.target_prefix] * len(tokens) if generator.target_prefix else None,
            beam_size=generator.num_beams,
            max_decoding_length=length,
            min_decoding_length=length,
            max_input_length=0,
            **generator.decoding,
        )
    seconds = time.perf_counter() - start
    return Result(name, seconds, articles, source_tokens, source_tokens, sum(len(t) * b for t, b in calls))


def ratio_budget(ratio: float, cap: int) -> Callable[[int], int]:
    """The translate stage's own output budget: ratio x input tokens + 8, never past the model limit."""
    return lambda tokens: min(cap, math.ceil(tokens * ratio) + 8)


def time_stage(
    name: str, stage: Callable[[ForcedLengthPool], Any], texts: list[str], args: argparse.Namespace, backend: str, beams: int
) -> tuple[Result, ForcedLengthPool]:
    """Run `stage(pool)` over `texts` with args.model on `backend`, the model loaded (and converted)
    before the clock starts."""
    options = BackendOptions(compute_type=args.compute_type, convert_dir=BENCH_DIR / "ct2")
    pool = ForcedLengthPool(ModelPool(RuntimeConfig(device="cpu", threads=args.threads), backend, options))
    start = time.perf_counter()
    generator = pool.get(str(args.model), None, "bench", beams)
    load = time.perf_counter() - start
    start = time.perf_counter()
    stage(pool)
    seconds = time.perf_counter() - start
    tokens = sum(generator.count_tokens(texts))
    return Result(name, seconds, len(texts), tokens, tokens, pool.output_tokens(), load), pool


StageRunner = Callable[[str, list[str], argparse.Namespace, str, int], tuple[Result, ForcedLengthPool]]


def compare_variants(
    args: argparse.Namespace, texts: list[str], counter: Any, run_stage: StageRunner, naive_budget: Callable[[int], int]
) -> None:
    """The naive baseline on the first --naive-articles texts, then `run_stage` on transformers and on
    CTranslate2 (plus the bare replay of its calls), at --beams and greedy; one table, ratios to naive."""
    results = []
    wanted = lambda name: name not in args.skip  # noqa: E731
    naive_name = f"naive beam{args.beams}"
    if wanted(naive_name):
        naive, read = run_naive(naive_name, args.model, texts[: args.naive_articles], args.beams, naive_budget)
        offered = counter.count_tokens(texts[: args.naive_articles])
        cut = [1 - kept / total for kept, total in zip(read, offered)]
        print(f"naive: {sum(c > 0 for c in cut)}/{len(cut)} articles truncated, {100 * max(cut):.0f}% of the longest "
              f"and {100 * sum(cut) / len(cut):.0f}% of an article on average never read")
        results.append(naive)
    for beams, tag in ((args.beams, f"beam{args.beams}"), (1, "greedy")):
        if wanted(f"stage transformers {tag}"):
            results.append(run_stage(f"stage transformers {tag}", texts, args, "transformers", beams)[0])
        if wanted(f"stage ct2 {args.compute_type} {tag}"):
            result, pool = run_stage(f"stage ct2 {args.compute_type} {tag}", texts, args, "ctranslate2", beams)
            results.append(result)
            generator = pool.pool.get(str(args.model), None, "bench", beams)
            results.append(run_bare_ct2(f"bare ct2 {args.compute_type} {tag}", generator, pool.calls, len(texts), result.source_tokens))
        print(*(f"{r.name}: {r.seconds:.1f} s (load {r.load_seconds:.1f} s)" for r in results), sep="\n", flush=True)
    print_table(results, naive_name)
