"""Same input, same digest: what a text turns into must not depend on what else is batched with it, so an
editor re-running a night after a run of other articles gets the same translations and summaries."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from datasets import load_from_disk
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.models.batching import generate_batched, length_bucket
from pipeline.store.runs import RunFolder
from tests.fakes import EchoGenerator

EVAL_DATA = Path(__file__).resolve().parent / "data" / "eval"
runner = CliRunner()


class BudgetEcho(EchoGenerator):
    """Echoes each text with the output budget its call was given."""

    def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
        return [f"{text} <{max_new_tokens}>" for text in super().generate(texts, max_new_tokens, min_new_tokens)]


def test_a_texts_budget_and_batch_do_not_depend_on_the_other_texts() -> None:
    short, mid, long = "ein kurzer Satz", " ".join(["Wort"] * 9), " ".join(["Wort"] * 30)
    generator = BudgetEcho(max_input_tokens=64)

    def outputs(texts: list[str]) -> dict[str, str]:
        return dict(zip(texts, generate_batched(generator, texts, 4096, lambda tokens: 2 * tokens)))

    alone = outputs([short])
    assert outputs([short, mid, long])[short] == outputs([long, short])[short] == alone[short]
    assert outputs([mid, short])[mid] == outputs([mid])[mid]
    assert alone == {short: f"{short} <{2 * length_bucket(3)}>"}
    # One budget for every length (summaries): one batch, as before.
    generator.calls.clear()
    generate_batched(generator, [short, mid, long], 4096, lambda tokens: 40)
    assert len(generator.calls) == 1



def test_a_batch_holds_at_most_max_batch_size_inputs_times_beams() -> None:
    titles = [f"Titel {number}" for number in range(10)]
    for beams, sizes in ((1, [4, 4, 2]), (2, [2, 2, 2, 2, 2])):
        generator = EchoGenerator(max_input_tokens=64, num_beams=beams)
        outputs = generate_batched(generator, titles, 4096, lambda tokens: 8, max_batch_size=4)
        assert outputs == titles
        assert [len(call) for call in generator.calls] == sizes


def test_batches_are_cut_evenly_into_a_multiple_of_the_workers() -> None:
    """Packed greedily, 20 titles in batches of at most 6 leave a remainder batch of 2, and one of two
    workers idle at the end; cut evenly, each worker gets the same share. Different output budgets
    (here titles of 2 and of 12 words) are never mixed."""
    titles = [f"Titel {number}" for number in range(20)]
    longer = [" ".join(["Wort"] * 11 + [str(number)]) for number in range(3)]
    for workers, sizes in ((1, [6, 6, 6, 2, 3]), (2, [5, 5, 5, 5, 3]), (3, [3, 3, 4, 3, 3, 4, 3])):
        generator = EchoGenerator(max_input_tokens=64)
        generator.parallel_batches = workers
        outputs = generate_batched(generator, titles + longer, 4096, lambda tokens: tokens, max_batch_size=6)
        assert outputs == titles + longer
        assert [len(call) for call in generator.calls] == sizes


def test_the_length_ladder_is_fixed() -> None:
    assert [length_bucket(tokens) for tokens in (1, 8, 9, 64, 65, 129, 500)] == [8, 8, 16, 64, 80, 160, 512]


def _articles(run_dir: Path) -> dict[str, tuple[str, str, str]]:
    table = load_from_disk(str(run_dir / "05_summarize"))
    return {row["path"]: (row["title_en"], row["text_en"], row["summary"]) for row in table.to_list()}


def _run(config_file: Path, corpus: Path) -> Path:
    result = runner.invoke(app, ["run", "-c", str(config_file), "--corpus", str(corpus)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return RunFolder.open(config_file.parent / "outputs").root


def test_a_corpus_run_cold_and_after_another_corpus_gives_the_same_articles(quick_config_file: Path, tmp_path: Path) -> None:
    # The demo articles, plus German and Italian ones made of the eval sentences: their chunks share
    # batches with the demo's when all are computed together, and not when the demo's come from the cache.
    demo = quick_config_file.parent / "corpus"
    everything = tmp_path / "everything"
    shutil.copytree(demo, everything)
    for language in ("de", "it"):
        lines = (EVAL_DATA / f"{language}-en.{language}").read_text(encoding="utf-8").splitlines()
        for start in (0, 4):
            text = "\n\n".join([" ".join(lines[start : start + 2]), " ".join(lines[start + 2 : start + 4])])
            (everything / f"eval_{language}_{start}.txt").write_text(text, encoding="utf-8")
    cold = _articles(_run(quick_config_file, everything))

    second = tmp_path / "second"
    second.mkdir()
    config = yaml.safe_load(quick_config_file.read_text(encoding="utf-8"))
    config["paths"]["work_dir"] = str(second / "outputs")
    (second / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _run(second / "config.yaml", demo)
    after_demo = _articles(_run(second / "config.yaml", everything))

    assert len(cold) == len(list(everything.iterdir()))
    for path, article in cold.items():
        assert after_demo[path] == article, path
