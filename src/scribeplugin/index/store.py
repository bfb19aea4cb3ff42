"""The vector store: one Chroma collection per (scope, model, code-set year, corpus version).

Local files (``PersistentClient`` under ``<data_dir>/index/chroma``) unless ``SCRIBE_CHROMA_URL``
names a Chroma server (``chroma run``), in which case every worker shares it (``HttpClient``).
Vectors are always computed by our embedder and passed in: the collection has no embedding
function, so Chroma's default model is never downloaded nor used.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np
from numpy.typing import NDArray

from scribeplugin.config import Scope, Settings, apply_offline_environment
from scribeplugin.errors import ConfigError, IndexNotReadyError
from scribeplugin.index.chunk import Chunk

log = logging.getLogger(__name__)

_NAME_OK = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{1,510})[a-zA-Z0-9]$")
_PAGE = 10_000


def collection_name(scope: Scope | str, model: str, fiscal_year: int, corpus_version: str) -> str:
    """``scribe-musculoskeletal-minilm-l6-v2-fy2026-c1``: a model or corpus change never mixes."""
    raw = f"scribe-{Scope(scope).value}-{model}-fy{fiscal_year}-c{corpus_version}"
    name = re.sub(r"[^a-zA-Z0-9._-]+", "-", raw).strip("-._")
    if not _NAME_OK.match(name):
        raise ConfigError(f"Cannot make a valid Chroma collection name from {raw!r}.")
    return name


def make_client(settings: Settings) -> Any:
    """A Chroma client for these settings, telemetry off."""
    apply_offline_environment()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ConfigError(
                f"SCRIBE_CHROMA_URL={settings.chroma_url!r} is not an http(s)://host:port URL."
            )
        ssl = url.scheme == "https"
        port = url.port or (443 if ssl else 8000)
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=port, ssl=ssl, settings=chroma_settings
            )
        except Exception as exc:
            raise IndexNotReadyError(
                f"Cannot reach the Chroma server at {settings.chroma_url} ({exc}). Start it, e.g. "
                f"`chroma run --path var/chroma --host {url.hostname} --port {port}`, or unset "
                "SCRIBE_CHROMA_URL to use local files."
            ) from exc
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def describe(settings: Settings) -> str:
    """Where the vectors live, for messages and the manifest."""
    return settings.chroma_url or str(settings.index_dir / "chroma")


# How many candidates the HNSW search keeps while it walks the graph (Chroma's default is 100).
# Retrieval asks for 50 per query and fuses them by rank, so what the tail of that list holds
# matters: at 100, a passage ranked 48th by exact cosine similarity was missed in one build of
# the spine index in ten (the graph differs from build to build), and with it the acceptance
# query's M53.87. At 200 the 50 returned agree with exact search on 99.85% of the benchmark
# queries' candidates (99.3% at 100), for 0.5 ms more on 8 queries alone, 0.5 to 1 ms within a
# request (2026-12-06, BENCHMARKS.md).
SEARCH_EF = 200


def _search_ef(collection: Any) -> int | None:
    config = getattr(collection, "configuration_json", None) or {}
    hnsw = config.get("hnsw") or {}
    value = hnsw.get("ef_search")
    return int(value) if value is not None else None


class VectorStore:
    """One collection: ids in, ids out. Thread-safe as far as the Chroma client is."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name
        self._collection: Any = None

    @classmethod
    def from_settings(cls, settings: Settings, name: str) -> VectorStore:
        return cls(make_client(settings), name)

    # -- collection -----------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.name in {_name_of(c) for c in self.client.list_collections()}

    def create(self, metadata: Mapping[str, str | int | bool] | None = None) -> None:
        """Get or create the collection (cosine space, no embedding function, ``SEARCH_EF``).

        A collection made before ``SEARCH_EF`` was set gets it here (it can be changed in
        place), so ``scribeplugin index build`` brings an older index up to date.
        """
        if self.exists():
            self._collection = self.client.get_collection(self.name, embedding_function=None)
            if _search_ef(self._collection) != SEARCH_EF:
                with warnings.catch_warnings():
                    # Chroma re-reads the configuration after the change and calls a collection
                    # without an embedding function (ours: we embed) "legacy"; nothing to fix.
                    warnings.filterwarnings("ignore", "legacy embedding function config")
                    self._collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            return
        self._collection = self.client.create_collection(
            name=self.name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
            metadata=dict(metadata) if metadata else None,
        )

    def embedder_of(self) -> str | None:
        """The embedder backend the collection's metadata names (collections made before
        backends were recorded were all embedded by torch); None without metadata."""
        from scribeplugin.index.embed import TORCH_BACKEND

        meta = self.collection.metadata or {}
        if "embedder" in meta:
            return str(meta["embedder"])
        return TORCH_BACKEND if "model_sha256" in meta else None

    def drop(self) -> None:
        if self.exists():
            self.client.delete_collection(self.name)
        self._collection = None

    @property
    def collection(self) -> Any:
        if self._collection is None:
            try:
                self._collection = self.client.get_collection(self.name, embedding_function=None)
            except Exception as exc:  # chromadb raises NotFoundError (or ValueError on old servers)
                raise IndexNotReadyError(
                    f"No vector collection {self.name!r} in the Chroma store. Build it: "
                    "scribeplugin index build"
                ) from exc
        return self._collection

    # -- contents -------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.collection.count())

    def ids(self) -> set[str]:
        return {i for page in self._pages(include=[]) for i in page["ids"]}

    def metadatas(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _PAGE):
            got = self.collection.get(ids=list(ids[start : start + _PAGE]), include=["metadatas"])
            out.update(zip(got["ids"], got["metadatas"] or [], strict=True))
        return out

    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            got = self.collection.get(include=include, limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])

    @property
    def max_batch(self) -> int:
        try:
            return max(1, min(int(self.client.get_max_batch_size()), 5000))
        except Exception:  # older servers do not say
            return 1000

    def add(self, chunks: Sequence[Chunk], vectors: NDArray[np.float32]) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        step = self.max_batch
        for start in range(0, len(chunks), step):
            part = chunks[start : start + step]
            self.collection.add(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + step],
                documents=[c.text for c in part],
                metadatas=[dict(c.metadata) for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        step = self.max_batch
        for start in range(0, len(ids), step):
            self.collection.delete(ids=list(ids[start : start + step]))

    # -- query ----------------------------------------------------------------------------------

    def query(
        self,
        vectors: NDArray[np.float32],
        n: int,
        where: Mapping[str, Any] | None = None,
    ) -> list[list[tuple[str, float]]]:
        """For each query vector, up to ``n`` (chunk id, cosine similarity), best first."""
        if len(vectors) == 0 or n <= 0:
            return [[] for _ in range(len(vectors))]
        got = self.collection.query(
            query_embeddings=vectors,
            n_results=n,
            where=dict(where) if where else None,
            include=["distances"],
        )
        distances = got["distances"] or [[] for _ in got["ids"]]
        return [
            [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]
            for ids, dists in zip(got["ids"], distances, strict=True)
        ]


def _name_of(collection: Any) -> str:
    return collection if isinstance(collection, str) else str(collection.name)
