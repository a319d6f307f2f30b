"""The HTML digest in a real browser: headless Chromium loads the demo corpus's page (tiny random models,
through the CLI), must log nothing to the console (no script errors, no blocked requests) and must show
every story; a screenshot is taken. Skipped only when no Chromium binary is installed."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.stages.merge import write_digest
from tests.test_merge import corpus_rows, make_digest

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary on PATH (Debian: apt-get install chromium)")
WINDOW = (1280, 2000)


class StoryTitles(HTMLParser):
    """Collects the text of each story's heading (<h2> inside <section class="story">) and every tag."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.tags: set[str] = set()
        self._in_story = self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "section":
            self._in_story = ("class", "story") in attrs
        elif tag == "h2" and self._in_story:
            self._in_heading = True
            self.titles.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = self._in_heading and tag != "h2"

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.titles[-1] += data


def open_in_chromium(page: Path, screenshot: Path, profile: Path) -> tuple[str, list[str]]:
    """The DOM after loading, and the console lines Chromium logged for the page."""
    result = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
            f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={screenshot}", "--dump-dom", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return result.stdout, [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def parse(dom: str) -> StoryTitles:
    parser = StoryTitles()
    parser.feed(dom)
    return parser


def test_demo_digest_loads_cleanly_and_shows_every_story(tiny_config_file: Path, tmp_path: Path) -> None:
    # Short translations keep it quick: the wording of random models does not matter here.
    command = ["run", "--config", str(tiny_config_file), "--set", "translate.max_output_ratio=0.25"]
    assert CliRunner().invoke(app, command, catch_exceptions=False).exit_code == 0
    outputs = tiny_config_file.parent / "outputs"
    digest = json.loads((outputs / "digest.json").read_text(encoding="utf-8"))

    dom, console = open_in_chromium(outputs / "digest.html", tmp_path / "digest.png", tmp_path / "profile")

    assert console == []
    page = parse(dom)
    expected = [f"{index}. {story['title']}" for index, story in enumerate(digest["stories"], start=1)]
    assert page.titles == expected and "script" not in page.tags
    assert png_size(tmp_path / "digest.png") == WINDOW
    # One story from all five sources, with one summary written by the (random) summarizer.
    (story,) = digest["stories"]
    assert story["summary"] and story["summary_sentences"] and len(story["key_sentences"]) == 12
    assert {article["language"] for article in story["articles"]} == {"de", "it", "en"}
    report = json.loads(next((outputs / "runs").iterdir()).joinpath("manifest.json").read_text())["stages"]["merge"]
    assert (report["story_summaries"], report["computed"]) == (1, 1)


def test_hostile_article_text_stays_text_in_the_browser(tmp_path: Path) -> None:
    rows = corpus_rows()
    rows[0].update(title="</html><script>document.title='x'</script><b>bold</b>", summary="<!-- open comment")
    write_digest(make_digest(rows), tmp_path, ["html"])

    dom, console = open_in_chromium(tmp_path / "digest.html", tmp_path / "digest.png", tmp_path / "profile")

    assert console == []
    page = parse(dom)
    assert "script" not in page.tags and "b" not in page.tags
    assert "&lt;/html&gt;&lt;script&gt;document.title='x'&lt;/script&gt;" in dom
    assert "&lt;!-- open comment" in dom and len(page.titles) == 1
