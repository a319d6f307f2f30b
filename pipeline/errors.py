"""Every error the pipeline raises on purpose, each with a message that names the problem and the fix.

Library code raises these; only the CLI catches them and prints the one-line message.
"""
from __future__ import annotations

import errno
import logging
from typing import Callable, TypeVar

log = logging.getLogger(__name__)
Item = TypeVar("Item")
Result = TypeVar("Result")


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
    """A configured hub model that is not there: a setup problem found before any work, so a usage error."""

    exit_code = 2

    def __init__(self, model_ref: str, config_key: str, detail: str = ""):
        self.model_ref = model_ref
        self.detail = detail
        super().__init__(self.message(model_ref, config_key, detail))

    @staticmethod
    def message(model_ref: str, config_key: str, detail: str) -> str:
        reason = f" ({detail})" if detail else ""
        return (
            f"model '{model_ref}' for {config_key} is not available: not a local folder and not in the "
            f"Hugging Face cache{reason}. Fix: on a machine with internet run "
            f"`hf download {model_ref}` (then copy ~/.cache/huggingface to this machine), "
            f"or set {config_key} to a local folder made with save_pretrained"
        )


class ModelFolderError(ModelNotFoundError):
    """A model given as a local folder: downloading is no fix, the folder is."""

    @staticmethod
    def message(model_ref: str, config_key: str, detail: str) -> str:
        return (
            f"model folder {model_ref} for {config_key}: {detail}. Fix: copy or build the model there "
            f"(save_pretrained), or set {config_key} to another folder or a hub id"
        )


class ConversionError(PipelineError):
    """A model CTranslate2 cannot convert: backend auto then runs it on transformers instead."""

    def __init__(self, model_ref: str, detail: str):
        self.model_ref = model_ref
        first_line = detail.splitlines()[0] if detail else ""
        super().__init__(
            f"cannot convert {model_ref} to CTranslate2 ({first_line}). Fix: set the backend of its config "
            "section to transformers (or auto, which falls back to it)"
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


class EmptyCorpusError(PipelineError):
    def __init__(self, corpus: str, work_dir: str):
        super().__init__(
            f"{corpus} has no article files (empty, or a mount that is not there): the run stops and the digest "
            f"in {work_dir} is left as it was. Fix: check the corpus folder, or pass --allow-empty for an empty digest"
        )


class ArticlesFailedError(PipelineError):
    """The run completed and wrote its digest, but more articles failed than the config allows."""

    exit_code = 3

    def __init__(self, failed: int, allowed: int):
        super().__init__(
            f"{failed} article{'s' if failed != 1 else ''} failed, more than runtime.max_failed_articles ({allowed}); "
            f"the digest was written without them. Fix: see the failed lines above; they are tried again next run"
        )


class MachineError(PipelineError):
    """The file system around the run failed (full disk, no permission, a folder gone): no article's fault."""

    FIXES = {
        errno.ENOSPC: "free space on that disk (df -h), then run again: finished work is cached",
        errno.EDQUOT: "free space within the user's quota, then run again: finished work is cached",
        errno.EACCES: "make it writable for this user, or set paths.work_dir (--work-dir) to another folder",
        errno.EPERM: "make it writable for this user, or set paths.work_dir (--work-dir) to another folder",
        errno.EROFS: "mount it read-write, or set paths.work_dir (--work-dir) to another folder",
        errno.ENOENT: "check that the folder exists (a mount that failed?)",
        errno.ENOTDIR: "a file is in the way of a folder on that path: move it, or choose another path",
    }

    def __init__(self, error: OSError):
        self.errno = error.errno
        where = error.filename if error.filename is not None else "a file of the run"
        fix = self.FIXES.get(error.errno, "check the path, the disk and the permissions")
        super().__init__(f"{where}: {error.strerror or describe(error)}. Fix: {fix}")


class CacheError(PipelineError):
    """The cache database (SQLite) failed: a full disk, a damaged file, another process holding it."""

    # By SQLite's error name (sqlite3.Error.sqlite_errorname), longest prefix first.
    FIXES = (
        ("SQLITE_FULL", "free space on that disk (df -h), then run again: finished work is cached"),
        ("SQLITE_IOERR", "free space on that disk (df -h) and keep the cache on a local disk "
                         "(paths.cache_dir), then run again: finished work is cached"),
        ("SQLITE_BUSY", "another process holds the cache (a run of another work folder sharing "
                        "paths.cache_dir?): run again when it is done"),
        ("SQLITE_LOCKED", "another process holds the cache: run again when it is done"),
        ("SQLITE_READONLY", "make it writable for this user, or set paths.cache_dir to another folder"),
        ("SQLITE_CANTOPEN", "make its folder exist and writable for this user, or set paths.cache_dir"),
        ("SQLITE_NOTADB", "move the file aside: the next run starts a new cache and recomputes what it needs"),
        ("SQLITE_CORRUPT", "move the file aside: the next run starts a new cache and recomputes what it needs"),
    )

    def __init__(self, path: str, error: Exception):
        name = getattr(error, "sqlite_errorname", "") or ""
        fix = next((fix for prefix, fix in self.FIXES if name.startswith(prefix)), "check the disk and the file; "
                   "moving the file aside starts a new cache")
        super().__init__(f"{path}: {describe(error)}. Fix: {fix}")


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


def describe(error: BaseException) -> str:
    """The error as one line: its type and the first line of its message."""
    return f"{type(error).__name__}: {error}".strip().splitlines()[0]


def isolate_failures(
    items: list[Item], apply: Callable[[list[Item]], list[Result]], on_failure: Callable[[Item, Exception], Result]
) -> list[Result]:
    """`apply(items)`; when that raises, `apply` on each item alone, and `on_failure(item, error)` for an item
    that still raises: one input a model cannot take (too long, a tokenizer or generation error) fails by
    itself and its neighbours go on. A missing model or a machine error (OSError: disk, permissions) is no
    input's fault and is raised."""
    try:
        return apply(items)
    except (ModelNotFoundError, OSError):
        raise
    except Exception as error:
        if len(items) == 1:
            return [on_failure(items[0], error)]
        log.warning("a batch of %d failed (%s): trying each alone", len(items), describe(error))
        return [result for item in items for result in isolate_failures([item], apply, on_failure)]
