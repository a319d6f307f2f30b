"""Language-independent anchors of a text: amounts, names and quotes, with where each was found.

Grouping compares the normalised tokens across languages ("300.000 Dollar" and "$300,000" are one
amount); the digest also shows the text as it was written, so every mention keeps its surface form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

MAX_NAME_NGRAM = 3

_MULTIPLIERS = {
    "k": 1e3, "mila": 1e3, "tausend": 1e3, "thousand": 1e3, "tsd": 1e3,
    "mio": 1e6, "million": 1e6, "millions": 1e6, "millionen": 1e6, "milione": 1e6, "milioni": 1e6,
    "mrd": 1e9, "milliarde": 1e9, "milliarden": 1e9, "miliardo": 1e9, "miliardi": 1e9, "billion": 1e9,
}
_AMOUNT = re.compile(
    r"(?<![\w.,])(?P<int>\d{1,3}(?P<sep>[.,\u00a0\u202f'’])\d{3}(?:(?P=sep)\d{3})*|\d+)(?!\d)"
    r"(?:[.,](?P<frac>\d{1,2})(?!\d))?"
    r"(?:(?P<k>k)(?![^\W\d_])|\s?(?P<word>" + "|".join(sorted(_MULTIPLIERS, key=len, reverse=True)) + r")\.?)?"
    r"(?P<pct>\s?(?:%|prozent\b|per\s?cento\b|per\s?cent\b))?"
    r"(?![^\W_])",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]\w*(?:[-'’]\w+)*")
_QUOTES_AND_BRACKETS = " \t\"'„“”«»‚‘’()[]*–—-"
# German „…“, English “…” and "…", Italian and French «…»; Italian sources often close with “ as well.
_QUOTE = re.compile(r'„([^„“”"\n]+)[“”"]|“([^“”\n]+)[”“]|"([^"\n]+)"|«([^«»\n]+)»')
_QUOTE_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Mention:
    token: str  # normalised: "num:300000", "pct:87", "sagaftra", "quote:was soll der"
    surface: str  # as written in the text


def extract_anchors(text: str) -> list[str]:
    """Language-independent tokens of one original text: normalised amounts and capitalised names."""
    return extract_amounts(text) + extract_names(text)


def extract_amounts(text: str) -> list[str]:
    """"300.000", "300,000", "$300k" and "300mila" all give "num:300000"; "87 %" gives "pct:87"."""
    return [mention.token for mention in amount_mentions(text)]


def amount_mentions(text: str) -> list[Mention]:
    mentions = []
    for match in _AMOUNT.finditer(text):
        digits = re.sub(r"\D", "", match["int"])
        value = float(f"{digits}.{match['frac'] or 0}")
        multiplier = match["k"] or match["word"]
        value *= _MULTIPLIERS[multiplier.lower()] if multiplier else 1
        if match["pct"]:
            mentions.append(Mention(f"pct:{value:g}", match.group().strip()))
        elif value >= 100 and not _looks_like_year(match, value):
            mentions.append(Mention(f"num:{round(value)}", match.group().strip()))
    return mentions


def extract_names(text: str) -> list[str]:
    """Capitalised words, acronyms and their runs (up to 3 parts), case- and hyphen-insensitive.

    "SAG-AFTRA", "Sag-Aftra" and "Sag Aftra" all give "sag", "aftra" and "sagaftra".
    """
    return [token for parts, _ in name_runs(text) for token in _ngrams(parts)]


def name_mentions(text: str) -> list[Mention]:
    """Each whole run of name parts once: "Screen Actors Guild" gives one mention, "screenactorsguild"."""
    return [Mention("".join(parts), surface) for parts, surface in name_runs(text)]


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


def quote_mentions(text: str, min_words: int = 3) -> list[Mention]:
    """Quoted passages of at least `min_words` words; the token is their lowercased words."""
    mentions = []
    for match in _QUOTE.finditer(text):
        quoted = next(group for group in match.groups() if group is not None).strip()
        words = quote_words(quoted)
        if len(words) >= min_words:
            mentions.append(Mention("quote:" + " ".join(words), quoted))
    return mentions


def quote_words(text: str) -> list[str]:
    return [word.casefold() for word in _QUOTE_WORD.findall(text)]


def _looks_like_year(match: re.Match, value: float) -> bool:
    # Publication years link unrelated articles from the same period, so plain years are not anchors.
    plain = not (match["sep"] or match["frac"] or match["k"] or match["word"])
    return plain and len(match["int"]) == 4 and 1900 <= value <= 2099


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


def _ngrams(parts: list[str]) -> list[str]:
    return [
        "".join(parts[start:start + size])
        for size in range(1, MAX_NAME_NGRAM + 1)
        for start in range(len(parts) - size + 1)
    ]
