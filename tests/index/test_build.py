"""Building the index with the real model and Chroma: idempotent, incremental, status, server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribeplugin.config import Scope
from scribeplugin.corpus.cards import parse_card
from scribeplugin.errors import IndexNotReadyError
from scribeplugin.index.build import (
    BuildReport,
    IndexLayout,
    Manifest,
    build_command,
    build_index,
    index_status,
    index_status_cli,
)
from scribeplugin.index.embed import MINILM_SHA256
from scribeplugin.retrieval import Retriever
from tests.conftest import MemoEmbedder, SpineIndex, spine_settings

pytestmark = pytest.mark.slow


def test_first_build_embedded_every_chunk(spine_index: SpineIndex) -> None:
    assert spine_index.first_build_embedded == spine_index.first_build_total > 1000


def test_rebuild_without_changes_embeds_nothing(
    spine_index: SpineIndex, embedder: MemoEmbedder
) -> None:
    calls = embedder.calls
    report = build_index(spine_index.settings, Scope.spine, progress=False, embedder=embedder)
    assert (report.embedded, report.deleted, report.changed) == (0, 0, 0)
    assert report.unchanged == report.total == spine_index.first_build_total
    assert embedder.calls == calls
    assert "embedded 0 of" in report.summary()


def test_manifest(spine_index: SpineIndex) -> None:
    status = index_status(spine_index.settings, Scope.spine)
    assert status.state == "current" and status.fix is None
    manifest = status.manifest
    assert manifest is not None
    assert manifest.collection == "scribe-spine-minilm-l6-v2-fy2026-c1"
    assert manifest.model_sha256 == MINILM_SHA256 and manifest.dimension == 384
    assert manifest.code_set == "ICD-10-CM FY2026 (April 1, 2026 update)"
    assert manifest.counts["tabular"] == 792  # the spine scope, no code with its 7th character
    assert manifest.counts["total"] == sum(v for k, v in manifest.counts.items() if k != "total")
    layout = IndexLayout.of(spine_index.settings, manifest.collection)
    data = json.loads(layout.manifest.read_text())
    assert len(data["corpus_fingerprint"]) == 64 and data["built_at"]


def test_editing_one_card_re_embeds_only_its_changed_chunks(
    spine_index: SpineIndex, embedder: MemoEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = spine_index.settings
    card = spine_index.corpus / "cards" / "M53.87.md"
    original = card.read_text(encoding="utf-8")
    parsed = parse_card(card)
    # edit two items: the first line of the first tip and the question of the first FAQ
    lines = original.splitlines(keepends=True)
    for item in (parsed.items_of("tip")[0], parsed.items_of("faq")[0]):
        lines[item.line - 1] = lines[item.line - 1].rstrip("\n") + " (edited)\n"
    edited = "".join(lines)
    try:
        card.write_text(edited, encoding="utf-8")
        stale = index_status(settings, Scope.spine)
        assert stale.state == "stale"
        assert "2 chunks to embed, 2 to delete" in stale.reason
        assert stale.fix == build_command(settings, Scope.spine)
        assert index_status_cli(settings, Scope.spine) == 1
        assert "Fix: scribeplugin --data-dir" in capsys.readouterr().out

        before = embedder.texts_embedded
        report = build_index(settings, Scope.spine, progress=False, embedder=embedder)
        assert (report.embedded, report.changed, report.deleted) == (2, 2, 2)
        assert report.unchanged == report.total - 2
        assert embedder.texts_embedded - before == 2  # only the two edited items
        assert "embedded 2 of" in report.summary() and "(2 changed)" in report.summary()
        assert index_status(settings, Scope.spine).state == "current"
    finally:
        card.write_text(original, encoding="utf-8")
        back = build_index(settings, Scope.spine, progress=False, embedder=embedder)
    assert (back.embedded, back.deleted) == (2, 2)
    assert index_status(settings, Scope.spine).state == "current"


def test_status_of_a_missing_index_names_the_command(tmp_path: Path) -> None:
    settings = spine_settings(tmp_path / "var", Path(__file__).parents[2] / "corpus")
    status = index_status(settings, Scope.spine)
    assert status.state == "missing"
    assert status.fix == (
        f"scribeplugin --data-dir {tmp_path / 'var'} index build --scope spine --embedder torch"
    )  # the session's settings choose torch, so the command does too
    with pytest.raises(IndexNotReadyError, match="index build --scope spine"):
        Retriever.from_settings(settings, Scope.spine)


def test_interrupted_build_is_reported_stale(tmp_path: Path, spine_index: SpineIndex) -> None:
    """A manifest that promises more chunks than the store holds (a crash mid-build)."""
    settings = spine_index.settings
    layout = IndexLayout.of(settings, "scribe-spine-minilm-l6-v2-fy2026-c1")
    manifest = Manifest.read(layout.manifest)
    assert manifest is not None
    saved = layout.manifest.read_text()
    try:
        manifest.counts = {**manifest.counts, "total": manifest.total + 1}
        manifest.write(layout.manifest)
        assert index_status(settings, Scope.spine).state == "stale"
        with pytest.raises(IndexNotReadyError, match="interrupted build"):
            Retriever.from_settings(settings, Scope.spine)
    finally:
        layout.manifest.write_text(saved)


def test_build_and_search_through_a_chroma_server(
    chroma_server: str, spine_index: SpineIndex, embedder: MemoEmbedder, tmp_path: Path
) -> None:
    settings = spine_settings(tmp_path / "var", spine_index.corpus, chroma_url=chroma_server)
    report: BuildReport = build_index(settings, Scope.spine, progress=False, embedder=embedder)
    assert report.embedded == report.total == spine_index.first_build_total
    assert not (tmp_path / "var" / "index" / "chroma").exists()
    assert index_status(settings, Scope.spine).state == "current"
    again = build_index(settings, Scope.spine, progress=False, embedder=embedder)
    assert again.embedded == 0

    remote = Retriever.from_settings(settings, embedder=embedder)
    local = Retriever.from_settings(spine_index.settings, embedder=embedder)
    for query in ["lumbar spinal stenosis with neurogenic claudication", "whiplash neck sprain"]:
        assert [p.chunk_id for p in remote.search(query)] == [
            p.chunk_id for p in local.search(query)
        ]
