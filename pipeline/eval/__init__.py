"""Evaluation commands: scores of each stage on labelled data, and their tables."""
