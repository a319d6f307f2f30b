"""Merge stage: story grouping on the sample corpus, digest content, and the three written files.

Translations and summaries are gibberish on purpose: in the pipeline's own tests they come from tiny
random models, and grouping has to work all the same.
"""
from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime
from pathlib import Path

import pytest
from datasets import Dataset

from pipeline.config import CleanConfig, MergeConfig
from pipeline.digest import render
from pipeline.digest.facts import source_label, unique_labels
from pipeline.digest.grouping import similarity_matrix
from pipeline.errors import ConfigError
from pipeline.stages.clean import clean_article, load_rules, rules_path
from pipeline.stages.merge import merge, write_digest
from pipeline.text.names import extract_names
from pipeline.text.numbers import extract_amounts

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
CORPUS_LANGUAGES = {"000": "de", "001": "de", "002": "de", "003": "it", "004": "en"}
GIBBERISH_VOCAB = "lobby ▁der sprach zon quell brisk tunnel sgt oval nimbus portent crate holl vex ester".split()

FOOTBALL_IT = """Inter batte il Milan 2-1 nel derby di San Siro

Serata di festa a San Siro, dove davanti a 75.000 spettatori l'Inter ha battuto il Milan per 2-1 nel derby \
della Madonnina. I nerazzurri sono passati in vantaggio al 12' con un colpo di testa di Lautaro Martinez su \
cross di Dimarco, poi il raddoppio di Barella poco prima dell'intervallo.

Nella ripresa il Milan ha accorciato le distanze con Giroud, ma la squadra di Simone Inzaghi ha resistito \
fino al fischio finale dell'arbitro Orsato. Con questa vittoria l'Inter sale a 45 punti in classifica e \
allunga a +6 sulla Juventus, fermata sul pari dal Torino.

"Abbiamo giocato con il cuore", ha detto Inzaghi in conferenza stampa. Stefano Pioli, allenatore rossonero, \
ha invece lamentato un rigore non concesso nel primo tempo. L'incasso della partita ha superato i 6,5 \
milioni di euro, un record per la Serie A."""

FLOOD_DE = """Hochwasser in Bayern: Passau meldet Pegelstand von 9,20 Metern

Nach tagelangem Starkregen hat die Donau in Passau einen Pegelstand von 9,20 Metern erreicht. Die Stadt \
hat den Katastrophenfall ausgerufen, rund 2.500 Menschen mussten ihre Wohnungen in der Altstadt verlassen. \
Feuerwehr, Technisches Hilfswerk und Bundeswehr sind mit mehr als 1.200 Einsatzkräften vor Ort.

Der Deutsche Wetterdienst warnt vor weiteren Niederschlägen bis Mittwoch. Auch am Inn und an der Ilz \
steigen die Pegel. Ministerpräsident Markus Söder besuchte am Montag die betroffenen Gebiete und versprach \
schnelle Hilfe: Der Freistaat stellt 100 Millionen Euro als Soforthilfe bereit.

Die Schäden werden nach ersten Schätzungen der Versicherer auf mehr als 300 Millionen Euro beziffert. \
Viele Anwohner erinnern sich an das Jahrhunderthochwasser von 2013, als die Donau in Passau einen \
Rekordstand von 12,89 Metern erreicht hatte."""


def gibberish(seed: int, words: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(GIBBERISH_VOCAB) for _ in range(words))


def make_row(article_id: str, text: str, language: str, seed: int, **overrides: object) -> dict:
    """One record with every column the table has when it reaches merge."""
    english = language == "en"
    title = next(line.strip() for line in text.splitlines() if line.strip())[:120]
    row = {
        "id": article_id, "path": f"{article_id}.txt", "content_hash": hashlib.sha1(text.encode()).hexdigest(),
        "raw_text": text, "format": "txt", "date": "2023-07-26", "author": "", "status": "ok", "problem": "",
        "title": title, "text": text, "removed_lines": 0,
        "language": language, "language_confidence": 0.98,
        "title_en": title if english else gibberish(seed, 8),
        "text_en": text if english else gibberish(seed + 1000, 300),
        "translated": not english,
        "summary": gibberish(seed + 2000, 40),
    }
    row.update(overrides)
    return row


