"""The whole pipeline (runner.run_pipeline) on N generated articles: per-stage seconds and peak RSS, each N
in a fresh process so that peak memory is that run's alone. Shows whether memory stays flat as N grows.

    python bench/pipeline.py                               # N = 50 and 500, ctranslate2 int8, greedy
    python bench/pipeline.py --articles 20 --backend transformers --beams 4
    python bench/pipeline.py --tokens 150 450              # shorter articles, for a quicker run

Models are converted for CTranslate2 beforehand (as `news-digest models convert` does), not inside the
measured runs: converting loads the full float32 checkpoint, which is a one-off cost, not a nightly one.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from bench.common import BENCH_DIR, bench_models, quiet  # noqa: E402
from bench.workload import ARTICLE_TOKENS, write_corpus  # noqa: E402
from pipeline.config import PipelineConfig, load_config  # noqa: E402
from pipeline.models.generators import TokenizedGenerator  # noqa: E402
from pipeline.models.location import locate_model  # noqa: E402
from pipeline.runner import configured_models, run_pipeline  # noqa: E402

LANGUAGE_SHARES = {"de": 0.5, "it": 0.2, "en": 0.3}


def write_config(args: argparse.Namespace, articles: int, models: dict[str, Path]) -> Path:
    """A fresh work folder for N articles; converted models are shared with the other bench scripts."""
    work = BENCH_DIR / f"pipeline-{args.backend}-{articles}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "cache").mkdir(parents=True)
    (BENCH_DIR / "ct2").mkdir(parents=True, exist_ok=True)
    (work / "cache" / "ct2").symlink_to((BENCH_DIR / "ct2").resolve(), target_is_directory=True)
    model_settings = {"backend": args.backend, "ct2_compute_type": args.compute_type, "num_beams": args.beams}
    settings = {
        "paths": {"corpus": str(work / "corpus"), "work_dir": str(work)},
        "runtime": {"device": "cpu", "threads": args.threads, "progress": False},
        "translate": {"models": {"de": str(models["de"]), "it": str(models["it"])}, "max_output_ratio": args.output_ratio,
                      **model_settings},
        "summarize": {"model": str(models["summarizer"]), "max_summary_tokens": args.summary_tokens,
                      "min_summary_tokens": args.summary_tokens, **model_settings},
    }
    config_file = work / "config.yaml"
    config_file.write_text(yaml.safe_dump(settings), encoding="utf-8")
    counters = {key: TokenizedGenerator(locate_model(str(models[key]), None, key)).count_tokens for key in ("de", "it")}
    counters["en"] = TokenizedGenerator(locate_model(str(models["summarizer"]), None, "en")).count_tokens
    counts = {language: round(articles * share) for language, share in LANGUAGE_SHARES.items()}
    write_corpus(work / "corpus", counts, counters, args.seed, tuple(args.tokens))
    return config_file


def child(config_file: Path) -> None:
    """Run the pipeline once and print its stage times and this process's peak RSS as JSON."""
    quiet(0)
    start = time.perf_counter()
    manifest = run_pipeline(load_config(config_file)).read_manifest()
    seconds = time.perf_counter() - start
    stages = {name: report["seconds"] for name, report in manifest["stages"].items()}
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "stages": stages}))


def peak_rss_mb() -> float:
    """This process's peak RSS. Not getrusage's ru_maxrss: Linux carries the parent's peak over into a
    child, so a parent that converted a model would show up in every child."""
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def convert_first(config: PipelineConfig) -> None:
    from pipeline.models.ct2 import convert_models

    for key, folder in convert_models(configured_models(config), config).items():
        print(f"{key}: converted model in {folder}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[50, 500], help="workload sizes N, one run each")
    parser.add_argument("--backend", default="ctranslate2")
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--summary-tokens", type=int, default=60)
    parser.add_argument("--output-ratio", type=float, default=1.0, help="translation output tokens per input token")
    parser.add_argument("--tokens", type=int, nargs=2, default=list(ARTICLE_TOKENS), help="article length range")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    quiet(args.threads)
    models = bench_models()
    rows = []
    for articles in args.articles:
        config_file = write_config(args, articles, models)
        if args.backend == "ctranslate2":
            convert_first(load_config(config_file))
        print(f"N={articles}: running {config_file}", flush=True)
        done = subprocess.run([sys.executable, __file__, "--child", str(config_file)], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"N={articles} failed:\n{done.stderr[-3000:]}")
        rows.append((articles, json.loads(done.stdout.strip().splitlines()[-1])))
    names = list(rows[0][1]["stages"])
    print(f"\n{args.backend} {args.compute_type if args.backend == 'ctranslate2' else ''} beams={args.beams}, "
          f"summary {args.summary_tokens} tokens, articles of {args.tokens[0]}..{args.tokens[1]} tokens")
    print("| N | total s | " + " | ".join(f"{name} s" for name in names) + " | articles/s | peak RSS MB |")
    print("|---" * (len(names) + 4) + "|")
    for articles, result in rows:
        stage_times = " | ".join(f"{result['stages'][name]:.1f}" for name in names)
        print(f"| {articles} | {result['seconds']:.0f} | {stage_times} | {articles / result['seconds']:.2f} | {result['peak_rss_mb']:.0f} |")
    if len(rows) > 1:
        low, high = rows[0][1]["peak_rss_mb"], rows[-1][1]["peak_rss_mb"]
        print(f"peak RSS at N={rows[-1][0]} is {100 * (high / low - 1):+.1f}% of N={rows[0][0]}")


if __name__ == "__main__":
    main()
