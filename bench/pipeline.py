"""The whole pipeline (runner.run_pipeline) on N generated articles, in the default config and a tuned one:
per-stage seconds, summarize's share, CPU seconds per article and peak RSS, each run in a fresh process so
that peak memory is that run's alone. Shows whether memory stays flat as N grows.

    python bench/pipeline.py                               # N = 50 and 500, default and tuned config
    python bench/pipeline.py --tokens 150 450              # shorter articles, for a quicker run
    python bench/pipeline.py --articles 20 --configs tuned --backend transformers --beams 4

"default" is configs/default.yaml as it is; "tuned" adds --backend, --compute-type and --beams to it. Both
get the workload's output lengths: random weights never end a sequence, so translations are capped at
--output-ratio x their source and summaries are forced to --summary-tokens, about what real weights
write. Models are converted for CTranslate2 beforehand (as a first run or `news-digest models convert`
does), not inside the measured runs: converting loads the full float32 checkpoint, a one-off cost, not a
nightly one. CPU seconds (user + system) are less affected than wall time by other jobs on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
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
from pipeline.models.pool import resolve_backend  # noqa: E402
from pipeline.runner import configured_models, run_pipeline  # noqa: E402

LANGUAGE_SHARES = {"de": 0.5, "it": 0.2, "en": 0.3}


def write_config(args: argparse.Namespace, name: str, articles: int, models: dict[str, Path]) -> Path:
    """A fresh work folder for N articles; converted models are shared with the other bench scripts."""
    work = BENCH_DIR / f"pipeline-{name}-{articles}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "cache").mkdir(parents=True)
    (BENCH_DIR / "ct2").mkdir(parents=True, exist_ok=True)
    (work / "cache" / "ct2").symlink_to((BENCH_DIR / "ct2").resolve(), target_is_directory=True)
    tuned = {"backend": args.backend, "ct2_compute_type": args.compute_type, "num_beams": args.beams}
    model_settings = tuned if name == "tuned" else {}
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
    failed = [error for error in manifest["errors"] if error["status"] == "failed"]
    if failed:  # a run whose articles failed measures nothing
        sys.exit(f"{len(failed)} articles failed, first: {failed[0]['path']}: {failed[0]['problem']}")
    stages = {name: report["seconds"] for name, report in manifest["stages"].items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb(), "stages": stages}))


def peak_rss_mb() -> float:
    """This process's peak RSS. Not getrusage's ru_maxrss: Linux carries the parent's peak over into a
    child, so a parent that converted a model would show up in every child."""
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def convert_first(config: PipelineConfig) -> None:
    from pipeline.models.ct2 import convert_models

    models = {key: model for key, model in configured_models(config).items()
              if resolve_backend(getattr(config, key.split(".")[0]).backend) == "ctranslate2"}
    for key, folder in convert_models(models, config).items():
        print(f"{key}: converted model in {folder}")


def run_child(config_file: Path) -> dict:
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, __file__, "--child", str(config_file)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{config_file} failed:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load": (load, os.getloadavg()[0])}


def print_table(args: argparse.Namespace, rows: list[tuple[str, int, dict]]) -> None:
    names = list(rows[0][2]["stages"])
    print(f"\ntuned: {args.backend} {args.compute_type} beams={args.beams}; both: summaries of {args.summary_tokens} "
          f"tokens, translations <= {args.output_ratio} x source, articles of {args.tokens[0]}..{args.tokens[1]} tokens")
    print("| config | N | total s | " + " | ".join(f"{name} s" for name in names)
          + " | articles/s | summarize share | CPU s/article | peak RSS MB | load before / after |")
    print("|---" * (len(names) + 9) + "|")
    for config, articles, result in rows:
        stage_times = " | ".join(f"{result['stages'][name]:.1f}" for name in names)
        share = result["stages"]["summarize"] / result["seconds"]
        print(f"| {config} | {articles} | {result['seconds']:.0f} | {stage_times} | {articles / result['seconds']:.2f} "
              f"| {100 * share:.0f}% | {result['cpu_seconds'] / articles:.2f} | {result['peak_rss_mb']:.0f} "
              f"| {result['load'][0]:.1f} / {result['load'][1]:.1f} |")
    for config in dict.fromkeys(config for config, _, _ in rows):
        peaks = [(articles, result["peak_rss_mb"]) for name, articles, result in rows if name == config]
        if len(peaks) > 1:
            print(f"{config}: peak RSS at N={peaks[-1][0]} is {100 * (peaks[-1][1] / peaks[0][1] - 1):+.1f}% of N={peaks[0][0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[50, 500], help="workload sizes N, one run each")
    parser.add_argument("--configs", nargs="+", choices=["default", "tuned"], default=["default", "tuned"])
    parser.add_argument("--backend", default="ctranslate2", help="tuned config's backend")
    parser.add_argument("--compute-type", default="int8", help="tuned config's ct2_compute_type")
    parser.add_argument("--beams", type=int, default=1, help="tuned config's num_beams")
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
    # N outside, configs inside: the two configs of one N run back to back, under the same load.
    for articles in args.articles:
        for name in args.configs:
            config_file = write_config(args, name, articles, models)
            convert_first(load_config(config_file))
            print(f"{name}, N={articles}: running {config_file}", flush=True)
            rows.append((name, articles, run_child(config_file)))
    print_table(args, rows)


if __name__ == "__main__":
    main()