def corpus_rows(cleaned: bool = True) -> list[dict]:
    """The demo corpus as merge receives it, cleaned of its boilerplate (or as written)."""
    rules = load_rules(rules_path(CleanConfig()))
    rows = []
    for seed, path in enumerate(sorted(CORPUS_DIR.glob("*.txt"))):
        row = make_row(path.stem, path.read_text(encoding="utf-8"), CORPUS_LANGUAGES[path.stem[:3]], seed)
        if cleaned:
            article = clean_article(row["text"], "txt", rules)
            row.update(title=article.title, text=article.text)
        rows.append(row)
    return rows


def unrelated_rows() -> list[dict]:
    return [
        # The week of the demo articles: only their content keeps them apart.
        make_row("football_it", FOOTBALL_IT, "it", 50, date="2023-07-24"),
        make_row("flood_de", FLOOD_DE, "de", 60, date="2023-07-28"),
    ]


def not_ok_rows() -> list[dict]:
    empty = {column: None for column in make_row("x", "x", "de", 0)}
    return [
        {**empty, "id": "scan", "path": "scan.pdf", "status": "skipped", "problem": "unsupported extension .pdf"},
        {**empty, "id": "short", "path": "short.txt", "status": "failed",
         "problem": "only 12 characters after cleaning"},
    ]


def run_info() -> dict:
    return {
        "run_id": "20240101-120000", "started_at": datetime(2024, 1, 1, 12, 0), "device": "cpu",
        "models": {"translate": {"de": "tiny-random-de-en", "it": "tiny-random-it-en"}, "summarize": "tiny-bart"},
        "corpus": "sample", "corpus_dir": CORPUS_DIR,
    }


def make_digest(rows: list[dict], threshold: float | None = None) -> dict:
    config = MergeConfig() if threshold is None else MergeConfig(similarity_threshold=threshold)
    digest, _ = merge(Dataset.from_list(rows), config, run_info())
    return digest


def story_ids(digest: dict) -> list[list[str]]:
    return [sorted(article["id"] for article in story["articles"]) for story in digest["stories"]]


def test_corpus_articles_form_one_story() -> None:
    digest = make_digest(corpus_rows())

    assert len(digest["stories"]) == 1
    story = digest["stories"][0]
    assert story["size"] == 5
    assert story["languages"] == {"de": 3, "it": 1, "en": 1}
    assert digest["totals"]["by_language"] == {"de": 3, "it": 1, "en": 1}
    member_ids = sorted(article["id"] for article in story["articles"])
    assert story["id"] == "story-" + hashlib.sha1("\n".join(member_ids).encode()).hexdigest()[:12]
    central = story["articles"][0]
    assert central["id"] == story["central_article"] and story["title"] == central["title_en"]


@pytest.mark.parametrize("threshold", [0.05, 0.08, 0.12])
def test_unrelated_articles_form_their_own_stories(threshold: float) -> None:
    digest = make_digest(corpus_rows() + unrelated_rows(), threshold)

    corpus_ids = sorted(path.stem for path in CORPUS_DIR.glob("*.txt"))
    # Largest first; the two single-article stories newest first.
    assert story_ids(digest) == [corpus_ids, ["flood_de"], ["football_it"]]
    assert digest["totals"]["stories"] == 3


def test_grouping_survives_a_model_that_translates_everything_alike() -> None:
    rows = [{**row, "title_en": "lobby", "text_en": "lobby " * 200} for row in corpus_rows() + unrelated_rows()]

    assert [len(ids) for ids in story_ids(make_digest(rows))] == [5, 1, 1]


def test_story_ids_do_not_depend_on_row_order() -> None:
    rows = corpus_rows() + unrelated_rows()

    forward = [story["id"] for story in make_digest(rows)["stories"]]
    assert [story["id"] for story in make_digest(rows[::-1])["stories"]] == forward


