"""Render the merge digest as Markdown, JSON and one self-contained HTML page, and write them atomically.

The digest itself is a plain dict (see docs/digest-schema.md). Links to the source files depend on where
the digest is written, so they are added here, at write time, and never stored in the merge result.
"""
from __future__ import annotations

import copy
import logging
import os
import re
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pipeline.errors import ConfigError
from pipeline.store.atomic import write_json, write_text
from pipeline.store.runs import FORMATS

log = logging.getLogger(__name__)

# Shown in their own lines of the run header; every other run key is listed after them.
_RUN_HEADER_KEYS = ("run_id", "started_at", "device", "models", "corpus_dir")
# "_" inside a word (file names, ids) is not emphasis in CommonMark, so it stays readable there.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|]|(?<![^\W_])_|_(?![^\W_]))")


def write_digest_files(digest: dict, out_dir: Path, formats: Iterable[str], links_from: Path | None = None) -> list[Path]:
    """Write digest.<fmt> into `out_dir` for each format, linking sources relative to `links_from` (default
    `out_dir`); every page is rendered before any file is replaced."""
    wanted = list(dict.fromkeys(formats))
    unknown = [fmt for fmt in wanted if fmt not in FORMATS]
    if unknown:
        raise ConfigError("merge", "merge.formats", f"unknown format '{unknown[0]}'", f"use {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    linked = add_source_links(digest, links_from or out_dir)
    # Render first so that a template error leaves the previous digest complete rather than half-replaced.
    pages = {fmt: render_page(linked, fmt) for fmt in wanted if fmt != "json"}
    written = []
    for fmt in wanted:
        target = out_dir / f"digest.{fmt}"
        if fmt == "json":
            write_json(target, linked)
        else:
            write_text(target, pages[fmt])
        written.append(target)
    log.info("digest written to %s (%s)", out_dir, ", ".join(wanted))
    return written


def render_page(digest: dict, fmt: str) -> str:
    """The digest as Markdown ("md") or HTML ("html") text."""
    run = digest.get("run", {})
    template = _environment().get_template(f"digest.{fmt}.j2")
    return template.render(
        **digest,
        models=flatten(run.get("models") or {}),
        # A key the runner had no value for (None) says nothing to a reader.
        extra_run_info=flatten({k: v for k, v in run.items() if k not in _RUN_HEADER_KEYS and v is not None}),
    )


def add_source_links(digest: dict, out_dir: Path) -> dict:
    """A copy of the digest where every article and skipped entry has a "link" relative to `out_dir`."""
    linked = copy.deepcopy(digest)
    run = linked.get("run", {})
    corpus_dir = run.get("corpus_dir") or run.get("corpus")
    corpus_dir = corpus_dir if isinstance(corpus_dir, str) and corpus_dir else None
    entries = [article for story in linked.get("stories", []) for article in story["articles"]]
    for entry in entries + linked.get("skipped", []):
        entry["link"] = relative_link(corpus_dir, entry.get("path", ""), out_dir)
    return linked


def relative_link(corpus_dir: str | None, path: str, out_dir: Path) -> str | None:
    """POSIX path from `out_dir` to corpus_dir/path, or None when the corpus folder is unknown."""
    if not corpus_dir or not path:
        return None
    target = Path(os.path.abspath(Path(corpus_dir) / path))
    try:
        return Path(os.path.relpath(target, os.path.abspath(out_dir))).as_posix()
    except ValueError:
        # Windows: no relative path between two drives.
        return target.as_uri()


def flatten(tree: Any, prefix: str = "") -> list[tuple[str, str]]:
    """{"translate": {"de": "m1"}} -> [("translate.de", "m1")], for one-line display of nested run info."""
    if isinstance(tree, dict) and "ref" in tree:
        # A model location as the runner reports it: one line rather than one per field.
        details = ", ".join(str(tree[key]) for key in ("source", "revision") if tree.get(key))
        return [(prefix or "model", f"{tree['ref']} ({details})" if details else str(tree["ref"]))]
    if not isinstance(tree, dict):
        return [(prefix or "value", ", ".join(map(str, tree)) if isinstance(tree, list) else str(tree))]
    pairs: list[tuple[str, str]] = []
    for key, value in tree.items():
        pairs.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return pairs


def escape_markdown(value: Any) -> str:
    """One line of text with Markdown and HTML syntax neutralised (a newline would end a list item)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value if value is not None else "").split()))


def quote_markdown(value: Any) -> str:
    """A block quote of several lines, each escaped."""
    lines = str(value if value is not None else "").strip().splitlines() or [""]
    return "\n".join(("> " + _MARKDOWN_SPECIAL.sub(r"\\\1", line.strip())).rstrip() for line in lines)


def href(link: str | None) -> str:
    # Percent-encoding also turns "javascript:" into "javascript%3A", a harmless relative path.
    return quote(link, safe="/") if link else ""


def format_languages(counts: dict) -> str:
    return ", ".join(f"{language} {count}" for language, count in counts.items())


def story_status(story: dict, continuity: dict) -> str:
    """"new", "updated: 3 new sources since 2024-05-01 02:30 UTC" or "unchanged since …", for the pages."""
    started = continuity.get("previous_run_started_at")
    if story["status"] == "new" or not started:
        return story["status"]
    moment = datetime.fromisoformat(started)
    since = moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.utcoffset() == timedelta(0) else moment.strftime(" %z"))
    count = len(story["new_articles"])
    if story["status"] == "updated" and count:
        return f"updated: {count} new source{'' if count == 1 else 's'} since {since}"
    # Updated without a new source: one left the corpus, or the sources were grouped anew.
    return f"{story['status']} since {since}"


def facts_by_source(facts: list[dict]) -> list[dict]:
    """Consecutive facts of one article as {"article", "source", "facts"}, for one line per source."""
    return [
        {"article": article, "source": source, "facts": list(group)}
        for (article, source), group in groupby(facts, key=lambda fact: (fact["article"], fact["source"]))
    ]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("pipeline.digest", "templates"),
        # Article text is untrusted: everything in the HTML page is escaped unless marked safe.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        md=escape_markdown, md_quote=quote_markdown, href=href, languages=format_languages,
        thousands="{:,}".format, facts_by_source=facts_by_source, story_status=story_status,
    )
    return environment
