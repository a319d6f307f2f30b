"""Story summaries: sentence selection across sources, the summarizer call and its cache, attribution.

The summarizer is a fake that echoes its input: the summary is then exactly the selected sentences, so
every summary sentence must be attributed to the source it was taken from. The German and Italian
articles get hand-written English "translations" (a random model's would be gibberish).
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

from datasets import Dataset

from pipeline.config import MergeConfig, SummarizeConfig
from pipeline.digest import render
from pipeline.digest.consolidate import SourceSentence, consolidate, select_sentences
from pipeline.stages.merge import write_digest
from pipeline.store.cache import StageCache
from pipeline.text.english import english_sentences
from tests.fakes import EchoGenerator, FakePool
from tests.test_merge import corpus_rows, make_digest, unrelated_rows

ENGLISH = {
    "000": "Netflix is looking for a highly paid AI manager while actors in Hollywood strike over the use of AI. "
    "According to Gizmodo, the streaming giant advertised a position for an AI product manager. The salary is "
    "said to be at least 300,000 dollars a year, with an upper limit of 900,000 dollars.",
    "001": "Netflix has a new job to fill that deals directly with artificial intelligence. This causes a lot of "
    "outrage in Hollywood. AI is one of the reasons for the double strike of the unions Screen Actors Guild "
    "and Writers Guild of America. The job offer, 'Product Manager - Machine Learning Platform' at the "
    "headquarters in Los Gatos, pays an annual salary of 300,000 to 900,000 US dollars.",
    "002": "Netflix drew attention with a job posting for a machine learning product manager. The position "
    "promises an annual salary between 300,000 and 900,000 dollars. 87 percent of the members of the Screen "
    "Actors Guild earn less than 26,000 dollars a year.",
    "003": "Netflix published a job offer for AI experts worth 900,000 dollars a year while the actors strike. "
    "Many actors earn about 200 dollars a day, according to SAG-AFTRA.",
}
ECHO = "echo"


class FixedGenerator(EchoGenerator):
    """A summarizer that writes the same text whatever it reads."""

    def __init__(self, text: str):
        super().__init__(max_input_tokens=10_000)
        self.text = text

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        super().generate(texts, max_new_tokens, min_new_tokens)
        return [self.text for _ in texts]


def translated_rows() -> list[dict]:
    rows = corpus_rows()
    for row in rows:
        row["text_en"] = ENGLISH.get(row["id"][:3], row["text_en"])
    return rows


def run_consolidate(rows: list[dict], generator: EchoGenerator, cache: StageCache | None = None) -> tuple[dict, dict]:
    digest = make_digest(rows)
    pool = FakePool(**{ECHO: generator})
    return consolidate(digest, Dataset.from_list(rows), MergeConfig(), SummarizeConfig(model=ECHO), pool, cache, "fp")


def test_demo_story_summary_is_attributed_to_its_german_italian_and_english_sources() -> None:
    digest, report = run_consolidate(translated_rows(), EchoGenerator(max_input_tokens=10_000))

    assert len(digest["stories"]) == 1 and report == {"story_summaries": 1, "computed": 1, "from_cache": 0}
    story = digest["stories"][0]
    language_of = {article["id"]: article["language"] for article in story["articles"]}
    assert story["summary"] == " ".join(sentence["text"] for sentence in story["key_sentences"])
    assert all(sentence["supported"] for sentence in story["summary_sentences"])
    cited = {source["article"] for sentence in story["summary_sentences"] for source in sentence["sources"]}
    assert {language_of[article] for article in cited} == {"de", "it", "en"}
    for key in story["key_sentences"]:
        # An echoed sentence is its own best evidence, so its source is always cited for it.
        holder = next(sentence for sentence in story["summary_sentences"] if key["text"] in sentence["text"])
        assert key["article"] in [source["article"] for source in holder["sources"]]
        assert key["source"] in [source["source"] for source in holder["sources"]]


def test_shared_fact_is_attributed_to_every_source_stating_it() -> None:
    summary = FixedGenerator("Netflix offers 900,000 dollars a year for an AI job.")
    digest, _ = run_consolidate(translated_rows(), summary)

    (sentence,) = digest["stories"][0]["summary_sentences"]
    assert {source["article"][:3] for source in sentence["sources"]} >= {"000", "003"}
    similarities = [source["similarity"] for source in sentence["sources"]]
    assert similarities == sorted(similarities, reverse=True)


def test_summary_sentence_no_source_supports_is_flagged_unsupported() -> None:
    invented = "Gardeners in Tasmania harvested record pumpkins. Netflix is looking for a highly paid AI manager."
    digest, _ = run_consolidate(translated_rows(), FixedGenerator(invented))

    made_up, copied = digest["stories"][0]["summary_sentences"]
    assert made_up == {"text": "Gardeners in Tasmania harvested record pumpkins.", "sources": [], "supported": False,
                       "flags": ["name Tasmania in summary not found in any source"]}
    assert copied["supported"] and copied["sources"][0]["article"].startswith("000")


def test_sentence_with_an_amount_no_source_has_is_unsupported_and_flagged() -> None:
    # Close in words to what three sources say, but with a made-up amount.
    digest, _ = run_consolidate(translated_rows(), FixedGenerator("Netflix offers 50,000 dollars a year for an AI job."))

    story = digest["stories"][0]
    (sentence,) = story["summary_sentences"]
    assert sentence["sources"] == [] and sentence["supported"] is False
    assert story["flags"] == sentence["flags"] == ["number 50,000 in summary not found in any source"]


def test_sentence_with_an_invented_place_is_unsupported_by_sources_that_share_its_words() -> None:
    invented = "Netflix is looking for a highly paid AI manager in Tasmania."
    digest, _ = run_consolidate(translated_rows(), FixedGenerator(invented))

    story = digest["stories"][0]
    (sentence,) = story["summary_sentences"]
    assert sentence["supported"] is False
    assert story["flags"] == ["name Tasmania in summary not found in any source"]


def test_faithful_paraphrase_is_supported_by_the_sources_holding_its_facts() -> None:
    paraphrase = "The streaming giant Netflix advertised a position for an AI product manager, Gizmodo reports."
    digest, _ = run_consolidate(translated_rows(), FixedGenerator(paraphrase))

    story = digest["stories"][0]
    (sentence,) = story["summary_sentences"]
    assert sentence["supported"] and sentence["flags"] == [] and story["flags"] == []
    # Only the source naming Gizmodo holds every name of the sentence.
    assert [source["article"][:3] for source in sentence["sources"]] == ["000"]


def test_unchanged_story_costs_no_model_call_on_the_next_run(tmp_path: Path) -> None:
    cache = StageCache(tmp_path / "stages.sqlite")
    first = EchoGenerator(max_input_tokens=10_000)
    again = EchoGenerator(max_input_tokens=10_000)
    try:
        before, _ = run_consolidate(translated_rows(), first, cache)
        after, report = run_consolidate(translated_rows(), again, cache)
    finally:
        cache.close()

    assert len(first.calls) == 1 and again.calls == []
    assert report == {"story_summaries": 1, "computed": 0, "from_cache": 1}
    assert after["stories"][0]["summary"] == before["stories"][0]["summary"]


def test_single_article_story_keeps_its_article_summary() -> None:
    generator = EchoGenerator(max_input_tokens=10_000)
    rows = [row for row in unrelated_rows() if row["id"] == "football_it"]
    rows[0]["text_en"] = "Inter beat Milan 2-1 in the derby at San Siro in front of 75,000 spectators."

    digest, report = run_consolidate(rows, generator)

    story = digest["stories"][0]
    assert story["summary"] == rows[0]["summary"] and generator.calls == []
    assert report["story_summaries"] == 0
    assert [key["text"] for key in story["key_sentences"]] == [rows[0]["text_en"]]


def test_passages_the_translation_kept_in_the_original_are_not_summarized() -> None:
    kept = {
        "de": "Die Schauspieler streiken seit Wochen gegen den Einsatz künstlicher Intelligenz in Hollywood.",
        "it": "Lo sciopero degli attori è iniziato da poco più di dieci giorni.",
    }
    for language, english in (("de", ENGLISH["000"]), ("it", ENGLISH["003"])):
        mixed = f"{english}\n\n{kept[language]}"
        assert english_sentences(mixed, language) == english_sentences(english, language) != []
        assert english_sentences(mixed, "en")[-1] == kept[language]


def test_selection_prefers_what_sources_share_and_skips_repeats() -> None:
    sentences = [
        SourceSentence(0, 0, "Netflix offers 900,000 dollars for an AI manager."),
        SourceSentence(0, 1, "The weather in the city was mild on Tuesday."),
        SourceSentence(1, 0, "Netflix offers 900,000 dollars for an AI manager, a report says."),
        SourceSentence(1, 1, "Actors and writers strike over the use of AI."),
        SourceSentence(2, 0, "Actors strike over AI while Netflix hires."),
    ]

    chosen = select_sentences(sentences, 2, mmr_lambda=0.5)

    # The Netflix offer and the strike: never both near-identical offers, never the unrelated weather.
    offer, strike = {(0, 0), (1, 0)}, {(1, 1), (2, 0)}
    first, second = [(s.article, s.position) for s in chosen]
    assert first in offer and second in strike
    assert select_sentences(sentences, 9, mmr_lambda=0.5) == sentences


def test_markdown_html_and_json_carry_the_same_story_content(tmp_path: Path) -> None:
    rows = translated_rows()
    rows[0]["flags"] = ["number 300.000 missing from translation", "name <b>Gizmodo</b> not in the article"]
    summary = FixedGenerator("<script>alert(1)</script> pumpkins. Netflix offers 900,000 dollars.")
    digest, _ = run_consolidate(rows, summary)

    write_digest(digest, tmp_path, ["md", "json", "html"])

    data = json.loads((tmp_path / "digest.json").read_text(encoding="utf-8"))
    markdown = (tmp_path / "digest.md").read_text(encoding="utf-8")
    page = (tmp_path / "digest.html").read_text(encoding="utf-8")
    story = data["stories"][0]
    assert data["schema_version"] == 3 and story["summary_sentences"][0]["supported"] is False
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; pumpkins." in page
    assert "\\<script\\>alert(1)\\</script\\> pumpkins. **(unsupported)**" in markdown
    assert page.count('class="unsupported"') == 1
    assert "name &lt;b&gt;Gizmodo&lt;/b&gt; not in the article" in page and "number 300.000 missing" in markdown
    for source in story["summary_sentences"][1]["sources"]:
        assert f'[{source["source"]}]</a>' in page and f'\\[{source["source"]}\\]' in markdown
    assert story["single_source_facts"]
    for fact in story["single_source_facts"]:
        assert escape(fact["text"], quote=False) in page and render.escape_markdown(fact["text"]) in markdown
    for article in story["articles"]:
        assert f'id="{story["id"]}-{article["id"]}"' in page


class NetflixAllergicGenerator(EchoGenerator):
    """Echoes, except that it raises on any batch mentioning Netflix, as a model does on an input it cannot take."""

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        if any("Netflix" in text for text in texts):
            raise RuntimeError("CUDA error: device-side assert triggered")
        return super().generate(texts, max_new_tokens, min_new_tokens)


def test_a_story_the_summarizer_fails_on_keeps_its_key_sentences_and_the_others_are_summarized(tmp_path: Path) -> None:
    flood = next(row for row in unrelated_rows() if row["id"] == "flood_de")
    rows = translated_rows() + [flood, {**flood, "id": "flood_de_copy", "path": "flood copy.txt"}]
    cache = StageCache(tmp_path / "stages.sqlite")
    try:
        digest, report = run_consolidate(rows, NetflixAllergicGenerator(max_input_tokens=10_000), cache)
        stories = {len(story["articles"]): story for story in digest["stories"]}
        netflix, flood_story = stories[5], stories[2]
        assert netflix["summary"] == " ".join(sentence["text"] for sentence in netflix["key_sentences"])
        assert flood_story["summary"] and "Netflix" not in flood_story["summary"]
        # Only the flood story's summary was cached: the Netflix story is tried again next run.
        _, report = run_consolidate(rows, EchoGenerator(max_input_tokens=10_000), cache)
        assert (report["computed"], report["from_cache"]) == (1, 1)
    finally:
        cache.close()
