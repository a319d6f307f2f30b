"""Summarization speed: the naive baseline against our summarize stage on transformers and on CTranslate2,
at beam 4 and greedy, and against bare `Translator.translate_batch` on the same chunks. One run, one table.

    python bench/summarize.py                       # 4 articles, random distilbart-cnn-12-6-shaped model
    python bench/summarize.py --articles 12 --naive-articles 2 --model PATH/distilbart-cnn-12-6

Every summary is forced to --summary-tokens tokens (min = max) in every variant, chunk summaries included.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasets import Dataset  # noqa: E402

from bench.common import (  # noqa: E402
    ForcedLengthPool,
    Result,
    bench_models,
    common_arguments,
    compare_variants,
    quiet,
    time_stage,
)
from bench.workload import make_articles  # noqa: E402
from pipeline.config import SummarizeConfig  # noqa: E402
from pipeline.models.generators import TokenizedGenerator  # noqa: E402
from pipeline.models.location import locate_model  # noqa: E402
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
        input=args.input,
    )
    rows = [{"id": str(i), "status": "ok", "problem": "", "title_en": "", "text_en": text} for i, text in enumerate(texts)]
    return time_stage(name, lambda pool: summarize(Dataset.from_list(rows), config, pool), texts, args, backend, beams)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser)
    parser.set_defaults(articles=4)
    parser.add_argument("--model", type=Path, default=None, help="BART-like summarizer folder (default: random distilbart shape)")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--summary-tokens", type=int, default=SummarizeConfig().max_summary_tokens)
    parser.add_argument("--batch-tokens", type=int, default=SummarizeConfig().max_batch_tokens)
    parser.add_argument("--input", choices=["lead", "whole"], default=SummarizeConfig().input, help="summarize.input")
    args = parser.parse_args()
    quiet(args.threads)
    args.model = args.model or bench_models()["summarizer"]
    counter = TokenizedGenerator(locate_model(str(args.model), None, "--model"))
    texts = make_articles(args.articles, "en", counter.count_tokens, args.seed)
    print(f"{len(texts)} articles, {sum(counter.count_tokens(texts))} tokens, model {args.model}")

    compare_variants(args, texts, counter, run_stage, lambda _: args.summary_tokens)


if __name__ == "__main__":
    main()
