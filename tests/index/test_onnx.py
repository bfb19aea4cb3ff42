"""The int8 ONNX embedder: chosen by the CPU's features, built here from the packaged MiniLM
weights (nothing downloaded), cached, close to fp32 on real texts, and never mixed with an index
that another embedder built."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from onnx import load as load_onnx

from scribeplugin.api.app import create_app
from scribeplugin.config import Scope, Settings
from scribeplugin.errors import ConfigError, IndexNotReadyError
from scribeplugin.extract.transcript import parse_transcript
from scribeplugin.index import onnx
from scribeplugin.index.build import (
    IndexLayout,
    Manifest,
    build_command,
    build_index,
    index_status,
    index_status_cli,
)
from scribeplugin.index.embed import MINILM_SHA256, TORCH_BACKEND, embedder_backend
from scribeplugin.index.onnx import OnnxInt8Embedder, best_kernel, int8_pays
from scribeplugin.pipeline import Pipeline, build_queries
from scribeplugin.retrieval import Retriever
from scribeplugin.store import Store
from tests.conftest import PROJECT_ROOT, MemoEmbedder, SpineIndex, spine_settings

VNNI = frozenset({"sse4_2", "avx2", "avx512f", "avx512bw", "avx512_vnni"})
AVX512 = frozenset({"sse4_2", "avx2", "avx512f", "avx512bw"})
AVX2 = frozenset({"sse4_2", "avx2", "fma"})
OLD = frozenset({"sse4_2"})


def test_the_kernel_follows_the_cpu_flags() -> None:
    assert best_kernel(VNNI, "x86_64") == "avx512_vnni"
    assert best_kernel(AVX512, "x86_64") == "avx512"
    assert best_kernel(AVX2, "x86_64") == "avx2"
    assert best_kernel(OLD, "x86_64") is None
    assert best_kernel(frozenset(), "aarch64") == "arm64"
    assert [int8_pays(k) for k in ("avx512_vnni", "avx512", "avx2", "arm64", None)] == [
        True,
        False,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("flags", "setting", "backend"),
    [
        (VNNI, "auto", "onnx-int8-avx512_vnni"),
        (AVX2, "auto", TORCH_BACKEND),  # the AVX2 kernels are no faster than fp32 torch
        (OLD, "auto", TORCH_BACKEND),
        (VNNI, "torch", TORCH_BACKEND),  # fp32 stays selectable
        (AVX2, "onnx-int8", "onnx-int8-avx2"),
    ],
)
def test_scribe_embedder_setting(
    monkeypatch: pytest.MonkeyPatch, flags: frozenset[str], setting: str, backend: str
) -> None:
    monkeypatch.setattr(onnx, "cpu_flags", lambda: flags)
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    assert embedder_backend(Settings(embedder=setting)) == backend  # type: ignore[arg-type]


def test_int8_on_a_cpu_without_int8_kernels_says_to_use_torch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(onnx, "cpu_flags", lambda: OLD)
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    with pytest.raises(ConfigError, match="SCRIBE_EMBEDDER=torch"):
        embedder_backend(Settings(embedder="onnx-int8"))
    with pytest.raises(ConfigError, match="SCRIBE_EMBEDDER=torch"):
        OnnxInt8Embedder(tmp_path)


def test_nothing_is_built_or_loaded_before_it_is_needed(tmp_path: Path) -> None:
    embedder = OnnxInt8Embedder(tmp_path, kernel="avx2")
    assert embedder.embed([]).shape == (0, 384)
    assert not embedder.loaded and embedder.built is None and not any(tmp_path.iterdir())
    assert embedder.backend == "onnx-int8-avx2" and embedder.fingerprint == MINILM_SHA256


@pytest.mark.slow
def test_the_int8_model_is_built_from_the_packaged_weights(
    int8_embedder: OnnxInt8Embedder,
) -> None:
    built = int8_embedder.build()
    assert not built.reused  # the session fixture built it, in its own temporary folder
    assert built.root.is_relative_to(int8_embedder.cache_dir)
    assert built.root.name == f"onnx-int8-{best_kernel()}"
    info = json.loads((built.root / "build.json").read_text())
    assert info["source_sha256"] == MINILM_SHA256  # from the packaged, verified weights
    assert info["kernel"] == best_kernel() and info["quantized_operators"] == ["MatMul"]
    assert built.path.stat().st_size == info["size"]
    ops = Counter(node.op_type for node in load_onnx(str(built.path)).graph.node)
    assert ops["MatMulInteger"] == 48 and ops["MatMul"] == 0  # 6 layers x 8 products, all int8
    assert not list(built.root.rglob("*.safetensors"))
    leftovers = [p for p in built.root.parent.iterdir() if p.is_dir() and p != built.root]
    assert leftovers == []  # the build folder was renamed into place, nothing half-built left


@pytest.mark.slow
def test_int8_vectors_are_close_to_fp32_on_real_texts(
    int8_embedder: OnnxInt8Embedder,
    embedder: MemoEmbedder,
    spine_index: SpineIndex,
    spine_pipeline: Pipeline,
) -> None:
    """What the index embeds (chunks) and what a request embeds (windows of real transcripts)."""
    records = IndexLayout.of(spine_index.settings, "scribe-spine-minilm-l6-v2-fy2026-c1")
    lines = (records.lexical / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    chunks = [json.loads(line)["text"] for line in random.Random(14).sample(lines, 300)]
    windows: list[str] = []
    for path in sorted((PROJECT_ROOT / "examples" / "transcripts").glob("*.txt")):
        transcript = parse_transcript(path.read_text(encoding="utf-8"))
        windows += build_queries(transcript, spine_pipeline.extractor.run(transcript))
    assert len(windows) > 40
    for texts in (chunks, windows):
        int8 = int8_embedder.embed(texts)
        assert int8.dtype == np.float32 and int8.shape == (len(texts), 384)
        assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
        cosine = (int8 * embedder.embed(texts)).sum(axis=1)
        assert cosine.mean() >= 0.99, cosine.mean()
        assert cosine.min() >= 0.98, (cosine.min(), texts[int(cosine.argmin())])
    sims = int8_embedder.embed(["low back pain", "lumbago", "fracture of the hip socket"])
    assert sims[0] @ sims[1] > sims[0] @ sims[2]  # meaning, not spelling


@pytest.mark.slow
def test_torch_pools_on_one_thread_and_gets_its_thread_count_back(
    int8_embedder: OnnxInt8Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pooling after the ONNX run uses one torch thread (ORT's pool holds the cores); the
    process's own count is back afterwards, and the vectors are those of the default count."""
    import torch

    texts = ["radiating pain down the left leg", "ganglion cyst of the right wrist"]
    int8_embedder.embed(texts)  # loaded
    seen: list[int] = []
    encode = int8_embedder._model.encode

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(torch.get_num_threads())
        return encode(*args, **kwargs)

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with monkeypatch.context() as m:
            m.setattr(int8_embedder._model, "encode", watched)
            vectors = int8_embedder.embed(texts)
        assert seen == [1] and torch.get_num_threads() == 2
        pooled_on_two = encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    finally:
        torch.set_num_threads(before)
    assert np.allclose(vectors, pooled_on_two, atol=1e-6)


