"""The retriever: dense and lexical candidates fused by reciprocal rank over codes, and the
passages laid out code by code (see the package's docstring).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from scribeplugin.codeset import normalize
from scribeplugin.config import Scope, Settings
from scribeplugin.errors import IndexNotReadyError, InputError
from scribeplugin.index.build import (
    STORE_SUBJECT,
    IndexLayout,
    Manifest,
    build_command,
    current_collection,
    embedder_mismatch,
)
from scribeplugin.index.chunk import CHUNK_KINDS
from scribeplugin.index.embed import Embedder, make_embedder
from scribeplugin.index.lexical import LexicalIndex
from scribeplugin.index.store import VectorStore
from scribeplugin.retrieval.filters import _Columns, _Filter, compile_filter, normalize_prefix
from scribeplugin.retrieval.query import MODES, Mode, Passage, query_forms

log = logging.getLogger("scribeplugin.retrieval")  # the name it has always logged under


_FILTER_CACHE_SIZE = 256
# Candidate lists are fetched DEPTH times deeper than the codes they must name: reaching 50
# codes took a median of 58 dense and 63 BM25 chunks on the benchmark queries (p90 97 and 108)
# once the Alphabetic Index entries joined the default index.
DEPTH = 2


class Retriever:
    """Hybrid search over one collection. Load once, share across threads and requests."""

    def __init__(
        self,
        store: VectorStore,
        lexical: LexicalIndex | Callable[[], LexicalIndex],
        embedder: Embedder,
        *,
        rrf_k: int = 60,
        batch_size: int = 64,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
        manifest: Manifest | None = None,
        per_code: int = 1,
    ) -> None:
        self.store = store
        self.per_code = per_code
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.batch_size = batch_size
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.manifest = manifest
        self._lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._columns: _Columns | None = None
        self._loader: Callable[[], LexicalIndex] | None = None
        if isinstance(lexical, LexicalIndex):
            self._set_lexical(lexical)
        else:
            self._loader = lexical
        self._filters: dict[tuple[tuple[str, ...], tuple[str, ...]], _Filter] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        scope: Scope | None = None,
        *,
        embedder: Embedder | None = None,
    ) -> Retriever:
        """The retriever for the index of ``scope``; ``IndexNotReadyError`` says how to build it."""
        scope = Scope(scope or settings.index_scope)
        embedder = embedder or make_embedder(settings)
        name = current_collection(settings, scope, embedder.name)
        layout = IndexLayout.of(settings, name)
        fix = build_command(settings, scope)
        manifest = Manifest.read(layout.manifest)
        if manifest is None:
            raise IndexNotReadyError(f"No {scope.value} index ({name}) has been built. Run: {fix}")
        if manifest.model_sha256 != embedder.fingerprint:
            raise IndexNotReadyError(
                f"The {scope.value} index was built with other embedding weights. Run: {fix}"
            )
        if manifest.embedder != embedder.backend:
            why = embedder_mismatch(settings, manifest.embedder, embedder.backend)
            raise IndexNotReadyError(f"The {scope.value} index ({name}): {why} Run: {fix}")
        store = VectorStore.from_settings(settings, name)
        try:
            held = store.count()
            held_by = store.embedder_of()
        except IndexNotReadyError as exc:
            raise IndexNotReadyError(f"{exc} Run: {fix}") from exc
        if held_by is not None and held_by != embedder.backend:
            why = embedder_mismatch(settings, held_by, embedder.backend, STORE_SUBJECT)
            raise IndexNotReadyError(f"The {scope.value} index ({name}): {why} Run: {fix}")
        if held != manifest.total:
            raise IndexNotReadyError(
                f"The vector store holds {held:,} chunks of {name} but its manifest says "
                f"{manifest.total:,} (an interrupted build?). Run: {fix}"
            )
        return cls(
            store,
            lambda: LexicalIndex.load(layout.lexical),
            embedder,
            rrf_k=settings.rrf_k,
            batch_size=settings.embedding_batch_size,
            manifest=manifest,
        )

    # -- loading --------------------------------------------------------------------------------

    @property
    def index_id(self) -> str:
        """Names the collection and its contents, e.g. for the response's engine block."""
        if self.manifest is None:
            return self.store.name
        return f"{self.store.name}@{self.manifest.corpus_fingerprint[:12]}"

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            with self._lock:
                if self._lexical is None and self._loader is not None:
                    self._set_lexical(self._loader())
        if self._lexical is None:  # pragma: no cover - the constructor sets one of the two
            raise IndexNotReadyError("The retriever has no lexical index.")
        return self._lexical

    def _set_lexical(self, lexical: LexicalIndex) -> None:
        self._columns = _Columns(lexical)
        self._lexical = lexical

    def warm_up(self) -> None:
        """Load BM25 and the model and run one query, so the first request is not the slow one."""
        self.search("warm up", k=1)

    # -- look-up --------------------------------------------------------------------------------

    def passages_for(
        self,
        codes: Iterable[str] = (),
        item_ids: Iterable[str] = (),
        index_paths: Iterable[str] = (),
    ) -> list[Passage]:
        """The tabular entry of each code, the named card items and the Alphabetic Index entries
        at the given paths (``Strain > low back``, an ``IndexTerm.path_text``), looked up rather
        than searched (score 0, no ranks): what a drafter cites for a code it already considers
        or an index entry it coded from. What the index does not hold is skipped (an index entry
        whose code is outside the scope, for one)."""
        self.lexical  # noqa: B018 - loads the records the columns come from
        cols = self._columns
        assert cols is not None
        positions = [cols.tabular.get(normalize(c)) for c in codes]
        positions += [cols.item.get(i) for i in item_ids]
        positions += [cols.index.get(path) for path in index_paths]
        return [
            self._passage(pos, 0.0, None, None)
            for pos in dict.fromkeys(p for p in positions if p is not None)
        ]

    def _passage(
        self, pos: int, score: float, dense_rank: int | None, lexical_rank: int | None
    ) -> Passage:
        rec = self.lexical.records[pos]
        m = rec.metadata
        return Passage(
            chunk_id=rec.id,
            code=str(m.get("code", "")),
            kind=str(m.get("kind", "")),
            item_id=str(m.get("item_id", "")),
            source=str(m.get("source", "")),
            text=rec.text,
            score=float(score),
            dense_rank=dense_rank,
            lexical_rank=lexical_rank,
        )

    # -- search ---------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        kinds: Sequence[str] | None = None,
        code_prefixes: Sequence[str] | None = None,
        mode: Mode = "hybrid",
    ) -> list[Passage]:
        return self.search_many([query], k, kinds, code_prefixes, mode)[0]

    def search_many(
        self,
        queries: Sequence[str],
        k: int = 10,
        kinds: Sequence[str] | None = None,
        code_prefixes: Sequence[str] | None = None,
        mode: Mode = "hybrid",
    ) -> list[list[Passage]]:
        """Top ``k`` passages for each query; all queries are embedded in one call."""
        if mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if k < 1:
            raise InputError(f"k must be at least 1, not {k}")
        if not queries:
            return []
        lexical = self.lexical
        flt = self._filter(kinds, code_prefixes)
        live = [i for i, q in enumerate(queries) if q.strip()]
        out: list[list[Passage]] = [[] for _ in queries]
        if flt.empty or not live:
            return out
        n = max(50, 5 * k)  # candidate codes from each retriever
        deep = DEPTH * n  # chunks fetched to find them
        forms = [query_forms(queries[i]) for i in live]
        dense: list[list[tuple[str, float]]] = [[] for _ in live]
        sparse: list[list[tuple[str, float]]] = [[] for _ in live]
        if mode != "lexical":  # one model call; a text repeated across queries is embedded once
            unique = list(dict.fromkeys(d for d, _ in forms))
            vectors = self.embedder.embed(unique, batch_size=self.batch_size)
            hits = dict(zip(unique, self.store.query(vectors, deep, flt.where), strict=True))
            dense = [self._codes_deep(hits[d], n) for d, _ in forms]
        if mode != "dense":
            sparse = [
                self._codes_deep(
                    [
                        (lexical.records[pos].id, s)
                        for pos, s in lexical.search(text, deep, flt.mask)
                    ],
                    n,
                )
                for _, text in forms
            ]
        for slot, d, s in zip(live, dense, sparse, strict=True):
            out[slot] = self._rank(d, s, k, mode, flt)
        return out

    def _rank(
        self,
        dense: list[tuple[str, float]],
        sparse: list[tuple[str, float]],
        k: int,
        mode: Mode,
        flt: _Filter,
    ) -> list[Passage]:
        """Fuse by code, then lay out passages: each code's best chunk (and, for a card chunk,
        the code's tabular entry) in fused order; further chunks of a code only if room is left.
        """
        lexical = self.lexical
        lists: list[tuple[list[tuple[int, float]], float]] = []
        if mode != "lexical":
            lists.append((self._positions(dense), self.dense_weight))
        if mode != "dense":
            lists.append((self._positions(sparse), self.lexical_weight))

        # hybrid: RRF over chunk ranks (order within a code) and over code ranks, where a
        # code's rank in a list is that of its best chunk; one mode: the raw scores
        single = mode != "hybrid"
        cols = self._columns
        code_score: dict[str, float] = {}
        chunk_score: dict[int, float] = {}
        for i, (hits, weight) in enumerate(lists):
            # in hybrid search an index entry's dense rank does not rank its code (module doc)
            voters = cols.votes if not single and i == 0 and cols is not None else None
            code_rank: dict[str, int] = {}
            for rank, (pos, raw) in enumerate(hits, 1):
                code = lexical.code_of(pos)
                fused = chunk_score.get(pos, 0.0) + weight / (self.rrf_k + rank)
                chunk_score[pos] = raw if single else fused
                if voters is not None and not voters[pos]:
                    continue
                if code not in code_rank:
                    code_rank[code] = len(code_rank) + 1
                    fused = code_score.get(code, 0.0) + weight / (self.rrf_k + code_rank[code])
                    code_score[code] = raw if single else fused

        chunks_of: dict[str, list[int]] = {}
        for pos in sorted(chunk_score, key=lambda p: (-chunk_score[p], lexical.records[p].id)):
            chunks_of.setdefault(lexical.code_of(pos), []).append(pos)
        # ties (a code first in one list and second in the other, and the reverse) go to the
        # code whose best chunk scores higher on its own
        best = {code: chunk_score[chunks[0]] for code, chunks in chunks_of.items()}
        codes = sorted(code_score, key=lambda c: (-code_score[c], -best[c], c))

        rank_maps = [{self._id(p): r for r, (p, _) in enumerate(h, 1)} for h, _ in lists]
        dense_rank = rank_maps[0] if mode != "lexical" else {}
        sparse_rank = rank_maps[-1] if mode != "dense" else {}

        passages: list[Passage] = []
        taken: set[int] = set()

        def take(pos: int, score: float) -> None:
            cid = lexical.records[pos].id
            taken.add(pos)
            passages.append(self._passage(pos, score, dense_rank.get(cid), sparse_rank.get(cid)))

        deferred: list[tuple[int, float]] = []
        for code in codes:
            shown = 0
            for pos in chunks_of[code]:
                if pos in taken:
                    continue
                if shown >= self.per_code or len(passages) >= k:
                    deferred.append((pos, code_score[code]))
                    continue
                take(pos, code_score[code])
                shown += 1
                entry = self._tabular_of(lexical.records[pos].metadata, flt)
                if entry is not None and entry not in taken and len(passages) < k:
                    take(entry, code_score[code])
            if len(passages) >= k:
                break
        for pos, score in deferred:
            if len(passages) >= k:
                break
            if pos not in taken:
                take(pos, score)
        return passages

    def _codes_deep(self, hits: list[tuple[str, float]], n: int) -> list[tuple[str, float]]:
        """The best chunks of a candidate list until it names ``n`` codes: the list is as deep in
        codes whatever the number of chunks each code has (card items, index entries)."""
        lexical = self.lexical
        codes: set[str] = set()
        for i, (cid, _) in enumerate(hits):
            pos = lexical.position.get(cid)
            if pos is None:
                continue
            code = lexical.code_of(pos)
            if code not in codes:
                if len(codes) == n:
                    return hits[:i]
                codes.add(code)
        return hits

    def _positions(self, hits: list[tuple[str, float]]) -> list[tuple[int, float]]:
        """Chunk ids -> record positions (an id the lexical index lacks is skipped, loudly)."""
        lexical = self.lexical
        out: list[tuple[int, float]] = []
        for cid, score in hits:
            pos = lexical.position.get(cid)
            if pos is None:
                log.warning("chunk %s is in the vector store but not in the lexical index", cid)
                continue
            out.append((pos, score))
        return out

    def _id(self, pos: int) -> str:
        return self.lexical.records[pos].id

    def _tabular_of(self, meta: dict[str, Any], flt: _Filter) -> int | None:
        if meta.get("source") == "tabular":
            return None
        cols = self._columns
        pos = cols.tabular.get(str(meta.get("code", ""))) if cols else None
        if pos is None or (flt.mask is not None and not flt.mask[pos]):
            return None
        return pos

    # -- filters --------------------------------------------------------------------------------

    def _filter(self, kinds: Sequence[str] | None, prefixes: Sequence[str] | None) -> _Filter:
        kinds_key = tuple(sorted(set(kinds or ())))
        unknown = [kd for kd in kinds_key if kd not in CHUNK_KINDS]
        if unknown:
            raise InputError(f"unknown chunk kind(s) {unknown}; use {', '.join(CHUNK_KINDS)}")
        prefix_key = tuple(sorted({normalize_prefix(p) for p in prefixes or ()}))
        key = (kinds_key, prefix_key)
        cached = self._filters.get(key)
        if cached is None:
            cached = self._compile(kinds_key, prefix_key)
            if len(self._filters) < _FILTER_CACHE_SIZE:
                self._filters[key] = cached
        return cached

    def _compile(self, kinds: tuple[str, ...], prefixes: tuple[str, ...]) -> _Filter:
        """One filter, two forms: a Chroma ``where`` and a mask over the BM25 records."""
        self.lexical  # noqa: B018 - loads the records the columns come from
        cols = self._columns
        assert cols is not None
        return compile_filter(cols, kinds, prefixes)
