"""Article record statuses, shared by every layer: a stage only works on rows whose status is ok;
the others pass through untouched so that the digest can report them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

STATUS_OK = "ok"
STATUS_SKIPPED = "skipped"
STATUS_FAILED = "failed"


def field_text(value: Any) -> str:
    """A record field as text: None (a column a stage did not fill) is empty, dates are ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def title_and_text(title: Any, text: Any) -> str:
    """The one way title and body are read together: a blank line keeps the title a sentence of its own
    even when it has no final punctuation, and a missing part leaves no stray separator."""
    return "\n\n".join(part for part in (field_text(title), field_text(text)) if part)
