"""Clean: strip scraped boilerplate from each article, find its title, keep the article text.

The boilerplate rules are data (configs/clean_rules.yaml, which documents each rule kind); this module is
the small engine that applies them to the lines of an article. The date token and byline that ingest
read as metadata are taken out of the text here.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import datasets
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from pipeline.config import DEFAULT_CONFIG_PATH, CleanConfig
from pipeline.errors import ConfigError
from pipeline.records import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED
from pipeline.text.metadata import extract_metadata

# Part of this stage's cache key: raise it when its output for the same input changes.
VERSION = 1

log = logging.getLogger(__name__)

DEFAULT_RULES_PATH = DEFAULT_CONFIG_PATH.parent / "clean_rules.yaml"
NEW_FEATURES = {
    "title": datasets.Value("string"),
    "text": datasets.Value("string"),
    "removed_lines": datasets.Value("int32"),
}

_PROSE_END = re.compile(r"[.!?…][\"'“”»«)]*$")
_FIRST_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_MARKDOWN_BLOCK_START = re.compile(r"\s*(?:#{1,6}\s|[-*+>]\s|\d+[.)]\s|```|\|)")
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

    drop_paragraphs: list[Regex] = []
    cut_after: list[Regex] = []
    strip_patterns: list[Regex] = []
    drop_lines: list[str] = []
    drop_patterns: list[Regex] = []
    header_patterns: list[Regex] = []


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title_max_chars: int = Field(100, ge=10)
    prose_min_chars: int = Field(100, ge=1)
    rules: dict[str, RuleSet] = {}


@dataclass(frozen=True)
class CleanRules:
    # Clean runs before language detection, so the sections of every language apply to every article.
    rules: RuleSet
    title_max_chars: int
    prose_min_chars: int


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
    return CleanRules(RuleSet(**merged), parsed.title_max_chars, parsed.prose_min_chars)


def clean_article(raw_text: str, text_format: str, rules: CleanRules) -> CleanedArticle:
    """The title and boilerplate-free text of one article; `text_format` is ingest's txt|md|html."""
    metadata = extract_metadata(raw_text)
    body = _join_soft_breaks(metadata.body) if text_format == "md" else metadata.body
    blocks = _split_blocks(body)
    lines = _apply_rules(blocks, rules.rules)
    header_end = next(
        (index for index, line in enumerate(lines) if _is_prose(line, rules.prose_min_chars)), len(lines)
    )
    header = [line for line in lines[:header_end] if not _matches(line, rules.rules.header_patterns)]
    lines = header + lines[header_end:]
    title, is_heading = _find_title(lines, header, rules.title_max_chars)
    # A headline found as a line leaves the body; a title made from the first sentence stays in it.
    kept = _drop_repeats(lines, already_used={title} if is_heading else set())
    # Lines in: the metadata lines plus the body's, counting a rejoined markdown paragraph once.
    lines_in = _count_lines(raw_text) - _count_lines(metadata.body) + sum(len(block) for block in blocks)
    return CleanedArticle(title, "\n\n".join(kept), lines_in - len(kept))


def _clean_batch(batch: dict[str, list[Any]], rules: CleanRules, min_chars: int) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {"title": [], "text": [], "removed_lines": []}
    statuses, problems = list(batch["status"]), list(batch["problem"])
    rows = zip(batch["path"], batch["raw_text"], batch["format"])
    for index, (path, raw_text, text_format) in enumerate(rows):
        article = CleanedArticle("", "", 0)
        if statuses[index] == STATUS_OK:
            try:
                article = clean_article(raw_text, text_format, rules)
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


def _apply_rules(blocks: list[list[str]], rules: RuleSet) -> list[str]:
    kept_blocks = [block for block in blocks if not any(_matches(line, rules.drop_paragraphs) for line in block)]
    lines = [line for block in kept_blocks for line in block]
    cut = next((index for index, line in enumerate(lines) if _matches(line, rules.cut_after)), len(lines))
    kept = []
    for line in lines[:cut]:
        for pattern in rules.strip_patterns:
            line = " ".join(pattern.sub("", line).split())
        if line and line not in rules.drop_lines and not _matches(line, rules.drop_patterns):
            kept.append(line)
    return kept


def _find_title(lines: list[str], header: list[str], max_chars: int) -> tuple[str, bool]:
    """(title, whether it is a heading line of the article) — else the shortened first sentence."""
    headings = [line for line in header if _is_heading(line, max_chars)]
    if headings:
        counts = Counter(lines)
        # Scraped pages often repeat the headline (page title, then article title): that one wins.
        repeated = [line for line in headings if counts[line] > 1]
        return (repeated or headings)[0], True
    if not lines:
        return "", False
    sentence = _FIRST_SENTENCE_END.split(lines[0], maxsplit=1)[0]
    if len(sentence) <= max_chars:
        return sentence, False
    return sentence[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:–- ") + "…", False


def _drop_repeats(lines: list[str], already_used: set[str]) -> list[str]:
    seen = set(already_used)
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


def _is_prose(line: str, min_chars: int) -> bool:
    return len(line) >= min_chars and _PROSE_END.search(line) is not None


def _matches(line: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(pattern.fullmatch(line) for pattern in patterns)


def _split_blocks(text: str) -> list[list[str]]:
    """Paragraph blocks (split at blank lines) of whitespace-normalised, NFC lines."""
    blocks: list[list[str]] = [[]]
    for raw_line in text.splitlines():
        line = " ".join(unicodedata.normalize("NFC", raw_line).split())
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _join_soft_breaks(text: str) -> str:
    """Markdown reads a single newline inside a paragraph as a space: rejoin hard-wrapped lines."""
    lines: list[str] = []
    for line in text.splitlines():
        previous = lines[-1] if lines else ""
        continues = line.strip() and previous.strip() and not _MARKDOWN_BLOCK_START.match(line)
        if continues and not previous.lstrip().startswith("#"):
            lines[-1] = f"{previous.rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return "\n".join(lines)


def _count_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())
