"""The translate stage's plumbing, with an echoing stand-in model: nothing lost, order kept, limits held."""
from __future__ import annotations

import re

from datasets import Dataset

from pipeline.config import TranslateConfig
from pipeline.models.batching import chunk_document, generate_batched, pack_sentences
from pipeline.stages.translate import translate
from tests.fakes import EchoGenerator, FakePool

GERMAN_SENTENCES = [f"Satz Nummer {n} handelt von Netflix und der Gewerkschaft in Hollywood." for n in range(1, 121)]


def _article(article_id: str, language: str, text: str, title: str = "Titel", status: str = "ok") -> dict:
    return {"id": article_id, "path": f"{article_id}.txt", "status": status, "problem": "", "title": title,
            "text": text, "language": language}


def _long_text() -> str:
    paragraphs = [" ".join(GERMAN_SENTENCES[start : start + 10]) for start in range(0, len(GERMAN_SENTENCES), 10)]
    return "\n\n".join(paragraphs)


def test_text_far_over_the_limit_comes_back_whole_and_in_order() -> None:
    text = _long_text()
    assert len(text.split()) > 1000  # far over any model limit used here (12 'tokens')
    generator = EchoGenerator(max_input_tokens=12, tag="")
    config = TranslateConfig(models={"de": "echo-de"}, chunk_tokens=12, max_batch_tokens=64)
    result = translate(Dataset.from_list([_article("a", "de", text)]), config, FakePool(**{"echo-de": generator}))
    translated = result[0]["text_en"]
    assert translated == text
    assert result[0]["translated"] is True
    positions = [translated.index(sentence) for sentence in GERMAN_SENTENCES]
    assert positions == sorted(positions)
    assert translated.count("\n\n") == text.count("\n\n")


def test_overlong_sentence_is_split_not_truncated() -> None:
    words = [f"wort{n}" for n in range(50)]
    sentence = " ".join(words) + "."
    generator = EchoGenerator(max_input_tokens=8)
    chunks = pack_sentences([sentence], generator, target_tokens=8)
    assert len(chunks) > 1
    assert all(len(chunk.split()) <= 8 for chunk in chunks)
    assert " ".join(chunks) == sentence


class SubwordCountingGenerator(EchoGenerator):
    """Counts a token per three characters of each word, as a subword tokenizer does on words it never
    saw, so that one long word alone can exceed the limit."""

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [sum(-(-len(word) // 3) for word in text.split()) for text in texts]


def test_word_without_spaces_longer_than_limit_is_cut_by_characters() -> None:
    generator = SubwordCountingGenerator(max_input_tokens=4)
    word = "https://example.com/" + "".join(f"{n:x}" for n in range(40))
    chunks = pack_sentences(["Ein Link:", word], generator, target_tokens=4)
    assert generator.count_tokens([word]) == [28]  # 84 characters: far over 4 tokens, no space to cut at
    assert max(generator.count_tokens(chunks)) <= 4
    assert chunks[0] == "Ein Link:" and "".join(chunks[1:]) == word


def test_batches_are_length_sorted_within_the_token_budget_and_order_is_restored() -> None:
    generator = EchoGenerator(max_input_tokens=50, tag=">")
    texts = [" ".join(["w"] * n) for n in (9, 1, 5, 9, 2, 7, 1)]
    outputs = generate_batched(generator, texts, max_batch_tokens=24, max_new_tokens=lambda n: n)
    assert outputs == [f">{text}" for text in texts]
    for call in generator.calls:
        lengths = [len(text.split()) for text in call]
        assert lengths == sorted(lengths)
        assert len(call) * (max(lengths) + 2) <= 24 or len(call) == 1


def test_english_passes_through_and_unconfigured_language_is_skipped() -> None:
    rows = [
        _article("en1", "en", "An English article about Netflix.", title="English title"),
        _article("fr1", "fr", "Un article en français.", title="Titre"),
        _article("de1", "de", "Ein deutscher Artikel über Netflix.", title="Deutscher Titel"),
        _article("bad", "und", "", status="skipped"),
    ]
    pool = FakePool(**{"echo-de": EchoGenerator(tag="EN:")})
    result = translate(Dataset.from_list(rows), TranslateConfig(models={"de": "echo-de"}), pool).to_list()
    english, french, german, bad = result
    assert (english["text_en"], english["title_en"], english["translated"]) == (
        "An English article about Netflix.", "English title", False)
    assert french["status"] == "skipped" and "translate.models.fr" in french["problem"]
    assert german["text_en"].startswith("EN:") and german["title_en"] == "EN:Deutscher Titel"
    assert bad["status"] == "skipped" and bad["text_en"] == ""
    assert pool.requested == ["echo-de"]


def test_chunks_respect_paragraphs_and_sentence_boundaries() -> None:
    generator = EchoGenerator(max_input_tokens=30)
    document = chunk_document("Erster Satz hier. Zweiter Satz dort.\n\nDritter Satz.", "de", generator, 4)
    assert document == [["Erster Satz hier.", "Zweiter Satz dort."], ["Dritter Satz."]]
    assert all(re.search(r"[.!?]$", chunk) for paragraph in document for chunk in paragraph)
