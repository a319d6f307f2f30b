"""Engines: where a stage computes the articles the cache did not have. The runner decides what needs work
and commits results to the cache; an engine only turns rows into results, batch by batch, and hands each
batch back as soon as it is done, in any order. Engines are chosen by name (`engine.name`):

- local: in this process, one batch after another (the default; the base install is enough).
- ray: Ray Data on a cluster, or on a Ray instance it starts here; `pipeline.engines.ray_engine`, imported
  only when chosen, so the base install and the local engine never import ray.
"""
from __future__ import annotations

from typing import Callable

from pipeline.config import EngineConfig
from pipeline.engines.base import Engine
from pipeline.engines.local import LocalEngine
from pipeline.errors import ConfigError

RAY_INSTALL = 'pip install torch==2.13.0 -e ".[dev,ray]"'


def _ray_engine(settings: EngineConfig) -> Engine:
    try:
        from pipeline.engines.ray_engine import RayEngine
    except ImportError as error:
        if (error.name or "").split(".")[0] != "ray":
            raise
        raise ConfigError("config", "engine.name", "'ray' needs the ray extra, which is not installed", RAY_INSTALL) from None
    return RayEngine(settings)


ENGINES: dict[str, Callable[[EngineConfig], Engine]] = {"local": lambda settings: LocalEngine(), "ray": _ray_engine}


def make_engine(settings: EngineConfig) -> Engine:
    return ENGINES[settings.name](settings)
