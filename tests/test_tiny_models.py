"""The tiny random models load and behave like the hub checkpoints they stand in for."""
from __future__ import annotations

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

from pipeline.config import load_config
from tests.tiny_models import CORPUS_DIR, build_marian, read_corpus_by_language

GERMAN = "Die Schauspieler streiken, während Netflix eine Stelle für 900.000 Dollar ausschreibt."
ITALIAN = "Lo sciopero degli attori è iniziato da poco più di dieci giorni."
SENTENCES = {"de": [GERMAN, "Hollywood streikt."], "it": [ITALIAN, "Netflix offre un lavoro."]}
SENTENCES["summarizer"] = [GERMAN, ITALIAN]
MAX_LENGTH = {"de": 512, "it": 512, "summarizer": 1024}
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


@pytest.mark.parametrize("name", NAMES)
def test_generate_on_a_batch_of_two(loaded: Loaded, name: str) -> None:
    tokenizer, model = loaded[name]
    batch = tokenizer(SENTENCES[name], return_tensors="pt", padding=True)
    with torch.inference_mode():
        output = model.generate(**batch, max_new_tokens=8, num_beams=1)
    assert output.dtype == torch.long
    # One decoder start token, then at most max_new_tokens.
    assert output.shape[0] == 2 and 2 <= output.shape[1] <= 1 + 8
    assert int(output.max()) < model.config.vocab_size
    assert all(isinstance(text, str) for text in tokenizer.batch_decode(output, skip_special_tokens=True))


@pytest.mark.parametrize("name", NAMES)
def test_model_max_length_matches_the_real_checkpoint(loaded: Loaded, name: str) -> None:
    tokenizer, model = loaded[name]
    assert tokenizer.model_max_length == MAX_LENGTH[name]
    assert model.config.max_position_embeddings == MAX_LENGTH[name]


@pytest.mark.parametrize("name", NAMES)
def test_long_text_is_not_truncated_when_asked(loaded: Loaded, name: str) -> None:
    tokenizer, _ = loaded[name]
    long_text = " ".join(path.read_text(encoding="utf-8") for path in sorted(CORPUS_DIR.glob("*.txt")))
    ids = tokenizer(long_text, truncation=False)["input_ids"]
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
