"""The headline of a scraped page and the standfirst under it, found without knowing the site.

A page states its headline more than once: in its <title> ("Headline | Site", the first line of scraped
text), in breadcrumbs, as the article's heading. Menus, section names and share buttons ("Share on
Facebook", "Condividi su Facebook") are heading-like lines too, but they sit further from the article
and the <title> does not contain them. So the headline is the heading-like line before the article's
first sentence that the page's first line contains, the one nearest the article if several do; without
such a line, the first line itself when it reads as a headline (a <title> without its site's name), else
the heading-like line with enough words for a headline (more than a button's) that most lines of the page
contain, the first on a tie (a second one further down is a subheading). Between the headline and the
article's main block, a line that reads as a sentence is the standfirst and belongs to the article.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

_MIN_WORDS = 3
# Without the <title>'s word, a headline has more words than menu items and buttons ("Share on Facebook").
_UNCONFIRMED_MIN_WORDS = 5
_STANDFIRST_MIN_WORDS = 8
_LONG_SENTENCE_WORDS = 12
_CLOSING_MARKS = "\"'“”‘’»«)]"
_SENTENCE_END = re.compile(r"[.!?…][\"'“”‘’»«)\]]*$")
# The <title> confirms a line that has this share of its words: it may word the headline a little
# differently ("Mujer quiso impedir captura de hijo …" over "Mujer quería impedir detención de su hijo …").
_CONFIRMED_SHARE = 0.6
_WORD = re.compile(r"\w+")
# What a page's <title> adds to the headline: "Headline | Section | Site", "Headline - Site" (a few words
# each: a longer part after a dash is the headline's own, "Kim Jong Un - Der Diktator ist zurück, …").
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+\S+(?: \S+){0,3}$")
# Breadcrumbs and kickers put a dash or a bullet before a headline: "—Im ICE von Frankfurt nach Barcelona".
_LEADING_MARKS = " —–-|·•›>"


def is_heading(line: str, max_chars: int) -> bool:
    """A line that could be a headline: short, a few words, not ending like a sentence or a label."""
    return (
        len(line) <= max_chars
        and len(line.split()) >= _MIN_WORDS
        and line.rstrip(_CLOSING_MARKS)[-1:] not in ".,:;…"
        and any(char.isupper() for char in line)
    )


def find_headline(lines: Sequence[str], article_start: int, max_chars: int, later: Sequence[int] = ()) -> int | None:
    """The index of the headline among lines[:article_start], or among `later` (lines past the article's
    start that are not its text: a notice may open the main block above the headline) when the first line
    confirms it; None when none reads as one."""
    candidates = [index for index in range(article_start) if is_heading(lines[index], max_chars)]
    later = [index for index in later if is_heading(lines[index], max_chars)]
    if not candidates and not later:
        return None
    title_words = set(_words(title_of(lines, 0)).split())
    shares = {index: _share_in(lines[index], title_words) for index in [*candidates, *later] if index > 0}
    confirmed = [index for index, share in shares.items() if share >= _CONFIRMED_SHARE]
    if confirmed:
        return max(confirmed, key=lambda index: (shares[index], index))
    if not candidates:
        return None
    if candidates[0] == 0:
        return 0
    # A headline is followed by its article (a standfirst, a byline, the text); a heading-like line followed
    # by another is an item of a menu, a row of buttons or a kicker.
    listed = {index for index in candidates if index + 1 < len(lines) and is_heading(lines[index + 1], max_chars)}
    unconfirmed = [
        index for index in candidates if len(lines[index].split()) >= _UNCONFIRMED_MIN_WORDS and index not in listed
    ]
    if not unconfirmed:
        return None
    # A page repeats its headline inside other lines (breadcrumbs "3. Headline", "Did you like 'Headline'?").
    return max(unconfirmed, key=lambda index: (sum(lines[index] in line for line in lines), -index))


def title_of(lines: Sequence[str], headline: int) -> str:
    """The title in the line find_headline found: without breadcrumb marks, and without the site's name when
    the line is the page's first (its <title>)."""
    title = lines[headline].strip(_LEADING_MARKS)
    while headline == 0:
        shorter = _SITE_SUFFIX.sub("", title)
        if shorter == title or len(shorter.split()) < _MIN_WORDS:
            break
        title = shorter
    return title


def find_standfirst(lines: Sequence[str], headline: int, article_start: int) -> int | None:
    """The standfirst: the first line between the headline and the article's main block that reads as a
    sentence (enough words, and a sentence's end or the length of one), not a byline, date or button.
    Further down, just above the article, such lines are image captions."""
    for index in range(headline + 1, article_start):
        words = len(_WORD.findall(lines[index]))
        if words >= _STANDFIRST_MIN_WORDS and (_SENTENCE_END.search(lines[index]) or words >= _LONG_SENTENCE_WORDS):
            return index
    return None


def _share_in(line: str, words: set[str]) -> float:
    line_words = _words(line).split()
    return sum(word in words for word in line_words) / len(line_words)


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))
