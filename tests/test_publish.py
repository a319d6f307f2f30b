"""Publishing a digest switches the work folder's three files at once: a failure between any two file
operations leaves all three from one run."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pipeline.store.runs import FORMATS, RunFolder, publish_digest


def _run_with_digest(work_dir: Path) -> RunFolder:
    run = RunFolder.create(work_dir)
    run.published_dir().mkdir(parents=True)
    for fmt in FORMATS:
        (run.published_dir() / f"digest.{fmt}").write_text(run.run_id, encoding="utf-8")
    return run


def _runs_shown(work_dir: Path) -> set[str]:
    return {(work_dir / f"digest.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS}


@pytest.mark.parametrize("failing_operation", [1, 2, 3])
def test_a_failure_between_two_files_leaves_all_three_from_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_operation: int
) -> None:
    work_dir = tmp_path / "outputs"
    old = _run_with_digest(work_dir)
    publish_digest(old, list(FORMATS))
    assert _runs_shown(work_dir) == {old.run_id}
    new = _run_with_digest(work_dir)
    replace = os.replace
    operations = []

    def disk_full_at_the_nth_replace(source, target, *args, **kwargs):
        # Every way this package puts a file in place ends in os.replace (links and atomic writes alike).
        if Path(target).parent == work_dir:
            operations.append(target)
            if len(operations) == failing_operation:
                raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", disk_full_at_the_nth_replace)
    try:
        publish_digest(new, list(FORMATS))
    except OSError:
        pass
    monkeypatch.undo()

    assert _runs_shown(work_dir) in ({old.run_id}, {new.run_id})
