"""Numbers and dates as values, whatever their written form, so that facts can be compared across
languages: "300.000", "300,000", "300000", "$300k", "300 thousand" and "300mila" are all 300000;
"26 Luglio 2023", "26. Juli 2023", "July 26, 2023" and "26.07.2023" are all the date 2023-07-26.

A separator followed by exactly three digits groups thousands ("1.500", "1,500"); followed by any other
number of digits it is a decimal point ("3,5", "3.25"). This reads German, Italian and English alike, at
the price of misreading the rare decimal with three places ("3,141"). English number words
("thirty-five") count as matches, never as claims: translators spell out small numbers, and "one of
the actors" is no figure to check.

This is the one parser of amounts and dates in article text: the check stage compares mentions
(`find_mentions`), grouping and the digest's facts compare amounts (`amount_mentions`; grouping takes dates
along, in `dates_and_amounts`). A byline's date of publication is read by dateparser (text/metadata).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

_MONTH_NAMES = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "en": "January February March April May June July August September October November December",
}
_MONTH_NUMBER = {
    name.casefold(): number for names in _MONTH_NAMES.values() for number, name in enumerate(names.split(), start=1)
}
_ABBREVIATIONS = {"Jan": 1, "Feb": 2, "Mär": 3, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9,
                  "Sept": 9, "Okt": 10, "Oct": 10, "Nov": 11, "Dez": 12, "Dec": 12}
_MONTH_NUMBER.update({"jänner": 1, **{abbreviation.casefold(): n for abbreviation, n in _ABBREVIATIONS.items()}})
# German and Italian names in any case ("luglio", "Luglio"); English names and abbreviations only
# capitalised, so that "may" the verb and "mar" the sea are never months.
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
# Month and weekday names, casefolded: capitalised words that are not names of people or places.
CALENDAR_WORDS = frozenset(" ".join([*_MONTH_NAMES.values(), _WEEKDAYS]).casefold().split())
_ANY_CASE = {"jänner", *_MONTH_NAMES["de"].casefold().split(), *_MONTH_NAMES["it"].split()}
_CAPITALISED = {*_MONTH_NAMES["en"].split(), *_ABBREVIATIONS} - {name.capitalize() for name in _ANY_CASE}
_MONTH = (
    rf"(?:(?i:{'|'.join(sorted(_ANY_CASE, key=len, reverse=True))})"
    rf"|(?:{'|'.join(sorted(_CAPITALISED, key=len, reverse=True))})\.?)(?![^\W\d_])"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"(?<![\w.,])(?P<d1>{_DAY})(?:{_ORDINAL}|\.|°|º)\s+(?:of\s+)?(?P<m1>{_MONTH})(?:,?\s+(?P<y1>\d{{4}}))?(?!\d)"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>{_DAY}){_ORDINAL}(?:,?\s+(?P<y2>\d{{4}}))?(?![\w.,]\d|\d)"
    rf"|(?P<m3>{_MONTH})\s+(?P<y3>\d{{4}})(?!\d)"
    rf"|(?<![\w.,/])(?P<d4>{_DAY})(?P<s4>[./])(?P<m4>0?[1-9]|1[0-2])(?P=s4)(?P<y4>\d{{4}})(?![\w/]|[.,]\d)"
    rf"|(?<![\w.,/-])(?P<y5>\d{{4}})-(?P<m5>0[1-9]|1[0-2])-(?P<d5>[0-2]\d|3[01])(?![\w-])"
)

_MULTIPLIERS = {
    **dict.fromkeys(("tsd", "tausend", "mila", "thousand"), 10**3),
    **dict.fromkeys(("mio", "mln", "million", "millions", "millionen", "milione", "milioni"), 10**6),
    **dict.fromkeys(("mrd", "bn", "milliarde", "milliarden", "miliardo", "miliardi", "billion", "billions"), 10**9),
    **dict.fromkeys(("trillion", "trillions", "billionen"), 10**12),
}
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<int>\d{1,3}(?P<sep>[.,\u00a0\u202f'’])\d{3}(?:(?P=sep)\d{3})*(?!\d)|\d+)"
    r"(?:[.,](?P<frac>\d+))?"
    r"(?:st|nd|rd|th|°|º)?"
    r"(?:(?P<k>k)|\s?(?P<word>" + "|".join(sorted(_MULTIPLIERS, key=len, reverse=True)) + r")\.?)?"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\s?(?:%|prozent\b|per\s?cento\b|per\s?cent\b)", re.IGNORECASE)
# Amounts below this say little about which story an article tells ("3 people", "2 weeks").
MIN_AMOUNT = 100

_UNITS = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
_WORD_VALUE = {
    **{word: index for index, word in enumerate(_UNITS, start=1)},
    **{word: index for index, word in enumerate(_TEENS, start=10)},
    **{word: index * 10 for index, word in enumerate(_TENS, start=2)},
    **{word: index for index, word in enumerate(_ORDINALS, start=1)},
    "hundred": 100,
}
_NUMBER_WORDS = re.compile(
    rf"\b(?:(?P<tens>{'|'.join(_TENS)})(?:[-\s](?P<unit>{'|'.join(_UNITS)}))?"
    rf"|(?P<single>{'|'.join(sorted(_WORD_VALUE, key=len, reverse=True))}))\b"
    r"(?:\s(?P<word>hundred|thousand|million|billion)\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    kind: str  # "number" or "date"
    value: str  # numbers: "300000", "3.5"; dates: "2023-07-26", with "????" / "??" for a missing part
    text: str  # as written


def find_mentions(text: str) -> list[Mention]:
    """Every date, then every number outside the dates, written with digits."""
    dates, rest = _take_dates(text)
    numbers = [Mention("number", _number_value(match), match.group().strip()) for match in _NUMBER.finditer(rest)]
    return dates + numbers


@dataclass(frozen=True)
class Amount:
    token: str  # "num:300000" or "pct:87": the same for every written form of the value
    surface: str  # as written


def amount_mentions(text: str) -> list[Amount]:
    """The amounts that can tell stories apart: percentages, and numbers of at least MIN_AMOUNT that are
    neither dates nor plain years (publication years link unrelated articles of the same period)."""
    return dates_and_amounts(text)[1]


def dates_and_amounts(text: str) -> tuple[list[Mention], list[Amount]]:
    """The dates of `text` (as in find_mentions) and its amounts (as amount_mentions), reading it once."""
    dates, rest = _take_dates(text)
    amounts = []
    for match in _NUMBER.finditer(rest):
        value = _number_value(match)
        percent = _PERCENT.match(rest, match.end())
        if percent:
            amounts.append(Amount(f"pct:{value}", rest[match.start():percent.end()].strip()))
        elif Decimal(value) >= MIN_AMOUNT and not _is_plain_year(match):
            amounts.append(Amount(f"num:{round(Decimal(value))}", match.group().strip()))
    return dates, amounts


def extract_amounts(text: str) -> list[str]:
    """"300.000", "300,000", "$300k" and "300mila" all give "num:300000"; "87 %" gives "pct:87"."""
    return [amount.token for amount in amount_mentions(text)]


def missing_mentions(claims: Iterable[Mention], *texts: str) -> list[Mention]:
    """The claims (one per value) that none of `texts` mentions, in any written form."""
    found = [mention for text in texts for mention in find_mentions(text)]
    values = {mention.value for mention in found if mention.kind == "number"}
    dates = [mention.value for mention in found if mention.kind == "date"]
    # A date's year also stands alone ("in 2023"), and number words are matches too ("thirty-five").
    values |= {value.split("-")[0] for value in dates if not value.startswith("?")}
    values |= {value for text in texts for value in spelled_numbers(text)}
    missing: dict[tuple[str, str], Mention] = {}
    for claim in claims:
        if claim.kind == "number":
            present = claim.value in values
        else:
            present = any(_same_date(claim.value, date) for date in dates)
        if not present:
            missing.setdefault((claim.kind, claim.value), claim)
    return list(missing.values())


def spelled_numbers(text: str) -> set[str]:
    """Values of English number words: "thirty-five" 35, "two million" 2000000, "first" 1."""
    values = set()
    for match in _NUMBER_WORDS.finditer(text):
        if match["tens"]:
            value = _WORD_VALUE[match["tens"].lower()] + (_WORD_VALUE[match["unit"].lower()] if match["unit"] else 0)
        else:
            value = _WORD_VALUE[match["single"].lower()]
        multiplier = {"hundred": 100, **_MULTIPLIERS}.get((match["word"] or "").lower(), 1)
        values.add(str(value * multiplier))
    return values


def _take_dates(text: str) -> tuple[list[Mention], str]:
    """The dates of `text`, and the text with them blanked out, so that a date's day and year are not read
    again as numbers ("26.07" as 26.07)."""
    dates: list[Mention] = []

    def take_date(match: re.Match) -> str:
        dates.append(Mention("date", _date_value(match), match.group()))
        return " " * len(match.group())

    return dates, _DATE.sub(take_date, text)


def _is_plain_year(match: re.Match) -> bool:
    plain = not (match["sep"] or match["frac"] or match["k"] or match["word"])
    return plain and len(match["int"]) == 4 and 1900 <= int(match["int"]) <= 2099


def _number_value(match: re.Match) -> str:
    value = Decimal(re.sub(r"\D", "", match["int"]) + "." + (match["frac"] or "0"))
    multiplier = "k" if match["k"] else (match["word"] or "").lower()
    value *= 1000 if multiplier == "k" else _MULTIPLIERS.get(multiplier, 1)
    return format(value.normalize(), "f")


def _date_value(match: re.Match) -> str:
    for suffix in "12345":
        if match[f"m{suffix}"]:
            month_text = match[f"m{suffix}"].rstrip(".").casefold()
            month = int(month_text) if month_text.isdigit() else _MONTH_NUMBER[month_text]
            day = match.groupdict().get(f"d{suffix}")
            year = match.groupdict().get(f"y{suffix}")
            return f"{year or '????'}-{month:02d}-{int(day):02d}" if day else f"{year or '????'}-{month:02d}-??"
    raise AssertionError("every alternative of _DATE names a month")


def _same_date(claim: str, other: str) -> bool:
    """Equal where both say something: "????-07-26" (no year) is the same day as "2023-07-26"."""
    return all(a == b or "?" in a or "?" in b for a, b in zip(claim.split("-"), other.split("-")))
