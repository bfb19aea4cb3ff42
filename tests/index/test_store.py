"""The Chroma store, local files and a real ``chroma run`` server, with a hash embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribeplugin.config import Scope, Settings
from scribeplugin.errors import ConfigError, IndexNotReadyError
from scribeplugin.index.chunk import Chunk
from scribeplugin.index.store import SEARCH_EF, VectorStore, collection_name, make_client
from tests.index.hash_embedder import HashEmbedder

TEXTS = {
    "M54.17": "Radiculopathy, lumbosacral region",
    "M54.16": "Radiculopathy, lumbar region",
    "M53.87": "Other specified dorsopathies, lumbosacral region",
    "M48.062": "Spinal stenosis, lumbar region with neurogenic claudication",
    "S33.5XXA": "Sprain of ligaments of lumbar spine, initial encounter",
}


def _chunks() -> list[Chunk]:
    out = []
    for code, text in TEXTS.items():
        meta = {
            "code": code,
            "kind": "tabular",
            "item_id": "",
            "source": "tabular",
            "code_set": "test",
            "block": "",
            "category": code[:3],
            "billable": True,
        }
        out.append(Chunk.make(f"{code} {text}", text, meta))
    return out


def test_collection_name() -> None:
    assert (
        collection_name(Scope.musculoskeletal, "minilm-l6-v2", 2026, "1")
        == "scribe-musculoskeletal-minilm-l6-v2-fy2026-c1"
    )
    assert collection_name("spine", "minilm-l6-v2", 2027, "2 beta/x") == (
        "scribe-spine-minilm-l6-v2-fy2027-c2-beta-x"
    )
    with pytest.raises(ConfigError):
        collection_name("spine", "m" * 600, 2026, "1")


def test_bad_chroma_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SCRIBE_CHROMA_URL"):
        make_client(Settings(data_dir=tmp_path, chroma_url="localhost:8000"))


def _exercise(store: VectorStore) -> None:
    embedder = HashEmbedder()
    chunks = _chunks()
    assert not store.exists()
    with pytest.raises(IndexNotReadyError, match="index build"):
        store.count()
    store.create(metadata={"model": embedder.name})
    assert store.collection.configuration_json["hnsw"]["ef_search"] == SEARCH_EF
    store.add(chunks, embedder.embed([c.embed_text for c in chunks]))
    assert store.exists() and store.count() == 5
    assert store.ids() == {c.id for c in chunks}
    assert store.metadatas([chunks[2].id])[chunks[2].id]["code"] == "M53.87"

    query = embedder.embed(["lumbosacral radiculopathy", "ligament sprain"])
    first, second = store.query(query, n=3)
    assert first[0][0] == chunks[0].id and second[0][0] == chunks[4].id
    assert first[0][1] > first[1][1] > first[2][1]  # cosine similarity, best first
    only = store.query(query[:1], n=5, where={"category": {"$in": ["M53"]}})[0]
    assert [cid for cid, _ in only] == [chunks[2].id]

    store.delete([chunks[0].id])
    assert store.count() == 4 and chunks[0].id not in store.ids()
    store.drop()
    assert not store.exists()


def test_local_store(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    _exercise(VectorStore.from_settings(settings, "scribe-test-local"))
    assert (tmp_path / "index" / "chroma").is_dir()


@pytest.mark.slow
def test_server_store(chroma_server: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chroma_url=chroma_server)
    _exercise(VectorStore.from_settings(settings, "scribe-test-http"))
    assert not (tmp_path / "index" / "chroma").exists()  # nothing written locally


def test_an_older_collection_gets_the_search_ef_when_the_index_is_built(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    older = VectorStore.from_settings(settings, "scribe-test-older")
    older.client.create_collection(  # as collections were made before SEARCH_EF
        name=older.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    assert older.collection.configuration_json["hnsw"]["ef_search"] == 100  # Chroma's default
    store = VectorStore.from_settings(settings, "scribe-test-older")
    store.create()  # what `scribeplugin index build` does first
    reopened = VectorStore.from_settings(settings, "scribe-test-older").collection
    assert reopened.configuration_json["hnsw"]["ef_search"] == SEARCH_EF == 200
    assert reopened.configuration_json["hnsw"]["space"] == "cosine"


def test_unreachable_server_says_how_to_start_one(tmp_path: Path) -> None:
    from tests.conftest import free_port

    settings = Settings(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(IndexNotReadyError, match="chroma run"):
        make_client(settings)
