"""The editor-facing checks: each flag on a crafted case, the translate stage's fallback, the check stage."""
from __future__ import annotations

from datasets import Dataset

from pipeline.config import CheckConfig, TranslateConfig
from pipeline.stages.check import check
from pipeline.stages.translate import translate
from pipeline.text.quality import article_flags, longest_loop, translation_problem
from tests.fakes import EchoGenerator, FakePool

CONFIG = CheckConfig()
GERMAN = "Netflix zahlt bis zu 900.000 Dollar. Die Gewerkschaft SAG-AFTRA streikt seit dem 14. Juli 2023."
ENGLISH = "Netflix pays up to $900,000. The union SAG-AFTRA has been on strike since July 14, 2023."


def _row(**changes: object) -> dict:
    row = {"status": "ok", "title": "Netflix", "text": GERMAN, "title_en": "Netflix", "text_en": ENGLISH,
           "translated": True, "untranslated": [], "summary": "Netflix pays up to $900,000 during the SAG-AFTRA strike."}
    row.update(changes)
    return row


def test_a_faithful_translation_and_summary_raise_no_flag() -> None:
    assert article_flags(_row(), CONFIG) == []


def test_numbers_and_dates_lost_in_translation_are_flagged_with_their_written_form() -> None:
    flags = article_flags(_row(text_en="Netflix pays up to $90,000. The union SAG-AFTRA is on strike since July."), CONFIG)
    assert "number 900.000 missing from translation" in flags
    assert "date 14. Juli 2023 missing from translation" in flags


def test_summary_numbers_and_names_missing_from_the_article_are_flagged() -> None:
    summary = "Netflix pays $650,000, said chief executive Ted Sarandos in Los Angeles."
    flags = article_flags(_row(summary=summary), CONFIG)
    assert "number 650,000 in summary not found in the article" in flags
    assert "name Ted Sarandos in summary not found in the article" in flags
    assert "name Los Angeles in summary not found in the article" in flags
    assert not any("Netflix" in flag for flag in flags)


def test_names_are_found_in_the_original_when_the_translation_lost_them() -> None:
    row = _row(text_en="Netflix pays up to $900,000. The union is on strike since July 14, 2023.")
    assert article_flags(row, CONFIG) == []  # SAG-AFTRA is in the German text


def test_failed_translations_are_named() -> None:
    source = "Die Gewerkschaft fordert klare Regeln für den Einsatz von KI in Film und Fernsehen."
    assert translation_problem(source, "  ", CONFIG) == "is empty"
    assert "repeats “the union” 6 times" == translation_problem(source, "the union " * 6, CONFIG)
    assert "0.12× the original's length" in translation_problem(source, "The union.", CONFIG)
    assert translation_problem(source, "The union demands clear rules for the use of AI in film and TV.", CONFIG) is None
    # Short pieces are not judged by their length, and a source that repeats may be translated so.
    assert translation_problem("Anzeige", "Advertisement", CONFIG) is None
    assert translation_problem("ja ja ja ja ja", "yes yes yes yes yes", CONFIG) is None


def test_longest_loop_finds_the_most_repeated_ngram() -> None:
    assert longest_loop("a b c a b c a b c a b c d", 4) == ("a b c", 4)
    assert longest_loop("no loop here at all", 4).times == 1


def test_article_level_sanity_and_summary_loops_are_flagged() -> None:
    flags = article_flags(_row(text_en="", summary="strike strike strike strike strike"), CONFIG)
    assert "translation is empty" in flags
    assert "summary repeats “strike” 5 times" in flags


def test_passages_kept_in_the_original_are_listed_then_counted() -> None:
    notes = [f"kept in the original, translation is empty: “Satz {n}”" for n in range(5)]
    flags = article_flags(_row(untranslated=notes), CONFIG)
    assert flags[:3] == notes[:3]
    assert flags[3] == "… and 2 more passages kept in the original"


class _BrokenOnKeyword(EchoGenerator):
    """Echoes, except that chunks mentioning 'kaputt' come back empty and 'Schleife' loops."""

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        echoed = super().generate(texts, max_new_tokens, min_new_tokens)
        return ["" if "kaputt" in text else "loop " * 9 if "Schleife" in text else text for text in echoed]


def test_translate_keeps_the_original_of_a_failed_chunk_and_records_it() -> None:
    text = "Dieser Satz ist ganz in Ordnung.\n\nDieser Satz geht leider kaputt.\n\nHier dreht sich alles in einer Schleife."
    article = {"id": "a", "path": "a.txt", "status": "ok", "problem": "", "title": "", "text": text, "language": "de"}
    pool = FakePool(**{"echo-de": _BrokenOnKeyword(max_input_tokens=40)})
    [row] = translate(Dataset.from_list([article]), TranslateConfig(models={"de": "echo-de"}), pool).to_list()
    assert row["text_en"] == text  # the echo kept the first, the fallback the other two
    assert row["untranslated"] == [
        "kept in the original, translation is empty: “Dieser Satz geht leider kaputt.”",
        "kept in the original, translation repeats “loop” 9 times: “Hier dreht sich alles in einer Schleife.”",
    ]


def test_check_stage_adds_flags_and_leaves_other_rows_empty() -> None:
    rows = [_row(id="good"), _row(id="bad", text_en="Netflix pays."), _row(id="skipped", status="skipped", text_en="")]
    flags = {row["id"]: row["flags"] for row in check(Dataset.from_list(rows), CONFIG).to_list()}
    assert flags["good"] == [] and flags["skipped"] == []
    assert "number 900.000 missing from translation" in flags["bad"]
