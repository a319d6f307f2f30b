"""The ray engine: a stage's uncached articles become a Ray dataset, mapped by a pool of actors that each
load the stage's models once; results stream back to the runner block by block as actors finish them,
and the runner commits each block to the cache, as with the local engine.

Failures. An exception in a batch is retried inside its actor (Ray Data's `retried_map_errors`); the last
of 1 + `engine.retries` attempts applies the stage to each article alone, so that only the articles that
still raise come back failed, each with its problem, as on the local engine. A worker process that dies is
restarted by Ray and its batch resubmitted (actor restarts with `max_task_retries`); after 1 +
`engine.retries` deaths the batch's articles come back failed. Nothing about failed articles is cached.
Only the driver touches the cache and the run folder: workers receive article rows, not paths, so they
need the models but neither the corpus nor the work folder.
"""
from __future__ import annotations

import logging
import math
import warnings
from collections import Counter
from typing import TYPE_CHECKING, Iterator

import pyarrow as pa
import ray
from datasets import Dataset
from ray.data import ActorPoolStrategy, DataContext

from pipeline.config import EngineConfig, PipelineConfig
from pipeline.engines.base import Outcome, Row, apply_isolating_failures, batch_starts, mark_failed
from pipeline.errors import PipelineError
from pipeline.models.pool import open_pool

if TYPE_CHECKING:
    from pipeline.plan import ArticleStage

log = logging.getLogger(__name__)

# Extra columns a row carries through Ray: where it came from, and whether its batch failed for good.
POSITION = "_engine_position"
FAILED = "_engine_failed"


class StageWorker:
    """One Ray actor of a stage's pool: builds the model pool once, then applies the stage batch by batch."""

    def __init__(self, stage: ArticleStage, config: PipelineConfig, retries: int):
        self.stage = stage
        self.config = config
        self.retries = retries
        self.models = open_pool(config, stage.backend)
        self.failures: Counter[tuple[int, ...]] = Counter()

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.drop_columns([POSITION]).to_pylist()
        positions = batch.column(POSITION).to_pylist()
        try:
            results = [(row, False) for row in self.stage.apply(Dataset.from_list(rows), self.config, self.models).to_list()]
        except Exception:
            # Ray Data retries in this same actor: count attempts per batch to know which one is the last.
            attempt = tuple(positions)
            self.failures[attempt] += 1
            if self.failures[attempt] <= self.retries:
                raise
            # The last attempt goes article by article, as the local engine does: a bad article fails alone.
            results = [result for row in rows for result in apply_isolating_failures(self.stage, self.config, self.models, [row])]
        records = [{**row, POSITION: position, FAILED: failed} for (row, failed), position in zip(results, positions)]
        # A failed article lacks the stage's columns; pyarrow takes its columns from the first record only.
        columns = dict.fromkeys(column for record in records for column in record)
        return pa.Table.from_pylist([{column: record.get(column) for column in columns} for record in records])


def _outcomes(results: list[Row]) -> Iterator[Outcome]:
    """A block as it comes back from the actors: its rows split by whether their batch failed."""
    for failed in (False, True):
        part = [row for row in results if row[FAILED] is failed]
        if part:
            positions = [row.pop(POSITION) for row in part]
            yield Outcome(positions, [{key: value for key, value in row.items() if key != FAILED} for row in part], failed)


class RayEngine:
    """Runs each stage as `map_batches` over an actor pool; joins a cluster or starts Ray on first use."""

    def __init__(self, settings: EngineConfig):
        self.settings = settings
        self.started_ray = False

    def _connect(self) -> None:
        if ray.is_initialized():
            return
        if self.settings.address:
            log.info("joining the Ray cluster at %s", self.settings.address)
            ray.init(address=self.settings.address, log_to_driver=False)
        else:
            cpus = math.ceil(self.settings.workers * self.settings.cpus_per_worker)
            log.info("starting a local Ray instance with %d CPUs", cpus)
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        self.started_ray = True

    def _data_context(self) -> DataContext:
        context = DataContext.get_current().copy()
        context.retried_map_errors = True  # retry any exception a batch raises ...
        context.max_map_retries = self.settings.retries
        # ... and when a batch still fails (its worker died every time), drop it instead of the whole stage:
        # its articles are then reported failed by map_stage.
        context.max_errored_blocks = -1
        context.enable_progress_bars = False  # the runner shows one bar per stage
        return context

    def _dataset(self, stage: ArticleStage, config: PipelineConfig, rows: list[Row]) -> ray.data.Dataset:
        table = pa.Table.from_pylist([{**row, POSITION: position} for position, row in enumerate(rows)])
        step = config.runtime.checkpoint_articles
        # One block per batch, cut where the local engine cuts (from_items would balance block sizes):
        # models then see the same inputs together on both engines, which keeps outputs identical.
        blocks = [table.slice(start, step) for start in batch_starts(len(rows), config)]
        gpus = self.settings.gpus_per_worker if stage.backend else 0
        # A dataset keeps the data context it was made in; ours only lives as long as the dataset.
        with DataContext.current(self._data_context()), warnings.catch_warnings():
            # Ray 2.60 has no named parameter for max_task_retries yet; the extra pins ray below 2.64.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
            return ray.data.from_arrow(blocks).map_batches(
                StageWorker,
                batch_size=step,
                batch_format="pyarrow",
                # One batch at a time per actor: a worker that dies takes down its own batch only.
                compute=ActorPoolStrategy(size=min(self.settings.workers, len(blocks)), max_tasks_in_flight_per_actor=1),
                fn_constructor_kwargs={"stage": stage, "config": config, "retries": self.settings.retries},
                num_cpus=self.settings.cpus_per_worker,
                num_gpus=gpus or None,
                max_task_retries=self.settings.retries,
            )

    def map_stage(self, stage: ArticleStage, config: PipelineConfig, rows: list[Row]) -> Iterator[Outcome]:
        if not rows:
            return
        self._connect()
        done: set[int] = set()
        try:
            for block in self._dataset(stage, config, rows).iter_batches(batch_size=None, batch_format="pyarrow"):
                for outcome in _outcomes(block.to_pylist()):
                    done.update(outcome.positions)
                    yield outcome
        except ray.exceptions.RayError as error:
            # Ray's message is the remote traceback; its last line is the error the actor raised.
            raise PipelineError(f"ray engine, stage {stage.name}: {str(error).strip().splitlines()[-1]}") from error
        lost = [position for position in range(len(rows)) if position not in done]
        if lost:
            problem = (
                f"{stage.name}: its Ray worker died on every attempt ({1 + self.settings.retries}); "
                "see the worker logs in /tmp/ray/session_latest/logs"
            )
            yield Outcome(lost, mark_failed([rows[position] for position in lost], problem), failed=True)

    def close(self) -> None:
        if self.started_ray:
            ray.shutdown()
            self.started_ray = False
