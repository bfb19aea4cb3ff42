"""Is the index present and current? The manifest against what the corpus would produce now,
with the command that fixes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from scribeplugin.config import Scope, Settings
from scribeplugin.errors import IndexNotReadyError
from scribeplugin.index.embed import (
    MiniLMEmbedder,
    embedder_backend,
)
from scribeplugin.index.manifest import (
    STORE_SUBJECT,
    IndexLayout,
    IndexPlan,
    Manifest,
    build_command,
    embedder_mismatch,
    plan_index,
)
from scribeplugin.index.store import VectorStore

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
