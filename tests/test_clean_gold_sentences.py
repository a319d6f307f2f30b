"""Property: the article's own sentences are never dropped. Sentences of the dev pages' gold article texts
(../shared/data/dev, as in CI), put on a page with a menu, a headline and a footer, all survive clean."""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.clean import DEFAULT_RULES_PATH, clean_article, load_rules

MENU = ["Home", "News", "Politik", "Economía", "Sport", "Cultura", "Newsletter", "Login", "Video", "Meteo"]
FOOTER = ["Impressum", "Privacy Policy", "Contacto", "Mentions légales", "Chi siamo", "Nach oben"]
# A sentence: enough words to be one, and a sentence's end (closing quotes and brackets may follow).
_SENTENCE = re.compile(r"(?:\S+\s+){7,}.*[.!?…][\"'“”‘’»«)\]]*")
# Lines of the gold texts that are not the article's: teasers for other articles that Readability kept.
_NOT_THE_ARTICLE = re.compile(r"(?:Lire|Reproduciendo|Related)\s?:.*")
_MAX_CHARS = 600
# Readability kept a paid newsletter's sign-up box (a pitch, then plans and prices) after an article: the
# article ends at its pitch.
_SIGN_UP_BOX = re.compile(r"Sign up for .*newsletter.*[.!?]")


@functools.lru_cache(maxsize=1)
def _gold_sentences(dev_data: Path) -> dict[str, list[str]]:
    """For each dev page with a gold article text, its lines that read as sentences."""
    gold = json.loads((dev_data / "pages.gold.json").read_text(encoding="utf-8"))
    sentences = {
        name: [line for line in _article_part(entry["gold_text"]) if len(line) <= _MAX_CHARS and _SENTENCE.fullmatch(line.strip()) and not _NOT_THE_ARTICLE.fullmatch(line.strip())]
        for name, entry in sorted(gold.items()) if entry.get("gold_text")
    }
    return {name: lines for name, lines in sentences.items() if len(lines) >= 3}


def _article_part(gold_text: str) -> list[str]:
    lines = gold_text.splitlines()
    box = next((index for index, line in enumerate(lines) if _SIGN_UP_BOX.fullmatch(line.strip())), len(lines))
    return lines[:box]


def _survivors(sentences: list[str], menu: list[str], footer: list[str]) -> list[str]:
    page = "\n\n".join([*menu, "Breaking news from the newsroom today", *sentences, *footer])
    text = clean_article(page, "txt", load_rules(DEFAULT_RULES_PATH)).text
    return [sentence for sentence in sentences if " ".join(sentence.split()) in text]


def test_every_gold_sentence_survives_on_a_page_of_its_own_article(dev_data: Path) -> None:
    gold_sentences = _gold_sentences(dev_data)
    assert len(gold_sentences) >= 20
    for name, sentences in gold_sentences.items():
        assert _survivors(sentences, MENU, FOOTER) == sentences, name


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_gold_sentences_survive_whatever_menus_and_footers_surround_them(dev_data: Path, data: st.DataObject) -> None:
    gold_sentences = _gold_sentences(dev_data)
    name = data.draw(st.sampled_from(sorted(gold_sentences)))
    start = data.draw(st.integers(0, len(gold_sentences[name]) - 3))
    sentences = gold_sentences[name][start : start + data.draw(st.integers(3, 8))]
    menu = data.draw(st.lists(st.sampled_from(MENU), min_size=2, max_size=10))
    footer = data.draw(st.lists(st.sampled_from(FOOTER), min_size=1, max_size=6))
    assert _survivors(sentences, menu, footer) == sentences
