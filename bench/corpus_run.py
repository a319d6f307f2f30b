"""The whole pipeline over the real dev corpus, as a night would run it: every `.txt` of
`../shared/data/dev/pages/` (scraped news pages in de/en/fr/es, boilerplate and scripts left in) and
`../shared/data/dev/stories/` (30 stories in de/it/en), 210 articles, with the tiny random models.

    python bench/corpus_run.py [--data ../shared/data/dev] [--threads 2]

Passes when `python -m pipeline run` (a fresh process, as cron starts it) exits 0, writes the digest, and
every article is either in a story or skipped with a one-line reason. Prints wall time and the run's peak
memory (the child process's max RSS). Work folder: outputs/bench/corpus_run/ (replaced on every run).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a plain script run from anywhere must still import the pipeline package

from bench.common import BENCH_DIR  # noqa: E402
from bench.incremental import write_config  # noqa: E402  (tiny models, greedy, short outputs)
from tests.tiny_models import build_demo_models  # noqa: E402

WORK = ROOT / BENCH_DIR / "corpus_run"
PARTS = ("pages", "stories")


def copy_corpus(data: Path, corpus: Path) -> list[str]:
    """Every .txt of the dev data's parts into one flat corpus folder; returns the file names."""
    corpus.mkdir(parents=True)
    names = []
    for part in PARTS:
        for path in sorted((data / part).glob("*.txt")):
            shutil.copyfile(path, corpus / path.name)
            names.append(path.name)
    return names


def check_digest(digest: dict, names: list[str]) -> list[str]:
    """What is wrong with the digest: an article neither in a story nor skipped with a one-line reason."""
    in_stories = [article["path"] for story in digest["stories"] for article in story["articles"]]
    skipped = {entry["path"]: entry["problem"] for entry in digest["skipped"]}
    problems = [f"{name}: not in the digest" for name in names if name not in in_stories and name not in skipped]
    problems += [f"{path}: skipped without a one-line reason" for path, why in skipped.items() if not why or "\n" in why]
    problems += [f"{path}: in {count} stories" for path, count in Counter(in_stories).items() if count > 1]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "dev")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: one per core)")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    names = copy_corpus(args.data, WORK / "corpus")
    config = write_config(WORK, build_demo_models(WORK / "models"), args.threads)

    started = time.perf_counter()
    command = [sys.executable, "-m", "pipeline", "run", "-c", str(config)]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KB

    digest_file = WORK / "outputs" / "digest.json"
    digest = json.loads(digest_file.read_text(encoding="utf-8")) if digest_file.is_file() else None
    problems = [f"exit code {done.returncode}"] if done.returncode else []
    problems += check_digest(digest, names) if digest else ["no digest written"]
    if digest:
        statuses = Counter(entry["status"] for entry in digest["skipped"])
        reasons = Counter(entry["problem"].split(" (")[0][:70] for entry in digest["skipped"])
        print(f"{len(names)} articles: {sum(len(s['articles']) for s in digest['stories'])} in {len(digest['stories'])} stories, "
              f"skipped {dict(statuses)}")
        for reason, count in reasons.most_common():
            print(f"  {count:4d}  {reason}")
    print(f"exit code {done.returncode}, wall {seconds:.1f} s, peak RSS {peak_mb:.0f} MB")
    print("\n".join(done.stdout.strip().splitlines()[-3:]))
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("passed: every article is in a story or skipped with a one-line reason")


if __name__ == "__main__":
    main()
