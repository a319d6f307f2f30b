"""Which lines of a scraped page, given as plain text, are the article and which are boilerplate.

No rule here knows a site. Each line gets a score from jusText's classification (Pomikálek 2011: length
and stopword density, with the jusText stoplist of the page's language): article-like lines count for
their length, menu items, teasers and notices against it. The article is the best-scoring run of lines
(the maximum-sum run, as in Body Text Extraction, Finn et al. 2001), plus any other run that scores at
least a share of it (an article split by a gallery or an ad block). Inside those runs, a run of several
lines that are not prose (a menu, a teaser list) goes. Lines that many articles of the corpus share are
boilerplate too: see `repeated_lines`.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import justext
from justext.core import PathInfo, classify_paragraphs
from justext.paragraph import Paragraph
from pydantic import BaseModel, ConfigDict, Field

# A prose line ends like a sentence (closing quotes and brackets may follow the mark).
_PROSE_END = re.compile(r"[.!?…][\"'“”‘’»«)\]]*$")
# A line ending like this does not continue on the next line of its block (see split_lines); an agency's
# name may follow the full stop: "… after an upset election victory. (Reuters)".
_LINE_END = re.compile(r"[.!?…:;][\"'“”‘’»«)\]]*(?:\s?\([^()]{1,40}\))?$")
_WRAPPED_MIN_CHARS = 40
# A page saved with a byte order mark starts with it: the first line is the <title>, not an empty line.
_BYTE_ORDER_MARK = "\ufeff"
_WORD_MARKS = "\"'“”‘’»«()[],.;:!?…"
_HEADLINE_MAX_CHARS = 120
# jusText's stoplists hold a language's most frequent words ("zuvor", "centro"); the short ones are its
# articles, prepositions and conjunctions, which do not end a headline.
_FUNCTION_WORD_MAX_CHARS = 4
_SENTENCE_BREAK = re.compile(r"[.!?…]\s")
_MARKDOWN_BLOCK_START = re.compile(r"\s*(?:#{1,6}\s|[-*+>]\s|\d+[.)]\s|```|\|)")
_MARKDOWN_HEADING_MARK = re.compile(r"#{1,6}\s+")
# Lines without a letter passed over when looking for the article next to a line (live ticker minutes).
_MAX_LETTERLESS_LINES_PASSED = 3
# "17-Se non credete …", "3. Add the flour", "2) …": a numbered list item, its number and separator.
_LIST_ITEM = re.compile(r"(\d{1,3})\s?([-.):–])\s?\w")
# The attribution an embedded post carries on its own line: "— Name (@handle) February 17, 2020".
_EMBED_ATTRIBUTION = re.compile(r"[—–]\s*\S.{0,80}\(@\w{1,30}\)")


class MainTextSettings(BaseModel):
    """How lines are weighed; configs/clean_rules.yaml has the values and says how they were chosen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Per jusText class: a line scores its length (at least min_weight_chars) times its class's weight.
    weights: dict[str, float] = {"good": 1.0, "neargood": 0.5, "short": -0.3, "bad": -1.0}
    min_weight_chars: int = Field(40, ge=1)
    max_penalty: float = Field(100.0, gt=0)
    other_run_share: float = Field(0.1, gt=0, le=1)
    menu_run_lines: int = Field(4, ge=2)
    prose_min_chars: int = Field(20, ge=1)
    sentence_min_words: int = Field(7, ge=1)
    sentence_stopword_share: float = Field(0.2, ge=0, le=1)


def article_lines(text: str, text_format: str) -> list[str]:
    """The lines the clean stage works on: whitespace-normalised NFC lines, none empty. In Markdown a
    single line break inside a paragraph is a space; in scraped text (txt) a line that goes on in the next
    line of its block (a hard wrap or a <br>: a long line that does not end like a sentence) is joined to
    it; in the text trafilatura extracts from HTML every line is a paragraph. Markdown headings lose
    their "#" marks."""
    if text_format == "md":
        lines = [_MARKDOWN_HEADING_MARK.sub("", line, count=1) for line in _split(_join_markdown_soft_breaks(text), rejoin=False)]
        return [line for line in lines if line]
    return _split(text, rejoin=text_format == "txt")


def _split(text: str, rejoin: bool) -> list[str]:
    lines: list[str] = []
    after_blank, joined = True, False
    raw_lines = text.splitlines()
    language = page_language(raw_lines) if rejoin else None
    stopwords = _stoplists()[language] if language else frozenset()
    for raw_line in raw_lines:
        line = " ".join(unicodedata.normalize("NFC", raw_line).replace(_BYTE_ORDER_MARK, "").split())
        if not line:
            after_blank = True
            continue
        if rejoin and lines and not after_blank and _is_wrapped(lines[-1]) and (joined or not _is_headline_above(lines[-1], line, stopwords)):
            lines[-1] = f"{lines[-1]} {line}"
            joined = True
        else:
            lines.append(line)
            joined = False
        after_blank = False
    return lines


