"""The results of pipeline.evaluation as rich tables, for `news-digest eval` to print."""
from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table

# Unfaithful summaries listed under the summary scores; the JSON output has all of them.
MAX_LISTED_SUMMARIES = 5
# Wrong merges listed under the grouping scores, largest first.
MAX_LISTED_MERGES = 5


def translation_tables(result: dict[str, Any]) -> list[RenderableType]:
    table = Table(title=f"translation {result['language']}→en: {result['lines']} lines, {result['model']}")
    for column in ("system", "BLEU", "chrF", "kept in original", "seconds"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for name, scores in result["systems"].items():
        untranslated = str(scores["untranslated"]) if "untranslated" in scores else "-"
        table.add_row(name, f"{scores['bleu']:.2f}", f"{scores['chrf']:.2f}", untranslated, f"{scores['seconds']:.2f}")
    lines: list[RenderableType] = [table]
    if "difference" in result:
        difference = result["difference"]
        lines.append(f"pipeline - naive: BLEU {difference['bleu']:+.2f}, chrF {difference['chrf']:+.2f}")
    signatures = result["systems"]["pipeline"]["signatures"]
    lines += [f"BLEU signature: {signatures['bleu']}", f"chrF signature: {signatures['chrf']}"]
    return lines


def summary_tables(result: dict[str, Any]) -> list[RenderableType]:
    table = Table(title=f"summaries: {result['pairs']} pairs, {result['model']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, label in (("rouge1", "ROUGE-1 F1"), ("rouge2", "ROUGE-2 F1"), ("rougeL", "ROUGE-L F1")):
        table.add_row(label, f"{result[key]:.4f}")
    table.add_row("faithful (generated)", f"{result['faithful_share']:.1%}")
    table.add_row("faithful (references)", f"{result['reference_faithful_share']:.1%}")
    table.add_row("seconds", f"{result['seconds']:.2f}")
    lines: list[RenderableType] = [table]
    for entry in result["unfaithful"][:MAX_LISTED_SUMMARIES]:
        lines.append(f"line {entry['line']}: " + "; ".join(entry["flags"]))
    hidden = len(result["unfaithful"]) - MAX_LISTED_SUMMARIES
    if hidden > 0:
        lines.append(f"… and {hidden} more unfaithful summaries (all of them in --json)")
    return lines


def detection_tables(result: dict[str, Any]) -> list[RenderableType]:
    table = Table(title=f"language detection: {result['texts']} texts, languages {', '.join(result['languages'])}")
    for column in ("group", "texts", "correct", "accuracy"):
        table.add_column(column, justify="left" if column == "group" else "right")
    buckets = {f"{bucket} chars": score for bucket, score in result["per_bucket"].items()}
    groups = {"all": result["accuracy"], **result["per_language"], **buckets}
    for name, score in groups.items():
        accuracy = f"{score['correct'] / score['texts']:.3f}" if score["texts"] else "-"
        table.add_row(name, str(score["texts"]), str(score["correct"]), accuracy)
    confusions = Table(title="confusions (gold → detected)")
    confusions.add_column("gold")
    confusions.add_column("detected")
    confusions.add_column("texts", justify="right")
    for entry in result["confusions"]:
        confusions.add_row(entry["gold"], entry["predicted"], str(entry["count"]))
    return [table, confusions] if result["confusions"] else [table, "no confusions"]


def cleaning_tables(result: dict[str, Any]) -> list[RenderableType]:
    table = Table(title=f"boilerplate cleaning: {result['pages']} pages of {result['pages_dir']}")
    for column in ("system", "group", "pages", "kept", "dropped", "token F1", "title", "ms/page"):
        table.add_column(column, justify="left" if column in ("system", "group") else "right")
    for system in ("txt", "html", "trafilatura", "untouched"):
        scores = result[system]
        groups = {"all": scores, **scores["per_language"]}
        for group, score in groups.items():
            shares = [f"{score[key]:.1%}" if score[key] is not None else "-" for key in ("kept", "dropped")]
            f1 = f"{score['f1']:.3f}" if score["f1"] is not None else "-"
            title = f"{score['title']:.1%}" if score["title"] is not None else "-"
            ms = f"{scores['ms_per_page']:.1f}" if group == "all" else ""
            table.add_row(system if group == "all" else "", group, str(score["pages"]), *shares, f1, title, ms)
        table.add_section()
    lines: list[RenderableType] = [
        table,
        "kept: must-keep snippets in the body or the title; dropped: boilerplate snippets not in the body; "
        "token F1 of the body against gold_text; title: the title found is the headline the page's HTML states "
        "(<h1>, og:title)",
    ]
    rules = Table(title="rules of the clean stage: scraped pages (.txt) and sites each one fires on")
    for column in ("rule", "#", "pages", "sites", "pattern"):
        rules.add_column(column, justify="right" if column in ("#", "pages", "sites") else "left")
    for firing in result["rules"]:
        rules.add_row(firing["rule"], str(firing["number"]), str(firing["pages"]), str(firing["sites"]), firing["pattern"])
    return lines + [rules] + [f"problem: {problem}" for problem in result["problems"]]


def grouping_tables(result: dict[str, Any]) -> list[RenderableType]:
    source = f"translations from {result['translations']}" if result["translations"] else "translate models"
    table = Table(title=f"grouping: {result['corpus']} ({source}), threshold {result['threshold']}")
    for column in ("measure", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for name in ("pairwise", "bcubed"):
        scores = result[name]
        table.add_row(name, f"{scores['precision']:.4f}", f"{scores['recall']:.4f}", f"{scores['f1']:.4f}")
    for language, figures in result["per_language"].items():
        scores = figures["bcubed"]
        table.add_row(f"bcubed {language} ({figures['articles']})", f"{scores['precision']:.4f}",
                      f"{scores['recall']:.4f}", f"{scores['f1']:.4f}")
    skipped, window = result["skipped"], result["recall_within_window"]
    lines: list[RenderableType] = [
        f"articles: {result['articles']}, stories found: {result['stories_found']}, "
        f"stories in the gold: {result['stories_gold']}; {result['in_wrong_story']} articles in a wrong story",
        table,
        f"pairs: {result['pairwise']['predicted_pairs']} predicted, {result['pairwise']['gold_pairs']} gold, "
        f"{result['pairwise']['correct_pairs']} correct",
        f"recall within the date window: {window['recall']:.4f} ({window['correct_pairs']} of {window['gold_pairs']} "
        "gold pairs dated close enough to be one story)",
    ]
    if skipped["articles"]:
        languages = ", ".join(f"{language} {count}" for language, count in skipped["by_language"].items())
        lines.append(f"skipped before grouping (no translator, too short, ...): {skipped['articles']} ({languages})")
    if result["not_in_gold"] or result["missing_from_corpus"]:
        lines.append(f"not in the gold: {result['not_in_gold']} articles; gold entries with no file: "
                     f"{result['missing_from_corpus']}")
    merges = result["wrong_merges"]
    for merge in merges[:MAX_LISTED_MERGES]:
        members = ", ".join(f"{entry['path']} ({entry['gold']})" for entry in merge["articles"])
        lines.append(f"wrong merge of {merge['size']} articles from {merge['gold_stories']} stories: {members}")
    if len(merges) > MAX_LISTED_MERGES:
        lines.append(f"… and {len(merges) - MAX_LISTED_MERGES} more wrong merges (all of them in --json)")
    return lines if merges else lines + ["no wrong merge"]