@pytest.mark.parametrize(
    "text, expected",
    [
        ("300.000 Dollar", "num:300000"), ("$300,000", "num:300000"), ("300000 dollars", "num:300000"),
        ("900mila dollari", "num:900000"), ("$900k/yr", "num:900000"), ("650.000 $", "num:650000"),
        ("1,5 Millionen Euro", "num:1500000"), ("87 % der Mitglieder", "pct:87"), ("87% of actors", "pct:87"),
    ],
)
def test_amounts_are_normalised_across_formats(text: str, expected: str) -> None:
    assert extract_amounts(text) == [expected]


def test_plain_years_are_not_anchors() -> None:
    assert extract_amounts("Im Juli 2023, am 26.07.2023") == []


@pytest.mark.parametrize("spelling", ["SAG-AFTRA", "Sag-Aftra", "Sag Aftra", "SAG AFTRA"])
def test_names_are_case_and_hyphen_insensitive(spelling: str) -> None:
    tokens = extract_names(f"Laut der Gewerkschaft {spelling} und The Intercept")
    assert "sagaftra" in tokens
    assert "theintercept" in tokens


def test_rows_not_ok_are_listed_with_their_problem() -> None:
    digest = make_digest(corpus_rows() + not_ok_rows())

    assert digest["skipped"] == [
        {"id": "scan", "path": "scan.pdf", "status": "skipped", "problem": "unsupported extension .pdf"},
        {"id": "short", "path": "short.txt", "status": "failed", "problem": "only 12 characters after cleaning"},
    ]
    assert digest["totals"] | {"by_language": None} == {
        "articles": 5, "new_articles": 5, "stories": 1, "by_story_status": {"new": 1}, "skipped": 2,
        "by_language": None, "by_status": {"skipped": 1, "failed": 1},
    }


def test_article_entries_carry_metadata_and_length() -> None:
    rows = corpus_rows()
    article = next(a for a in make_digest(rows)["stories"][0]["articles"] if a["id"] == rows[3]["id"])

    assert article["language"] == "it" and article["translated"] is True
    assert article["chars"] == len(rows[3]["text"].strip())
    assert article["words"] == len(rows[3]["text"].split())
    assert article["title"] == rows[3]["title"] and article["summary"] == rows[3]["summary"]


