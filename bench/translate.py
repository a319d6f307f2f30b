"""Translation speed: the naive baseline against our translate stage on transformers and on CTranslate2,
at beam 4 and greedy, and against bare `Translator.translate_batch` on the same chunks. One run, one table.

    python bench/translate.py                      # 6 articles, random opus-mt-shaped model
    python bench/translate.py --articles 20 --naive-articles 3 --model PATH/opus-mt-de-en

Every output is forced to the stage's own budget (output-ratio x input tokens + 8), in every variant.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasets import Dataset  # noqa: E402

from bench.common import (  # noqa: E402
    BENCH_DIR, ForcedLengthPool, Result, bench_models, common_arguments, print_table, quiet, ratio_budget, run_bare_ct2,
    run_naive,
)
from bench.workload import make_articles  # noqa: E402
from pipeline.config import RuntimeConfig, TranslateConfig  # noqa: E402
from pipeline.models import BackendOptions, ModelPool, TokenizedGenerator, locate_model  # noqa: E402
from pipeline.stages.translate import translate  # noqa: E402


def run_stage(name: str, texts: list[str], args: argparse.Namespace, backend: str, beams: int) -> tuple[Result, ForcedLengthPool]:
    config = TranslateConfig(
        models={args.language: str(args.model)},
        backend=backend,
        ct2_compute_type=args.compute_type,
        num_beams=beams,
        chunk_tokens=args.chunk_tokens,
        max_batch_tokens=args.batch_tokens,
        max_output_ratio=args.output_ratio,
    )
    options = BackendOptions(compute_type=args.compute_type, convert_dir=BENCH_DIR / "ct2")
    pool = ForcedLengthPool(ModelPool(RuntimeConfig(device="cpu", threads=args.threads), backend, options))
    start = time.perf_counter()
    generator = pool.get(str(args.model), None, "bench", beams)  # load (and convert) outside the timing
    load = time.perf_counter() - start
    rows = [
        {"id": str(i), "path": f"{i}.txt", "status": "ok", "problem": "", "title": "", "text": text, "language": args.language}
        for i, text in enumerate(texts)
    ]
    start = time.perf_counter()
    translate(Dataset.from_list(rows), config, pool)
    seconds = time.perf_counter() - start
    tokens = sum(generator.count_tokens(texts))
    return Result(name, seconds, len(texts), tokens, tokens, pool.output_tokens(), load), pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser)
    parser.add_argument("--model", type=Path, default=None, help="MarianMT folder (default: random opus-mt-de-en shape)")
    parser.add_argument("--language", default="de", help="source language of the workload (de or it)")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--output-ratio", type=float, default=1.0, help="output tokens per input token")
    parser.add_argument("--chunk-tokens", type=int, default=TranslateConfig().chunk_tokens)
    parser.add_argument("--batch-tokens", type=int, default=TranslateConfig().max_batch_tokens)
    args = parser.parse_args()
    quiet(args.threads)
    args.model = args.model or bench_models()[args.language]
    counter = TokenizedGenerator(locate_model(str(args.model), None, "--model"))
    texts = make_articles(args.articles, args.language, counter.count_tokens, args.seed)
    print(f"{len(texts)} articles, {sum(counter.count_tokens(texts))} tokens, model {args.model}")

    results = []
    wanted = lambda name: name not in args.skip  # noqa: E731
    naive_name = f"naive beam{args.beams}"
    if wanted(naive_name):
        naive, read = run_naive(
            naive_name, args.model, texts[: args.naive_articles], args.beams, ratio_budget(args.output_ratio, counter.max_input_tokens)
        )
        offered = counter.count_tokens(texts[: args.naive_articles])
        cut = [1 - kept / total for kept, total in zip(read, offered)]
        print(f"naive: {sum(c > 0 for c in cut)}/{len(cut)} articles truncated, {100 * max(cut):.0f}% of the longest "
              f"and {100 * sum(cut) / len(cut):.0f}% of an article on average never translated")
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


if __name__ == "__main__":
    main()
