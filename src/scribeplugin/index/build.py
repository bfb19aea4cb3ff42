"""Build the index (incrementally) and tell whether it is current.

A build chunks the code set, the cards and the Alphabetic Index for one scope, embeds only the
chunk ids the collection does not hold, deletes the ids nobody wants any more, rebuilds BM25 (a
second or two) and writes a manifest. Running it twice in a row embeds nothing.
``index_status`` compares the manifest with what the corpus would produce now and names the
command that fixes it.

On disk, under ``<data_dir>/index``::

    chroma/                    the Chroma store (unless SCRIBE_CHROMA_URL names a server)
    <collection>/manifest.json what was built, from what, when
    <collection>/lexical/      BM25 and the chunk records (text + metadata)

The layout, the manifest and the plan are in ``index.manifest``, the status in ``index.status``;
their names are re-exported here.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scribeplugin.codeset import CodeSet
from scribeplugin.config import Scope, Settings
from scribeplugin.index.chunk import (
    Chunk,
)
from scribeplugin.index.embed import (
    TORCH_BACKEND,
    Embedder,
    make_embedder,
)
from scribeplugin.index.manifest import MANIFEST_FORMAT as MANIFEST_FORMAT
from scribeplugin.index.manifest import STORE_SUBJECT as STORE_SUBJECT
from scribeplugin.index.manifest import IndexLayout as IndexLayout
from scribeplugin.index.manifest import IndexPlan as IndexPlan
from scribeplugin.index.manifest import Manifest as Manifest
from scribeplugin.index.manifest import build_command as build_command
from scribeplugin.index.manifest import current_collection as current_collection
from scribeplugin.index.manifest import embedder_mismatch as embedder_mismatch
from scribeplugin.index.manifest import plan_index as plan_index
from scribeplugin.index.status import IndexStatus as IndexStatus
from scribeplugin.index.status import State as State
from scribeplugin.index.status import index_status as index_status
from scribeplugin.index.store import VectorStore, describe

log = logging.getLogger(__name__)


_ADD_BATCH = 512  # chunks embedded and written per step (progress and resumability)


# -- build ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildReport:
    collection: str
    scope: str
    total: int
    embedded: int
    changed: int  # embedded chunks that replace an older version of the same item
    deleted: int
    unchanged: int
    seconds: float
    embed_seconds: float
    embedder: str = TORCH_BACKEND

    @property
    def added(self) -> int:
        return self.embedded - self.changed

    @property
    def chunks_per_second(self) -> float:
        """Embedded chunks per second of the whole build (chunking, embedding and writing)."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        detail = [f"{self.changed:,} changed"] if self.changed else []
        if self.added:
            detail.append(f"{self.added:,} new")
        paren = f" ({', '.join(detail)})" if detail else ""
        rate = f" ({self.chunks_per_second:,.0f} chunks/s)" if self.embedded >= 1000 else ""
        return (
            f"embedded {self.embedded:,} of {self.total:,} chunks{paren}, deleted "
            f"{self.deleted:,}, {self.unchanged:,} unchanged in {self.seconds:.1f} s{rate}"
        )


