"""The boilerplate rules of the clean stage (configs/clean_rules.yaml and its format): read, validate, apply.

A rule matches what a caption, a credit, a teaser or a label looks like (a line of its own, a label in its
exact case followed by a colon, a credit after a caption that is not a sentence), never a word an article
sentence may start with: "Lee told reporters" is not the Spanish teaser "Lee más:".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError
from pipeline.text.boilerplate import MainTextSettings

# A teaser is its label and a headline-long link text: "Lea más: …", "LESEN SIE AUCH | …".
_TEASER_TEXT = r"\s?[:|]\s.{1,200}"
_LABEL_END = r"\s?:?"


def _compile(pattern: Any) -> Any:
    if not isinstance(pattern, str):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression ({error})") from None


Regex = Annotated[re.Pattern[str], BeforeValidator(_compile)]


class RuleSet(BaseModel):
    """One section of the rules file; configs/clean_rules.yaml says what each kind does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cut_after: list[Regex] = []
    strip_patterns: list[Regex] = []
    drop_lines: list[str] = []
    labels: list[str] = []
    teaser_labels: list[str] = []
    drop_patterns: list[Regex] = []


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title_max_chars: int = Field(100, ge=10)
    main_text: MainTextSettings = MainTextSettings()
    rules: dict[str, RuleSet] = {}


@dataclass(frozen=True)
class CleanRules:
    cut_after: list[re.Pattern[str]]
    strip_patterns: list[re.Pattern[str]]
    drop_lines: frozenset[str]
    drop_patterns: list[re.Pattern[str]]  # the sections' drop_patterns, and their labels made into patterns
    title_max_chars: int
    main_text: MainTextSettings


def read_rules_file(path: Path | Traversable) -> RulesFile:
    """A rules file, validated; a problem is a ConfigError naming the file and the key."""
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        fix = "point clean.rules_file at an existing file, or leave it unset for the packaged rules"
        raise ConfigError(str(path), "clean.rules_file", "file not found", fix) from None
    except yaml.YAMLError as error:
        raise ConfigError(str(path), "-", f"not valid YAML ({error})".replace("\n", " ")) from None
    try:
        return RulesFile.model_validate(tree)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "-"
        fix = f"sections are under 'rules:', each with the rule kinds {', '.join(RuleSet.model_fields)}"
        raise ConfigError(str(path), key, first["msg"], fix) from None


def load_rules(path: Path | Traversable) -> CleanRules:
    """Read a rules file and merge its sections: every section applies to every article."""
    parsed = read_rules_file(path)
    sections = parsed.rules.values()
    return CleanRules(
        cut_after=[pattern for section in sections for pattern in section.cut_after],
        strip_patterns=[pattern for section in sections for pattern in section.strip_patterns],
        drop_lines=frozenset(line for section in sections for line in section.drop_lines),
        drop_patterns=[pattern for section in sections for _, pattern in line_patterns(section)],
        title_max_chars=parsed.title_max_chars,
        main_text=parsed.main_text,
    )


def line_patterns(section: RuleSet) -> list[tuple[str, re.Pattern[str]]]:
    """The patterns that drop a whole line, each with the kind it comes from. A label matches as written or
    in capitals ("Anzeige", "ANZEIGE"), never in another case: "Lee" starts sentences, "Lee más:" teasers."""
    labels = [("labels", _label_pattern(section.labels, _LABEL_END))] if section.labels else []
    teasers = [("teaser_labels", _label_pattern(section.teaser_labels, _TEASER_TEXT))] if section.teaser_labels else []
    return labels + teasers + [("drop_patterns", pattern) for pattern in section.drop_patterns]


def apply_rules(lines: list[str], rules: CleanRules) -> list[str]:
    """The lines left after cut_after, strip_patterns, drop_lines and the line patterns, in this order."""
    cut = next((index for index, line in enumerate(lines) if matches(line, rules.cut_after)), len(lines))
    kept = []
    for line in lines[:cut]:
        for pattern in rules.strip_patterns:
            line = " ".join(pattern.sub("", line).split())
        if line and line not in rules.drop_lines and not matches(line, rules.drop_patterns):
            kept.append(line)
    return kept


def matches(line: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(pattern.fullmatch(line) for pattern in patterns)


def _label_pattern(labels: list[str], rest: str) -> re.Pattern[str]:
    forms = sorted({form for label in labels for form in (label, label.upper())}, key=lambda form: (-len(form), form))
    return re.compile(f"(?:{'|'.join(re.escape(form) for form in forms)}){rest}")
