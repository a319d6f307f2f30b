"""Every error the pipeline raises on purpose, each with a message that names the problem and the fix.

Library code raises these; only the CLI catches them and prints the one-line message.
"""
from __future__ import annotations


class PipelineError(Exception):
    """Base class: `str(error)` is a complete, actionable one-line message."""

    exit_code = 1


class ConfigError(PipelineError):
    exit_code = 2

    def __init__(self, source: str, key: str, problem: str, fix: str = ""):
        self.key = key
        message = f"{source}: config key '{key}': {problem}"
        super().__init__(f"{message}. Fix: {fix}" if fix else message)


class ModelNotFoundError(PipelineError):
    def __init__(self, model_ref: str, config_key: str, detail: str = ""):
        self.model_ref = model_ref
        reason = f" ({detail})" if detail else ""
        super().__init__(
            f"model '{model_ref}' for {config_key} is not available: not a local folder and not in the "
            f"Hugging Face cache{reason}. Fix: on a machine with internet run "
            f"`hf download {model_ref}` (then copy ~/.cache/huggingface to this machine), "
            f"or set {config_key} to a local folder made with save_pretrained"
        )


class ArticleError(PipelineError):
    """A problem with one article: recorded against it, the rest of the batch goes on."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class ArtifactMissingError(PipelineError):
    def __init__(self, stage: str, needed: str, run_dir: str):
        super().__init__(
            f"stage '{stage}' needs the '{needed}' artifact, which run folder {run_dir} does not have. "
            f"Fix: run `news-digest {needed}` first, or `news-digest run` for all stages"
        )


class RunLockedError(PipelineError):
    def __init__(self, work_dir: str, holder: str):
        super().__init__(
            f"{work_dir} is in use by another run ({holder}). Fix: wait for it to finish, "
            f"or pass --wait to queue behind it"
        )


class InputFileError(PipelineError):
    """A file given on the command line (eval data) that cannot be used as it is."""

    exit_code = 2

    def __init__(self, path: str, problem: str, fix: str = ""):
        self.path = path
        super().__init__(f"{path}: {problem}. Fix: {fix}" if fix else f"{path}: {problem}")


class UsageError(PipelineError):
    """A command-line option that cannot be used as given (not a config key)."""

    exit_code = 2

    def __init__(self, option: str, problem: str, fix: str):
        self.option = option
        super().__init__(f"{option}: {problem}. Fix: {fix}")
