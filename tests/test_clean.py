"""The clean stage on the real seed articles: the boilerplate each one carries goes, its sentences stay, and
the headline becomes the title. Plus the rules file as data and the rows clean must leave alone."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from datasets import Dataset

from pipeline.config import CleanConfig, IngestConfig
from pipeline.errors import ConfigError
from pipeline.stages.clean import DEFAULT_RULES_PATH, clean, clean_article, load_rules, rules_path
from pipeline.eval.cleaning import rule_firings
from pipeline.stages.ingest import FEATURES, ingest
from pipeline.text.clean_rules import line_patterns, read_rules_file

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
SENTENCE = "Netflix sucht eine Person für künstliche Intelligenz und zahlt dafür sehr viel Geld im Jahr."
SENTENCE_2 = "Die Stelle ist in Los Gatos, wo das Unternehmen seit vielen Jahren seinen Hauptsitz hat."

# Boilerplate lines of the dev pages (../shared/data/dev/pages), one per kind of rule; each is put inside an
# article, where only a rule can take it out.
DEV_BOILERPLATE = [
    "Quelle: Lutz Roeßler", "Fotos: EL HERALDO/ AFP", "Photo by James Martin/CNET", "Crédits photos : Bestimage",
    "Dmitry Muratov, periodista ruso y Premio Nobel de la Paz (REUTERS/Denis Balibouse)",
    "© Dieter Mayr (KNA)", "Copyright © Webedia - alle Rechte vorbehalten", "TODOS LOS DERECHOS RESERVADOS 2021",
    "Share on Facebook", "Compartir en WhatsApp", "Suivez-nous sur les réseaux sociaux", "Seguici su:",
    "Taboola Taboola", "19.10.19, 11:29 Uhr", "Mehr zum Thema", "ANZEIGE", "Das könnte Sie auch interessieren",
    "Lea más: Juan Carlos Ortega Murillo propone legalizar la comercialización de marihuana en Nicaragua",
    "LE PUEDE INTERESAR: La ficha de Juan Orlando Hernández en el MDC de Nueva York",
    "Lesen Sie hier: Spielabbruch in der Kreisliga zwischen türkischer und kurdischer Mannschaft",
    "Lire aussi : Les critiques de la CNIL contre le projet de loi sur le renseignement",
]
MUST_STAY = {
    "000": ["Wer sich mit künstlicher Intelligenz auskennt, könnte bei Netflix einen wahren Traumjob finden.",
            "Die Bedeutung von KI wird auf jeden Fall wachsen",
            "„Die Körper von Hintergrunddarstellern sollen gescannt, für einen Tag Arbeit bezahlt werden",
            "wie der Streamingdienst in Zukunft seine Prioritäten setzt."],
    "001": ["Netflix hat eine neue Stelle zu besetzen, die sich direkt mit Künstlicher Intelligenz beschäftigt.",
            "Die Reaktion aus Hollywood ließ nicht lange auf sich warten.",
            "Gegenüber The Intercept hat sich Rob Delaney, Schauspieler und SAG-AFTRA-Mitglied",
            "„900.000 US-Dollar pro Jahr und Soldat*in in ihrer gottlosen KI-Armee sind einfach gruselig",
            "„Was zum Teufel? Und sie zahlen den meisten Schauspielenden nicht genug",
            "die ersten Charaktere in Live-Action-Produktionen dürften aber gar nicht mehr fern sein."],
    "002": ["Inmitten eines spannenden Konflikts zwischen Schauspielern, Autoren und der Invasion",
            "mit sich bringt."],
    "003": ["Netflix offre un lavoro per esperti di AI mentre gli attori scioperano",
            "Lo sciopero degli attori è iniziato da poco più di dieci giorni",
            "senza consenso e senza compenso."],
    "004": ["87% of Hollywood actors earn less than $26,000 a year",
            "“So $900k/yr per soldier in their godless AI army when that amount of earnings could qualify "
            "thirty-five actors and their families for SAG-AFTRA health insurance is just ghoulish.”",
            "“Having been poor and rich in this business, I can assure you there’s enough money to go around.",
            "their wages will be much smaller indeed."],
}


@pytest.fixture(scope="module")
def seeds() -> dict[str, dict]:
    table = clean(ingest(CORPUS_DIR, IngestConfig()), CleanConfig())
    return {row["path"][:3]: row for row in table.to_list()}


def _articles(*texts: str, status: str = "ok", text_format: str = "txt") -> Dataset:
    rows = [
        {"id": str(index), "path": f"{index}.{text_format}", "content_hash": "", "raw_text": text,
         "format": text_format, "date": "", "author": "", "status": status, "problem": "", "repeated_lines": []}
        for index, text in enumerate(texts)
    ]
    return Dataset.from_list(rows, features=FEATURES)


@pytest.mark.parametrize("line", DEV_BOILERPLATE)
def test_boilerplate_lines_of_the_dev_pages_go(line: str) -> None:
    page = _page(REPORT[0], line, REPORT[1])
    assert clean_article(page, "txt", load_rules(DEFAULT_RULES_PATH)).text.split("\n\n") == list(REPORT)


@pytest.mark.parametrize(("seed", "line"), [(seed, line) for seed, lines in MUST_STAY.items() for line in lines])
def test_article_sentences_of_the_seeds_stay(seeds: dict[str, dict], seed: str, line: str) -> None:
    assert line in seeds[seed]["text"]


def test_titles_of_the_seeds(seeds: dict[str, dict]) -> None:
    assert seeds["001"]["title"] == (
        "„Was soll der Sch...?“: Netflix schockt mit KI-Jobstelle und löst Aufschrei in Hollywood aus"
    )
    assert seeds["003"]["title"] == "Netflix pubblica un’offerta di lavoro AI da 900mila dollari"
    assert seeds["004"]["title"] == "With Hollywood still on strike, Netflix posts $900,000 AI job"
    # 000 and 002 have no headline: the title is their first sentence, shortened at a word.
    assert seeds["000"]["title"].startswith("Während die Schauspieler:innen in Hollywood")
    assert seeds["002"]["title"].startswith("Inmitten eines spannenden Konflikts")
    assert all(len(row["title"]) <= load_rules(DEFAULT_RULES_PATH).title_max_chars for row in seeds.values())


def test_headline_is_the_title_not_part_of_the_text(seeds: dict[str, dict]) -> None:
    for seed in ("001", "003", "004"):
        assert seeds[seed]["title"] not in seeds[seed]["text"].split("\n\n")


def test_text_is_blank_line_separated_paragraphs_without_repeats(seeds: dict[str, dict]) -> None:
    for row in seeds.values():
        paragraphs = row["text"].split("\n\n")
        assert all(paragraph.strip() == paragraph and paragraph and "\n" not in paragraph for paragraph in paragraphs)
        assert len(paragraphs) == len(set(paragraphs))
        assert row["status"] == "ok"


def test_removed_lines_counts_what_went(seeds: dict[str, dict]) -> None:
    assert seeds["002"]["removed_lines"] == 0
    assert seeds["000"]["removed_lines"] == 5  # four "Anzeige Anzeige" and the "Mehr zu diesem Thema" tail
    assert seeds["001"]["removed_lines"] > 10


def test_rows_not_ok_pass_through_untouched() -> None:
    result = clean(_articles("", status="skipped"), CleanConfig()).to_list()[0]
    assert (result["title"], result["text"], result["removed_lines"], result["status"]) == ("", "", 0, "skipped")


def test_article_with_too_little_text_left_is_skipped() -> None:
    result = clean(_articles(f"Anzeige\n\n{SENTENCE}"), CleanConfig(min_chars=100)).to_list()[0]
    assert result["status"] == "skipped"
    assert result["problem"] == f"no article text left after cleaning ({len(SENTENCE)} chars, clean.min_chars is 100)"


def test_empty_table_gets_the_new_columns(tmp_path: Path) -> None:
    table = clean(ingest(tmp_path, IngestConfig()), CleanConfig())
    assert len(table) == 0
    assert {"title", "text", "removed_lines"} <= set(table.column_names)


def test_markdown_headings_and_hard_wrapped_paragraphs() -> None:
    text = f"# Netflix sucht einen KI-Manager\n\n{SENTENCE[:40]}\n{SENTENCE[41:]}\n\n- erster Punkt\n- zweiter Punkt\n"
    result = clean(_articles(text, text_format="md"), CleanConfig(min_chars=10)).to_list()[0]
    assert result["title"] == "Netflix sucht einen KI-Manager"
    assert result["text"].split("\n\n") == [SENTENCE, "- erster Punkt", "- zweiter Punkt"]


def test_rules_come_from_the_configured_file(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("rules:\n  mine:\n    drop_lines: [Eigene Werbezeile]\n", encoding="utf-8")
    config = CleanConfig(rules_file=rules_file, min_chars=10)
    result = clean(_articles(f"{SENTENCE}\n\nEigene Werbezeile\n\nAnzeige\n\n{SENTENCE_2}"), config).to_list()[0]
    assert result["text"].split("\n\n") == [SENTENCE, "Anzeige", SENTENCE_2]  # the packaged rules are not in use
    assert rules_path(config) == rules_file
    assert rules_path(CleanConfig()) == DEFAULT_RULES_PATH


@pytest.mark.parametrize(
    ("content", "key", "message"),
    [
        ("rules:\n  de:\n    drop_patterns: ['Anzeige(']\n", "rules.de.drop_patterns.0", "not a valid regular expression"),
        ("rules:\n  de:\n    drop_everything: [x]\n", "rules.de.drop_everything", "Extra inputs are not permitted"),
        ("rules: [\n", "-", "not valid YAML"),
    ],
)
def test_bad_rules_file_is_a_config_error_naming_the_key(tmp_path: Path, content: str, key: str, message: str) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as raised:
        load_rules(rules_file)
    assert raised.value.key == key


def test_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="clean.rules_file"):
        clean(_articles(SENTENCE), CleanConfig(rules_file=tmp_path / "missing.yaml"))


def _page(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


MENU = ("Startseite", "Sport", "Fußball", "Bundesliga", "Newsletter")
REPORT = (
    "Der Verein hat sich nach der fünften Niederlage in Folge von seinem Trainer getrennt, wie der Sportchef "
    "am Sonntagabend in einer kurzen Mitteilung bestätigte.",
    "Ein Nachfolger soll in den nächsten Tagen vorgestellt werden, bis dahin leitet der Trainer der zweiten "
    "Mannschaft das Training der Profis.",
)


@pytest.mark.parametrize("headline", ["1. FC Köln trennt sich von Trainer Steffen Baumgart", "3. Liga: Dynamo Dresden gewinnt in Ulm"])
def test_headlines_with_numbers_survive_cleaning_and_become_the_title(headline: str) -> None:
    rules = load_rules(DEFAULT_RULES_PATH)
    page = _page(f"{headline} | Sport", *MENU, headline, *REPORT)
    assert clean_article(page, "txt", rules).title == headline
    # The same line as a heading inside the article stays in the text.
    article = clean_article(_page(*MENU, REPORT[0], headline, REPORT[1]), "txt", rules)
    assert headline in article.text.split("\n\n")


@pytest.mark.parametrize(
    ("first_sentence", "next_sentence"),
    [
        ("Der 1. FC Köln spielt ab August wieder in der 3. Liga, sagte Prof. Dr. Weber z. B. im Radio.", "Der Verein schweigt."),
        ("The U.S. Senate passed the bill on Tuesday, Dr. Jones said after the vote in Washington.", "It goes to the House."),
    ],
)
def test_a_title_from_the_first_sentence_keeps_numbers_and_abbreviations(first_sentence: str, next_sentence: str) -> None:
    page = f"{first_sentence} {next_sentence} {REPORT[0]}\n\n{REPORT[1]}"
    assert clean_article(page, "txt", load_rules(DEFAULT_RULES_PATH)).title == first_sentence


@pytest.mark.parametrize("kind", ["no spaces", "words without punctuation"])
def test_every_rule_runs_in_linear_time_on_a_2_mb_line(kind: str) -> None:
    # A hang guard, not a speed target: a rule that backtracks takes minutes on 100 KB and days on 2 MB.
    # The words are those the rules look for, so that each rule gets as far as it can.
    make_line = {
        "no spaces": "'x' * 2_000_000",
        "words without punctuation": "' '.join(['Foto', 'Lea', 'más', 'im', 'Video', 'für', 'euch', 'Anzeige', "
                                     "'Hat', 'dir', 'Folge', 'uns', 'Image', 'by', '2020', 'Mehr'] * 140_000)[:2_000_000]",
    }[kind]
    code = (
        "from pipeline.stages.clean import DEFAULT_RULES_PATH, clean_article, load_rules\n"
        f"clean_article({make_line}, 'txt', load_rules(DEFAULT_RULES_PATH))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_every_default_rule_fires_on_at_least_3_dev_pages_of_2_sites(dev_data: Path) -> None:
    # The packaged rules are general: each finds boilerplate on at least 3 scraped dev pages of at least 2
    # sites (none of the demo corpus), so none is there for one page or one site.
    firings = rule_firings(DEFAULT_RULES_PATH, dev_data / "pages", dev_data / "pages.gold.json")
    assert firings and all(firing["pages"] >= 3 and firing["sites"] >= 2 for firing in firings), firings
    sections = read_rules_file(DEFAULT_RULES_PATH).rules.values()
    assert len(firings) == sum(len(section.strip_patterns) + len(line_patterns(section)) for section in sections)
    assert not any(section.drop_lines or section.cut_after for section in sections)


def test_a_notice_repeated_in_articles_of_one_site_goes_but_stays_in_a_single_article(tmp_path: Path) -> None:
    notice = "Unterstützen Sie unabhängigen Lokaljournalismus mit einem Abonnement für nur einen Euro im ersten Monat."
    for number in range(3):
        (tmp_path / f"{number}.txt").write_text(
            _page(*MENU, f"Meldung {number} aus der Stadt", f"{REPORT[0]} Fall {number}.", notice, f"{REPORT[1]} Fall {number}."),
            encoding="utf-8",
        )
    cleaned = clean(ingest(tmp_path, IngestConfig()), CleanConfig()).to_list()
    assert all(notice not in row["text"] and REPORT[1] in row["text"] for row in cleaned)
    (tmp_path / "1.txt").unlink()
    (tmp_path / "2.txt").unlink()
    assert notice in clean(ingest(tmp_path, IngestConfig()), CleanConfig())["text"][0]


# General labels of each language belong to the same rule classes: a section label, a share button, a
# newsletter call, a copyright line, a teaser (Italian as well covered as German).
GENERAL_LABELS = {
    "de": ["Lesen Sie auch", "Teilen", "Newsletter abonnieren", "Alle Rechte vorbehalten", "Lesen Sie auch: Neues Hallenbad öffnet im Herbst"],
    "en": ["Related stories", "Share", "Sign up for our newsletter", "All rights reserved", "Read more: New pool opens in autumn"],
    "fr": ["Lire aussi", "Partager", "S'inscrire à la newsletter", "Tous droits réservés", "Lire aussi : La piscine ouvre à l'automne"],
    "es": ["Noticias relacionadas", "Compartir", "Suscríbete a nuestro newsletter", "Todos los derechos reservados", "Lea más: La piscina abre en otoño"],
    "it": ["Leggi anche", "Condividi", "Iscriviti alla newsletter", "Tutti i diritti riservati", "Leggi anche: La piscina apre in autunno"],
}


@pytest.mark.parametrize(("language", "line"), [(language, line) for language, lines in GENERAL_LABELS.items() for line in lines])
def test_general_labels_of_every_language_go(language: str, line: str) -> None:
    page = _page(REPORT[0], line, REPORT[1])
    assert clean_article(page, "txt", load_rules(DEFAULT_RULES_PATH)).text.split("\n\n") == list(REPORT)
