"""Detect stage on tiny in-memory articles, plus an accuracy floor on the labelled text in tests/data/lid."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import datasets
import pytest

from pipeline.config import DetectConfig, PipelineConfig
from pipeline.errors import ConfigError
from pipeline.records import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED
from pipeline.stages.clean import clean
from pipeline.stages.detect import detect
from pipeline.stages.ingest import ingest
from pipeline.text.language import LanguageDetector, build_detector, detect_language, release_identifier

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "lid" / "labelled.tsv"
# The sample corpus: file-name prefix -> language (000-002 German, 003 Italian, 004 English).
CORPUS_LANGUAGES = {"000": "de", "001": "de", "002": "de", "003": "it", "004": "en"}

GERMAN_WITH_ENGLISH_QUOTE = (
    "Die Gewerkschaftschefin sprach am Dienstag vor dem Studiogelände in Burbank zu mehreren hundert "
    "Streikenden. „We are fighting for the future of our profession, and we will not back down until the "
    "studios sign a fair deal“, rief sie unter lautem Beifall. Danach zogen die Demonstranten weiter zum "
    "Sitz des Streamingdienstes."
)
PROBLEM = re.compile(r"^language could not be determined \(best guess [a-z]{2,3}, confidence 0\.\d\d\)$")


def make_articles(
    texts: list[str], statuses: list[str] | None = None, titles: list[str] | None = None
) -> datasets.Dataset:
    return datasets.Dataset.from_dict(
        {
            "id": [f"a{index}" for index in range(len(texts))],
            "status": statuses or [STATUS_OK] * len(texts),
            "title": titles or [""] * len(texts),
            "text": texts,
        }
    )


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return build_detector(DetectConfig())


def test_corpus_articles_detected() -> None:
    paths = sorted((ROOT / "corpus").glob("*.txt"))
    assert [path.name[:3] for path in paths] == sorted(CORPUS_LANGUAGES)
    articles = make_articles([path.read_text(encoding="utf-8") for path in paths])

    detected = detect(articles, DetectConfig())

    assert detected["language"] == [CORPUS_LANGUAGES[path.name[:3]] for path in paths]
    assert all(confidence > 0.9 for confidence in detected["language_confidence"])
    assert detected["status"] == [STATUS_OK] * len(paths)
    assert detected["id"] == articles["id"]


def test_german_paragraph_with_english_quote_is_german(detector: LanguageDetector) -> None:
    found = detect_language(GERMAN_WITH_ENGLISH_QUOTE, detector)
    assert found.language == "de"
    # The quote is about a third of the letters: German must still clear the default threshold.
    assert found.confidence >= DetectConfig().min_confidence


def test_title_counts_towards_the_language() -> None:
    articles = make_articles(["Netflix, SAG-AFTRA, AMPTP, WGA."], titles=["Streik in Hollywood geht weiter"])
    detected = detect(articles, DetectConfig())
    assert detected["language"] == ["de"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Les agriculteurs manifestent devant la préfecture."),
        ("es", "Los agricultores protestan frente al ayuntamiento."),
        ("nl", "De boeren protesteren voor het gemeentehuis."),
        ("pt", "Os agricultores protestam em frente à câmara municipal."),
        ("it", "Gli agricoltori protestano davanti al municipio."),
        ("de", "Die Bauern protestieren vor dem Rathaus."),
        ("en", "Farmers protest outside the town hall."),
    ],
)
def test_short_sentences(detector: LanguageDetector, language: str, text: str) -> None:
    assert detect_language(text, detector).language == language


def test_non_ok_rows_pass_through_without_loading_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the model must not load when no row is ok")

    monkeypatch.setattr("pipeline.text.language._identifier", refuse)
    articles = make_articles(["Die Bauern protestieren vor dem Rathaus."], statuses=[STATUS_FAILED])
    articles = articles.add_column("problem", ["could not decode the file"])

    detected = detect(articles, DetectConfig())

    assert detected[0]["status"] == STATUS_FAILED
    assert detected[0]["problem"] == "could not decode the file"
    assert detected[0]["language"] == "und"
    assert detected[0]["language_confidence"] == 0.0


def test_gibberish_is_skipped_with_a_clear_problem() -> None:
    articles = make_articles(["Qwfp arst zxcv neio", "??? ### 404 !!!", "Die Bauern protestieren."])
    detected = detect(articles, DetectConfig())

    assert detected["status"] == [STATUS_SKIPPED, STATUS_SKIPPED, STATUS_OK]
    assert detected["language"] == ["und", "und", "de"]
    assert PROBLEM.match(detected[0]["problem"]), detected[0]["problem"]
    assert detected[0]["language_confidence"] < DetectConfig().min_confidence
    assert detected[1]["problem"] == "language could not be determined (no words in title or text)"
    assert detected[2]["problem"] == ""


def test_language_outside_the_configured_set_is_skipped_as_not_supported() -> None:
    swedish = "Regeringen presenterade på onsdagen ett lagförslag för att förenkla reglerna för små företag."
    italian = "Gli agricoltori protestano davanti al municipio contro il nuovo piano regolatore della città."
    detected = detect(make_articles([swedish, italian]), DetectConfig(languages=["de", "en"]))

    assert detected["language"] == ["und", "und"]
    assert detected["status"] == [STATUS_SKIPPED, STATUS_SKIPPED]
    assert [problem.split(":")[0] for problem in detected["problem"]] == [
        "language not supported (sv)", "language not supported (it)"
    ]
    assert all(confidence >= 0.5 for confidence in detected["language_confidence"])


def test_unknown_language_code_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="detect.languages"):
        detect(make_articles(["Die Bauern protestieren."]), DetectConfig(languages=["de", "xx"]))


def bucket_of(text: str) -> str:
    if len(text) < 40:
        return "short"
    return "medium" if len(text) <= 200 else "long"


def test_accuracy_floor_on_labelled_text(detector: LanguageDetector) -> None:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    correct: dict[str, list[bool]] = {"short": [], "medium": [], "long": []}
    answered_short: list[bool] = []
    for row in rows:
        language = detect_language(row["text"], detector).language
        correct[bucket_of(row["text"])].append(language == row["language"])
        if bucket_of(row["text"]) == "short" and language != "und":
            answered_short.append(language == row["language"])

    accuracy = {bucket: sum(hits) / len(hits) for bucket, hits in correct.items()}
    assert len(rows) >= 7 * 40
    assert accuracy["long"] >= 0.95, accuracy
    assert accuracy["medium"] >= 0.95, accuracy
    # Short headlines often fall below min_confidence ("und", counted wrong here); those answered are right.
    assert accuracy["short"] >= 0.8, accuracy
    assert sum(answered_short) / len(answered_short) >= 0.9


CHINESE = [
    "北京时间周三晚上，国家统计局发布了最新的经济数据，显示今年第三季度国内生产总值同比增长百分之四点九。",
    "专家表示，消费市场逐步回暖，但房地产行业仍然面临较大压力，地方政府债务问题也需要引起重视。",
    "与此同时，出口增速有所放缓，外部需求减弱对制造业企业造成了一定影响，部分企业开始调整生产计划。",
    "分析人士认为，央行可能在未来几个月继续实施稳健的货币政策，以支持实体经济的发展和就业的稳定。",
]


def test_a_page_in_a_language_without_a_stoplist_reaches_detect_and_is_skipped_as_not_supported(tmp_path: Path) -> None:
    # 8 KB of Chinese: jusText has no stoplist to judge its lines by, so clean passes the text on whole
    # instead of finding "no article text" in it, and detect names the language.
    paragraphs = [f"{CHINESE[index % len(CHINESE)]}（{index}）" for index in range(60)]
    (tmp_path / "zh.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    assert (tmp_path / "zh.txt").stat().st_size > 8000
    config = PipelineConfig()

    (row,) = detect(clean(ingest(tmp_path, config.ingest), config.clean), config.detect).to_list()

    assert row["status"] == STATUS_SKIPPED
    assert row["problem"] == "language not supported (zh): not one of detect.languages"


def count_py3langid_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time py3langid's model loads from now on."""
    from py3langid.langid import LanguageIdentifier

    release_identifier()
    loads: list[int] = []
    original = LanguageIdentifier.from_model_file.__func__
    monkeypatch.setattr(LanguageIdentifier, "from_model_file",
                        classmethod(lambda cls, *args, **kwargs: loads.append(1) or original(cls, *args, **kwargs)))
    return loads


