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
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from scribeplugin.alphabetic import get_alphabetic
from scribeplugin.codeset import CodeSet, get_codeset
from scribeplugin.config import Scope, Settings
from scribeplugin.corpus.cards import load_cards
from scribeplugin.errors import IndexNotReadyError
from scribeplugin.index.chunk import (
    Chunk,
    build_chunks,
    corpus_fingerprint,
    read_corpus_version,
)
from scribeplugin.index.embed import (
    TORCH_BACKEND,
    Embedder,
    MiniLMEmbedder,
    embedder_backend,
    make_embedder,
)
from scribeplugin.index.store import VectorStore, collection_name, describe

log = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
_ADD_BATCH = 512  # chunks embedded and written per step (progress and resumability)


# -- layout and manifest --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexLayout:
    """Where one collection's manifest and lexical index live."""

    root: Path

    @classmethod
    def of(cls, settings: Settings, collection: str) -> IndexLayout:
        return cls(settings.index_dir / collection)

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def lexical(self) -> Path:
        return self.root / "lexical"


@dataclass(slots=True)
class Manifest:
    collection: str
    scope: str
    model: str
    model_sha256: str
    dimension: int
    code_set: str
    code_set_fiscal_year: int
    corpus_version: str
    corpus_fingerprint: str
    counts: dict[str, int]
    store: str
    built_at: str
    embedder: str = TORCH_BACKEND  # how the vectors were computed; older manifests: torch
    format: int = MANIFEST_FORMAT

    @property
    def total(self) -> int:
        return self.counts.get("total", 0)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data) if data.get("format") == MANIFEST_FORMAT else None
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            log.warning("unreadable index manifest %s; treating the index as missing", path)
            return None


def build_command(settings: Settings, scope: Scope) -> str:
    """The exact command that (re)builds this index with these settings."""
    parts = ["scribeplugin"]
    if settings.data_dir != _default(settings, "data_dir"):
        parts += ["--data-dir", str(settings.data_dir)]
    parts += ["index", "build", "--scope", scope.value]
    if settings.corpus_dir != _default(settings, "corpus_dir"):
        parts += ["--corpus", str(settings.corpus_dir)]
    if settings.embedder != _default(settings, "embedder"):
        parts += ["--embedder", settings.embedder]
    return " ".join(parts)


STORE_SUBJECT = "Its collection in the vector store was"


def embedder_mismatch(
    settings: Settings, built_with: str, backend: str, subject: str = "It was"
) -> str:
    """Why an index built by one embedder cannot serve queries of another, and the way out."""
    how = (
        "SCRIBE_EMBEDDER=auto on this CPU"
        if settings.embedder == "auto"
        else f"SCRIBE_EMBEDDER={settings.embedder}"
    )
    back = "torch" if built_with == TORCH_BACKEND else "onnx-int8"
    return (
        f"{subject} built with the {built_with} embedder and this process embeds with {backend} "
        f"({how}); rebuild it (every chunk is embedded again), or set SCRIBE_EMBEDDER={back} "
        "to use it as it is."
    )


def _default(settings: Settings, name: str) -> Any:
    return type(settings).model_fields[name].get_default(call_default_factory=True)


# -- what the corpus would produce now ------------------------------------------------------------


@dataclass(slots=True)
class IndexPlan:
    scope: Scope
    collection: str
    codeset: CodeSet
    corpus_version: str
    chunks: list[Chunk]
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        self.fingerprint = corpus_fingerprint(c.id for c in self.chunks)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {"total": len(self.chunks)}
        for c in self.chunks:
            out[c.kind] = out.get(c.kind, 0) + 1
        return out


