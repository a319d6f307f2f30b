"""Typed configuration: one YAML file, validated once at start-up, every key overridable by dotted path.

Each stage receives only its own section. Unknown keys and wrong types are rejected with the exact
key and the fix, before any work starts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "configs" / "default.yaml"


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
    checkpoint_articles: int = Field(16, ge=1)  # results are committed to the cache after this many articles


class IngestConfig(Section):
    extensions: list[str] = [".txt", ".md", ".html", ".htm"]
    max_file_mb: float = Field(5.0, gt=0)
    fallback_encodings: list[str] = ["cp1252", "latin-1"]


class CleanConfig(Section):
    rules_file: Path | None = None  # default: configs/clean_rules.yaml
    min_chars: int = Field(80, ge=0)


class DetectConfig(Section):
    languages: list[str] = ["de", "it", "en", "fr", "es", "nl", "pt"]
    min_confidence: float = Field(0.5, ge=0, le=1)


class TranslateConfig(Section):
    target_language: str = "en"
    models: dict[str, str] = {
        "de": "Helsinki-NLP/opus-mt-de-en",
        "it": "Helsinki-NLP/opus-mt-it-en",
    }
    revision: str | None = None
    backend: str = "transformers"
    chunk_tokens: int = Field(128, ge=1)  # pack sentences up to this; the model's own limit is never exceeded
    max_batch_tokens: int = Field(4096, ge=16)  # padded input tokens per generate() call
    num_beams: int = Field(4, ge=1)
    max_output_ratio: float = Field(2.0, gt=0)  # output budget per chunk: ratio x input tokens + 8


class SummarizeConfig(Section):
    model: str = "sshleifer/distilbart-cnn-12-6"
    revision: str | None = None
    backend: str = "transformers"
    chunk_tokens: int = Field(1000, ge=4)  # longer inputs are summarized chunk by chunk, then once more
    max_batch_tokens: int = Field(8192, ge=16)
    min_summary_tokens: int = Field(30, ge=0)
    max_summary_tokens: int = Field(142, ge=2)
    num_beams: int = Field(4, ge=1)

    @model_validator(mode="after")
    def _rounds_must_shrink(self) -> "SummarizeConfig":
        # Joined chunk summaries are summarized again: each round must make the text shorter.
        if self.chunk_tokens < 2 * self.max_summary_tokens:
            raise ValueError("chunk_tokens must be at least twice max_summary_tokens")
        return self


class MergeConfig(Section):
    similarity_threshold: float = Field(0.08, ge=0, le=1)
    formats: list[Literal["md", "json", "html"]] = ["md", "json", "html"]


class PipelineConfig(Section):
    paths: PathsConfig = PathsConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    ingest: IngestConfig = IngestConfig()
    clean: CleanConfig = CleanConfig()
    detect: DetectConfig = DetectConfig()
    translate: TranslateConfig = TranslateConfig()
    summarize: SummarizeConfig = SummarizeConfig()
    merge: MergeConfig = MergeConfig()

    @property
    def cache_dir(self) -> Path:
        return self.paths.cache_dir or self.paths.work_dir / "cache"


def parse_override(assignment: str) -> tuple[str, Any]:
    """`translate.num_beams=1` -> ("translate.num_beams", 1); the value is read as YAML."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError("--set", assignment, "expected KEY=VALUE", "write e.g. --set translate.num_beams=1")
    return key.strip(), yaml.safe_load(raw) if raw.strip() else ""


def _apply_override(tree: dict[str, Any], dotted_key: str, value: Any) -> None:
    *parents, leaf = dotted_key.split(".")
    node = tree
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError("override", dotted_key, f"'{part}' is not a section")
        node = child
    node[leaf] = value


def load_config(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> PipelineConfig:
    """Read the YAML file (default: configs/default.yaml), apply dotted overrides, validate."""
    path = path or DEFAULT_CONFIG_PATH
    try:
        tree = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found", "pass an existing file with --config") from None
    except yaml.YAMLError as error:
        raise ConfigError(str(path), "-", f"not valid YAML ({error})".replace("\n", " ")) from None
    if not isinstance(tree, dict):
        raise ConfigError(str(path), "-", "the top level must be a mapping of sections")
    for dotted_key, value in (overrides or {}).items():
        _apply_override(tree, dotted_key, value)
    try:
        return PipelineConfig.model_validate(tree)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "-"
        if first["type"] == "extra_forbidden":
            section = _section_of(key)
            valid = ", ".join(sorted(section.model_fields)) if section else ""
            raise ConfigError(str(path), key, "unknown key", f"remove it or use one of: {valid}") from None
        raise ConfigError(str(path), key, first["msg"], f"see the comments in {DEFAULT_CONFIG_PATH.name}") from None


def _section_of(dotted_key: str) -> type[BaseModel] | None:
    model: type[BaseModel] = PipelineConfig
    for part in dotted_key.split(".")[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return model
        model = annotation
    return model