def _is_wrapped(line: str) -> bool:
    # Short lines without a full stop are menu items and labels ("Home", "Anzeige"), not wrapped prose.
    return len(line) >= _WRAPPED_MIN_CHARS and not _LINE_END.search(line)


def _is_headline_above(line: str, next_line: str, stopwords: frozenset[str]) -> bool:
    """Whether `line`, a line of its own so far, is a headline or subheading over `next_line` rather than
    prose wrapped into it: one heading-long phrase whose last word could end a phrase (not a short
    stopword of the page's language, an article or preposition: "der", "the", "de"), followed by a capital. Otherwise the headline is glued to the article's first paragraph."""
    last_word = line.split()[-1].strip("\"'“”‘’»«").lower()
    return (
        len(line) <= _HEADLINE_MAX_CHARS
        and next_line[0].isupper()
        and line[-1] not in ",;-–—("
        and not _SENTENCE_BREAK.search(line)
        and not (len(last_word) <= _FUNCTION_WORD_MAX_CHARS and last_word in stopwords)
    )


def _join_markdown_soft_breaks(text: str) -> str:
    lines: list[str] = []
    for line in text.splitlines():
        previous = lines[-1] if lines else ""
        continues = line.strip() and previous.strip() and not _MARKDOWN_BLOCK_START.match(line)
        if continues and not previous.lstrip().startswith("#"):
            lines[-1] = f"{previous.rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return "\n".join(lines)


def is_prose(line: str, min_chars: int) -> bool:
    return len(line) >= min_chars and _PROSE_END.search(line) is not None


@lru_cache(maxsize=1)
def _stoplists() -> dict[str, frozenset[str]]:
    return {name: justext.get_stoplist(name) for name in sorted(justext.get_stoplists())}


def page_language(lines: Sequence[str]) -> str | None:
    """The jusText stoplist (named by language: "German", "Italian") that holds most of the page's different
    words, then most of its words: a menu word repeated ("Sport", an Uzbek stopword, four times) does not
    outweigh the sentences' "the", "of", "for". None when no stoplist has a word of the page (Chinese,
    Japanese, Thai: jusText has no stoplist for them)."""
    counts = Counter(word.lower() for line in lines for word in line.split())

    def hits(stoplist: frozenset[str]) -> tuple[int, int]:
        found = [count for word, count in counts.items() if word in stoplist]
        return len(found), sum(found)

    name, stoplist = max(_stoplists().items(), key=lambda item: hits(item[1]))
    return name if hits(stoplist)[0] else None


@dataclass(frozen=True)
class MainText:
    keep: list[bool]  # for each line, whether it belongs to the article
    start: int  # the first line of the best-scoring run: where the article's main block begins


def main_text(
    lines: Sequence[str], language: str, settings: MainTextSettings, boilerplate: Collection[str] = ()
) -> MainText:
    """Which lines belong to the article; `language` names a jusText stoplist. Lines in `boilerplate`
    (known from elsewhere, such as repetition across the corpus) never do, and they count as jusText's
    "bad" lines: a menu still separates the article from the teasers below it."""
    stoplist = _stoplists()[language]
    classes = [
        "bad" if line in boilerplate else kind for line, kind in zip(lines, _classify(lines, stoplist))
    ]
    scores = [_score(line, kind, settings) for line, kind in zip(lines, classes)]
    keep = [False] * len(lines)
    runs = _article_runs(scores, settings.other_run_share)
    for start, end in runs:
        keep[start:end] = [True] * (end - start)
    _extend_over_sentences(lines, keep, stoplist, settings)
    _drop_non_prose_runs(lines, keep, settings)
    _keep_embedded_posts(lines, keep)  # after: a post and its attribution are not prose, but no menu either
    start = runs[0][0]
    while start > 0 and keep[start - 1]:  # the sentences kept above the best run open the main block
        start -= 1
    return MainText([kept and line not in boilerplate for line, kept in zip(lines, keep)], start)


def repeated_lines(articles: Iterable[Sequence[str]], min_articles: int) -> list[set[str]]:
    """For each article (its lines), those of its lines found in at least `min_articles` articles that are
    not copies of each other: a nightly corpus holds many pages of each site, whose menus, notices and
    footers repeat. Copies (one agency story on several sites) share their paragraphs too; they are told
    apart by their longest line, which copies share and different articles of one site do not."""
    articles = [list(lines) for lines in articles]
    holders: defaultdict[str, set[str]] = defaultdict(set)
    for lines in articles:
        if lines:
            longest = max(lines, key=len)
            for line in lines:
                holders[line].add(longest)
    return [{line for line in lines if len(holders[line]) >= min_articles} for lines in articles]


