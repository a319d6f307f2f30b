"""Random seq2seq checkpoints laid out like their hub counterparts, built from a few KB of text.

Tests use tiny sizes so the product's real loading path (`AutoTokenizer` / `AutoModelForSeq2SeqLM`
`.from_pretrained(folder)`) runs in seconds without downloads; benchmarks pass real sizes
(opus-mt: d_model=512, layers=6, heads=8, ffn=2048, pad_vocab_to=58101; distilbart-cnn-12-6:
layers=12, decoder_layers=6, d_model=1024, heads=16, ffn=4096, pad_vocab_to=50265) to time
realistic shapes. Only the tokenizers are trained, so outputs are random text, but the same for
the same seed.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Iterable

import sentencepiece
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import (
    BartConfig,
    BartForConditionalGeneration,
    GenerationConfig,
    MarianConfig,
    MarianMTModel,
    MarianTokenizer,
    PreTrainedModel,
)

from tests.demo_corpus import read_corpus_by_language

# opus-mt puts </s> and <unk> first and <pad> last in vocab.json; keeping that layout means tests
# catch code that assumes pad == 0 or that ids follow SentencePiece's own numbering.
MARIAN_EOS, MARIAN_UNK, MARIAN_PAD = "</s>", "<unk>", "<pad>"
# BART (fairseq) order: <s>=0, <pad>=1, </s>=2, <unk>=3, ..., <mask> last.
BART_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
BART_MASK = "<mask>"
# fairseq pads dictionaries with this name; plain ASCII keeps byte-level decoding valid.
FILLER_PREFIX = "madeupword"

def build_marian(
    folder: Path,
    source_texts: list[str],
    target_texts: list[str],
    *,
    vocab_size: int = 500,
    pad_vocab_to: int | None = None,
    d_model: int = 16,
    layers: int = 2,
    heads: int = 2,
    ffn: int = 32,
    max_position: int = 512,
    seed: int = 0,
) -> Path:
    """Save a random MarianMTModel and its MarianTokenizer (source.spm, target.spm, shared vocab.json).

    `vocab_size` is the SentencePiece target per side; small texts yield fewer pieces, never an
    error. `pad_vocab_to` fills vocab.json with never-produced tokens up to that size so the
    embedding and output layers get real-model shapes.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = save_marian_tokenizer(folder, source_texts, target_texts, vocab_size, pad_vocab_to, max_position)
    eos_id, pad_id = vocab[MARIAN_EOS], vocab[MARIAN_PAD]
    # Same choices as the opus-mt configs: decoding starts from <pad>, swish, scaled embeddings.
    config = MarianConfig(
        vocab_size=len(vocab),
        **_shape(d_model, layers, layers, heads, ffn, max_position),
        activation_function="swish",
        scale_embedding=True,
        pad_token_id=pad_id,
        eos_token_id=eos_id,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=eos_id,
    )
    # bad_words_ids keeps random weights from emitting <pad> mid-sentence, as opus-mt does.
    generation = GenerationConfig(
        decoder_start_token_id=pad_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        forced_eos_token_id=eos_id,
        bad_words_ids=[[pad_id]],
        num_beams=1,
    )
    save_random_model(MarianMTModel, config, generation, folder, seed)
    return folder


