"""Checks an editor sees next to each article: did the translation keep the source's numbers and dates,
does the summary state only numbers and names that the article has, did a translation fail (empty,
looping, far too short or too long)? Each problem is one short line ("number 300.000 missing from
translation"); problems are shown, never fixed or hidden.

No models: numbers and dates are compared as values (pipeline.numbers), names are capitalised words and
their runs (pipeline.anchors) looked up case-insensitively among the words of the article, original and
English. Such heuristics miss things and raise some false alarms; a flag asks for a look, not a verdict.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

from pipeline.config import CheckConfig
from pipeline.records import title_and_text
from pipeline.text.names import name_runs
from pipeline.text.numbers import find_mentions, missing_mentions

# Passages kept in the original are listed one by one up to this many, then counted.
MAX_LISTED_PASSAGES = 3
SNIPPET_CHARS = 60
_WORD_PART = re.compile(r"[^\W_]+")


class Loop(NamedTuple):
    ngram: str
    times: int  # consecutive occurrences


def longest_loop(text: str, max_ngram: int) -> Loop:
    """The word n-gram (1 to `max_ngram` words) repeated most often in a row, case-insensitively."""
    words = text.casefold().split()
    best = Loop("", 1)
    for size in range(1, max_ngram + 1):
        start = 0
        while start + 2 * size <= len(words):
            gram = words[start : start + size]
            times = 1
            while words[start + times * size : start + (times + 1) * size] == gram:
                times += 1
            if times > best.times:
                best = Loop(" ".join(gram), times)
            # Inside a run every shifted start repeats no more often: skip to its last occurrence.
            start += max(1, (times - 1) * size)
    return best


def translation_problem(source: str, output: str, config: CheckConfig) -> str | None:
    """Why `output` is not a usable translation of `source` ("is empty", "repeats ..."), or None."""
    if not source.strip():
        return None
    if not output.strip():
        return "is empty"
    loop = longest_loop(output, config.max_ngram)
    # A source that repeats itself ("Ja, ja, ja, ja") may be translated the same way.
    if loop.times >= config.max_repeats and longest_loop(source, config.max_ngram).times < config.max_repeats:
        return f"repeats “{snippet(loop.ngram)}” {loop.times} times"
    low, high = config.length_ratio
    ratio = len(output.strip()) / len(source.strip())
    if len(source.strip()) >= config.ratio_min_chars and not low <= ratio <= high:
        return f"is {ratio:.2f}× the original's length (expected {low:g}–{high:g})"
    return None


def untranslated_note(passage: str, problem: str) -> str:
    """What the translate stage records for a passage it kept in the original language."""
    return f"kept in the original, translation {problem}: “{snippet(passage)}”"


def snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


def article_flags(row: dict[str, Any], config: CheckConfig) -> list[str]:
    """Every problem found in one article record (columns of the translate and summarize stages)."""
    original = title_and_text(row.get("title"), row.get("text"))
    english = title_and_text(row.get("title_en"), row.get("text_en"))
    flags = translation_flags(row, original, english, config) if row.get("translated") else []
    return flags + summary_flags(row.get("summary") or "", (original, english), config)


def translation_flags(row: dict[str, Any], original: str, english: str, config: CheckConfig) -> list[str]:
    """Passages kept in the original, a failed translation of the body, numbers and dates lost."""
    untranslated = row.get("untranslated") or []
    flags = list(untranslated[:MAX_LISTED_PASSAGES])
    if len(untranslated) > MAX_LISTED_PASSAGES:
        flags.append(f"… and {len(untranslated) - MAX_LISTED_PASSAGES} more passages kept in the original")
    problem = translation_problem(row.get("text") or "", row.get("text_en") or "", config)
    if problem:
        flags.append(f"translation {problem}")
    flags += [
        f"{mention.kind} {mention.text} missing from translation"
        for mention in missing_mentions(find_mentions(original), english)
    ]
    return flags


def summary_flags(summary: str, sources: tuple[str, ...], config: CheckConfig) -> list[str]:
    """Unfaithful numbers, dates and names (`faithfulness_flags`), and generation loops."""
    flags = faithfulness_flags(summary, sources)
    loop = longest_loop(summary, config.max_ngram)
    if loop.times >= config.max_repeats:
        flags.append(f"summary repeats “{snippet(loop.ngram)}” {loop.times} times")
    return flags


def faithfulness_flags(summary: str, sources: tuple[str, ...], where: str = "the article") -> list[str]:
    """Numbers, dates and names in the summary that none of the source texts has (`where` names them)."""
    flags = [
        f"{mention.kind} {mention.text} in summary not found in {where}"
        for mention in missing_mentions(find_mentions(summary), *sources)
    ]
    return flags + [f"name {name} in summary not found in {where}" for name in unknown_names(summary, sources)]


def unknown_names(text: str, sources: tuple[str, ...]) -> list[str]:
    """Names in `text` (as written, each once) with a part that appears in none of the sources."""
    known = {part.casefold() for source in sources for part in _WORD_PART.findall(source)}
    unknown: dict[str, None] = {}
    for parts, surface in name_runs(text):
        if any(part not in known for part in parts):
            unknown[surface] = None
    return list(unknown)
