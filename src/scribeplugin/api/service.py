"""What one app instance holds: settings, keys, metrics, the store, the code set, the cards and
the pipeline. Built at start-up (``start``, in a worker thread: loading the model takes
seconds) and injected into routes through ``deps``.

A missing index does not stop the server: ``/healthz`` answers, ``/v1/codes`` works (it needs
only the code set and the cards), and the routes that need the index answer 503 with the command
that builds it. ``/readyz`` re-checks the index now and then, and loads the pipeline once the
index has been built, so no restart is needed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from scribeplugin.api.cds_auth import CdsAuth
from scribeplugin.api.lane import Lane
from scribeplugin.api.metrics import Metrics
from scribeplugin.api.security import ApiKeys
from scribeplugin.config import Settings
from scribeplugin.errors import ScribeError
from scribeplugin.store import Store

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.corpus.cards import Card
    from scribeplugin.index.build import IndexStatus
    from scribeplugin.pipeline import Pipeline
    from scribeplugin.retrieval import Retriever

log = logging.getLogger(__name__)

INDEX_RECHECK_S = 15.0


class Service:
    def __init__(
        self,
        settings: Settings,
        keys: ApiKeys,
        store: Store,
        *,
        pipeline: Pipeline | None = None,
        retriever: Retriever | None = None,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.store = store
        self.cds_auth = CdsAuth(settings, store)
        self.metrics = Metrics()
        self.pipeline = pipeline
        self.retriever = retriever or (pipeline.retriever if pipeline is not None else None)
        self.codeset: CodeSet | None = pipeline.codeset if pipeline is not None else None
        self.cards: dict[str, Card] = {}
        self.index: IndexStatus | None = None
        self.index_error: str | None = None
        self._index_checked = 0.0
        self._lock = threading.Lock()
        self.lane = Lane(settings.max_concurrent_suggest)

    # -- start-up -------------------------------------------------------------------------------

    def start(self) -> None:
        """Schema, code set, cards, index status and pipeline (blocking: run in a thread)."""
        from scribeplugin.codeset import get_codeset
        from scribeplugin.corpus.cards import load_cards

        self.store.create_schema()
        if self.codeset is None:
            self.codeset = get_codeset(self.settings.code_list_path, self.settings.tabular_xml_path)
        self.cards = {c.code: c for c in load_cards(self.settings.corpus_dir)}
        self.refresh_index_status(force=True)
        self.ensure_pipeline()
        log.info(
            "service ready=%s index=%s store=%s keys=%d tenants, CDS Hooks JWTs of %d EHRs",
            self.pipeline is not None,
            self.index.state if self.index else "unknown",
            self.store.describe(),
            len(self.keys.tenants),
            len(self.cds_auth.sources),
        )

    def stop(self) -> None:
        self.store.close()

    def ensure_pipeline(self) -> bool:
        """Load the pipeline if it is not loaded; False (and ``index_error``) if it cannot be."""
        if self.pipeline is not None:
            return True
        with self._lock:
            if self.pipeline is not None:
                return True
            from scribeplugin.pipeline import Pipeline, freeze_heap

            try:
                embedder = self.retriever.embedder if self.retriever is not None else None
                pipeline = Pipeline.from_settings(self.settings, embedder=embedder)
                pipeline.warm_up()
            except ScribeError as exc:
                self.index_error = str(exc)
                log.warning("serving without the pipeline: %s", exc)
                return False
            self.pipeline = pipeline
            if self.retriever is None:
                self.retriever = pipeline.retriever
            self.index_error = None
            freeze_heap()
            log.info("pipeline loaded, index %s", pipeline.index_id)
            return True

    def refresh_index_status(self, *, force: bool = False) -> IndexStatus | None:
        """``index_status`` (a few hundred ms), at most every INDEX_RECHECK_S unless forced
        or known current."""
        from scribeplugin.index.build import index_status

        now = time.monotonic()
        if not force and (
            (self.index is not None and self.index.ready)
            or now - self._index_checked < INDEX_RECHECK_S
        ):
            return self.index
        self._index_checked = now
        try:
            self.index = index_status(self.settings)
        except ScribeError as exc:
            self.index = None
            self.index_error = str(exc)
        return self.index
