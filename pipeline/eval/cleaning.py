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
boilerplate: the title is kept apart); `f1`, token F1 of the body against gold_text; `title`, whether the
title found is the page's headline, on the pages whose HTML states one (see `known_headlines`). Snippets
are compared with whitespace normalised, as the dev data's README says.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path, PurePosixPath
from statistics import fmean
from typing import Any, Sequence
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml.etree import ParserError

from pipeline.config import PipelineConfig
from pipeline.errors import InputFileError
from pipeline.records import STATUS_OK
from pipeline.stages.clean import clean, rules_path
from pipeline.stages.ingest import ingest
from pipeline.text.boilerplate import article_lines
from pipeline.text.clean_rules import line_patterns, read_rules_file

SYSTEMS = ("txt", "html", "trafilatura", "untouched")
MEASURES = ("kept", "dropped", "f1", "title")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# An <h1> of fewer words is a section or logo ("Roma", "Esteri") even when the page's <title> has the word.
_HEADLINE_MIN_WORDS = 3
# What joins a site's name or section to the headline in og:title: "Headline | Site", "Headline - Site".
_TITLE_PART_SEPARATOR = re.compile(r"\s+[|–—-]\s+")


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
    # The scraped text as it is (no title), and trafilatura alone on the same pages' HTML (bytes: it finds
    # the encoding), its title from its metadata extraction.
    outputs["untouched"] = {name: (None, row["raw_text"]) for name, row in rows["txt"].items()}
    sources = {name: (Path(pages_dir) / row["path"]).read_bytes() for name, row in rows["html"].items()}
    started = time.perf_counter()
    outputs["trafilatura"] = {
        name: (_trafilatura_title(html), trafilatura.extract(html) or "") for name, html in sources.items()
    }
    seconds["trafilatura"], seconds["untouched"] = time.perf_counter() - started, 0.0
    headlines = {name: known_headlines(html) for name, html in sources.items()}
    names = [name for name in gold if name in outputs["txt"] and name in outputs["html"]]
    problems += [f"{pages_dir}: page {name}: NAME.txt or NAME.html missing, not scored" for name in gold if name not in names]
    result: dict[str, Any] = {"pages_dir": str(pages_dir), "gold": str(gold_path), "pages": len(names)}
    for system in SYSTEMS:
        scores = [
            (gold[name]["lang"], score_page(*outputs[system][name], gold[name], headlines[name])) for name in names
        ]
        result[system] = {
            **summarize_scores([score for _, score in scores]),
            "ms_per_page": round(1000 * seconds[system] / max(1, len(outputs[system])), 1),
            "per_language": {
                language: summarize_scores([score for lang, score in scores if lang == language])
                for language in sorted({lang for lang, _ in scores})
            },
        }
    firings = rule_firings(rules_path(config.clean), Path(pages_dir), Path(gold_path))
    return result | {"rules": firings, "problems": problems}


def rule_firings(rules_file: Path, pages_dir: Path, gold_path: Path) -> list[dict[str, Any]]:
    """For each rule of a rules file (section, kind, number), on how many scraped pages (NAME.txt) of the
    gold file it fires, and on how many sites (the host of the page's url, else its name)."""
    gold, _ = read_page_gold(gold_path)
    pages = {name: article_lines(text, "txt") for name in gold if (text := _read_text(pages_dir / f"{name}.txt")) is not None}
    sites = {name: urlsplit(gold[name].get("url") or "").hostname or name for name in pages}
    firings = []
    for section, rule_set in read_rules_file(rules_file).rules.items():
        rules = [("strip_patterns", pattern, pattern.search) for pattern in rule_set.strip_patterns]
        rules += [(kind, pattern, pattern.fullmatch) for kind, pattern in line_patterns(rule_set)]
        for number, (kind, pattern, fires) in enumerate(rules, 1):
            hit = [name for name, lines in pages.items() if any(fires(line) for line in lines)]
            firings.append({"rule": f"{section}.{kind}", "number": number, "pattern": pattern.pattern[:60],
                            "pages": len(hit), "sites": len({sites[name] for name in hit})})
    return firings


def score_page(
    title: str | None, body: str, gold: dict[str, Any], headlines: Sequence[str] = ()
) -> dict[str, float | None]:
    """Kept, dropped (None without snippets of that kind), token F1 (None without gold_text) and title (1
    when `title` is one of `headlines`, None without headlines or for a system that finds no title) of
    one page."""
    text, heading = _normalise(body), _normalise(title or "")
    found = _words(title or "")
    must = [_normalise(snippet) for snippet in gold.get("must_contain") or []]
    must_not = [_normalise(snippet) for snippet in gold.get("must_not_contain") or []]
    return {
        "kept": _share([snippet in text or snippet in heading for snippet in must]),
        "dropped": _share([snippet not in text for snippet in must_not]),
        "f1": token_f1(body, gold["gold_text"]) if gold.get("gold_text") else None,
        "title": float(any(found == _words(headline) for headline in headlines))
        if headlines and title is not None else None,
    }


def known_headlines(html: bytes) -> list[str]:
    """The headline a page's HTML states, in the forms a title finder may rightly give: each <h1> that
    the page's og:title or <title> also contains (a page has <h1>s for its logo, "Log In", a section),
    and og:title, whole and cut before each " | " or " - " ("Headline | Site"). [] when none is stated."""
    try:
        tree = lxml.html.document_fromstring(html.decode("utf-8", "replace"))
    except ParserError:
        return []
    titles = [_normalise(tree.findtext(".//title") or "")]
    og_titles = [_normalise(meta.get("content") or "") for meta in tree.iterfind(".//meta[@property='og:title']")]
    stated = [title for title in titles + og_titles if title]
    headings = [_normalise(h1.text_content()) for h1 in tree.iter("h1")]
    agreed = [
        heading for heading in headings
        if len(heading.split()) >= _HEADLINE_MIN_WORDS and any(f" {_words(heading)} " in f" {_words(title)} " for title in stated)
    ]
    forms = [title[: cut.start()] for title in og_titles[:1] for cut in _TITLE_PART_SEPARATOR.finditer(title)]
    headlines = agreed + og_titles[:1] + [form for form in forms if len(form.split()) >= _HEADLINE_MIN_WORDS]
    return list(dict.fromkeys(headlines))


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


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _words(text: str) -> str:
    """The words of a headline, lower-cased: quotes, dashes and spacing do not make two headlines differ."""
    return " ".join(_WORD.findall(text.casefold()))


def _trafilatura_title(html: bytes) -> str:
    metadata = trafilatura.extract_metadata(html.decode("utf-8", "replace"))
    return metadata.title or "" if metadata else ""


def _share(outcomes: Sequence[bool]) -> float | None:
    return sum(outcomes) / len(outcomes) if outcomes else None
