"""What editors need to check a story: a short label for each source, and the facts only one source has.

A fact is an amount, a name or a quote. It counts as "only in one source" when no other article of the
story mentions it, in its original text or in its English translation: amounts are compared normalised
("300.000 Dollar" = "$300,000"), names by their whole form or by their last part among the other's
words ("Söder" = "Markus Söder"), quotes by their words inside one sentence of the other source.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Sequence

from pipeline.records import title_and_text
from pipeline.text.english import english_sentences
from pipeline.text.names import extract_names, name_runs, quote_mentions, quote_words
from pipeline.text.numbers import CALENDAR_WORDS, amount_mentions, extract_amounts
from pipeline.text.sentences import split_sentences

# A quote counts as present elsewhere when this share of its words is in one sentence of another source.
# Translations reword, so the bar sits below an exact match.
QUOTE_OVERLAP = 0.6
# Longer quotes are shown cut, with "…": the list is for spotting, the article has the whole passage.
QUOTE_SHOWN_WORDS = 25
_TLDS = "de|it|com|net|org|eu|info|news|at|ch|fr|es|nl|pt|uk|us|io|tv|media"
_DOMAIN = re.compile(
    rf"(?:https?://)?(?:www\.)?(?P<domain>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS}))(?![\w.-]*\w)",
    re.IGNORECASE,
)


@dataclass
class SourceView:
    """One article as the fact finder sees it: both texts, and every anchor either one mentions."""

    original: str
    english: str  # only the sentences of the English text that are English
    author: str
    amounts: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    sentences: list[set[str]] = field(default_factory=list)

    @classmethod
    def of(cls, row: dict) -> "SourceView":
        original = title_and_text(row.get('title'), row.get('text'))
        language = str(row.get("language") or "")
        translated = title_and_text(row.get('title_en'), row.get('text_en'))
        view = cls(original, "\n".join(english_sentences(translated, language)), str(row.get("author") or ""))
        # What other sources are checked against: everything this one says, in any language.
        for text, text_language in ((original, language or "en"), (translated, "en")):
            view.amounts.update(extract_amounts(text))
            view.names.update(extract_names(text))
            view.words.update(quote_words(text))
            view.sentences.extend(set(quote_words(sentence)) for sentence in split_sentences(text, text_language))
        return view


def source_label(row: dict) -> str:
    """`de:kino.de`: the language and the publisher's domain found in the text, else the file's stem."""
    text = str(row.get("raw_text") or row.get("text") or "")
    domains = Counter(match["domain"].lower() for match in _DOMAIN.finditer(text))
    # Most frequent first; Counter keeps first-seen order among equals.
    name = domains.most_common(1)[0][0] if domains else PurePosixPath(str(row.get("path") or row.get("id"))).stem
    return f"{row.get('language') or 'und'}:{name}"


def unique_labels(labels: Sequence[str]) -> list[str]:
    """Two articles from one site in a story become `de:kino.de` and `de:kino.de#2`."""
    seen: Counter[str] = Counter()
    unique = []
    for label in labels:
        seen[label] += 1
        unique.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return unique


def single_source_facts(rows: Sequence[dict], labels: Sequence[str]) -> list[dict]:
    """Amounts, names and quotes that exactly one of `rows` mentions, in row order, each with its source."""
    if len(rows) < 2:
        return []
    views = [SourceView.of(row) for row in rows]
    facts = []
    for index, (row, view) in enumerate(zip(rows, views)):
        others = views[:index] + views[index + 1:]
        for kind, text in _facts_of(view, others):
            facts.append({"kind": kind, "text": text, "article": row["id"], "source": labels[index]})
    return facts


def _facts_of(view: SourceView, others: list[SourceView]) -> list[tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for mention in amount_mentions(view.original):
        if not any(mention.token in other.amounts for other in others):
            found.setdefault(mention.token, ("amount", mention.surface))
    # A translated quote can be compared with the other sources' English; the original only when the
    # translation lost the quotation marks (or the model is a random one).
    for mention in quote_mentions(view.english) or quote_mentions(view.original):
        if not any(_quote_in(mention.token, other) for other in others):
            words = mention.surface.split()
            shown = " ".join(words[:QUOTE_SHOWN_WORDS]) + (" …" if len(words) > QUOTE_SHOWN_WORDS else "")
            found.setdefault(mention.token, ("quote", shown))
    not_names = set(quote_words(view.author)) | CALENDAR_WORDS
    # Names from the English text only: in German every noun is capitalised and would pass for a name.
    for parts, surface in name_runs(view.english):
        whole = "".join(parts)
        if set(parts) <= not_names or any(whole in other.names or parts[-1] in other.words for other in others):
            continue
        found.setdefault("name:" + whole, ("name", surface))
    return list(found.values())


def _quote_in(token: str, other: SourceView) -> bool:
    words = set(token.removeprefix("quote:").split())
    return any(len(words & sentence) >= QUOTE_OVERLAP * len(words) for sentence in other.sentences)
