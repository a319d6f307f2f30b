"""Boilerplate cleaning measured on scraped pages, the plain function behind `news-digest eval clean`.

A pages folder holds, for each NAME of the gold file, NAME.txt (the page as scraped plain text) and
NAME.html (the raw page); the gold file is laid out as ../shared/data/dev/pages.gold.json: NAME -> its
`lang` and either snippets (`must_contain`, article text a cleaner must keep; `must_not_contain`,
boilerplate it must drop) or `gold_text` (the article body). Four systems are scored on the same pages:

- txt: ingest and clean of NAME.txt, as `news-digest run` does it (the folder read as one corpus, so that
  lines repeated across its pages count as boilerplate);
- html: ingest and clean of NAME.html (trafilatura's main text in ingest, then clean);
- trafilatura: trafilatura.extract of NAME.html with its defaults, the reference for extraction from HTML;
- untouched: NAME.txt as it is.

Per page, then averaged over pages, overall and per language: `kept`, the share of must_contain snippets
in the cleaned body or the title the stage found (a headline that becomes the title is kept);
`dropped`, the share of must_not_contain snippets not in the body (some gold lists the headline as
boilerplate: the title is kept apart); `f1`, token F1 of the body against gold_text. Snippets are
compared with whitespace normalised, as the dev data's README says.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path, PurePosixPath
from statistics import fmean
from typing import Any, Sequence

import trafilatura

from pipeline.config import PipelineConfig
from pipeline.errors import InputFileError
from pipeline.records import STATUS_OK
from pipeline.stages.clean import clean
from pipeline.stages.ingest import ingest

SYSTEMS = ("txt", "html", "trafilatura", "untouched")
MEASURES = ("kept", "dropped", "f1")
_WHITESPACE = re.compile(r"\s+")


def read_page_gold(path: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The usable gold entries by page name, and a one-line problem for each entry that is not usable."""
    try:
        tree = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(str(path), "file not found") from None
    except (UnicodeDecodeError, IsADirectoryError, json.JSONDecodeError) as error:
        raise InputFileError(str(path), f"not a UTF-8 JSON file ({type(error).__name__})") from None
    if not isinstance(tree, dict) or not tree:
        raise InputFileError(str(path), "not a JSON object of pages", "map each page NAME to its gold")
    gold, problems = {}, []
    for name, entry in tree.items():
        problem = _gold_problem(entry)
        if problem:
            problems.append(f"{path}: page {name}: {problem}")
        else:
            gold[name] = entry
    return gold, problems


def evaluate_cleaning(config: PipelineConfig, pages_dir: Path, gold_path: Path) -> dict[str, Any]:
    """Kept, dropped and token F1 of each system (see the module) on the pages of `gold_path`."""
    gold, problems = read_page_gold(gold_path)
    if not Path(pages_dir).is_dir():
        raise InputFileError(str(pages_dir), "not a folder", "give the folder of NAME.txt and NAME.html pages")
    rows, seconds = {}, {}
    for system in ("txt", "html"):
        rows[system], seconds[system] = _clean_pages(config, Path(pages_dir), system, problems)
    outputs = {system: {name: (row["title"], row["text"]) for name, row in rows[system].items()} for system in rows}
    # The scraped text as it is, and trafilatura alone on the same pages' HTML (bytes: it finds the encoding).
    outputs["untouched"] = {name: ("", row["raw_text"]) for name, row in rows["txt"].items()}
    sources = {name: (Path(pages_dir) / row["path"]).read_bytes() for name, row in rows["html"].items()}
    started = time.perf_counter()
    outputs["trafilatura"] = {name: ("", trafilatura.extract(html) or "") for name, html in sources.items()}
    seconds["trafilatura"], seconds["untouched"] = time.perf_counter() - started, 0.0
    names = [name for name in gold if name in outputs["txt"] and name in outputs["html"]]
    problems += [f"{pages_dir}: page {name}: NAME.txt or NAME.html missing, not scored" for name in gold if name not in names]
    result: dict[str, Any] = {"pages_dir": str(pages_dir), "gold": str(gold_path), "pages": len(names)}
    for system in SYSTEMS:
        scores = [(gold[name]["lang"], score_page(*outputs[system][name], gold[name])) for name in names]
        result[system] = {
            **summarize_scores([score for _, score in scores]),
            "ms_per_page": round(1000 * seconds[system] / max(1, len(outputs[system])), 1),
            "per_language": {
                language: summarize_scores([score for lang, score in scores if lang == language])
                for language in sorted({lang for lang, _ in scores})
            },
        }
    return result | {"problems": problems}


def score_page(title: str, body: str, gold: dict[str, Any]) -> dict[str, float | None]:
    """Kept, dropped (None without snippets of that kind) and token F1 (None without gold_text) of one page."""
    text, heading = _normalise(body), _normalise(title)
    must = [_normalise(snippet) for snippet in gold.get("must_contain") or []]
    must_not = [_normalise(snippet) for snippet in gold.get("must_not_contain") or []]
    return {
        "kept": _share([snippet in text or snippet in heading for snippet in must]),
        "dropped": _share([snippet not in text for snippet in must_not]),
        "f1": token_f1(body, gold["gold_text"]) if gold.get("gold_text") else None,
    }


def token_f1(text: str, gold_text: str) -> float:
    """F1 of the sets of lower-cased whitespace tokens, as the dev data's README defines it."""
    tokens, gold_tokens = set(text.lower().split()), set(gold_text.lower().split())
    common = len(tokens & gold_tokens)
    precision, recall = common / max(1, len(tokens)), common / max(1, len(gold_tokens))
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def summarize_scores(scores: Sequence[dict[str, float | None]]) -> dict[str, Any]:
    """The mean of each measure over the pages that have it (None when none has), and the page count."""
    means = {}
    for measure in MEASURES:
        values = [score[measure] for score in scores if score[measure] is not None]
        means[measure] = round(fmean(values), 4) if values else None
    return {"pages": len(scores), **means}


def _clean_pages(
    config: PipelineConfig, pages_dir: Path, system: str, problems: list[str]
) -> tuple[dict[str, dict[str, Any]], float]:
    """The cleaned table's rows by page name for the NAME.<system> files, and the seconds ingest and clean took."""
    started = time.perf_counter()
    table = clean(ingest(pages_dir, config.ingest.model_copy(update={"extensions": [f".{system}"]})), config.clean)
    seconds = time.perf_counter() - started
    rows = {}
    for row in table.to_list():
        if row["status"] != STATUS_OK:
            problems.append(f"{pages_dir / row['path']}: {row['problem']}")
        rows[PurePosixPath(row["path"]).with_suffix("").as_posix()] = row
    return rows, seconds


def _gold_problem(entry: Any) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("lang"), str):
        return "not an object with a 'lang'"
    snippets = [entry.get(key) for key in ("must_contain", "must_not_contain") if entry.get(key) is not None]
    if any(not isinstance(found, list) or not all(isinstance(s, str) for s in found) for found in snippets):
        return "must_contain and must_not_contain must be lists of strings"
    if not any(snippets) and not isinstance(entry.get("gold_text"), str):
        return "neither snippets (must_contain, must_not_contain) nor a gold_text"
    return ""


def _normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _share(outcomes: Sequence[bool]) -> float | None:
    return sum(outcomes) / len(outcomes) if outcomes else None
