"""The demo corpus (corpus/*.txt) by language, for the tiny models' tokenizers and the bench workloads.

Kept apart from tests/tiny_models.py so that reading it imports no model code: the bench's measured runs
import this, and transformers' model classes would add 130 MB to the peak RSS they report.
"""
from __future__ import annotations

import re
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
# Frequent function words are enough to sort whole articles by language, and keep model building
# independent of the pipeline's language detector, which is itself under test.
STOPWORDS = {
    "de": {"der", "die", "und", "das", "ist", "nicht", "mit", "für", "ein", "eine", "von", "zu", "den", "sich"},
    "it": {"il", "la", "di", "che", "e", "un", "una", "per", "del", "della", "non", "gli", "è", "sono"},
    "en": {"the", "and", "of", "to", "is", "that", "for", "with", "are", "on", "a", "their"},
}


def read_corpus_by_language(corpus: Path = CORPUS_DIR) -> dict[str, list[str]]:
    """Texts of corpus/*.txt grouped by the language (de, it, en) whose function words they use most."""
    texts: dict[str, list[str]] = {language: [] for language in STOPWORDS}
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        words = re.findall(r"\w+", text.lower())
        language = max(STOPWORDS, key=lambda code: sum(word in STOPWORDS[code] for word in words))
        texts[language].append(text)
    missing = sorted(language for language, found in texts.items() if not found)
    if missing:
        raise RuntimeError(f"{corpus} has no article in {', '.join(missing)}: the tiny tokenizers need one each")
    return texts