def plan_index(
    settings: Settings, scope: Scope, model: str, codeset: CodeSet | None = None
) -> IndexPlan:
    codeset = codeset or get_codeset(settings.code_list_path, settings.tabular_xml_path)
    version = read_corpus_version(settings.corpus_dir)
    cards = load_cards(settings.corpus_dir)
    alphabetic = get_alphabetic(settings.index_xml_path, settings.corpus_dir)
    chunks = build_chunks(codeset, cards, scope, alphabetic)
    name = collection_name(scope, model, codeset.release.fiscal_year, version)
    return IndexPlan(scope, name, codeset, version, chunks)


def current_collection(settings: Settings, scope: Scope, model: str = MiniLMEmbedder.name) -> str:
    """The collection name for these settings, without chunking anything."""
    codeset = get_codeset(settings.code_list_path, settings.tabular_xml_path)
    version = read_corpus_version(settings.corpus_dir)
    return collection_name(scope, model, codeset.release.fiscal_year, version)


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


# -- status ---------------------------------------------------------------------------------------

State = Literal["missing", "stale", "current"]


@dataclass(frozen=True, slots=True)
class IndexStatus:
    state: State
    scope: str
    collection: str
    reason: str
    fix: str | None
    manifest: Manifest | None

    @property
    def ready(self) -> bool:
        return self.state == "current"

    def message(self) -> str:
        text = f"index {self.collection} ({self.scope}): {self.state}. {self.reason}"
        return f"{text} Fix: {self.fix}" if self.fix else text


def index_status(
    settings: Settings,
    scope: Scope | None = None,
    *,
    model: str = MiniLMEmbedder.name,
    model_sha256: str = MiniLMEmbedder.fingerprint,
    backend: str | None = None,
) -> IndexStatus:
    """Is the index for ``scope`` present and built from the corpus, model and code set in use,
    by the embedder in use (``backend``; by default the one ``SCRIBE_EMBEDDER`` gives)?"""
    scope = Scope(scope or settings.index_scope)
    backend = backend or embedder_backend(settings)
    plan = plan_index(settings, scope, model)
    fix = build_command(settings, scope)
    layout = IndexLayout.of(settings, plan.collection)
    manifest = Manifest.read(layout.manifest)

    def status(state: State, reason: str) -> IndexStatus:
        fixed = None if state == "current" else fix
        return IndexStatus(state, scope.value, plan.collection, reason, fixed, manifest)

    if manifest is None:
        return status("missing", f"Nothing built yet for corpus version {plan.corpus_version}.")
    if manifest.model_sha256 != model_sha256:
        return status("stale", "It was built with other embedding weights.")
    if manifest.embedder != backend:
        return status("stale", embedder_mismatch(settings, manifest.embedder, backend))
    try:
        store = VectorStore.from_settings(settings, plan.collection)
        held = store.count()
        held_by = store.embedder_of()
    except IndexNotReadyError as exc:
        return status("missing", str(exc).split(". ")[0] + ".")
    if held_by is not None and held_by != backend:
        why = embedder_mismatch(settings, held_by, backend, STORE_SUBJECT)
        return status("stale", why)
    if held != manifest.total or not (layout.lexical / "chunks.jsonl").is_file():
        return status(
            "stale",
            f"The vector store holds {held:,} chunks, the manifest says {manifest.total:,} "
            "(an interrupted build?).",
        )
    if manifest.corpus_fingerprint != plan.fingerprint:
        behind = _difference(layout, plan)
        return status("stale", f"The corpus or code set changed since {manifest.built_at}{behind}.")
    return status(
        "current",
        f"{manifest.total:,} chunks, built {manifest.built_at} from {manifest.code_set}.",
    )


def _difference(layout: IndexLayout, plan: IndexPlan) -> str:
    path = layout.lexical / "chunks.jsonl"
    try:
        with path.open(encoding="utf-8") as f:
            held = {json.loads(line)["id"] for line in f}
    except (OSError, ValueError, KeyError):
        return ""
    wanted = {c.id for c in plan.chunks}
    return f": {len(wanted - held):,} chunks to embed, {len(held - wanted):,} to delete"


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