def test_write_digest_writes_three_parseable_files(tmp_path: Path) -> None:
    digest = make_digest(corpus_rows() + unrelated_rows() + not_ok_rows())
    out_dir = tmp_path / "runs" / "r1" / "08_digest"

    written = write_digest(digest, out_dir, ["md", "json", "html"])

    assert written == [out_dir / "digest.md", out_dir / "digest.json", out_dir / "digest.html"]
    data = json.loads((out_dir / "digest.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 3
    assert data["run"]["started_at"] == "2024-01-01T12:00:00"
    first = data["stories"][0]["articles"][0]
    assert (out_dir / first["link"]).resolve() == CORPUS_DIR / first["path"]
    markdown = (out_dir / "digest.md").read_text(encoding="utf-8")
    page = (out_dir / "digest.html").read_text(encoding="utf-8")
    for text in (markdown, page):
        assert "unsupported extension .pdf" in text and "tiny-random-de-en" in text
        assert first["link"] in text
    assert page.startswith("<!DOCTYPE html>") and page.count(' class="story"') == 3


def test_html_escapes_article_text_and_stays_self_contained(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script> & </html>"
    rows = corpus_rows()
    rows[0].update(title=hostile, summary=f"Intro {hostile}")
    rows[1].update(title_en=hostile)
    digest = make_digest(rows)

    write_digest(digest, tmp_path, ["html", "md"])

    page = (tmp_path / "digest.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert page.count("</html>") == 1 and page.rstrip().endswith("</html>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/html&gt;" in page
    for external in ("http://", "https://", "src=", "<link", "url(", "@import"):
        assert external not in page
    assert "<script>" not in (tmp_path / "digest.md").read_text(encoding="utf-8")


def test_existing_digest_is_replaced_atomically(tmp_path: Path) -> None:
    write_digest(make_digest(corpus_rows() + unrelated_rows()), tmp_path, ["md", "json", "html"])
    second = make_digest(unrelated_rows())

    write_digest(second, tmp_path, ["md", "json", "html"])

    assert sorted(path.name for path in tmp_path.iterdir()) == ["digest.html", "digest.json", "digest.md"]
    assert json.loads((tmp_path / "digest.json").read_text(encoding="utf-8"))["totals"]["articles"] == 2
    markdown = (tmp_path / "digest.md").read_text(encoding="utf-8")
    assert markdown.count("# News digest") == 1 and "Netflix" not in markdown


def test_failed_render_leaves_previous_digest_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_digest(make_digest(corpus_rows()), tmp_path, ["md", "json", "html"])
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    def broken_render(digest: dict, fmt: str) -> str:
        raise RuntimeError("template error")

    monkeypatch.setattr(render, "render_page", broken_render)
    with pytest.raises(RuntimeError):
        write_digest(make_digest(unrelated_rows()), tmp_path, ["json", "md", "html"])

    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_unknown_format_is_rejected_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="merge.formats.*pdf.*Fix: use md, json, html"):
        write_digest(make_digest(unrelated_rows()), tmp_path, ["pdf"])
    assert not list(tmp_path.iterdir())


def test_empty_table_gives_an_empty_digest(tmp_path: Path) -> None:
    digest = make_digest(not_ok_rows())

    assert digest["stories"] == [] and digest["totals"]["articles"] == 0
    assert len(write_digest(digest, tmp_path, ["md", "json", "html"])) == 3


def test_articles_are_labelled_by_publisher_domain_else_file_stem() -> None:
    story = make_digest(corpus_rows(cleaned=False), threshold=0.05)["stories"][0]

    labels = {article["id"][:3]: article["source"] for article in story["articles"]}
    assert labels["001"] == "de:kino.de" and labels["003"] == "it:003_38cddb643da42179"
    same_site = [
        {"id": "a", "path": "a.txt", "language": "en", "raw_text": "At https://www.example.com/news or example.com"},
        {"id": "b", "path": "b.txt", "language": "en", "raw_text": "Copyright EXAMPLE.COM. Read z.B. more."},
    ]
    assert unique_labels([source_label(row) for row in same_site]) == ["en:example.com", "en:example.com#2"]


def test_facts_only_one_source_mentions_are_listed_with_their_source() -> None:
    german = "Die Firma Acme zahlt 312.500 Dollar an ihr Personal. Die Chefin sagte: „Wir sind stolz auf dieses Team.“"
    english = "The firm Acme pays 312,500 dollars to its staff and 45,000 dollars in bonuses, said Jane Doe in July 2023."
    rows = [
        # The second sentence is one the translation kept in German: its nouns are not names.
        make_row("a", german, "de", 1, text_en="The company Acme pays $312,500, according to Gizmodo. "
                 "Die Gewerkschaft Verdi fordert mehr Lohn für alle Mitarbeiter im Betrieb."),
        make_row("b", english, "en", 2),
    ]

    (story,) = make_digest(rows, threshold=0.05)["stories"]

    facts = [(fact["article"], fact["kind"], fact["text"]) for fact in story["single_source_facts"]]
    assert sorted(facts) == [
        ("a", "name", "Gizmodo"), ("a", "quote", "Wir sind stolz auf dieses Team."),
        ("b", "amount", "45,000"), ("b", "name", "Jane Doe"),
    ]
    labels = {article["id"]: article["source"] for article in story["articles"]}
    assert all(fact["source"] == labels[fact["article"]] for fact in story["single_source_facts"])


def test_articles_with_full_dates_further_apart_than_the_window_are_never_one_story() -> None:
    text = ("Die Gewerkschaft Sag-Aftra und Fran Drescher verhandeln mit Netflix über 900.000 Dollar. "
            "Laut Drescher fordert Sag-Aftra 48 Prozent mehr.")
    rows = [{"title": "Sag-Aftra", "text": text, "language": "de", "date": day}
            for day in ("2023-07-26", "2023-07-30", "2023-09-30", "")]
    similarity = similarity_matrix(rows, MergeConfig(date_window_days=7))
    assert similarity[0, 1] > 0.5 and similarity[0, 3] > 0.5 and similarity[2, 3] > 0.5
    assert similarity[0, 2] == similarity[1, 2] == 0.0
    assert similarity_matrix(rows, MergeConfig(date_window_days=90))[0, 2] > 0.5
