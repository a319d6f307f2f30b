"""Clean: strip scraped boilerplate from each article, find its title, keep the article text.

Scraped plain text goes through pipeline.text.boilerplate, which finds the article among the page's
lines without knowing the site; HTML was already reduced to its main text by trafilatura in ingest. The
rules of configs/clean_rules.yaml (data: general patterns, and any a user adds for a site) go first; the
lines ingest found repeated across the corpus are boilerplate too. The date token and byline that ingest
read as metadata are taken out of the text here.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import datasets
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from pipeline.config import DEFAULT_CONFIG_PATH, CleanConfig
from pipeline.errors import ConfigError
from pipeline.records import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED
from pipeline.text.boilerplate import MainTextSettings, article_lines, is_prose, main_text_mask, page_language
from pipeline.text.metadata import extract_metadata
from pipeline.text.sentences import split_sentences

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 2

log = logging.getLogger(__name__)

DEFAULT_RULES_PATH = DEFAULT_CONFIG_PATH.parent / "clean_rules.yaml"
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
_TITLE_MIN_WORDS = 3


def _compile(pattern: Any) -> Any:
    if not isinstance(pattern, str):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression ({error})") from None


Regex = Annotated[re.Pattern[str], BeforeValidator(_compile)]


class RuleSet(BaseModel):
    """One section of the rules file; configs/clean_rules.yaml says what each kind does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cut_after: list[Regex] = []
    strip_patterns: list[Regex] = []
    drop_lines: list[str] = []
    drop_patterns: list[Regex] = []


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title_max_chars: int = Field(100, ge=10)
    main_text: MainTextSettings = MainTextSettings()
    rules: dict[str, RuleSet] = {}


@dataclass(frozen=True)
class CleanRules:
    rules: RuleSet  # the sections merged: every section applies to every article
    title_max_chars: int
    main_text: MainTextSettings


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


def rules_path(config: CleanConfig) -> Path:
    """The rules file in use: clean.rules_file, or the packaged configs/clean_rules.yaml."""
    return Path(config.rules_file) if config.rules_file else DEFAULT_RULES_PATH


def load_rules(path: Path) -> CleanRules:
    """Read and validate a rules file and merge its sections into one rule set."""
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        fix = "point clean.rules_file at an existing file, or leave it unset for the packaged rules"
        raise ConfigError(str(path), "clean.rules_file", "file not found", fix) from None
    except yaml.YAMLError as error:
        raise ConfigError(str(path), "-", f"not valid YAML ({error})".replace("\n", " ")) from None
    try:
        parsed = _RulesFile.model_validate(tree)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "-"
        fix = f"sections are under 'rules:', each with the rule kinds {', '.join(RuleSet.model_fields)}"
        raise ConfigError(str(path), key, first["msg"], fix) from None
    merged = {
        kind: [rule for section in parsed.rules.values() for rule in getattr(section, kind)]
        for kind in RuleSet.model_fields
    }
    return CleanRules(RuleSet(**merged), parsed.title_max_chars, parsed.main_text)


def clean_article(raw_text: str, text_format: str, rules: CleanRules, repeated: frozenset[str] = frozenset()) -> CleanedArticle:
    """The title and boilerplate-free text of one article; `text_format` is ingest's txt|md|html and
    `repeated` the lines that ingest found in many articles of the corpus."""
    metadata = extract_metadata(raw_text)
    lines_in = article_lines(raw_text, text_format)
    page = article_lines(metadata.body, text_format)
    lines = _apply_rules(page, rules.rules)
    language = page_language(lines)
    if text_format in SCRAPED_FORMATS:
        keep = main_text_mask(lines, language, rules.main_text, repeated)
    else:
        keep = [line not in repeated for line in lines]
    # The header: the lines before the article's first sentence, where scraped pages put the headline.
    header_end = next(
        (index for index, line in enumerate(lines) if keep[index] and is_prose(line, rules.main_text.prose_min_chars)),
        len(lines),
    )
    body = [line for line, kept in zip(lines, keep) if kept]
    title, is_heading = _find_title(page, lines[:header_end], body, language, rules.title_max_chars)
    if is_heading:
        # A headline found as a line leaves the body, and so do its variants in the header ("3. Headline"
        # in breadcrumbs); a title made from the first sentence stays in it.
        body = [
            line for index, line in enumerate(lines)
            if keep[index] and not (title in line and (line == title or index < header_end))
        ]
    kept = _drop_repeats(body)
    return CleanedArticle(title, "\n\n".join(kept), len(lines_in) - len(kept) - is_heading)


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


def _apply_rules(lines: list[str], rules: RuleSet) -> list[str]:
    cut = next((index for index, line in enumerate(lines) if _matches(line, rules.cut_after)), len(lines))
    kept = []
    for line in lines[:cut]:
        for pattern in rules.strip_patterns:
            line = " ".join(pattern.sub("", line).split())
        if line and line not in rules.drop_lines and not _matches(line, rules.drop_patterns):
            kept.append(line)
    return kept


def _find_title(page: list[str], header: list[str], body: list[str], language: str, max_chars: int) -> tuple[str, bool]:
    """(title, whether it is a heading line of the page) — else the shortened first sentence of the body."""
    headings = [line for line in header if _is_heading(line, max_chars)]
    if headings:
        # The headline recurs on a page: in its <title> ("Headline | Site"), in breadcrumbs ("3. Headline"),
        # as the article's heading. The heading most lines contain wins; the first one on a tie.
        return max(headings, key=lambda heading: sum(heading in line for line in page)), True
    if not body:
        return "", False
    sentences = split_sentences(body[0][:_TITLE_SEARCH_CHARS], SENTENCE_LANGUAGES.get(language, "en"))
    sentence = sentences[0] if sentences else ""
    if len(sentence) <= max_chars:
        return sentence, False
    return sentence[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:–- ") + "…", False


def _drop_repeats(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for line in lines:
        if line not in seen:
            kept.append(line)
            seen.add(line)
    return kept


def _is_heading(line: str, max_chars: int) -> bool:
    return (
        len(line) <= max_chars
        and len(line.split()) >= _TITLE_MIN_WORDS
        and line[-1] not in ".,:;"
        and any(char.isupper() for char in line)
    )


def _matches(line: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(pattern.fullmatch(line) for pattern in patterns)
