"""Benchmark workloads: N news articles of realistic length, assembled from the corpus's own sentences.

Length is measured in the tokens of the model under test, so a workload is as heavy for the random
bench models (whose small tokenizers cut German into ~2.7 tokens a word) as for the real ones (~1.5):
by default 450..1350 tokens an article, i.e. 300..900 words of German through opus-mt, which is what
online news articles run to. Articles are paragraphs of 2..6 sentences drawn with a fixed seed.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

from pipeline.text.sentences import split_paragraphs, split_sentences
from tests.demo_corpus import CORPUS_DIR, read_corpus_by_language

TokenCounter = Callable[[list[str]], list[int]]
ARTICLE_TOKENS = (450, 1350)


def corpus_sentences(language: str, corpus: Path = CORPUS_DIR) -> list[str]:
    """Every sentence of the corpus articles in `language` (de, it or en), boilerplate lines left out."""
    sentences = []
    for text in read_corpus_by_language(corpus)[language]:
        for paragraph in split_paragraphs(text):
            # Short lines are datelines, ads and credits, not prose.
            sentences += [s for s in split_sentences(paragraph, language) if len(s.split()) >= 6]
    return sentences


def make_articles(
    count: int,
    language: str,
    count_tokens: TokenCounter,
    seed: int = 0,
    tokens: tuple[int, int] = ARTICLE_TOKENS,
) -> list[str]:
    """`count` article texts, each of a length drawn uniformly from `tokens` (as `count_tokens` counts)."""
    sentences = corpus_sentences(language)
    lengths = dict(zip(sentences, count_tokens(sentences)))
    rng = random.Random(f"{seed}-{language}")
    articles = []
    paragraph_size = 0
    for _ in range(count):
        target = rng.randint(*tokens)
        paragraphs: list[list[str]] = []
        total = 0
        while total < target:
            if not paragraphs or len(paragraphs[-1]) == paragraph_size:
                paragraphs.append([])
                paragraph_size = rng.randint(2, 6)
            sentence = rng.choice(sentences)
            paragraphs[-1].append(sentence)
            total += lengths[sentence]
        articles.append("\n\n".join(" ".join(paragraph) for paragraph in paragraphs))
    return articles


def write_corpus(
    folder: Path,
    counts: dict[str, int],
    counters: dict[str, TokenCounter],
    seed: int = 0,
    tokens: tuple[int, int] = ARTICLE_TOKENS,
) -> list[Path]:
    """A corpus folder of `counts[language]` .txt articles per language, each with a title line."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for language, count in counts.items():
        for index, text in enumerate(make_articles(count, language, counters[language], seed, tokens)):
            title = " ".join(text.split()[:8]).rstrip(",.;:")
            path = folder / f"{language}_{index:04d}.txt"
            path.write_text(f"{title}\n\n{text}\n", encoding="utf-8")
            paths.append(path)
    return paths
