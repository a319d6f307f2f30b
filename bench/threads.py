"""How CTranslate2 should use the CPU's cores: one batch at a time on all of them (intra_threads), or one
batch per core, several batches at once (inter_threads). Same inputs, same outputs, one table.

    python bench/threads.py                 # random real-shape models, the default threads (one per core)
    python bench/threads.py --threads 4 --batches 12

Each workload is a stage's typical batch: translation chunks of 64 tokens, 64 to a batch (translate's
max_batch_tokens 4096), decoding 72 tokens; summarizer leads of 128 and 256 tokens, 2048 tokens to a batch,
decoding 60. Random weights never end a sequence, so every output has its full length.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ctranslate2  # noqa: E402

from bench.common import BENCH_DIR, bench_models  # noqa: E402
from pipeline.models.ct2 import ensure_converted  # noqa: E402
from pipeline.models.location import locate_model  # noqa: E402

# model, source tokens, sequences per batch, tokens decoded
WORKLOADS = [("de", 64, 64, 72), ("summarizer", 128, 16, 60), ("summarizer", 256, 8, 60)]
FILLER = {"de": ["▁der", "▁Stadt", "▁hat", "▁am", "▁Montag"], "summarizer": ["Ġthe", "Ġcity", "Ġsaid", "Ġon", "ĠMonday"]}


def run(folder: Path, workers: int, threads_per_batch: int, batches: list[list[list[str]]], decode: int) -> tuple[float, str]:
    translator = ctranslate2.Translator(str(folder), device="cpu", compute_type="int8", inter_threads=workers, intra_threads=threads_per_batch)
    start = time.perf_counter()
    pending = [
        translator.translate_batch(batch, beam_size=1, max_decoding_length=decode, min_decoding_length=decode, max_input_length=0, asynchronous=True)
        for batch in batches
    ]
    outputs = [result.result().hypotheses[0] for results in pending for result in results]
    seconds = time.perf_counter() - start
    return seconds, hashlib.sha256(repr(outputs).encode()).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batches", type=int, default=6, help="batches per workload")
    args = parser.parse_args()
    models = bench_models()
    print(f"| workload | one batch at a time, {args.threads} threads: ms/sequence | {args.threads} batches at once, 1 thread each: ms/sequence | speed-up | same outputs |")
    print("|---|---|---|---|---|")
    for model, source_tokens, size, decode in WORKLOADS:
        folder = ensure_converted(locate_model(str(models[model]), None, model), "int8", BENCH_DIR / "ct2")
        words = FILLER[model]
        batches = [[[words[(i + j + k) % len(words)] for k in range(source_tokens)] + ["</s>"] for j in range(size)] for i in range(args.batches)]
        sequences = size * args.batches
        serial, serial_outputs = run(folder, 1, args.threads, batches, decode)
        parallel, parallel_outputs = run(folder, args.threads, 1, batches, decode)
        print(f"| {model}, {source_tokens} tokens x {size}, decode {decode} | {1000 * serial / sequences:.1f} "
              f"| {1000 * parallel / sequences:.1f} | {serial / parallel:.2f}x | {serial_outputs == parallel_outputs} |", flush=True)


if __name__ == "__main__":
    main()
