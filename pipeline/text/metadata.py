"""Date and author stated in an article's header (a `date` token, a byline line).

A byline's date is read by dateparser, in the page's language (py3langid on the text, among the
languages below): "26. Juli 2023", "12 avril 2024 à 10h30", "publicado el 3 de marzo de 2024",
"Tue July 4, 2023". A date in figures is read in the order of that language: 7/4/2023 is July 4 on an
English page (the US order; a British page's 7 April is read wrong, for want of a locale in plain text)
and 7 April on a German, Italian, French or Spanish one. Relative dates ("vor 3 Stunden") are not dates
of record. HTML pages get their date from htmldate (through trafilatura, in ingest) first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.text.language import default_detector

_DATE_TOKEN = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)(?=\s|\Z)[ \t]*", re.IGNORECASE)
_BYLINE = re.compile(r"(?P<author>[^|·•,\d]{3,60}?)\s*(?:[|·•,]|\s[–—-]\s)\s*(?P<date>.{6,40})")


_BYLINE_SEARCH_LINES = 12
_MAX_AUTHOR_WORDS = 6
DATE_LANGUAGES = ("de", "it", "en", "fr", "es")
# Day, month, year in figures: month first only in (US) English.
_DATE_ORDER = {"en": "MDY"}
_LANGUAGE_SAMPLE_CHARS = 3000
_DATE_SETTINGS = {"PARSERS": ["absolute-time", "custom-formats"], "REQUIRE_PARTS": ["day", "month", "year"]}


@dataclass(frozen=True)
class ArticleMetadata:
    date: str  # ISO 8601, as precise as the source ("2023-07" or "2023-07-26"); "" when unknown
    author: str
    body: str  # the text without the date token and byline line the metadata came from


def extract_metadata(text: str) -> ArticleMetadata:
    """Date and author stated in the article's header: a leading `date 2023-07` token, a byline line."""
    date = ""
    token = _DATE_TOKEN.match(text)
    if token:
        date, text = token.group(1), text[token.end():]
    lines = text.split("\n")
    non_blank = [index for index, line in enumerate(lines) if line.strip()]
    for index in non_blank[:_BYLINE_SEARCH_LINES]:
        byline = _parse_byline(lines[index].strip(), text)
        if byline:
            author, byline_date = byline
            return ArticleMetadata(byline_date, author, "\n".join(lines[:index] + lines[index + 1:]))
    return ArticleMetadata(date, "", text)


def read_date(text: str, language: str) -> str:
    """The full calendar date at the end of `text` ("Updated 10:30 AM, Tue July 4, 2023") as ISO
    `YYYY-MM-DD`, read in `language`; "" when there is none."""
    import dateparser  # a second to import: only pages with a byline pay for it

    words = text.split()
    languages = [language] if language in DATE_LANGUAGES else list(DATE_LANGUAGES)
    settings = {**_DATE_SETTINGS, "DATE_ORDER": _DATE_ORDER.get(language, "DMY")}
    # The longest tail that reads as a date: the words before it ("publié le", "Updated") are no part of it.
    for start in range(len(words)):
        tail = " ".join(words[start:])
        if not any(char.isdigit() for char in tail):
            break
        parsed = dateparser.parse(tail, languages=languages, settings=settings)
        if parsed:
            return parsed.date().isoformat()
    return ""


@lru_cache(maxsize=16)
def _page_language(text: str) -> str:
    """The language of the page among DATE_LANGUAGES, to read its dates in."""
    scores = default_detector().distribution(text[:_LANGUAGE_SAMPLE_CHARS])
    return max(DATE_LANGUAGES, key=lambda language: scores.get(language, 0.0))


def _parse_byline(line: str, page: str) -> tuple[str, str] | None:
    match = _BYLINE.fullmatch(line)
    if not match:
        return None
    author = match["author"].strip()
    words = author.split()
    if not words or not words[0][0].isupper() or len(words) > _MAX_AUTHOR_WORDS:
        return None
    date = read_date(match["date"], _page_language(page))
    return (author, date) if date else None
