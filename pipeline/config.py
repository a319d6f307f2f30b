"""Typed configuration: one YAML file, validated once at start-up, every key overridable by dotted path.

Each stage receives only its own section. Unknown keys and wrong types are rejected with the exact
key and the fix, before any work starts.
"""
from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError

# The repository's configs/ folder, shipped inside the package (pipeline/configs links to it), so that an
# installed wheel finds its defaults from any folder.
PACKAGED_CONFIGS: Traversable = resources.files("pipeline") / "configs"
DEFAULT_CONFIG_PATH = PACKAGED_CONFIGS / "default.yaml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathsConfig(Section):
    corpus: Path = Path("corpus")
    work_dir: Path = Path("outputs")
    cache_dir: Path | None = None  # default: <work_dir>/cache


class RuntimeConfig(Section):
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int = Field(0, ge=0)  # 0: one per core
    progress: bool = True
    checkpoint_articles: int = Field(128, ge=1)  # results are committed to the cache after this many articles
    max_failed_articles: int = Field(0, ge=0)  # more failed articles than this: exit code 3 (the digest is written)


class IngestConfig(Section):
    extensions: list[str] = [".txt", ".md", ".html", ".htm"]
    max_file_mb: float = Field(5.0, gt=0)
    max_article_chars: int = Field(100_000, ge=1)  # longer articles (text, or HTML's main text) are skipped
    fallback_encodings: list[str] = ["cp1252", "latin-1"]
    repeated_line_articles: int = Field(3, ge=2)


class CleanConfig(Section):
    rules_file: Path | None = None  # default: configs/clean_rules.yaml
    min_chars: int = Field(80, ge=0)


class DetectConfig(Section):
    languages: list[str] = ["de", "it", "en", "fr", "es", "nl", "pt"]
    min_confidence: float = Field(0.5, ge=0, le=1)


# CTranslate2 weight/arithmetic types; "auto" picks int8 on CPU and int8_float16 on CUDA.
ComputeType = Literal[
    "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32"
]


class TranslateConfig(Section):
    target_language: str = "en"
    models: dict[str, str] = {
        "de": "Helsinki-NLP/opus-mt-de-en",
        "it": "Helsinki-NLP/opus-mt-it-en",
    }
    revision: str | None = None
    backend: str = "auto"  # auto (ctranslate2 when installed) | transformers | ctranslate2
    ct2_compute_type: ComputeType = "auto"  # used by the ctranslate2 backend only
    chunk_tokens: int = Field(64, ge=1)  # pack sentences up to this; the model's own limit is never exceeded
    max_batch_tokens: int = Field(4096, ge=16)  # padded input tokens x beams per generate() call
    max_batch_size: int = Field(32, ge=1)  # inputs x beams per generate() call: each holds vocabulary-sized buffers
    num_beams: int = Field(1, ge=1)
    max_output_ratio: float = Field(2.0, gt=0)  # output budget per chunk: ratio x input tokens + 8


class SummarizeConfig(Section):
    model: str = "sshleifer/distilbart-cnn-12-6"
    revision: str | None = None
    backend: str = "auto"  # auto (ctranslate2 when installed) | transformers | ctranslate2
    ct2_compute_type: ComputeType = "auto"  # used by the ctranslate2 backend only
    input: Literal["lead", "whole"] = "lead"  # lead: title + first lead_tokens; whole: every chunk, in rounds
    lead_tokens: int = Field(128, ge=4)  # the lead policy's input, never past the model's limit
    chunk_tokens: int = Field(1000, ge=4)  # whole: longer inputs are summarized chunk by chunk, then once more
    max_batch_tokens: int = Field(1536, ge=16)  # padded input tokens x beams; the run's memory peak
    max_batch_size: int = Field(32, ge=1)  # inputs x beams per generate() call, as translate.max_batch_size
    min_summary_tokens: int = Field(30, ge=0)
    max_summary_tokens: int = Field(142, ge=2)
    num_beams: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _rounds_must_shrink(self) -> "SummarizeConfig":
        # Joined chunk summaries are summarized again: each round must make the text shorter.
        if self.chunk_tokens < 2 * self.max_summary_tokens:
            raise ValueError("chunk_tokens must be at least twice max_summary_tokens")
        return self


class CheckConfig(Section):
    # A translation is judged failed (a chunk keeps its original text, an article gets a flag) when it is
    # empty, loops, or its length in characters relative to the original falls outside this band.
    length_ratio: tuple[float, float] = (0.5, 2.0)
    ratio_min_chars: int = Field(20, ge=0)  # shorter pieces ("Anzeige", "Successivo") vary too much to judge
    max_repeats: int = Field(4, ge=2)  # an n-gram repeated this many times in a row is a generation loop
    max_ngram: int = Field(4, ge=1)  # loops are looked for in n-grams of 1 to this many words

    @model_validator(mode="after")
    def _band_must_be_ordered(self) -> "CheckConfig":
        low, high = self.length_ratio
        if not 0 <= low < high:
            raise ValueError("length_ratio must be [low, high] with 0 <= low < high")
        return self


