"""What a nightly re-run costs: the demo corpus on a cold cache, an unchanged re-run, a re-run after one
article is added, and one more added with --only-new. Each step is `python -m pipeline run` in a fresh
process, as cron starts it, so start-up (imports) is included. One table, then the cache's size.

    python bench/incremental.py               # tiny random models (built in seconds)
    python bench/incremental.py --real-size   # random models of the real checkpoints' shapes (built once,
                                              # about 30 s, in outputs/bench/models), greedy, short outputs

Work folder: outputs/bench/incremental/ (replaced on every run of the script).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a plain script run from anywhere must still import the pipeline package

import yaml  # noqa: E402

from bench.common import BENCH_DIR, bench_models  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.store.cache import cache_info  # noqa: E402
from pipeline.store.runs import RunFolder  # noqa: E402
from tests.demo_corpus import CORPUS_DIR  # noqa: E402
from tests.tiny_models import build_demo_models  # noqa: E402

WORK = ROOT / BENCH_DIR / "incremental"
MODEL_STAGES = ("clean", "detect", "translate", "summarize")


def write_config(work: Path, models: dict[str, Path], threads: int) -> Path:
    settings = {
        "paths": {"corpus": str(work / "corpus"), "work_dir": str(work / "outputs")},
        "runtime": {"device": "cpu", "progress": False, "threads": threads},
        "translate": {"models": {"de": str(models["de"]), "it": str(models["it"])}, "num_beams": 1, "max_output_ratio": 1.0},
        "summarize": {"model": str(models["summarizer"]), "num_beams": 1, "max_summary_tokens": 40, "min_summary_tokens": 10},
    }
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def add_article(corpus: Path, number: int) -> None:
    """A German article not seen before: a demo article with a paragraph of its own, so every stage works on
    it (second, not last: clean rightly drops short trailing lines as footer)."""
    german = (CORPUS_DIR / sorted(p.name for p in CORPUS_DIR.glob("*.txt"))[0]).read_text(encoding="utf-8")
    first, rest = german.split("\n\n", 1)
    extra = f"Nachtrag {number}: Die Gewerkschaft kündigte am Abend weitere Gespräche mit den Studios an."
    (corpus / f"new_{number}.txt").write_text(f"{first}\n\n{extra}\n\n{rest}", encoding="utf-8")


def timed_run(config: Path, *options: str) -> tuple[float, dict]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "pipeline", "run", "-c", str(config), *options]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return seconds, RunFolder.open(config.parent / "outputs").read_manifest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real-size", action="store_true", help="random models with the real checkpoints' shapes")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: one per core)")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "corpus").mkdir(parents=True)
    for article in CORPUS_DIR.glob("*.txt"):
        shutil.copyfile(article, WORK / "corpus" / article.name)
    models = bench_models() if args.real_size else build_demo_models(WORK / "models")
    config = write_config(WORK, models, args.threads)
    steps = [
        ("full run, cold cache", ()),
        ("unchanged re-run", ()),
        ("1 article added", ()),
        ("1 more added, --only-new", ("--only-new",)),
    ]
    rows = []
    for index, (name, options) in enumerate(steps):
        if index >= 2:
            add_article(WORK / "corpus", index - 1)
        seconds, manifest = timed_run(config, *options)
        computed = "/".join(str(manifest["stages"][stage]["computed"]) for stage in MODEL_STAGES)
        rows.append((name, seconds, computed, manifest["selection"]["articles"]))
    info = cache_info(load_config(config))
    print(f"\n{'real-size' if args.real_size else 'tiny'} random models, greedy; load average {os.getloadavg()[0]:.1f}")
    print(f"| step | seconds | x full run | computed {'/'.join(MODEL_STAGES)} | digest articles |")
    print("|---|---|---|---|---|")
    for name, seconds, computed, articles in rows:
        print(f"| {name} | {seconds:.1f} | {seconds / rows[0][1]:.2f} | {computed} | {articles} |")
    per_stage = ", ".join(f"{stage} {entry['bytes']:,}" for stage, entry in info["stages"].items())
    print(f"\ncache {info['path']}: {info['file_bytes']:,} bytes on disk; stored results by stage (bytes): {per_stage}")


if __name__ == "__main__":
    main()
