"""Throughput of the engines on this machine: the local engine against the ray engine with 1 and 2 workers
(a local Ray instance), on the same N generated articles (bench/workload.py), each variant in a fresh work
folder so that every article is computed. Prints one table.

    python bench/scale.py                                    # 24 articles, tiny random models
    python bench/scale.py --real-size --articles 8           # real opus-mt / distilbart shapes
    python bench/scale.py --workers 1 2 4 --checkpoint 2

articles/s counts the stages an engine runs (clean, detect, translate, summarize, check), start-up included:
for Ray that is starting the instance and one actor pool per stage, each actor loading its models.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_DIR, MODEL_NAMES, bench_models, quiet  # noqa: E402
from bench.pipeline import LANGUAGE_SHARES  # noqa: E402
from bench.workload import write_corpus  # noqa: E402
from pipeline.config import PipelineConfig  # noqa: E402
from pipeline.models.generators import TokenizedGenerator  # noqa: E402
from pipeline.models.location import locate_model  # noqa: E402
from pipeline.runner import ARTICLE_STAGES, run_pipeline  # noqa: E402
from tests.tiny_models import build_demo_models  # noqa: E402


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=24)
    parser.add_argument("--real-size", action="store_true", help="random models of the real checkpoints' shapes")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray worker counts to measure")
    parser.add_argument("--checkpoint", type=int, default=4, help="runtime.checkpoint_articles: the batch per actor call")
    parser.add_argument("--tokens", type=int, nargs=2, default=[150, 450], help="article length range, in model tokens")
    parser.add_argument("--output-ratio", type=float, default=1.0, help="translate.max_output_ratio")
    parser.add_argument("--summary-tokens", type=int, default=40, help="summarize.max_summary_tokens")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def prepare(args: argparse.Namespace) -> tuple[Path, dict[str, Path]]:
    """The models and one corpus that every variant reads."""
    if args.real_size:
        models = bench_models()
    else:
        models = {key: BENCH_DIR / "tiny-models" / name for key, name in MODEL_NAMES.items()}
        if not all((folder / "config.json").is_file() for folder in models.values()):
            build_demo_models(BENCH_DIR / "tiny-models")
    corpus = BENCH_DIR / "scale-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    counters = {key: TokenizedGenerator(locate_model(str(models[key]), None, key)).count_tokens for key in ("de", "it")}
    counters["en"] = TokenizedGenerator(locate_model(str(models["summarizer"]), None, "en")).count_tokens
    counts = {language: round(args.articles * share) for language, share in LANGUAGE_SHARES.items()}
    write_corpus(corpus, counts, counters, args.seed, tuple(args.tokens))
    return corpus, models


def measure(
    args: argparse.Namespace, corpus: Path, models: dict[str, Path], engine: dict[str, Any], threads: int = 0
) -> dict[str, float]:
    """Seconds per engine stage, their sum, and the whole run, in a fresh work folder (cold cache)."""
    work = BENCH_DIR / f"scale-{engine['name']}-{engine.get('workers', 0)}-{threads}"
    shutil.rmtree(work, ignore_errors=True)
    config = PipelineConfig.model_validate(
        {
            "paths": {"corpus": str(corpus), "work_dir": str(work)},
            "runtime": {"device": "cpu", "progress": False, "checkpoint_articles": args.checkpoint, "threads": threads},
            "translate": {"models": {"de": str(models["de"]), "it": str(models["it"])}, "num_beams": 1,
                          "max_output_ratio": args.output_ratio},
            "summarize": {"model": str(models["summarizer"]), "num_beams": 1, "max_summary_tokens": args.summary_tokens,
                          "min_summary_tokens": 4},
            "engine": engine,
        }
    )
    start = time.perf_counter()
    stages = run_pipeline(config).read_manifest()["stages"]
    seconds = {name: stages[name]["seconds"] for name in (stage.name for stage in ARTICLE_STAGES)}
    return {**seconds, "engine stages": sum(seconds.values()), "total": time.perf_counter() - start}


def main() -> None:
    args = parse_arguments()
    quiet(0)
    corpus, models = prepare(args)
    articles = len(list(corpus.iterdir()))
    # Ray gives each actor one torch thread per reserved CPU; "local, 1 thread" separates that from Ray itself.
    results = {
        "local": measure(args, corpus, models, {"name": "local"}),
        "local, 1 thread": measure(args, corpus, models, {"name": "local"}, threads=1),
    }
    for n in args.workers:
        results[f"ray, {n} worker{'s' if n > 1 else ''}"] = measure(args, corpus, models, {"name": "ray", "workers": n})
    stage_names = [stage.name for stage in ARTICLE_STAGES]
    size = "real-size" if args.real_size else "tiny"
    print(f"\n{articles} articles, {size} random models, batches of {args.checkpoint}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"| engine | articles/s | engine stages s | {' s | '.join(stage_names)} s | whole run s |")
    print("|---|" + "---|" * (len(stage_names) + 3))
    for label, seconds in results.items():
        cells = " | ".join(f"{seconds[name]:.1f}" for name in stage_names)
        print(f"| {label} | {articles / seconds['engine stages']:.2f} | {seconds['engine stages']:.1f} | {cells} | {seconds['total']:.1f} |")


if __name__ == "__main__":
    main()
