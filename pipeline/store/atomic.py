"""Files appear whole or not at all: write beside the target, fsync, then rename over it."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


@contextmanager
def atomic_path(target: Path, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling path to fill; on success it replaces `target` in one rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staging = temp if is_dir else temp / target.name
    try:
        yield staging
        if is_dir:
            if target.exists():
                # A directory cannot be renamed over a non-empty one: move the old one aside first.
                old = target.with_name(f".{target.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(target, old)
                os.replace(staging, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, target)
        else:
            with open(staging, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(staging, target)
    except OSError as error:
        # A write that fills the disk says no file name ("No space left on device"): the target is the one.
        if error.filename is None:
            error.filename = str(target)
        raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as staging:
        staging.write_text(text, encoding="utf-8")


def write_json(target: Path, data: Any) -> None:
    write_text(target, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
