"""Summarization speed: the naive baseline against our summarize stage on transformers and on CTranslate2,
at beam 4 and greedy, and against bare `Translator.translate_batch` on the same chunks. One run, one table.

    python bench/summarize.py                       # 4 articles, random distilbart-cnn-12-6-shaped model
    python bench/summarize.py --articles 12 --naive-articles 2 --model PATH/distilbart-cnn-12-6

Every summary is forced to --summary-tokens tokens (min = max) in every variant, chunk summaries included.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasets import Dataset  # noqa: E402

from bench.common import (  # noqa: E402
    BENCH_DIR, ForcedLengthPool, Result, bench_models, common_arguments, print_table, quiet, run_bare_ct2, run_naive,
)
from bench.workload import make_articles  # noqa: E402
from pipeline.config import RuntimeConfig, SummarizeConfig  # noqa: E402
from pipeline.models import BackendOptions, ModelPool, TokenizedGenerator, locate_model  # noqa: E402
from pipeline.stages.summarize import summarize  # noqa: E402


def run_stage(name: str, texts: list[str], args: argparse.Namespace, backend: str, beams: int) -> tuple[Result, ForcedLengthPool]:
    config = SummarizeConfig(
        model=str(args.model),
        backend=backend,
        ct2_compute_type=args.compute_type,
        num_beams=beams,
        max_summary_tokens=args.summary_tokens,
        min_summary_tokens=args.summary_tokens,
        max_batch_tokens=args.batch_tokens,
    )
    options = BackendOptions(compute_type=args.compute_type, convert_dir=BENCH_DIR / "ct2")
    pool = ForcedLengthPool(ModelPool(RuntimeConfig(device="cpu", threads=args.threads), backend, options))
    start = time.perf_counter()
    generator = pool.get(str(args.model), None, "bench", beams)  # load (and convert) outside the timing
    load = time.perf_counter() - start
    rows = [{"id": str(i), "status": "ok", "problem": "", "text_en": text} for i, text in enumerate(texts)]
    start = time.perf_counter()
    summarize(Dataset.from_list(rows), config, pool)
    seconds = time.perf_counter() - start
    tokens = sum(generator.count_tokens(texts))
    return Result(name, seconds, len(texts), tokens, tokens, pool.output_tokens(), load), pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser)
    parser.set_defaults(articles=4)
    parser.add_argument("--model", type=Path, default=None, help="BART-like summarizer folder (default: random distilbart shape)")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--summary-tokens", type=int, default=SummarizeConfig().max_summary_tokens)
    parser.add_argument("--batch-tokens", type=int, default=SummarizeConfig().max_batch_tokens)
    args = parser.parse_args()
    quiet(args.threads)
    args.model = args.model or bench_models()["summarizer"]
    counter = TokenizedGenerator(locate_model(str(args.model), None, "--model"))
    texts = make_articles(args.articles, "en", counter.count_tokens, args.seed)
    print(f"{len(texts)} articles, {sum(counter.count_tokens(texts))} tokens, model {args.model}")

    results = []
    wanted = lambda name: name not in args.skip  # noqa: E731
    naive_name = f"naive beam{args.beams}"
    if wanted(naive_name):
        naive, read = run_naive(naive_name, args.model, texts[: args.naive_articles], args.beams, lambda _: args.summary_tokens)
        offered = counter.count_tokens(texts[: args.naive_articles])
        cut = [1 - kept / total for kept, total in zip(read, offered)]
        print(f"naive: {sum(c > 0 for c in cut)}/{len(cut)} articles truncated, {100 * sum(cut) / len(cut):.0f}% "
              "of an article on average never read")
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
