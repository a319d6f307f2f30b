"""Ingest: walk the corpus folder and turn every article file into one record.

A bad file never stops the run: it becomes a row with status "skipped" (or "failed" for a surprise) and
a one-line `problem`. Text files are decoded as UTF-8, falling back to the configured legacy encodings
only when that is safe; HTML goes through trafilatura's main-text extraction.
"""
from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import stat
from pathlib import Path

import charset_normalizer
import datasets
import trafilatura

from pipeline.config import IngestConfig
from pipeline.errors import ArticleError, ConfigError
from pipeline.records import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED, title_and_text
from pipeline.text.boilerplate import article_lines, repeated_lines
from pipeline.text.metadata import extract_metadata

log = logging.getLogger(__name__)

COLUMNS = ("id", "path", "content_hash", "raw_text", "format", "date", "author", "status", "problem")
FEATURES = datasets.Features(
    {**{name: datasets.Value("string") for name in COLUMNS}, "repeated_lines": datasets.Sequence(datasets.Value("string"))}
)

_FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.05
# The fallbacks are Western single-byte codecs: in real Western text most letters are ASCII, while
# Cyrillic or Greek bytes read as cp1252 come out as runs of accented letters ("Ïðèâåò").
_MAX_NON_ASCII_LETTERS = 0.25
_MIN_LETTER_SHARE = 0.5
# trafilatura dates a page with htmldate (meta tags, <time>, JSON-LD, the URL). Its extensive search
# "finds" dates in copyright lines and URLs; no date beats a made-up one.
_HTML_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def ingest(corpus_dir: Path, config: IngestConfig) -> datasets.Dataset:
    """One record per article file under `corpus_dir`, in path order; bad files are recorded, not raised."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        fix = "point paths.corpus at the folder of articles"
        raise ConfigError(str(corpus_dir), "paths.corpus", "not a folder", fix)
    _check_encodings(config.fallback_encodings)
    rows = [_ingest_file(path, relative, config) for relative, path in find_article_files(corpus_dir, config)]
    columns: dict[str, list] = {name: [row[name] for row in rows] for name in COLUMNS}
    # Only the whole corpus shows which lines repeat across articles; clean drops them (a changed count
    # changes the article's input to clean, so the cache recomputes it).
    lines = [article_lines(row["raw_text"], row["format"]) for row in rows]
    columns["repeated_lines"] = [sorted(found) for found in repeated_lines(lines, config.repeated_line_articles)]
    return datasets.Dataset.from_dict(columns, features=FEATURES)


def find_article_files(corpus_dir: Path, config: IngestConfig) -> list[tuple[str, Path]]:
    """(relative POSIX path, path) of every file with a configured extension, sorted; each real file once."""
    wanted = {extension.lower() for extension in config.extensions}
    seen_dirs: set[Path] = set()
    seen_files: set[Path] = set()
    found: list[tuple[str, Path]] = []
    # Linked folders count as corpus, so links are followed; the set of resolved folders stops cycles.
    for root, dirnames, filenames in os.walk(corpus_dir, followlinks=True, onerror=_log_walk_error):
        real_root = Path(root).resolve()
        if real_root in seen_dirs:
            dirnames.clear()
            continue
        seen_dirs.add(real_root)
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(root, name)
            if path.suffix.lower() not in wanted:
                continue
            try:
                real_path = path.resolve()
            except (OSError, RuntimeError):  # a link to itself: listed anyway, so that reading it reports why
                real_path = path
            if real_path in seen_files:
                log.info("%s: same file as one already read, not read twice", path)
                continue
            seen_files.add(real_path)
            found.append((_relative_posix(path, corpus_dir), path))
    return sorted(found)


def _ingest_file(path: Path, relative: str, config: IngestConfig) -> dict[str, str]:
    text_format = _FORMATS.get(path.suffix.lower(), "txt")
    row = dict.fromkeys(COLUMNS, "") | {"path": relative, "format": text_format, "status": STATUS_OK}
    try:
        data = _read_bytes(path, relative, config.max_file_mb)
        row["content_hash"] = hashlib.sha256(data).hexdigest()
        text = _decode(data, relative, config.fallback_encodings)
        if text_format == "html":
            row.update(_extract_html(text, relative))
            _check_length(row["raw_text"], relative, config.max_article_chars)
        else:
            _check_length(text, relative, config.max_article_chars)
            row.update(_extract_text(text))
    except ArticleError as error:
        row.update(status=STATUS_SKIPPED, problem=error.problem, raw_text="", date="", author="")
        log.warning("skipped %s", error)
    except Exception as error:  # one odd file must not stop the run; its row says what went wrong
        problem = f"unexpected error: {type(error).__name__}: {error}".replace("\n", " ")
        row.update(status=STATUS_FAILED, problem=problem, raw_text="", date="", author="")
        log.error("failed %s: %s", relative, problem)
    row["id"] = hashlib.sha256(f"{relative}\n{row['content_hash']}".encode()).hexdigest()[:16]
    return row


def _read_bytes(path: Path, relative: str, max_file_mb: float) -> bytes:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError(relative, "not a regular file (device, pipe or socket)")
        if info.st_size > max_file_mb * 1024 * 1024:
            limit = f"limit {max_file_mb:g} MB: ingest.max_file_mb"
            raise ArticleError(relative, f"file too large ({info.st_size:,} bytes, {limit})")
        data = path.read_bytes()
    except PermissionError:
        raise ArticleError(relative, "unreadable file (permission denied)") from None
    except FileNotFoundError:
        raise ArticleError(relative, "file not found (a broken link, or removed during the run)") from None
    except OSError as error:
        raise ArticleError(relative, f"unreadable file ({error.strerror or error})") from None
    if not data:
        raise ArticleError(relative, "empty file")
    return data


def _check_length(text: str, relative: str, max_chars: int) -> None:
    # Skipped whole, never cut: a digest entry made from the first part of a text would pass for all of it.
    if len(text) > max_chars:
        limit = f"limit {max_chars:,}: ingest.max_article_chars"
        raise ArticleError(relative, f"article too long ({len(text):,} characters, {limit}); not truncated")


def _decode(data: bytes, relative: str, fallbacks: list[str]) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_utf16(data, relative)
    elif b"\x00" in data:
        raise ArticleError(relative, "binary file (NUL bytes), not text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_fallback(data, relative, fallbacks)
    if len(_CONTROL_CHARS.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise ArticleError(relative, "binary file (mostly control characters), not text")
    if not text.strip():
        raise ArticleError(relative, "empty file (only whitespace)")
    return text


def _decode_utf16(data: bytes, relative: str) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError:
        raise ArticleError(relative, "undecodable: starts like UTF-16 but is not valid UTF-16") from None


def _decode_fallback(data: bytes, relative: str, fallbacks: list[str]) -> str:
    # A single-byte codec decodes any bytes at all, so a fallback is only taken when charset-normalizer
    # reads the bytes the same way or the result looks like real Western text.
    guess = charset_normalizer.from_bytes(data).best()
    guessed_text = str(guess) if guess else None
    for encoding in fallbacks:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text == guessed_text or _looks_like_western_text(text):
            log.info("%s: not UTF-8, decoded as %s", relative, encoding)
            return text
    if guess is None:
        raise ArticleError(relative, "binary file (mostly non-text bytes), not text")
    raise ArticleError(
        relative,
        f"undecodable: not UTF-8, and charset-normalizer reads it as {guess.encoding}, which is not in "
        f"ingest.fallback_encodings ({', '.join(fallbacks)}); add it there if that is right",
    )


def _looks_like_western_text(text: str) -> bool:
    if _CONTROL_CHARS.search(text):
        return False
    letters = [char for char in text if char.isalpha()]
    visible = sum(not char.isspace() for char in text)
    if not letters or len(letters) < _MIN_LETTER_SHARE * visible:
        return False
    return sum(not char.isascii() for char in letters) <= _MAX_NON_ASCII_LETTERS * len(letters)


def _extract_text(text: str) -> dict[str, str]:
    metadata = extract_metadata(text)
    return {"raw_text": text, "date": metadata.date, "author": metadata.author}


def _extract_html(html: str, relative: str) -> dict[str, str]:
    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, date_extraction_params=_HTML_DATE_PARAMS
    )
    if document is None or not (document.text or "").strip():
        raise ArticleError(relative, "no main text found in the HTML (trafilatura extracted nothing)")
    text = document.text
    # The headline usually sits outside the extracted body; keep it so that clean can find the title.
    if document.title and not text.startswith(document.title):
        text = title_and_text(document.title, text)
    stated = extract_metadata(text)
    return {"raw_text": text, "date": document.date or stated.date, "author": document.author or stated.author}


def _relative_posix(path: Path, corpus_dir: Path) -> str:
    relative = path.relative_to(corpus_dir).as_posix()
    # Arrow strings must be valid UTF-8; a name with undecodable bytes keeps them visible as \xNN.
    return os.fsencode(relative).decode("utf-8", errors="backslashreplace")


def _check_encodings(encodings: list[str]) -> None:
    for encoding in encodings:
        try:
            codecs.lookup(encoding)
        except LookupError:
            problem = f"unknown encoding '{encoding}'"
            fix = "use Python codec names such as cp1252"
            raise ConfigError("config", "ingest.fallback_encodings", problem, fix) from None


def _log_walk_error(error: OSError) -> None:
    log.warning("skipped folder %s: %s", error.filename, error.strerror or error)
