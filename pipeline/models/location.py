"""Where models come from and where they run: the only module that loads weights or picks a device.

A model reference is a local folder (made with `save_pretrained`) or a Hugging Face hub id. Hub ids are
looked up in the HF cache first; only when that misses and `HF_HUB_OFFLINE` is not set is a download
tried. Anything missing fails fast with one line naming the model, the config key and the fix.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from huggingface_hub import constants as hub_constants
from huggingface_hub import snapshot_download

from pipeline.config import RuntimeConfig
from pipeline.errors import ModelFolderError, ModelNotFoundError, PipelineError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelLocation:
    ref: str
    source: str  # "local folder", "HF cache" or "hub download"
    path: Path
    revision: str  # commit hash for hub models, "local" for folders


def pick_device(runtime: RuntimeConfig) -> str:
    if runtime.device == "cuda" and not torch.cuda.is_available():
        raise PipelineError("runtime.device is 'cuda' but no CUDA device is visible. Fix: use --device cpu or auto")
    if runtime.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return runtime.device


# torch's own choice, one per physical core, read before anything changes it: CTranslate2 sets the
# OpenMP thread count that torch reports to its intra_threads when it loads a model.
DEFAULT_THREADS = torch.get_num_threads()


def configure_threads(runtime: RuntimeConfig) -> int:
    """Set torch's thread count from `runtime.threads` (0: one per core) and return it."""
    threads = runtime.threads or DEFAULT_THREADS
    torch.set_num_threads(threads)
    return threads


def _looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or Path(ref).expanduser().exists() or ref.count("/") > 1


def _folder_revision(folder: Path) -> str:
    """A local folder has no commit hash: stand in with one over its files' names, sizes and times."""
    stats = sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file())
    return "local-" + hashlib.sha256(repr(stats).encode()).hexdigest()[:12]


def locate_model(ref: str, revision: str | None, config_key: str, download: bool = True) -> ModelLocation:
    """Resolve a reference to a folder on disk: local folder, else HF cache, else (if allowed) download."""
    folder = Path(ref).expanduser()
    if _looks_like_path(ref):
        if not folder.is_dir():
            raise ModelFolderError(ref, config_key, "folder not found")
        if not (folder / "config.json").is_file():
            raise ModelFolderError(ref, config_key, "no config.json in it, so not a model saved with save_pretrained")
        return ModelLocation(ref, "local folder", folder.resolve(), _folder_revision(folder))
    try:
        cached = Path(snapshot_download(ref, revision=revision, local_files_only=True))
        return ModelLocation(ref, "HF cache", cached, cached.name)
    except Exception:  # huggingface_hub raises several types for "not cached"; all mean the same here
        if hub_constants.HF_HUB_OFFLINE or not download:
            detail = "HF_HUB_OFFLINE is set" if hub_constants.HF_HUB_OFFLINE else "not downloaded yet"
            raise ModelNotFoundError(ref, config_key, detail) from None
    try:
        fetched = Path(snapshot_download(ref, revision=revision))
    except Exception as error:
        raise ModelNotFoundError(ref, config_key, f"download failed: {type(error).__name__}") from None
    return ModelLocation(ref, "hub download", fetched, fetched.name)



