"""The engine an eval runs, set up as the API's: eval settings (the LLM reply cache), the
thresholds, the git state and corpus version a run records, the index (built when missing), quiet
engine logs, and the pipeline whose retriever is wrapped to record the chunks each request
retrieved.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml
from pydantic import ValidationError

from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.errors import ScribeError
from scribeplugin.evaluation.metrics import (
    Thresholds,
)

if TYPE_CHECKING:
    from scribeplugin.pipeline import Pipeline
    from scribeplugin.retrieval import Retriever


log = logging.getLogger("scribeplugin.evaluation.runner")  # the name it has always logged under


class ThresholdsError(ScribeError):
    """``evals/thresholds.yaml`` is missing or invalid."""


# -- setup ---------------------------------------------------------------------------------------


def eval_settings(settings: Settings, *, no_cache: bool = False) -> Settings:
    """The run's settings: LLM replies cached under the data dir unless configured elsewhere."""
    update: dict[str, Any] = {}
    if settings.llm_cache_dir is None:
        update["llm_cache_dir"] = settings.data_dir / "llm-cache"
    if no_cache:
        update["llm_cache_bypass"] = True
    return settings.model_copy(update=update) if update else settings


def load_thresholds(path: Path) -> Thresholds:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdsError(f"{path}: cannot read the gate thresholds ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ThresholdsError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return Thresholds.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or "file"
        raise ThresholdsError(f"{path}: {where}: {err['msg']}") from exc


def git_state(root: Path = PROJECT_ROOT) -> tuple[str, bool | None]:
    """(commit, dirty) of the checkout; ('unknown', None) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
    return commit or "unknown", bool(status.strip())


def corpus_version(corpus_dir: Path) -> tuple[int | str, str]:
    try:
        data = yaml.safe_load((corpus_dir / "corpus.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return "unknown", "unknown"
    return data.get("version", "unknown"), str(data.get("name", ""))


def ensure_index(settings: Settings) -> None:
    """Build (or bring up to date) the index when it is missing or stale: evals must run
    against the corpus on disk, and a fresh clone has no index yet."""
    from scribeplugin.index.build import build_index, index_status

    status = index_status(settings, settings.index_scope)
    if status.ready:
        return
    log.warning("index not ready (%s); building it now", status.message())
    print(
        report_line(
            f"index not ready: building the {settings.index_scope.value} index "
            "(one time, a minute or two)"
        ),
        file=sys.stderr,
    )
    build_index(settings, settings.index_scope)


@contextmanager
def quiet_engine_logs(verbose: bool) -> Iterator[None]:
    """One INFO line per request would bury the progress bar (-v brings them back); the level is
    put back after the run, as the process may go on (tests, a notebook)."""
    logger = logging.getLogger("scribeplugin")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def report_line(text: str) -> str:
    return f"eval: {text}"


# -- retrieval recording -------------------------------------------------------------------------


class RecordingRetriever:
    """Delegates to the pipeline's retriever and remembers, per thread, the chunk ids of every
    passage it returned since :meth:`start`. One case runs on one thread, so this is per case."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._local = threading.local()

    def start(self) -> None:
        self._local.ids = set()

    def retrieved(self) -> set[str]:
        return set(getattr(self._local, "ids", set()))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def recorded(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            self._collect(out, 0)
            return out

        return recorded

    def _collect(self, obj: Any, depth: int) -> None:
        ids: set[str] | None = getattr(self._local, "ids", None)
        if ids is None or depth > 3:
            return
        chunk_id = getattr(obj, "chunk_id", None)
        if isinstance(chunk_id, str):
            ids.add(chunk_id)
        elif isinstance(obj, list | tuple):
            for x in obj:
                self._collect(x, depth + 1)


def build_pipeline(
    settings: Settings, *, guard: bool = True
) -> tuple[Pipeline, RecordingRetriever]:
    from scribeplugin.pipeline import Pipeline

    pipeline = Pipeline.from_settings(settings, guard_enabled=guard)
    recorder = RecordingRetriever(pipeline.retriever)
    pipeline.retriever = cast("Retriever", recorder)
    return pipeline, recorder