def build_index(
    settings: Settings,
    scope: Scope | None = None,
    progress: bool | None = None,
    *,
    embedder: Embedder | None = None,
    codeset: CodeSet | None = None,
) -> BuildReport:
    """Bring the collection for ``scope`` in line with the corpus; embed only what changed.

    ``progress``: a rich progress bar on stderr (None: only when stderr is a terminal; plain
    log lines otherwise).
    """
    started = time.perf_counter()
    scope = Scope(scope or settings.index_scope)
    embedder = embedder or make_embedder(settings)
    _prepare(embedder)
    plan = plan_index(settings, scope, embedder.name, codeset)
    layout = IndexLayout.of(settings, plan.collection)
    store = VectorStore.from_settings(settings, plan.collection)

    previous = Manifest.read(layout.manifest)
    if previous and previous.model_sha256 != embedder.fingerprint:
        log.warning(
            "collection %s holds vectors of other weights (%s); rebuilding it from scratch",
            plan.collection,
            previous.model_sha256[:12],
        )
        store.drop()
    elif previous and previous.embedder != embedder.backend:
        log.warning(
            "collection %s was embedded by %s, this build embeds with %s; rebuilding it "
            "from scratch",
            plan.collection,
            previous.embedder,
            embedder.backend,
        )
        store.drop()
    held_by = store.embedder_of() if store.exists() else None
    if held_by is not None and held_by != embedder.backend:
        # A shared Chroma server may hold a collection another host built with another embedder.
        log.warning(
            "the vector store's collection %s was embedded by %s; rebuilding it with %s",
            plan.collection,
            held_by,
            embedder.backend,
        )
        store.drop()
    store.create(
        metadata={
            "model": embedder.name,
            "model_sha256": embedder.fingerprint,
            "embedder": embedder.backend,
            "scope": scope.value,
            "code_set": plan.codeset.release.name,
            "corpus_version": plan.corpus_version,
        }
    )

    existing = store.ids()
    wanted = {c.id for c in plan.chunks}
    stale = sorted(existing - wanted)
    todo = [c for c in plan.chunks if c.id not in existing]
    changed = _count_changed(store, stale, todo)
    if stale:
        store.delete(stale)
        log.info("deleted %d stale chunks from %s", len(stale), plan.collection)

    embed_seconds = _embed_and_add(store, embedder, todo, settings.embedding_batch_size, progress)

    lexical_started = time.perf_counter()
    from scribeplugin.index.lexical import LexicalIndex

    LexicalIndex.build(plan.chunks).save(layout.lexical)
    log.debug("BM25 index rebuilt in %.2f s", time.perf_counter() - lexical_started)

    Manifest(
        collection=plan.collection,
        scope=scope.value,
        model=embedder.name,
        model_sha256=embedder.fingerprint,
        dimension=embedder.dimension,
        code_set=plan.codeset.release.name,
        code_set_fiscal_year=plan.codeset.release.fiscal_year,
        corpus_version=plan.corpus_version,
        corpus_fingerprint=plan.fingerprint,
        counts=plan.counts(),
        store=describe(settings),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        embedder=embedder.backend,
    ).write(layout.manifest)

    return BuildReport(
        collection=plan.collection,
        scope=scope.value,
        total=len(plan.chunks),
        embedded=len(todo),
        changed=changed,
        deleted=len(stale),
        unchanged=len(plan.chunks) - len(todo),
        seconds=time.perf_counter() - started,
        embed_seconds=embed_seconds,
        embedder=embedder.backend,
    )


def _prepare(embedder: Embedder) -> None:
    """Build the int8 model now if it is the one in use (index time, not the first request)."""
    from scribeplugin.index.onnx import OnnxInt8Embedder

    if isinstance(embedder, OnnxInt8Embedder):
        embedder.build()


def _count_changed(store: VectorStore, stale: Sequence[str], todo: Sequence[Chunk]) -> int:
    """How many new chunks replace a stale chunk of the same item (same source, kind, code)."""
    if not stale or not todo:
        return 0
    old = {_item_key(m) for m in store.metadatas(stale).values() if m}
    return sum(1 for c in todo if _item_key(c.metadata) in old)


def _item_key(meta: Any) -> tuple[str, ...]:
    return tuple(str(meta.get(k, "")) for k in ("source", "kind", "code", "item_id"))


def _embed_and_add(
    store: VectorStore,
    embedder: Embedder,
    todo: Sequence[Chunk],
    batch_size: int,
    progress: bool | None,
) -> float:
    if not todo:
        return 0.0
    # Similar lengths in one batch waste less padding: sort by length of what is embedded.
    ordered = sorted(todo, key=lambda c: len(c.embed_text))
    started = time.perf_counter()
    with _progress(len(ordered), progress) as advance:
        for start in range(0, len(ordered), _ADD_BATCH):
            part = ordered[start : start + _ADD_BATCH]
            vectors = embedder.embed([c.embed_text for c in part], batch_size=batch_size)
            store.add(part, vectors)
            advance(len(part))
    return time.perf_counter() - started


@contextmanager
def _progress(total: int, show: bool | None) -> Iterator[Any]:
    """Yield ``advance(n)``: a rich bar on stderr, or a log line every ~10% and 30 s."""
    if show is None:
        show = sys.stderr.isatty()
    if show:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task("embedding", total=total)
            yield lambda n: bar.advance(task, n)
        return

    state = {"done": 0, "logged": time.perf_counter(), "started": time.perf_counter()}

    def advance(n: int) -> None:
        state["done"] += n
        now = time.perf_counter()
        done = int(state["done"])
        step = max(1, total // 10)
        if done == total or done // step != (done - n) // step or now - state["logged"] > 30:
            rate = done / max(now - state["started"], 1e-9)
            log.info("embedded %d/%d chunks (%.0f/s)", done, total, rate)
            state["logged"] = now

    yield advance


# -- command line ---------------------------------------------------------------------------------


def build_index_cli(settings: Settings, scope: Scope) -> int:
    report = build_index(settings, scope)
    print(report.summary())
    print(
        f"collection {report.collection} ({report.scope}) is current in {describe(settings)}, "
        f"embedded by {report.embedder}"
    )
    return 0


def index_status_cli(settings: Settings, scope: Scope) -> int:
    st = index_status(settings, scope)
    print(st.message())
    return 0 if st.ready else 1
