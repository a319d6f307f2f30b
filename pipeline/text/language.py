"""Language identification of a text: py3langid behind the rules described in stages/detect.py."""
from __future__ import annotations

import logging
import re
from collections import Counter
from functools import cache
from typing import Any, NamedTuple

from pipeline.config import DetectConfig
from pipeline.errors import ConfigError

logger = logging.getLogger(__name__)

UNDETERMINED = "und"
# py3langid's label for "no linguistic content" (numbers, symbols): not a language outside the set.
NO_LANGUAGE = "zxx"
# Sentence ends (also before a closing quote) and line breaks split the text. Colons do not: in
# headlines ("Netflix of Disney+: wat kies je?") both halves are needed to tell the language.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"“”»«’)])\s+|\n+")
_LETTER = re.compile(r"[^\W\d_]")
# Pieces shorter than this are joined to the next one: a 3-word fragment ("Anzeige", "Dr. Meier") says
# little on its own, while a whole quoted sentence is long enough to be weighed separately.
MIN_CHUNK_LETTERS = 40
# Another language must outweigh all the others together before the article is called foreign: below
# that, short headlines in a configured language lose too often to a neighbour (gl for es, ca for it).
OUT_OF_SET_MAJORITY = 0.5


class Detection(NamedTuple):
    """What `detect_language` found. `language` is "und" when the model leaned nowhere in the set."""

    language: str
    confidence: float
    best_guess: str  # the model's leaning even when `language` is "und": for messages and logs


@cache
def _identifier() -> Any:
    """py3langid's model: 70 MB in memory, so one for the whole process, shared by every detector."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def release_identifier() -> None:
    """Free py3langid's model; the next detection loads it again (0.7 s)."""
    _identifier.cache_clear()


class LanguageDetector:
    """py3langid behind the stage's rules; the model loads on the first text."""

    def __init__(self, config: DetectConfig):
        self.languages = tuple(dict.fromkeys(config.languages))
        self.min_confidence = config.min_confidence
        self._checked = False

    def _check_languages(self, known: list[str]) -> None:
        unknown = sorted(set(self.languages) - set(known))
        if unknown:
            raise ConfigError(
                "detect", "detect.languages", f"language code(s) {', '.join(unknown)} unknown to py3langid",
                f"use ISO 639-1 codes from: {', '.join(sorted(known))}",
            )
        logger.info("detect: py3langid restricted to %s", ", ".join(self.languages))
        self._checked = True

    def distribution(self, text: str) -> dict[str, float]:
        """Probability of every language the model knows, for one piece of text."""
        identifier = _identifier()
        if not self._checked:
            self._check_languages(identifier.labels)
        return dict(identifier.rank(text))


@cache
def default_detector() -> LanguageDetector:
    """One detector with the default settings, for a language guess outside the detect stage."""
    return LanguageDetector(DetectConfig())


def build_detector(config: DetectConfig) -> LanguageDetector:
    """Cheap: the model itself loads when the first text is detected."""
    return LanguageDetector(config)


def split_chunks(text: str) -> list[tuple[str, int]]:
    """Sentence-sized chunks with their letter counts; a text without letters gives no chunk."""
    chunks: list[tuple[str, int]] = []
    pending, pending_letters = "", 0
    for piece in _SENTENCE_BREAK.split(text):
        pending = f"{pending} {piece.strip()}".strip()
        pending_letters += len(_LETTER.findall(piece))
        if pending_letters >= MIN_CHUNK_LETTERS:
            chunks.append((pending, pending_letters))
            pending, pending_letters = "", 0
    if pending_letters:  # a short tail stands alone: its few letters give it little weight anyway
        chunks.append((pending, pending_letters))
    return chunks


def detect_language(text: str, detector: LanguageDetector) -> Detection:
    """The stage's whole decision for one text; `eval detect` and the bench call this too."""
    chunks = split_chunks(text)
    total = sum(letters for _, letters in chunks)
    if not total:
        return Detection(UNDETERMINED, 0.0, UNDETERMINED)
    mixture: Counter[str] = Counter()
    for chunk, letters in chunks:
        for language, probability in detector.distribution(chunk).items():
            mixture[language] += probability * letters / total

    top, top_probability = max(mixture.items(), key=lambda item: item[1])
    if top not in detector.languages and top != NO_LANGUAGE and top_probability > OUT_OF_SET_MAJORITY:
        return Detection(UNDETERMINED, top_probability, top)

    in_set = {language: mixture[language] for language in detector.languages}
    mass = sum(in_set.values())
    best = max(in_set, key=in_set.__getitem__)
    confidence = in_set[best] / mass if mass else 0.0
    if confidence < detector.min_confidence:
        return Detection(UNDETERMINED, confidence, best)
    return Detection(best, confidence, best)
