"""What a summary's lead input keeps of an article, for each `summarize.lead_tokens`: the share of articles
read whole, of their words, and of their keywords (the 10 content words the article uses most, stopwords
aside): a summarizer can only say what its input holds. On the dev data's English pages (cleaned scraped
text) and stories, or any folder of English .txt articles.

    python bench/lead.py                                   # ../shared/data/dev pages + stories
    python bench/lead.py --leads 96 128 192 256 --texts FOLDER

Tokens are estimated at 1.3 per word (BART's English BPE; the real tokenizer is not on an offline
machine): the lead is the title and whole sentences while they fit, as `summarize.input: lead` reads it.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import justext  # noqa: E402

from pipeline.stages.clean import DEFAULT_RULES_PATH, clean_article, load_rules  # noqa: E402
from pipeline.text.sentences import split_paragraphs, split_sentences  # noqa: E402

TOKENS_PER_WORD = 1.3
KEYWORDS = 10
DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"


def dev_articles() -> list[tuple[str, str]]:
    """(title, text) of the English dev pages, cleaned, and of the English stories (first line: the title)."""
    rules = load_rules(DEFAULT_RULES_PATH)
    articles = []
    for page in sorted((DEV / "pages").glob("en_*.txt")):
        cleaned = clean_article(page.read_text(encoding="utf-8"), "txt", rules)
        articles.append((cleaned.title, cleaned.text))
    for story in sorted((DEV / "stories").glob("story*_en.txt")):
        title, _, text = story.read_text(encoding="utf-8").partition("\n")
        articles.append((title.strip(), text.strip()))
    return articles


def folder_articles(folder: Path) -> list[tuple[str, str]]:
    return [("", path.read_text(encoding="utf-8")) for path in sorted(folder.rglob("*.txt"))]


def lead_words(title: str, text: str, lead_tokens: int) -> list[str]:
    words = title.split()
    for paragraph in split_paragraphs(text):
        for sentence in split_sentences(paragraph, "en"):
            if (len(words) + len(sentence.split())) * TOKENS_PER_WORD > lead_tokens:
                return words
            words += sentence.split()
    return words


def normalise(word: str) -> str:
    return word.strip(".,;:!?\"'()“”‘’").lower()


def keywords(words: list[str], stoplist: frozenset[str]) -> set[str]:
    content = Counter(word for word in map(normalise, words) if len(word) > 2 and word not in stoplist)
    return {word for word, _ in content.most_common(KEYWORDS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, nargs="+", default=[96, 128, 192, 256, 384])
    parser.add_argument("--texts", type=Path, help="a folder of English .txt articles instead of the dev data")
    args = parser.parse_args()
    articles = folder_articles(args.texts) if args.texts else dev_articles()
    articles = [(title, text) for title, text in articles if text.split()]
    stoplist = justext.get_stoplist("English")
    sizes = [len(title.split()) + len(text.split()) for title, text in articles]
    print(f"{len(articles)} articles, median {statistics.median(sizes) * TOKENS_PER_WORD:.0f} tokens (estimated)\n")
    print("| lead_tokens | articles read whole | words read | keywords in the lead |")
    print("|---|---|---|---|")
    for lead in args.leads:
        whole = read = found = 0.0
        for (title, text), size in zip(articles, sizes):
            lead_part = lead_words(title, text, lead)
            whole += len(lead_part) >= size
            read += len(lead_part) / size
            article_keywords = keywords(title.split() + text.split(), stoplist)
            found += len(article_keywords & set(map(normalise, lead_part))) / max(1, len(article_keywords))
        count = len(articles)
        print(f"| {lead} | {100 * whole / count:.0f}% | {100 * read / count:.0f}% | {100 * found / count:.0f}% |")


if __name__ == "__main__":
    main()
