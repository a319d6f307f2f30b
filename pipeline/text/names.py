"""Language-independent anchors of a text: names and quotes (amounts are in `text.numbers`).

Grouping compares the normalised tokens across languages ("300.000 Dollar" and "$300,000" are one
amount); the digest also shows the text as it was written, so every mention keeps its surface form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator


MAX_NAME_NGRAM = 3

_WORD = re.compile(r"[^\W\d_]\w*(?:[-'’]\w+)*")
_QUOTES_AND_BRACKETS = " \t\"'„“”«»‚‘’()[]*–—-"
# German „…“, English “…” and "…", Italian and French «…»; Italian sources often close with “ as well.
_QUOTE = re.compile(r'„([^„“”"\n]+)[“”"]|“([^“”\n]+)[”“]|"([^"\n]+)"|«([^«»\n]+)»')
_QUOTE_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Quote:
    token: str  # normalised: "quote:was soll der"
    surface: str  # as written in the text


def extract_names(text: str) -> list[str]:
    """Capitalised words, acronyms and their runs (up to 3 parts), case- and hyphen-insensitive.

    "SAG-AFTRA", "Sag-Aftra" and "Sag Aftra" all give "sag", "aftra" and "sagaftra".
    """
    return name_ngrams(text)


def name_ngrams(text: str, separator: str = "") -> list[str]:
    """The runs of name parts in `text` and their sub-runs of up to MAX_NAME_NGRAM parts, each joined by
    `separator`: "" to match spellings with and without spaces, " " to look the words up in a dictionary."""
    return [token for parts, _ in name_runs(text) for token in _ngrams(parts, separator)]


def name_runs(text: str) -> Iterator[tuple[list[str], str]]:
    """The runs of name parts in `text`, casefolded, each with its surface text."""
    run: list[str] = []
    run_start = previous_end = -1
    for match in _WORD.finditer(text):
        parts = _name_parts(match.group(), _starts_sentence(text, match.start()))
        joined_by_space = text[previous_end:match.start()] in (" ", "\u00a0")
        # A run of name parts ends at any other word, at punctuation, and at a word with a lowercase
        # hyphen-part ("AI-related"), so that "Netflix" and "Disney" in different phrases never join.
        if not parts or not joined_by_space or len(parts) < len(match.group().split("-")):
            if run:
                yield run, text[run_start:previous_end]
            run, run_start = [], match.start()
        if parts and not run:
            run_start = match.start()
        run.extend(parts)
        previous_end = match.end()
    if run:
        yield run, text[run_start:previous_end]


def quote_mentions(text: str, min_words: int = 3) -> list[Quote]:
    """Quoted passages of at least `min_words` words; the token is their lowercased words."""
    mentions = []
    for match in _QUOTE.finditer(text):
        quoted = next(group for group in match.groups() if group is not None).strip()
        words = quote_words(quoted)
        if len(words) >= min_words:
            mentions.append(Quote("quote:" + " ".join(words), quoted))
    return mentions


def quote_words(text: str) -> list[str]:
    return [word.casefold() for word in _QUOTE_WORD.findall(text)]


def _starts_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 12):start].rstrip(_QUOTES_AND_BRACKETS)
    return not before or before[-1] in ".!?:;\n"


def _name_parts(word: str, sentence_start: bool) -> list[str]:
    """The capitalised hyphen-parts of `word`, casefolded; [] when it is not a name candidate."""
    # Elisions and possessives ("dell'Alliance", "Netflix's"): keep the longest capitalised piece.
    pieces = [piece for piece in re.split(r"['’]", word) if piece[:1].isupper()]
    if not pieces:
        return []
    word = max(pieces, key=len)
    parts = [part for part in word.split("-") if len(part) >= 2 and part[:1].isupper()]
    is_acronym = len(parts) == 1 and sum(char.isupper() for char in parts[0]) >= 2
    # A lone capitalised word opening a sentence is usually a function word ("Die", "The", "Il").
    if sentence_start and len(parts) == 1 and "-" not in word and not is_acronym:
        return []
    return [part.casefold() for part in parts]


def _ngrams(parts: list[str], separator: str) -> list[str]:
    return [
        separator.join(parts[start:start + size])
        for size in range(1, MAX_NAME_NGRAM + 1)
        for start in range(len(parts) - size + 1)
    ]
