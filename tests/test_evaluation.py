"""The eval machinery, not scores: metrics on crafted outputs, exact line alignment, the commands end to end."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import DetectConfig, PipelineConfig, TranslateConfig
from pipeline.errors import InputFileError, PipelineError
from pipeline.eval import evaluation
from pipeline.eval.evaluation import (
    LINES_PER_DOCUMENT,
    detection_report,
    evaluate_detection,
    read_lines,
    score_summaries,
    score_translation,
    translate_lines,
)
from tests.fakes import EchoGenerator, FakePool

EVAL_DATA = Path(__file__).resolve().parent / "data" / "eval"
REFERENCES = (EVAL_DATA / "de-en.en").read_text(encoding="utf-8").splitlines()
runner = CliRunner()


def _config() -> PipelineConfig:
    return PipelineConfig(translate=TranslateConfig(models={"de": "echo"}, chunk_tokens=6, max_batch_tokens=40))


def test_output_equal_to_the_references_scores_100_and_a_mismatch_less() -> None:
    hypotheses, kept = translate_lines(REFERENCES, "de", _config(), FakePool(echo=EchoGenerator(max_input_tokens=8)))
    assert hypotheses == REFERENCES and kept == 0
    perfect = score_translation(hypotheses, REFERENCES)
    assert (perfect["bleu"], perfect["chrf"]) == (100.0, 100.0)
    assert perfect["signatures"]["bleu"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    damaged = [line.replace("the", "a").replace("Netflix", "Disney") for line in REFERENCES]
    worse = score_translation(damaged, REFERENCES)
    assert worse["bleu"] < 100 and worse["chrf"] < 100


def test_each_hypothesis_is_its_own_lines_translation_whatever_the_batching() -> None:
    # Lengths vary so that batching reorders chunks; some lines hold two sentences or exceed a chunk.
    lines = [f"Zeile {n}: " + " ".join(["Wort"] * (n * 7 % 13 + 1)) + (". Noch ein Satz." if n % 4 == 0 else ".")
             for n in range(2 * LINES_PER_DOCUMENT + 3)]
    generator = EchoGenerator(max_input_tokens=8, tag="EN:")
    hypotheses, _ = translate_lines(lines, "de", _config(), FakePool(echo=generator))
    assert len(hypotheses) == len(lines)
    for line, hypothesis in zip(lines, hypotheses):
        assert hypothesis.startswith("EN:Zeile") and hypothesis.replace("EN:", "") == line
    assert len(generator.calls) > 1 and any(len(call) > 1 for call in generator.calls)


def test_a_translation_that_breaks_the_paragraphs_fails_loudly() -> None:
    class NewlineGenerator(EchoGenerator):
        def generate(self, texts: list[str], max_new_tokens: int, min_new_tokens: int = 0) -> list[str]:
            return [text.replace(" ", "\n\n", 1) for text in super().generate(texts, max_new_tokens)]

    with pytest.raises(PipelineError, match="alignment lost: document 0 had 3 lines"):
        translate_lines(REFERENCES[:3], "de", _config(), FakePool(echo=NewlineGenerator(max_input_tokens=30)))


def test_rouge_is_the_mean_stemmed_f1_of_the_pairs() -> None:
    summaries = ["Netflix offers $900,000 for an AI job.", "Actors are striking in Hollywood."]
    assert score_summaries(summaries, summaries) == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    # By hand. Pair 1, 5 of the reference's 6 words in another order: unigrams P 5/5 R 5/6 F 10/11;
    # bigrams 'on the', 'the mat', 'the cat' P 3/4 R 3/5 F 2/3; longest common subsequence 'on the mat'
    # P 3/5 R 3/6 F 6/11. Pair 2, equal only after Porter stemming (actor, strike): P 2/3 R 2/2 F 4/5,
    # no common bigram, LCS 2 so F 4/5. Scores are the means over the two pairs.
    predictions = ["on the mat the cat", "Actors are striking."]
    references = ["the cat sat on the mat", "actor strikes"]
    assert score_summaries(predictions, references) == {
        "rouge1": round((10 / 11 + 4 / 5) / 2, 4),
        "rouge2": round((2 / 3 + 0) / 2, 4),
        "rougeL": round((6 / 11 + 4 / 5) / 2, 4),
    }


def test_detection_report_counts_languages_buckets_and_confusions() -> None:
    labelled = [("de", "Kurz"), ("de", "Ein deutscher Satz, der etwas länger ist als vierzig Zeichen."), ("it", "Breve")]
    report = detection_report(labelled, ["de", "nl", "es"])
    assert report["accuracy"] == {"texts": 3, "correct": 1, "accuracy": 0.3333}
    assert report["per_language"]["de"]["correct"] == 1 and report["per_bucket"]["<40"]["texts"] == 2
    assert report["confusions"] == [{"gold": "de", "predicted": "nl", "count": 1},
                                    {"gold": "it", "predicted": "es", "count": 1}]


def test_eval_detect_reads_a_tsv_with_or_without_header(tmp_path: Path) -> None:
    data = tmp_path / "lid.tsv"
    data.write_text("language\ttext\nde\tDie Regierung hat am Dienstag ein neues Gesetz beschlossen.\n"
                    "it\tIl governo ha approvato martedì una nuova legge.\n", encoding="utf-8")
    assert evaluate_detection(DetectConfig(), data)["accuracy"]["correct"] == 2
    data.write_text("de\tDie Regierung hat am Dienstag ein neues Gesetz beschlossen.\n", encoding="utf-8")
    assert evaluate_detection(DetectConfig(), data)["texts"] == 1


def test_bad_input_files_give_one_line_naming_file_and_problem(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"gaps\.txt: line 2 is empty"):
        (tmp_path / "gaps.txt").write_text("Eins.\n\nDrei.\n", encoding="utf-8")
        read_lines(tmp_path / "gaps.txt")
    with pytest.raises(InputFileError, match=r"lid\.tsv: line 2 is not language<TAB>text"):
        (tmp_path / "lid.tsv").write_text("de\tHallo Welt\nkein Tab hier\n", encoding="utf-8")
        evaluate_detection(DetectConfig(), tmp_path / "lid.tsv")


def test_eval_translate_command_with_tiny_model_compares_naive_and_writes_json(
    tiny_config_file: Path, tmp_path: Path
) -> None:
    source, reference = tmp_path / "src.de", tmp_path / "ref.en"
    source.write_text("".join((EVAL_DATA / "de-en.de").read_text(encoding="utf-8").splitlines(True)[:4]), "utf-8")
    reference.write_text("\n".join(REFERENCES[:4]) + "\n", encoding="utf-8")
    out = tmp_path / "scores.json"
    result = runner.invoke(app, ["eval", "translate", str(source), str(reference), "--lang", "de", "--compare-naive",
                                 "--json", str(out), "-c", str(tiny_config_file)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "BLEU signature: nrefs:1" in result.output and "pipeline - naive" in result.output
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert scores["lines"] == 4 and set(scores["systems"]) == {"pipeline", "naive"}
    assert scores["difference"]["bleu"] == round(scores["systems"]["pipeline"]["bleu"] - scores["systems"]["naive"]["bleu"], 2)


def test_eval_translate_refuses_files_of_different_length(tiny_config_file: Path, tmp_path: Path) -> None:
    (tmp_path / "src.de").write_text("Eins.\nZwei.\n", encoding="utf-8")
    (tmp_path / "ref.en").write_text("One.\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "translate", str(tmp_path / "src.de"), str(tmp_path / "ref.en"), "--lang", "de",
                                 "-c", str(tiny_config_file)])
    assert result.exit_code == 2
    assert "ref.en: 1 lines, but" in result.output and "Fix:" in result.output


def test_eval_summarize_scores_each_lines_summary_against_its_own_reference(
    tiny_config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = (EVAL_DATA / "summaries.jsonl").read_text(encoding="utf-8").splitlines(True)[:3]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(lines), encoding="utf-8")
    records = [json.loads(line) for line in lines]
    fed: list[str] = []

    def summarize_as_the_references(titles: list[str], articles: list[str], *_: object, **__: object) -> list[str]:
        # A summarizer that writes the reference of each article it is given, so only misalignment lowers ROUGE.
        fed.extend(articles)
        by_article = {record["article"]: record["summary"] for record in records}
        return [by_article[article] for article in articles]

    monkeypatch.setattr(evaluation, "summarize_articles", summarize_as_the_references)
    out = tmp_path / "rouge.json"
    result = runner.invoke(app, ["eval", "summarize", str(pairs), "--json", str(out), "-c", str(tiny_config_file)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    scores = json.loads(out.read_text(encoding="utf-8"))
    assert fed == [record["article"] for record in records]
    assert (scores["pairs"], scores["rouge1"], scores["rouge2"], scores["rougeL"]) == (3, 1.0, 1.0, 1.0)
    # The summaries are the references, so the faithfulness check must judge both alike, line by line.
    assert scores["faithful_share"] == scores["reference_faithful_share"] == round(1 - len(scores["unfaithful"]) / 3, 4)
    assert all(entry["summary"] == records[entry["line"] - 1]["summary"] for entry in scores["unfaithful"])


def test_eval_detect_command_reports_accuracy(tiny_config_file: Path, tmp_path: Path) -> None:
    lid = tmp_path / "lid.tsv"
    lid.write_text("language\ttext\nen\tThe government passed a new law on Tuesday.\n"
                   "de\tDie Regierung hat am Dienstag ein neues Gesetz beschlossen.\n", encoding="utf-8")
    out = tmp_path / "lid.json"
    result = runner.invoke(app, ["eval", "detect", str(lid), "--json", str(out), "-c", str(tiny_config_file)],
                           catch_exceptions=False)
    assert result.exit_code == 0 and "1.000" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["accuracy"] == {"texts": 2, "correct": 2, "accuracy": 1.0}
