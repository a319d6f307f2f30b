"""Date and author stated in an article's header (a `date` token, a byline line)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text.numbers import parse_date

_DATE_TOKEN = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)(?=\s|\Z)[ \t]*", re.IGNORECASE)
_BYLINE = re.compile(r"(?P<author>[^|·•,\d]{3,60}?)\s*(?:[|·•,]|\s[–—-]\s)\s*(?P<date>.{6,40})")


_BYLINE_SEARCH_LINES = 12
_MAX_AUTHOR_WORDS = 6


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
        byline = _parse_byline(lines[index].strip())
        if byline:
            author, byline_date = byline
            return ArticleMetadata(byline_date, author, "\n".join(lines[:index] + lines[index + 1:]))
    return ArticleMetadata(date, "", text)


def _parse_byline(line: str) -> tuple[str, str] | None:
    match = _BYLINE.fullmatch(line)
    if not match:
        return None
    author, date = match["author"].strip(), parse_date(match["date"])
    words = author.split()
    if not date or not words or not words[0][0].isupper() or len(words) > _MAX_AUTHOR_WORDS:
        return None
    return author, date
