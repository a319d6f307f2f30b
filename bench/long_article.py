"""One very long article in a nightly corpus: the demo corpus plus a one-line article of about 5 MB (just
under ingest.max_file_mb), end to end, each run `python -m pipeline run` in a fresh process on tiny random
models. The default ingest.max_article_chars skips the long article with a one-line reason, and the demo
story is written as usual. Then one-line articles of 50k, 100k and 200k characters with the cap raised:
what every stage costs as an article grows.

    python bench/long_article.py

Work folder: outputs/bench/long_article/ (replaced on every run of the script).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a plain script run from anywhere must still import the pipeline package

from bench.common import BENCH_DIR  # noqa: E402
from bench.incremental import timed_run, write_config  # noqa: E402
from tests.demo_corpus import CORPUS_DIR  # noqa: E402
from tests.tiny_models import build_demo_models  # noqa: E402

WORK = ROOT / BENCH_DIR / "long_article"
LONG_NAME = "long.txt"
STAGES = ("ingest", "clean", "detect", "translate", "summarize", "check", "merge")


def one_line_article(size: int, unit: str = "chars") -> str:
    """German demo text without its line breaks, repeated to `size` characters (or UTF-8 bytes at most):
    a scrape gone wrong."""
    german = " ".join((CORPUS_DIR / sorted(p.name for p in CORPUS_DIR.glob("*.txt"))[0]).read_text(encoding="utf-8").split())
    text = " ".join([german] * (size // len(german) + 1))
    return text[:size] if unit == "chars" else text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


def run_with(work: Path, models: dict[str, Path], article: str, *options: str) -> tuple[float, dict]:
    shutil.rmtree(work, ignore_errors=True)
    (work / "corpus").mkdir(parents=True)
    for demo in CORPUS_DIR.glob("*.txt"):
        shutil.copyfile(demo, work / "corpus" / demo.name)
    (work / "corpus" / LONG_NAME).write_text(article, encoding="utf-8")
    # One torch thread: the tiny models gain nothing from two, which only spin when other jobs share the cores.
    return timed_run(write_config(work, models, threads=1), *options)


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    models = build_demo_models(WORK / "models")
    # Just under ingest.max_file_mb (5), which would otherwise skip it before it is read.
    article = one_line_article(5 * 1024 * 1024 - 1024, unit="bytes")
    rows = [("demo + 5 MB", *run_with(WORK / "5mb", models, article))]
    problem = next(error["problem"] for error in rows[0][2]["errors"] if error["path"] == LONG_NAME)
    digest = json.loads((WORK / "5mb" / "outputs" / "digest.json").read_text(encoding="utf-8"))
    stories = [len(story["articles"]) for story in digest["stories"]]
    print(f"\ndemo corpus + a {len(article.encode()):,}-byte one-line article: stories (articles each) {stories}")
    print(f"{LONG_NAME}: {problem}")
    for chars in (50_000, 100_000, 200_000):
        options = ("--set", "ingest.max_article_chars=1000000")
        rows.append((f"demo + {chars:,} chars, cap raised", *run_with(WORK / f"{chars}", models, one_line_article(chars), *options)))
    print(f"\nload average {os.getloadavg()[0]:.1f}; seconds, whole run (process start-up included) and per stage")
    print(f"| corpus | whole run | {' | '.join(STAGES)} |")
    print("|---|---|" + "---|" * len(STAGES))
    for name, seconds, manifest in rows:
        per_stage = " | ".join(f"{manifest['stages'][stage]['seconds']:.1f}" for stage in STAGES)
        print(f"| {name} | {seconds:.1f} | {per_stage} |")


if __name__ == "__main__":
    main()
