"""The ingest stage: one record per file, stable ids, metadata from the text, and every bad file recorded
with a one-line problem instead of stopping the run."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

import pytest

from pipeline.config import IngestConfig
from pipeline.errors import ConfigError
from pipeline.stages.ingest import ingest
from pipeline.text.metadata import extract_metadata, read_date

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
GERMAN = "Größere Änderungen für Bühne und Straße: Die Schauspieler streiken weiter, sagt Jürgen Müller."


def _by_path(corpus: Path, **settings: object) -> dict[str, dict]:
    return {row["path"]: row for row in ingest(corpus, IngestConfig(**settings)).to_list()}


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_seed_corpus_reads_every_article_with_its_metadata() -> None:
    rows = _by_path(CORPUS_DIR)
    assert sorted(rows) == sorted(path.name for path in CORPUS_DIR.glob("*.txt"))
    assert {row["status"] for row in rows.values()} == {"ok"}
    assert {row["format"] for row in rows.values()} == {"txt"}
    seed_000 = rows["000_5cb2c3b4ab8db09f.txt"]
    assert (seed_000["date"], seed_000["author"]) == ("2023-07", "")
    seed_003 = rows["003_38cddb643da42179.txt"]
    assert (seed_003["date"], seed_003["author"]) == ("2023-07-26", "Martina Pedretti")
    raw = (CORPUS_DIR / "003_38cddb643da42179.txt").read_bytes()
    assert seed_003["content_hash"] == hashlib.sha256(raw).hexdigest()
    assert seed_003["raw_text"] == raw.decode("utf-8")


def test_ids_are_stable_across_runs_and_follow_path_and_content(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", GERMAN)
    _write(tmp_path / "b.txt", GERMAN)
    first, second = _by_path(tmp_path), _by_path(tmp_path)
    assert first["a.txt"]["id"] == second["a.txt"]["id"]
    assert first["a.txt"]["id"] != first["b.txt"]["id"]  # same content, other path
    _write(tmp_path / "a.txt", GERMAN + " Mehr.")
    assert _by_path(tmp_path)["a.txt"]["id"] != first["a.txt"]["id"]


def test_walks_subfolders_in_sorted_order_and_filters_extensions(tmp_path: Path) -> None:
    for name in ["z.txt", "b/a.md", "a/UPPER.TXT", "a/notes.pdf", "a/page.htm"]:
        _write(tmp_path / name, f"<html><body><p>{GERMAN}</p></body></html>" if name.endswith("htm") else GERMAN)
    table = ingest(tmp_path, IngestConfig())
    assert table["path"] == ["a/UPPER.TXT", "a/page.htm", "b/a.md", "z.txt"]
    assert table["format"] == ["txt", "html", "md", "txt"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty file"),
        (b" \n\t\n", "empty file (only whitespace)"),
        (b"PK\x03\x04\x00\x00binary zip", "binary file (NUL bytes), not text"),
        (bytes(range(128, 256)) * 4, "binary file (mostly non-text bytes), not text"),
        (bytes(range(1, 9)) * 40 + b"some text", "binary file (mostly control characters), not text"),
    ],
    ids=["empty", "whitespace", "nul-bytes", "high-bytes", "control-chars"],
)
def test_bad_files_are_skipped_with_a_one_line_problem(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, data: bytes, problem: str
) -> None:
    _write(tmp_path / "bad.txt", data)
    _write(tmp_path / "good.txt", GERMAN)
    with caplog.at_level(logging.WARNING, logger="pipeline.stages.ingest"):
        rows = _by_path(tmp_path)
    bad = rows["bad.txt"]
    assert (bad["status"], bad["problem"], bad["raw_text"]) == ("skipped", problem, "")
    assert rows["good.txt"]["status"] == "ok"
    assert [record.getMessage() for record in caplog.records] == [f"skipped bad.txt: {problem}"]


def test_legacy_encodings_decode_when_safe(tmp_path: Path) -> None:
    _write(tmp_path / "latin1.txt", GERMAN.encode("latin-1"))
    _write(tmp_path / "cp1252.txt", "„Grüße“ – sagte er – „bis März!“ Mehr über die Straße.".encode("cp1252"))
    _write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + GERMAN.encode("utf-8"))
    _write(tmp_path / "utf16.txt", GERMAN.encode("utf-16"))
    rows = _by_path(tmp_path)
    assert rows["latin1.txt"]["raw_text"] == GERMAN
    assert rows["cp1252.txt"]["raw_text"] == "„Grüße“ – sagte er – „bis März!“ Mehr über die Straße."
    assert rows["bom.txt"]["raw_text"] == GERMAN
    assert rows["utf16.txt"]["raw_text"] == GERMAN
    assert {(row["status"], row["problem"]) for row in rows.values()} == {("ok", "")}


def test_text_in_an_encoding_not_configured_is_not_turned_into_mojibake(tmp_path: Path) -> None:
    russian = "Привет, как дела? Это тестовый текст на русском языке для проверки кодировки."
    _write(tmp_path / "ru.txt", russian.encode("cp1251"))
    row = _by_path(tmp_path)["ru.txt"]
    assert row["status"] == "skipped"
    assert row["problem"].startswith("undecodable: not UTF-8")
    assert _by_path(tmp_path, fallback_encodings=["cp1252", "cp1251"])["ru.txt"]["raw_text"] == russian


def test_oversize_file_is_skipped_without_reading_it(tmp_path: Path) -> None:
    _write(tmp_path / "big.txt", GERMAN * 30)
    row = _by_path(tmp_path, max_file_mb=0.001)["big.txt"]
    assert row["status"] == "skipped"
    assert row["problem"].startswith("file too large (") and "ingest.max_file_mb" in row["problem"]


def test_symlink_loops_and_duplicate_links_are_read_once(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", GERMAN)
    _write(tmp_path / "sub" / "b.txt", GERMAN)
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "z-link.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "missing.txt")
    rows = _by_path(tmp_path)
    assert sorted(rows) == ["a.txt", "broken.txt", "sub/b.txt"]
    assert rows["broken.txt"]["status"] == "skipped"
    assert rows["broken.txt"]["problem"].startswith("file not found")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "secret.txt", GERMAN).chmod(0)
    row = _by_path(tmp_path)["secret.txt"]
    assert (row["status"], row["problem"]) == ("skipped", "unreadable file (permission denied)")


def test_permission_error_is_recorded_even_when_running_as_root(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path / "secret.txt", GERMAN)
    real_read = Path.read_bytes

    def refuse_secret(path: Path) -> bytes:
        if path.name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", refuse_secret)
    row = _by_path(tmp_path)["secret.txt"]
    assert (row["status"], row["problem"]) == ("skipped", "unreadable file (permission denied)")


def test_unexpected_error_fails_only_that_file(tmp_path: Path, monkeypatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("parser\nexploded")

    monkeypatch.setattr("pipeline.stages.ingest.trafilatura.bare_extraction", explode)
    _write(tmp_path / "page.html", "<html><body><p>text</p></body></html>")
    _write(tmp_path / "plain.txt", GERMAN)
    rows = _by_path(tmp_path)
    assert (rows["page.html"]["status"], rows["page.html"]["problem"]) == (
        "failed",
        "unexpected error: RuntimeError: parser exploded",
    )
    assert rows["plain.txt"]["status"] == "ok"


def test_odd_file_names_work(tmp_path: Path) -> None:
    names = ["with space.txt", "-leading-dash.txt", "--help.txt", "ümlaut ñ 日本.txt"]
    for name in names:
        _write(tmp_path / name, GERMAN)
    _write(tmp_path / os.fsdecode(b"bad-\xff-byte.txt"), GERMAN)
    rows = _by_path(tmp_path)
    assert set(names) <= set(rows)
    assert "bad-\\xff-byte.txt" in rows
    assert {row["status"] for row in rows.values()} == {"ok"}


def test_html_goes_through_main_text_extraction(tmp_path: Path) -> None:
    article = " ".join([GERMAN] * 3)
    _write(
        tmp_path / "page.html",
        '<html><head><title>Netflix sucht KI-Manager</title><meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2023-07-26"></head><body>'
        '<nav><a href="/">Start</a> <a href="/news">Nachrichten</a></nav>'
        f"<article><h1>Netflix sucht KI-Manager</h1><p>{article}</p><p>{article}</p></article>"
        "<footer>Impressum · Datenschutz · Copyright 2023</footer></body></html>",
    )
    row = _by_path(tmp_path)["page.html"]
    assert (row["status"], row["format"], row["author"], row["date"]) == ("ok", "html", "Jane Doe", "2023-07-26")
    assert row["raw_text"].startswith("Netflix sucht KI-Manager\n")
    assert article in row["raw_text"]
    assert "Impressum" not in row["raw_text"] and "Nachrichten" not in row["raw_text"]


def test_an_article_over_max_article_chars_is_skipped_whole_naming_the_cap(tmp_path: Path) -> None:
    # A one-line text (no paragraphs, as a broken scrape gives) and an HTML page whose main text is as long;
    # the cap is on the article, so a page under it with a large script around its text is read.
    long_text = " ".join([GERMAN] * 40)
    _write(tmp_path / "long.txt", long_text)
    _write(tmp_path / "long.html", f"<html><body><article><p>{long_text}</p></article></body></html>")
    _write(tmp_path / "short.html", f"<html><head><script>{'x=1;' * 2000}</script></head><body><article><p>{GERMAN}</p></article></body></html>")
    _write(tmp_path / "at_cap.txt", long_text[:3000])
    rows = _by_path(tmp_path, max_article_chars=3000)

    for name in ("long.txt", "long.html"):
        assert rows[name]["status"] == "skipped" and rows[name]["raw_text"] == ""
        assert "limit 3,000: ingest.max_article_chars" in rows[name]["problem"]
        assert "not truncated" in rows[name]["problem"]
    assert (rows["long.txt"]["problem"], len(long_text)) == (
        "article too long (3,799 characters, limit 3,000: ingest.max_article_chars); not truncated", 3799
    )
    assert rows["at_cap.txt"]["status"] == "ok" and rows["at_cap.txt"]["raw_text"] == long_text[:3000]
    assert rows["short.html"]["status"] == "ok" and GERMAN in rows["short.html"]["raw_text"]
    assert IngestConfig().max_article_chars == 100_000


def test_html_without_main_text_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "empty.html", "<html><head><script>track();</script></head><body><div></div></body></html>")
    row = _by_path(tmp_path)["empty.html"]
    assert row["status"] == "skipped"
    assert row["problem"].startswith("no main text found in the HTML")


@pytest.mark.parametrize(
    ("text", "date", "author"),
    [
        ("Titel\n\nMax Mustermann | 26. Juli 2023\n\nText.", "2023-07-26", "Max Mustermann"),
        ("Title\nJane Doe · July 26, 2023\nText.", "2023-07-26", "Jane Doe"),
        (" date 2023-07 Der Text beginnt hier.", "2023-07", ""),
        ("Netflix zahlt 900.000 Dollar | 2023 war ein Streikjahr.", "", ""),
    ],
)
def test_metadata_in_the_text(text: str, date: str, author: str) -> None:
    metadata = extract_metadata(text)
    assert (metadata.date, metadata.author) == (date, author)
    if author:
        assert author not in metadata.body
    assert not metadata.body.lstrip().startswith("date ")


@pytest.mark.parametrize(
    ("text", "language", "date"),
    [
        ("26 Luglio 2023", "it", "2023-07-26"), ("Mittwoch, 1. März 2023", "de", "2023-03-01"),
        ("Sept. 3, 2021", "en", "2021-09-03"), ("publié le 12 avril 2024 à 10h30", "fr", "2024-04-12"),
        ("Publicado el 3 de marzo de 2024", "es", "2024-03-03"), ("Updated 10:30 AM, Tue July 4, 2023", "en", "2023-07-04"),
        # Figures in the order of the page's language: month first in (US) English only.
        ("7/4/2023", "en", "2023-07-04"), ("07.04.2023", "de", "2023-04-07"), ("7/4/2023", "fr", "2023-04-07"),
        ("31.02.2023", "de", ""), ("vor 3 Stunden", "de", ""), ("Juli 2023", "de", ""),
    ],
)
def test_byline_dates_are_read_in_the_page_language(text: str, language: str, date: str) -> None:
    assert read_date(text, language) == date


def test_a_us_and_a_german_byline_of_one_day_give_one_date() -> None:
    english = "Title\n\nJohn Smith | 7/4/2023\n\nThe senator said on Tuesday that the bill would pass the House."
    german = "Titel\n\nAnna Müller | 04.07.2023\n\nDer Bundestag hat am Dienstag das Gesetz beschlossen, hieß es."
    assert extract_metadata(english).date == extract_metadata(german).date == "2023-07-04"


def test_missing_corpus_and_unknown_encoding_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="paths.corpus"):
        ingest(tmp_path / "missing", IngestConfig())
    with pytest.raises(ConfigError, match="ingest.fallback_encodings"):
        ingest(tmp_path, IngestConfig(fallback_encodings=["no-such-codec"]))


def test_empty_corpus_gives_an_empty_table_with_all_columns(tmp_path: Path) -> None:
    table = ingest(tmp_path, IngestConfig())
    assert len(table) == 0
    assert table.column_names == [
        "id", "path", "content_hash", "raw_text", "format", "date", "author", "status", "problem", "repeated_lines"
    ]


def test_copied_seed_keeps_its_id(tmp_path: Path) -> None:
    name = "000_5cb2c3b4ab8db09f.txt"
    shutil.copyfile(CORPUS_DIR / name, tmp_path / name)
    assert _by_path(tmp_path)[name]["id"] == _by_path(CORPUS_DIR)[name]["id"]  # the corpus location is not in it