def test_a_run_loads_py3langid_once_for_all_its_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.engines.local import LocalEngine
    from pipeline.plan import ARTICLE_STAGES

    loads = count_py3langid_loads(monkeypatch)
    stage = next(stage for stage in ARTICLE_STAGES if stage.name == "detect")
    config = PipelineConfig.model_validate({"runtime": {"device": "cpu", "checkpoint_articles": 1}})
    rows = make_articles(["Die Bauern protestieren in Berlin gegen die neuen Regeln.",
                          "The farmers protest in Berlin against the new rules."]).to_list()
    outcomes = list(LocalEngine().map_stage(stage, config, rows))
    assert [row["language"] for outcome in outcomes for row in outcome.rows] == ["de", "en"]
    assert len(outcomes) == 2 and len(loads) == 1


def test_py3langid_is_freed_before_a_seq2seq_model_loads(monkeypatch: pytest.MonkeyPatch, tiny_models: dict[str, Path]) -> None:
    """No stage needs both, and py3langid's 70 MB would add to the run's memory peak."""
    from pipeline.config import RuntimeConfig
    from pipeline.models.pool import ModelPool

    loads = count_py3langid_loads(monkeypatch)
    detector = build_detector(DetectConfig())
    assert detect_language("Die Bauern protestieren in Berlin gegen die neuen Regeln.", detector).language == "de"
    assert detect_language("The farmers protest in Berlin against the new rules.", detector).language == "en"
    with ModelPool(RuntimeConfig(device="cpu")) as models:
        models.get(str(tiny_models["de"]), None, "translate.models.de", 1)
    assert detect_language("Gli agricoltori protestano a Berlino contro le nuove regole.", detector).language == "it"
    assert len(loads) == 2
