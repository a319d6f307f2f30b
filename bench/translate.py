"""Translation speed: the naive baseline against our translate stage on transformers and on CTranslate2,
at beam 4 and greedy, and against bare `Translator.translate_batch` on the same chunks. One run, one table.

    python bench/translate.py                      # 6 articles, random opus-mt-shaped model
    python bench/translate.py --articles 20 --naive-articles 3 --model PATH/opus-mt-de-en

Every output is forced to the stage's own budget (output-ratio x input tokens + 8), in every variant.
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
    ratio_budget,
    time_stage,
)
from bench.workload import make_articles  # noqa: E402
from pipeline.config import TranslateConfig  # noqa: E402
from pipeline.models.generators import TokenizedGenerator  # noqa: E402
from pipeline.models.location import locate_model  # noqa: E402
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
    rows = [
        {"id": str(i), "path": f"{i}.txt", "status": "ok", "problem": "", "title": "", "text": text, "language": args.language}
        for i, text in enumerate(texts)
    ]
    return time_stage(name, lambda pool: translate(Dataset.from_list(rows), config, pool), texts, args, backend, beams)


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

    compare_variants(args, texts, counter, run_stage, ratio_budget(args.output_ratio, counter.max_input_tokens))


if __name__ == "__main__":
    main()
