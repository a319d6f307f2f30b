"""The stages, in data-flow order (the runner wires them: pipeline/runner.py). Each module exposes one entry function over a `datasets.Dataset` of
article records (one row per article, keyed by `id`) and returns the table with its own columns added.

Columns, by the stage that adds them:
- ingest: id, path (relative to the corpus, POSIX), content_hash, raw_text, format (txt|md|html),
  date, author (empty string when unknown), status (ok|skipped|failed), problem (why, when not ok),
  repeated_lines (the article's lines found in `ingest.repeated_line_articles` unrelated articles of the
  corpus: boilerplate for clean)
- clean: title, text (paragraphs separated by a blank line), removed_lines
- detect: language (ISO 639-1, "und" when unknown), language_confidence
- translate: title_en, text_en, translated (False for articles already in the target language),
  untranslated (notes on passages kept in the original because their translation failed)
- summarize: summary
- check: flags (short lines for editors: numbers lost in translation, names or numbers in the summary
  that the article lacks, failed translations; empty when nothing was found)
- merge: reads the table, writes the digest

A stage only works on rows whose status is "ok"; the others pass through untouched so that the digest
can report them.
"""
