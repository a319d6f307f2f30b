"""One run per work folder: a second one refuses at once naming the holder, or queues with --wait."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app

ROOT = Path(__file__).resolve().parent.parent
# Another process holding the work folder the way a run does, until a line arrives on its stdin.
HOLDER = """
import sys
from pathlib import Path
from pipeline.runner import work_dir_lock
with work_dir_lock(Path(sys.argv[1]), wait=False):
    print("holding", flush=True)
    sys.stdin.readline()
"""
runner = CliRunner()


def test_a_second_run_refuses_naming_the_holder_and_with_wait_runs_once_it_is_free(quick_config_file: Path) -> None:
    work_dir = quick_config_file.parent / "outputs"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(work_dir)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = runner.invoke(app, ["run", "-c", str(quick_config_file)], catch_exceptions=False)
        assert result.exit_code == 1
        assert f"is in use by another run (pid {holder.pid} on " in result.output and "--wait" in result.output
        assert not (work_dir / "runs").exists()

        started_while_held: list[bool] = []

        def release_later() -> None:
            time.sleep(2)
            started_while_held.append((work_dir / "runs").exists())
            holder.stdin.write("done\n")
            holder.stdin.flush()

        releaser = threading.Thread(target=release_later)
        releaser.start()
        result = runner.invoke(app, ["run", "-c", str(quick_config_file), "--wait"], catch_exceptions=False)
        releaser.join()
        assert result.exit_code == 0, result.output
        assert started_while_held == [False], "the waiting run must not start before the holder lets go"
        assert (work_dir / "digest.json").is_file()
    finally:
        holder.kill()
        holder.wait()