def build_bart(
    folder: Path,
    texts: list[str],
    *,
    vocab_size: int = 1000,
    pad_vocab_to: int | None = None,
    d_model: int = 16,
    layers: int = 2,
    decoder_layers: int | None = None,
    heads: int = 2,
    ffn: int = 32,
    max_position: int = 1024,
    seed: int = 0,
) -> Path:
    """Save a random BartForConditionalGeneration with a byte-level BPE vocabulary trained on `texts`.

    `layers` sets the encoder depth and, unless `decoder_layers` is given, the decoder depth too.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = save_bart_tokenizer(folder, texts, vocab_size, pad_vocab_to, max_position)
    bos_id, pad_id, eos_id = (vocab[token] for token in BART_SPECIALS[:3])
    # BART starts decoding from </s> and forces <s> as the first generated token, like bart-large-cnn.
    config = BartConfig(
        vocab_size=len(vocab),
        **_shape(d_model, layers, decoder_layers or layers, heads, ffn, max_position),
        bos_token_id=bos_id,
        pad_token_id=pad_id,
        eos_token_id=eos_id,
        decoder_start_token_id=eos_id,
        forced_bos_token_id=bos_id,
        forced_eos_token_id=eos_id,
    )
    generation = GenerationConfig(
        decoder_start_token_id=eos_id,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        forced_bos_token_id=bos_id,
        forced_eos_token_id=eos_id,
        num_beams=1,
    )
    save_random_model(BartForConditionalGeneration, config, generation, folder, seed)
    return folder


def save_marian_tokenizer(
    folder: Path,
    source_texts: list[str],
    target_texts: list[str],
    vocab_size: int,
    pad_vocab_to: int | None,
    max_position: int,
) -> dict[str, int]:
    """Train both SentencePiece models, save a MarianTokenizer over them and return its vocab."""
    # MarianTokenizer only takes file paths; the scratch copies keep stray files out of `folder`.
    with tempfile.TemporaryDirectory() as scratch:
        spm_paths = [Path(scratch) / "source.spm", Path(scratch) / "target.spm"]
        for spm_path, texts in zip(spm_paths, (source_texts, target_texts)):
            spm_path.write_bytes(train_sentencepiece(texts, vocab_size))
        vocab = build_marian_vocab(spm_paths, pad_vocab_to)
        vocab_path = Path(scratch) / "vocab.json"
        vocab_path.write_text(json.dumps(vocab, ensure_ascii=False, indent=1), encoding="utf-8")
        tokenizer = MarianTokenizer(
            source_spm=str(spm_paths[0]),
            target_spm=str(spm_paths[1]),
            vocab=str(vocab_path),
            model_max_length=max_position,
        )
        tokenizer.save_pretrained(folder)
    return vocab


def save_bart_tokenizer(
    folder: Path, texts: list[str], vocab_size: int, pad_vocab_to: int | None, max_position: int
) -> dict[str, int]:
    """Write vocab.json and merges.txt the way older hub checkpoints (distilbart-cnn) ship them.

    No tokenizer.json and a tokenizer_config.json holding only model_max_length, so AutoTokenizer
    has to pick the class from config.json and build the tokenizer from the BPE files itself.
    """
    vocab, merges = train_byte_level_bpe(texts, vocab_size, pad_vocab_to)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    merge_lines = ["#version: 0.2", *(f"{left} {right}" for left, right in merges)]
    (folder / "merges.txt").write_text("\n".join(merge_lines) + "\n", encoding="utf-8")
    tokenizer_config = {"model_max_length": max_position}
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config), encoding="utf-8")
    return vocab


def train_sentencepiece(texts: Iterable[str], vocab_size: int) -> bytes:
    """Train a unigram SentencePiece model in memory and return its serialised proto."""
    lines = [line.strip() for text in texts for line in text.splitlines() if line.strip()]
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        # A few KB cannot fill a large vocabulary; take what the text supports instead of failing.
        hard_vocab_limit=False,
        # Keep every character seen (ü, ß, à, €) so round trips never hit <unk>.
        character_coverage=1.0,
        model_type="unigram",
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def build_marian_vocab(spm_paths: list[Path], pad_vocab_to: int | None) -> dict[str, int]:
    """Shared vocab.json: </s>, <unk>, every piece of both SentencePiece models, fillers, <pad> last."""
    tokens = [MARIAN_EOS, MARIAN_UNK]
    seen = set(tokens)
    for spm_path in spm_paths:
        processor = sentencepiece.SentencePieceProcessor(model_file=str(spm_path))
        for piece_id in range(processor.get_piece_size()):
            piece = processor.id_to_piece(piece_id)
            # Control pieces (<s>, </s>) and SentencePiece's own <unk> are covered by the specials.
            if processor.is_control(piece_id) or processor.is_unknown(piece_id) or piece in seen:
                continue
            tokens.append(piece)
            seen.add(piece)
    tokens += _fillers(len(tokens) + 1, pad_vocab_to)
    tokens.append(MARIAN_PAD)
    return {token: index for index, token in enumerate(tokens)}


def train_byte_level_bpe(
    texts: Iterable[str], vocab_size: int, pad_vocab_to: int | None
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Byte-level BPE (GPT-2/RoBERTa style) in BART's id layout; returns (vocab, merges)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=BART_SPECIALS,
        # All 256 byte symbols, so any input text (emoji, Cyrillic) stays encodable without <unk>.
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer)
    trained = json.loads(tokenizer.to_str())["model"]
    tokens = sorted(trained["vocab"], key=trained["vocab"].get)
    tokens += _fillers(len(tokens) + 1, pad_vocab_to)
    tokens.append(BART_MASK)
    merges = [tuple(merge.split(" ", 1)) if isinstance(merge, str) else tuple(merge) for merge in trained["merges"]]
    return {token: index for index, token in enumerate(tokens)}, merges


def save_random_model(
    model_class: type[PreTrainedModel],
    config: MarianConfig | BartConfig,
    generation: GenerationConfig,
    folder: Path,
    seed: int,
) -> None:
    """Initialise `model_class` from a fixed seed and save it next to the tokenizer files."""
    # fork_rng leaves the caller's random state alone, so building models does not reorder other tests.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(config)
    model.generation_config = generation
    model.save_pretrained(folder)


def _shape(
    d_model: int, encoder_layers: int, decoder_layers: int, heads: int, ffn: int, max_position: int
) -> dict[str, int]:
    return {
        "d_model": d_model,
        "encoder_layers": encoder_layers,
        "decoder_layers": decoder_layers,
        "encoder_attention_heads": heads,
        "decoder_attention_heads": heads,
        "encoder_ffn_dim": ffn,
        "decoder_ffn_dim": ffn,
        "max_position_embeddings": max_position,
    }


def _fillers(size_with_specials: int, pad_vocab_to: int | None) -> list[str]:
    missing = (pad_vocab_to or 0) - size_with_specials
    return [f"{FILLER_PREFIX}{index:04d}" for index in range(max(missing, 0))]


# The shapes of the real checkpoints (opus-mt-*-en, distilbart-cnn-12-6), for benchmarks on random weights.
REAL_MARIAN_SHAPE = {"pad_vocab_to": 58101, "d_model": 512, "layers": 6, "heads": 8, "ffn": 2048}
REAL_BART_SHAPE = {"pad_vocab_to": 50265, "d_model": 1024, "layers": 12, "decoder_layers": 6, "heads": 16, "ffn": 4096}


def build_demo_models(root: Path, real_size: bool = False) -> dict[str, Path]:
    """Random de->en and it->en translators and a summarizer from the demo corpus:
    {"de": folder, "it": folder, "summarizer": folder}."""
    texts = read_corpus_by_language()
    every_text = [text for language_texts in texts.values() for text in language_texts]
    marian_shape = REAL_MARIAN_SHAPE if real_size else {}
    bart_shape = REAL_BART_SHAPE if real_size else {}
    root = Path(root)
    return {
        "de": build_marian(root / "opus-mt-de-en", texts["de"], texts["en"], seed=0, **marian_shape),
        "it": build_marian(root / "opus-mt-it-en", texts["it"], texts["en"], seed=1, **marian_shape),
        # Summarizer input is translated text, which from random translators mixes all languages.
        "summarizer": build_bart(root / "distilbart", every_text, seed=2, **bart_shape),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Build random-weight models to run the pipeline without the hub.")
    parser.add_argument("out", type=Path, help="folder to write opus-mt-de-en/, opus-mt-it-en/, distilbart/ into")
    parser.add_argument("--real-size", action="store_true", help="the real checkpoints' shapes (for benchmarks)")
    arguments = parser.parse_args()
    for name, folder in build_demo_models(arguments.out, arguments.real_size).items():
        sys.stdout.write(f"{name}: {folder}\n")


if __name__ == "__main__":
    main()