@pytest.mark.slow
def test_the_cached_model_is_reused(int8_embedder: OnnxInt8Embedder) -> None:
    first = int8_embedder.build()
    other = OnnxInt8Embedder(int8_embedder.cache_dir)  # another process, the same cache
    again = other.build()
    assert again.reused and again.path == first.path and again.sha256 == first.sha256
    texts = ["radiating pain down the left leg", "L5-S1 disc herniation"]
    assert np.allclose(other.embed(texts), int8_embedder.embed(texts), atol=1e-6)


@pytest.mark.slow
def test_an_index_built_by_torch_is_refused_to_int8_queries(
    spine_index: SpineIndex,
    int8_embedder: OnnxInt8Embedder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = spine_index.settings.model_copy(
        update={"embedder": "onnx-int8", "model_cache_dir": int8_embedder.cache_dir}
    )
    status = index_status(settings, Scope.spine)
    assert status.state == "stale"
    assert (
        f"built with the torch-fp32 embedder and this process embeds with {int8_embedder.backend}"
    )
    assert "SCRIBE_EMBEDDER=torch" in status.reason
    assert status.fix == build_command(settings, Scope.spine)
    assert status.fix is not None and status.fix.endswith("--embedder onnx-int8")
    assert index_status_cli(settings, Scope.spine) == 1
    assert "torch-fp32 embedder" in capsys.readouterr().out
    with pytest.raises(IndexNotReadyError, match=r"torch-fp32 embedder.*Run: scribeplugin"):
        Retriever.from_settings(settings, Scope.spine, embedder=int8_embedder)

    store = Store(f"sqlite:///{tmp_path / 'scribe.db'}")
    with TestClient(create_app(settings, store=store)) as client:
        ready = client.get("/readyz")
    store.close()
    assert ready.status_code == 503
    body = ready.json()
    assert body["index"]["state"] == "stale" and "torch-fp32" in body["index"]["reason"]
    assert body["fix"] == status.fix


@pytest.mark.slow
def test_an_int8_index_serves_int8_queries_and_a_torch_build_replaces_it(
    spine_index: SpineIndex,
    int8_embedder: OnnxInt8Embedder,
    embedder: MemoEmbedder,
    tmp_path: Path,
) -> None:
    base = spine_settings(tmp_path / "var", spine_index.corpus)
    int8 = base.model_copy(
        update={"embedder": "onnx-int8", "model_cache_dir": int8_embedder.cache_dir}
    )
    report = build_index(int8, Scope.spine, progress=False)  # the embedder the settings give
    assert report.embedded == report.total == spine_index.first_build_total
    assert report.embedder == int8_embedder.backend
    manifest = Manifest.read(IndexLayout.of(int8, report.collection).manifest)
    assert manifest is not None and manifest.embedder == int8_embedder.backend
    assert index_status(int8, Scope.spine).state == "current"
    assert index_status(base, Scope.spine).state == "stale"  # base is torch

    retriever = Retriever.from_settings(int8, Scope.spine, embedder=int8_embedder)
    top = retriever.search("chronic pain at the lumbosacral junction without radiculopathy", k=10)
    assert "M53.87" in {p.code for p in top}

    again = build_index(base, Scope.spine, progress=False, embedder=embedder)
    assert again.embedded == again.total  # every vector replaced, none mixed
    assert again.embedder == TORCH_BACKEND
    assert index_status(base, Scope.spine).state == "current"
    assert index_status(int8, Scope.spine).state == "stale"
