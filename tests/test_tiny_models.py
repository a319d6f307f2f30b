"""The tiny random models load and behave like the hub checkpoints they stand in for."""
from __future__ import annotations

import bisect
from pathlib import Path

import pytest
import torch
from transformers import (
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    BartForConditionalGeneration,
    BartTokenizer,
    BartTokenizerFast,
    MarianMTModel,
    MarianTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from pipeline.config import RuntimeConfig, load_config
from pipeline.errors import PipelineError
from pipeline.models.generators import TransformersGenerator
from pipeline.models.pool import ModelPool
from tests.demo_corpus import CORPUS_DIR, read_corpus_by_language
from tests.tiny_models import build_marian

GERMAN = "Die Schauspieler streiken, während Netflix eine Stelle für 900.000 Dollar ausschreibt."
ITALIAN = "Lo sciopero degli attori è iniziato da poco più di dieci giorni."
SENTENCES = {"de": [GERMAN, "Hollywood streikt."], "it": [ITALIAN, "Netflix offre un lavoro."]}
SENTENCES["summarizer"] = [GERMAN, ITALIAN]
MAX_LENGTH = {"de": 512, "it": 512, "summarizer": 1024}
CONFIG_KEY = {"de": "translate.models.de", "it": "translate.models.it", "summarizer": "summarize.model"}
LONG_TEXT = " ".join(path.read_text(encoding="utf-8") for path in sorted(CORPUS_DIR.glob("*.txt")))
MODEL_CLASS = {"de": MarianMTModel, "it": MarianMTModel, "summarizer": BartForConditionalGeneration}
# transformers 5 returns RobertaTokenizer, of which both BART names are aliases; 4.x returns BartTokenizerFast.
TOKENIZER_CLASSES = {
    "de": (MarianTokenizer,),
    "it": (MarianTokenizer,),
    "summarizer": (BartTokenizer, BartTokenizerFast),
}
NAMES = list(MAX_LENGTH)
Loaded = dict[str, tuple[PreTrainedTokenizerBase, PreTrainedModel]]


@pytest.fixture(scope="module")
def loaded(tiny_models: dict[str, Path]) -> Loaded:
    """Each tiny model loaded the way the product loads a hub checkpoint."""
    return {
        name: (AutoTokenizer.from_pretrained(folder), AutoModelForSeq2SeqLM.from_pretrained(folder))
        for name, folder in tiny_models.items()
    }


@pytest.mark.parametrize("name", NAMES)
def test_auto_classes_load_matching_tokenizer_and_model(loaded: Loaded, name: str) -> None:
    tokenizer, model = loaded[name]
    assert isinstance(tokenizer, TOKENIZER_CLASSES[name])
    assert type(model) is MODEL_CLASS[name]
    assert len(tokenizer) == model.config.vocab_size
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id) == (model.config.pad_token_id, model.config.eos_token_id)
    # Marian starts decoding from <pad>, BART from </s>; a mismatch here silently ruins real outputs too.
    start = tokenizer.pad_token_id if name != "summarizer" else tokenizer.eos_token_id
    assert model.generation_config.decoder_start_token_id == start


@pytest.mark.parametrize(
    ("name", "sentence"),
    [("de", GERMAN), ("it", ITALIAN), ("summarizer", GERMAN), ("summarizer", ITALIAN)],
)
def test_tokenizer_round_trip(loaded: Loaded, name: str, sentence: str) -> None:
    tokenizer, _ = loaded[name]
    ids = tokenizer(sentence)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == sentence


def _text_of_tokens(generator: TransformersGenerator, count: int) -> str:
    """The longest start of the corpus, in whole words, that the generator counts as `count` tokens at most."""
    words = LONG_TEXT.split()
    fitting = bisect.bisect_right(
        range(len(words) + 1), count, key=lambda size: generator.count_tokens([" ".join(words[:size])])[0]
    ) - 1
    return " ".join(words[:fitting])


@pytest.mark.parametrize("name", NAMES)
def test_product_loading_path_generates_at_the_input_limit_within_the_output_budget(
    tiny_models: dict[str, Path], name: str
) -> None:
    generator = ModelPool(RuntimeConfig(device="cpu")).get(str(tiny_models[name]), None, CONFIG_KEY[name], 1)
    assert type(generator) is TransformersGenerator and generator.location.source == "local folder"
    # Room for the special tokens every input gets: </s>, and <s> too for BART.
    assert generator.max_input_tokens == MAX_LENGTH[name] - 2
    at_limit = _text_of_tokens(generator, generator.max_input_tokens)
    counted = generator.count_tokens([at_limit])[0]
    assert generator.max_input_tokens - 5 <= counted <= generator.max_input_tokens
    shapes: list[tuple[int, int]] = []
    generate = generator.model.generate

    def recording_generate(**inputs: torch.Tensor) -> torch.Tensor:
        output = generate(**inputs)
        shapes.append((inputs["input_ids"].shape[1], output.shape[1]))
        return output

    generator.model.generate = recording_generate
    outputs = generator.generate([at_limit, SENTENCES[name][1]], max_new_tokens=8, min_new_tokens=8)
    assert len(outputs) == 2
    # With its special tokens the longest input still fits the model's positions; exactly 8 new tokens
    # follow the decoder start token.
    [(input_length, output_length)] = shapes
    assert counted < input_length <= MAX_LENGTH[name] and output_length == 1 + 8
    with pytest.raises(PipelineError, match="exceeds"):
        generator.generate([f"{at_limit} {at_limit}"], max_new_tokens=8)


@pytest.mark.parametrize("name", NAMES)
def test_model_max_length_matches_the_real_checkpoint(loaded: Loaded, name: str) -> None:
    tokenizer, model = loaded[name]
    assert tokenizer.model_max_length == MAX_LENGTH[name]
    assert model.config.max_position_embeddings == MAX_LENGTH[name]


@pytest.mark.parametrize("name", NAMES)
def test_long_text_is_not_truncated_when_asked(loaded: Loaded, name: str) -> None:
    tokenizer, _ = loaded[name]
    ids = tokenizer(LONG_TEXT, truncation=False)["input_ids"]
    assert len(ids) > MAX_LENGTH[name] >= 512


def test_same_seed_builds_identical_files(tmp_path: Path) -> None:
    texts = read_corpus_by_language()
    first = build_marian(tmp_path / "first", texts["it"], texts["en"])
    second = build_marian(tmp_path / "second", texts["it"], texts["en"])
    files = sorted(path.name for path in first.iterdir())
    assert files == sorted(path.name for path in second.iterdir())
    assert all((first / name).read_bytes() == (second / name).read_bytes() for name in files)


def test_tiny_config_file_points_at_the_tiny_models(tiny_config_file: Path, tiny_models: dict[str, Path]) -> None:
    config = load_config(tiny_config_file)
    assert config.translate.models == {"de": str(tiny_models["de"]), "it": str(tiny_models["it"])}
    assert config.summarize.model == str(tiny_models["summarizer"])
    assert config.paths.corpus.parent == tiny_config_file.parent
    assert sorted(path.name for path in config.paths.corpus.iterdir()) == sorted(
        path.name for path in CORPUS_DIR.iterdir()
    )
