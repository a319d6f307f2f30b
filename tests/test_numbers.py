"""Numbers and dates read as values in German, Italian and English formats."""
from __future__ import annotations

import pytest

from pipeline.text.numbers import amount_mentions, extract_amounts, find_mentions, missing_mentions, spelled_numbers


def _values(text: str) -> list[tuple[str, str]]:
    return [(mention.kind, mention.value) for mention in find_mentions(text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("300.000 Dollar", "300000"),  # German grouping
        ("$300,000", "300000"),  # English grouping
        ("300000 dollars", "300000"),
        ("900mila dollari", "900000"),  # Italian word multiplier, attached
        ("900 mila euro", "900000"),
        ("$900k a year", "900000"),
        ("900 thousand", "900000"),
        ("3,5 Millionen Euro", "3500000"),  # German decimal comma
        ("3.5 million euros", "3500000"),
        ("1,2 miliardi", "1200000000"),
        ("2 Mrd. Euro", "2000000000"),
        ("1.234.567,89 Euro", "1234567.89"),
        ("1,234,567.89 euros", "1234567.89"),
        ("87 %", "87"),
        ("2,5%", "2.5"),
        ("der 3. Platz", "3"),
        ("the 3rd place", "3"),
    ],
)
def test_number_formats_give_one_value(text: str, value: str) -> None:
    assert _values(text) == [("number", value)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("26 Luglio 2023", "2023-07-26"),
        ("26 luglio 2023", "2023-07-26"),
        ("am 26. Juli 2023", "2023-07-26"),
        ("July 26, 2023", "2023-07-26"),
        ("26 July 2023", "2023-07-26"),
        ("the 26th of July 2023", "2023-07-26"),
        ("26.07.2023", "2023-07-26"),
        ("26/07/2023", "2023-07-26"),
        ("2023-07-26", "2023-07-26"),
        ("am 14. Juli", "????-07-14"),
        ("im Mai 2023", "2023-05-??"),
        ("Jan. 5, 2024", "2024-01-05"),
    ],
)
def test_date_formats_give_one_date(text: str, value: str) -> None:
    assert _values(text) == [("date", value)]


def test_words_that_only_look_like_numbers_or_months_are_not_read() -> None:
    assert _values("Cl0p, A320 and 5km") == []
    assert _values("up to 10 may die") == [("number", "10")]  # "may", the verb, is no month
    assert _values("COVID-19") == [("number", "19")]


def test_english_number_words_are_read_as_values() -> None:
    assert spelled_numbers("thirty-five actors, two million, a hundred, the first") == {"35", "2000000", "100", "1"}


def test_missing_mentions_matches_across_formats_and_languages() -> None:
    german = find_mentions("Netflix zahlt 300.000 bis 900.000 Dollar, seit dem 14. Juli 2023, an 35 Schauspieler.")
    faithful = "Netflix pays $300,000 to $900k since July 14, 2023, to thirty-five actors."
    assert missing_mentions(german, faithful) == []
    lost = missing_mentions(german, "Netflix pays 300 to 900 dollars since July 15 to actors.")
    assert [mention.text for mention in lost] == ["14. Juli 2023", "300.000", "900.000", "35"]


def test_a_date_without_year_matches_the_full_date_and_a_year_matches_the_date() -> None:
    [full] = find_mentions("26 Luglio 2023")
    assert missing_mentions([full], "published on July 26") == []
    [year] = find_mentions("in 2023")
    assert missing_mentions([year], "26 Luglio 2023") == []


@pytest.mark.parametrize(
    ("text", "amount"),
    [("2 mln euro", "num:2000000"), ("1,5 bn dollars", "num:1500000000"), ("300mila euro", "num:300000"),
     ("$300k", "num:300000"), ("300.000 Dollar", "num:300000"), ("87 Prozent", "pct:87"), ("3,5 %", "pct:3.5")],
)
def test_grouping_reads_amounts_with_the_check_stages_parser(text: str, amount: str) -> None:
    # One parser: an amount the check stage reads is the same value for grouping and the digest's facts.
    assert extract_amounts(text) == [amount]
    value = amount.split(":")[1]
    assert any(mention.value == value for mention in find_mentions(text))


def test_years_dates_and_small_numbers_are_not_amounts() -> None:
    assert extract_amounts("Im Jahr 2023, am 26. Juli 2023 und am 26.07.2023, kamen 3 Leute") == []
    assert [amount.surface for amount in amount_mentions("Es kostet 2.023 Euro") ] == ["2.023"]