class MergeConfig(Section):
    similarity_threshold: float = Field(0.13, ge=0, le=1)
    min_shared_evidence: float = Field(4.0, ge=0)  # rarity of the anchors two articles must share to be linked
    date_window_days: int = Field(7, ge=0)  # dated articles further apart are never one story
    story_sentences: int = Field(12, ge=1)  # sentences selected across a story's sources for its summary
    mmr_lambda: float = Field(0.7, ge=0, le=1)  # selection: 1 = most central only, 0 = least redundant only
    attribution_threshold: float = Field(0.3, ge=0, le=1)  # TF-IDF cosine for a source to support a sentence
    formats: list[Literal["md", "json", "html"]] = ["md", "json", "html"]


class EngineConfig(Section):
    """Where the per-article stages compute: in this process, or on Ray (the `ray` extra)."""

    name: Literal["local", "ray"] = "local"
    address: str | None = None  # Ray cluster to join (e.g. "auto", "10.0.0.5:6379"); None: start Ray on this machine
    workers: int = Field(2, ge=1)  # Ray actors per stage, each loading the stage's models once
    cpus_per_worker: float = Field(1, gt=0)
    gpus_per_worker: float = Field(0, ge=0)  # for the model stages (translate, summarize); fractions share a GPU
    retries: int = Field(2, ge=0)  # a batch that raises or loses its worker is tried 1 + retries times


class PipelineConfig(Section):
    paths: PathsConfig = PathsConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    ingest: IngestConfig = IngestConfig()
    clean: CleanConfig = CleanConfig()
    detect: DetectConfig = DetectConfig()
    translate: TranslateConfig = TranslateConfig()
    summarize: SummarizeConfig = SummarizeConfig()
    check: CheckConfig = CheckConfig()
    merge: MergeConfig = MergeConfig()
    engine: EngineConfig = EngineConfig()

    @property
    def cache_dir(self) -> Path:
        return self.paths.cache_dir or self.paths.work_dir / "cache"


def parse_override(assignment: str) -> tuple[str, Any]:
    """`translate.num_beams=1` -> ("translate.num_beams", 1); the value is read as YAML."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError("--set", assignment, "expected KEY=VALUE", "write e.g. --set translate.num_beams=1")
    return key.strip(), yaml.safe_load(raw) if raw.strip() else ""


def _apply_override(tree: dict[str, Any], dotted_key: str, value: Any, source: str) -> None:
    *parents, leaf = dotted_key.split(".")
    node = tree
    for depth, part in enumerate(parents):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            key = ".".join(parents[: depth + 1])
            raise ConfigError(source, dotted_key, f"'{key}' is a key, not a section", f"set it alone, e.g. --set {key}=VALUE")
        node = child
    node[leaf] = value


def load_config(
    path: Path | Traversable | None = None, overrides: Mapping[str, Any] | None = None, sources: Mapping[str, str] | None = None
) -> PipelineConfig:
    """Read the YAML file (default: configs/default.yaml), apply dotted overrides, validate. An error in an
    override names its `sources[key]` (the command-line option it came from) rather than the file."""
    path = Path(path) if isinstance(path, str) else path or DEFAULT_CONFIG_PATH
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found", "pass an existing file with --config") from None
    except OSError as error:
        raise ConfigError(str(path), "-", f"cannot be read ({error.strerror})", "make it a file this user can read") from None
    except yaml.YAMLError as error:
        raise ConfigError(str(path), "-", f"not valid YAML ({error})".replace("\n", " ")) from None
    if not isinstance(tree, dict):
        raise ConfigError(str(path), "-", "the top level must be a mapping of sections")
    for dotted_key, value in (overrides or {}).items():
        _apply_override(tree, dotted_key, value, (sources or {}).get(dotted_key, "override"))
    try:
        return PipelineConfig.model_validate(tree)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "-"
        source = _source_of(key, sources or {}, str(path))
        if first["type"] == "extra_forbidden":
            section = _section_of(key)
            valid = ", ".join(sorted(section.model_fields)) if section else ""
            raise ConfigError(source, key, "unknown key", f"remove it or use one of: {valid}") from None
        raise ConfigError(source, key, first["msg"], f"see the comments in {DEFAULT_CONFIG_PATH.name}") from None


def _source_of(key: str, sources: Mapping[str, str], file: str) -> str:
    """The option that set `key`, the section holding it (a whole section given by --set) or a key inside
    it (`--set foo.bar=2` made the section `foo`), else the file."""
    parts = key.split(".")
    prefixes = (".".join(parts[:length]) for length in range(len(parts), 0, -1))
    inside = (source for option_key, source in sources.items() if option_key.startswith(f"{key}."))
    return next((sources[prefix] for prefix in prefixes if prefix in sources), next(inside, file))


def _section_of(dotted_key: str) -> type[BaseModel] | None:
    model: type[BaseModel] = PipelineConfig
    for part in dotted_key.split(".")[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return model
        model = annotation
    return model
