"""Clean: strip scraped boilerplate from each article, find its title, keep the article text.

Scraped plain text goes through pipeline.text.boilerplate, which finds the article among the page's
lines without knowing the site; HTML was already reduced to its main text by trafilatura in ingest. The
rules of configs/clean_rules.yaml (data: general patterns, and any a user adds for a site) go first; the
lines ingest found repeated across the corpus are boilerplate too. The date token and byline that ingest
read as metadata are taken out of the text here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import datasets

from pipeline.config import PACKAGED_CONFIGS, CleanConfig
from pipeline.records import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED
from pipeline.text.boilerplate import article_lines, is_prose, main_text, page_language
from pipeline.text.clean_rules import CleanRules, apply_rules, load_rules
from pipeline.text.headline import find_headline, find_standfirst, title_of
from pipeline.text.metadata import extract_metadata
from pipeline.text.sentences import split_sentences

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 6

log = logging.getLogger(__name__)

DEFAULT_RULES_PATH = PACKAGED_CONFIGS / "clean_rules.yaml"
NEW_FEATURES = {
    "title": datasets.Value("string"),
    "text": datasets.Value("string"),
    "removed_lines": datasets.Value("int32"),
}
# The format whose text is a whole scraped page: ingest reduces HTML to its main text (trafilatura), and
# Markdown is taken as written (a list closing an article is not a menu).
SCRAPED_FORMATS = ("txt",)
# pysbd's languages among jusText's stoplist names, for the title's first sentence ("Dr.", "1. FC", "z. B.").
SENTENCE_LANGUAGES = {
    "Arabic": "ar", "Armenian": "hy", "Bulgarian": "bg", "Danish": "da", "Dutch": "nl", "English": "en",
    "French": "fr", "German": "de", "Greek": "el", "Hindi": "hi", "Italian": "it", "Kazakh": "kk",
    "Marathi": "mr", "Persian": "fa", "Polish": "pl", "Russian": "ru", "Slovak": "sk", "Spanish": "es",
    "Urdu": "ur",
}
# The title's first sentence is looked for this far into the text: a title is short, pysbd is not linear.
_TITLE_SEARCH_CHARS = 1000
# How many lines past the start of the main block a headline the page's <title> confirms may sit (under a
# browser or cookie notice the main block opens with).
_HEADLINE_LOOKAHEAD = 12


@dataclass(frozen=True)
class CleanedArticle:
    title: str
    text: str  # paragraphs separated by a blank line
    removed_lines: int


def clean(articles: datasets.Dataset, config: CleanConfig) -> datasets.Dataset:
    """Add title, text and removed_lines; rows left with under `min_chars` of text become skipped."""
    rules = load_rules(rules_path(config))
    features = datasets.Features({**articles.features, **NEW_FEATURES})
    if articles.num_rows == 0:  # map never calls the function then, so it would not add the columns
        return datasets.Dataset.from_dict({name: [] for name in features}, features=features)
    return articles.map(
        _clean_batch,
        batched=True,
        features=features,
        fn_kwargs={"rules": rules, "min_chars": config.min_chars},
        keep_in_memory=True,
        desc="clean",
    )


def rules_path(config: CleanConfig) -> Path | Traversable:
    """The rules file in use: clean.rules_file, or the packaged configs/clean_rules.yaml."""
    return Path(config.rules_file) if config.rules_file else DEFAULT_RULES_PATH


def clean_article(raw_text: str, text_format: str, rules: CleanRules, repeated: frozenset[str] = frozenset()) -> CleanedArticle:
    """The title and boilerplate-free text of one article; `text_format` is ingest's txt|md|html and
    `repeated` the lines that ingest found in many articles of the corpus."""
    metadata = extract_metadata(raw_text)
    lines_in = article_lines(raw_text, text_format)
    lines = apply_rules(article_lines(metadata.body, text_format), rules)
    language = page_language(lines)
    if text_format in SCRAPED_FORMATS and language:
        found = main_text(lines, language, rules.main_text, repeated)
        keep, main_start = found.keep, found.start
    else:  # without a stoplist no line can be judged: the text goes on whole, and detect names its language
        keep, main_start = [line not in repeated for line in lines], 0
    # The article starts at the first sentence of its main block; the headline is found before it.
    article_start = _next_sentence(lines, keep, main_start, rules)
    later = [index for index in range(article_start, min(len(lines), article_start + _HEADLINE_LOOKAHEAD)) if not keep[index]]
    headline = find_headline(lines, article_start, rules.title_max_chars, later)
    if headline is not None and headline > article_start:
        article_start = _next_sentence(lines, keep, headline, rules)
    if headline is None:
        body = [line for line, kept in zip(lines, keep) if kept]
        return CleanedArticle(_first_sentence(body, language, rules.title_max_chars), "\n\n".join(_drop_repeats(body)),
                              len(lines_in) - len(set(body)))
    title = title_of(lines, headline)
    standfirst = find_standfirst(lines, headline, article_start)
    if standfirst is not None:
        keep[standfirst] = True
    # The headline leaves the body, and so do its copies and its variants above the article ("3. Headline"
    # in breadcrumbs).
    body = [
        line for index, line in enumerate(lines)
        if keep[index] and not (line in (title, lines[headline]) or (index < article_start and title in line))
    ]
    kept = _drop_repeats(body)
    return CleanedArticle(title, "\n\n".join(kept), len(lines_in) - len(kept) - 1)


def _clean_batch(batch: dict[str, list[Any]], rules: CleanRules, min_chars: int) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {"title": [], "text": [], "removed_lines": []}
    statuses, problems = list(batch["status"]), list(batch["problem"])
    rows = zip(batch["path"], batch["raw_text"], batch["format"], batch["repeated_lines"])
    for index, (path, raw_text, text_format, repeated) in enumerate(rows):
        article = CleanedArticle("", "", 0)
        if statuses[index] == STATUS_OK:
            try:
                article = clean_article(raw_text, text_format, rules, frozenset(repeated))
            except Exception as error:  # one odd article must not stop the run; its row says why
                statuses[index] = STATUS_FAILED
                problems[index] = f"unexpected error while cleaning: {type(error).__name__}: {error}".replace("\n", " ")
            else:
                if len(article.text) < min_chars:
                    statuses[index] = STATUS_SKIPPED
                    problems[index] = (
                        f"no article text left after cleaning ({len(article.text)} chars, "
                        f"clean.min_chars is {min_chars})"
                    )
            if statuses[index] != STATUS_OK:
                log.warning("%s %s: %s", statuses[index], path, problems[index])
        columns["title"].append(article.title)
        columns["text"].append(article.text)
        columns["removed_lines"].append(article.removed_lines)
    return columns | {"status": statuses, "problem": problems}


def _next_sentence(lines: list[str], keep: list[bool], start: int, rules: CleanRules) -> int:
    """The index of the first kept line from `start` on that ends like a sentence (len(lines) if none)."""
    return next(
        (index for index in range(start, len(lines)) if keep[index] and is_prose(lines[index], rules.main_text.prose_min_chars)),
        len(lines),
    )


def _first_sentence(body: list[str], language: str | None, max_chars: int) -> str:
    """The title of an article without a headline: its first sentence, shortened at a word."""
    if not body:
        return ""
    sentences = split_sentences(body[0][:_TITLE_SEARCH_CHARS], SENTENCE_LANGUAGES.get(language, "en"))
    sentence = sentences[0] if sentences else ""
    if len(sentence) <= max_chars:
        return sentence
    return sentence[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:–- ") + "…"


def _drop_repeats(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for line in lines:
        if line not in seen:
            kept.append(line)
            seen.add(line)
    return kept