def _classify(lines: Sequence[str], stoplist: frozenset[str]) -> list[str]:
    paragraphs = []
    for line in lines:
        paragraph = Paragraph(PathInfo().append("body").append("p"))
        paragraph.append_text(line)
        paragraphs.append(paragraph)
    classify_paragraphs(paragraphs, stoplist)
    return [paragraph.cf_class for paragraph in paragraphs]


def _extend_over_sentences(lines: Sequence[str], keep: list[bool], stoplist: frozenset[str], settings: MainTextSettings) -> None:
    """Keep the lines next to the article that read as its sentences (enough words, a sentence's end, the
    page language's stopwords), however short or full of names jusText finds them: "Yoon's office has not
    commented on the allegations." closing an article, a first paragraph full of place names; and the next
    item of a numbered list it ends with ("17-Se non credete …" after "16-…"). Lines without a letter in
    between (the minutes of a live ticker: "3'") neither count as neighbours nor are kept."""
    for step in (1, -1):
        for index in range(len(lines))[::step]:
            if keep[index] or not _has_letter(lines[index]):
                continue
            neighbour = index - step
            for _ in range(_MAX_LETTERLESS_LINES_PASSED):
                if 0 <= neighbour < len(lines) and not _has_letter(lines[neighbour]):
                    neighbour -= step
            if not 0 <= neighbour < len(lines) or not keep[neighbour]:
                continue
            keep[index] = _reads_as_sentence(lines[index], stoplist, settings) or _next_list_item(lines[neighbour], lines[index], step)


def _keep_embedded_posts(lines: Sequence[str], keep: list[bool]) -> None:
    """A post the article embeds (a tweet) comes as its text and its attribution line, "— Name (@handle)
    February 17, 2020"; right after the article's lines, both are the article's."""
    for index in range(2, len(lines)):
        if keep[index - 2] and _EMBED_ATTRIBUTION.match(lines[index]):
            keep[index - 1] = keep[index] = True


def _has_letter(line: str) -> bool:
    return any(character.isalpha() for character in line)


def _next_list_item(kept: str, line: str, step: int) -> bool:
    """Whether `line` is the item of a numbered list that comes `step` after the `kept` one, in the same style."""
    kept_item, item = _LIST_ITEM.match(kept), _LIST_ITEM.match(line)
    return bool(kept_item and item) and kept_item[2] == item[2] and int(item[1]) - int(kept_item[1]) == step


def _reads_as_sentence(line: str, stoplist: frozenset[str], settings: MainTextSettings) -> bool:
    words = [word.strip(_WORD_MARKS).lower() for word in line.split()]
    return (
        is_prose(line, settings.prose_min_chars)
        and len(words) >= settings.sentence_min_words
        and sum(word in stoplist for word in words) >= settings.sentence_stopword_share * len(words)
    )


def _score(line: str, kind: str, settings: MainTextSettings) -> float:
    return max(settings.weights[kind] * max(len(line), settings.min_weight_chars), -settings.max_penalty)


def _best_run(scores: Sequence[float], start: int, end: int) -> tuple[float, int, int]:
    """The maximum-sum run of scores[start:end] (Kadane) as (sum, first, end); sum 0 if none is positive."""
    best, total, first = (0.0, start, start), 0.0, start
    for index in range(start, end):
        if total <= 0:
            total, first = 0.0, index
        total += scores[index]
        if total > best[0]:
            best = (total, first, index + 1)
    return best


def _article_runs(scores: Sequence[float], other_share: float) -> list[tuple[int, int]]:
    best, first, end = _best_run(scores, 0, len(scores))
    runs = [(first, end)]
    pending = [(0, first), (end, len(scores))]
    while pending:
        start, stop = pending.pop()
        total, first, end = _best_run(scores, start, stop)
        if total > 0 and total >= other_share * best:
            runs.append((first, end))
            pending += [(start, first), (end, stop)]
    return runs


def _drop_non_prose_runs(lines: Sequence[str], keep: list[bool], settings: MainTextSettings) -> None:
    # A sentence leading into a list or a quote ("Massime da seguire nei contatti con il personale:") is
    # the article's: a list under it is not a menu (a label such as "Mehr zum Thema:" is shorter).
    prose = [
        is_prose(line, settings.prose_min_chars) or line.endswith(":") and len(line.split()) >= settings.sentence_min_words
        for line in lines
    ]
    index = 0
    while index < len(lines):
        if not keep[index] or prose[index]:
            index += 1
            continue
        end = index
        while end < len(lines) and keep[end] and not prose[end]:
            end += 1
        if end - index >= settings.menu_run_lines:
            keep[index:end] = [False] * (end - index)
        index = end
