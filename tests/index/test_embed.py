"""The MiniLM embedder: integrity check, lazy loading, normalised float32 output, threads."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from scribeplugin.errors import ModelError
from scribeplugin.index.embed import MINILM_SHA256, Embedder, MiniLMEmbedder
from tests.conftest import MemoEmbedder


def test_importing_the_package_does_not_import_torch() -> None:
    code = (
        "import sys, scribeplugin, scribeplugin.retrieval, scribeplugin.index.build, "
        "scribeplugin.api.app\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_weights_with_another_sha256_are_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model"
    fake.mkdir()
    (fake / "model.safetensors").write_bytes(b"not the MiniLM weights")
    with pytest.raises(ModelError, match="sha256"):
        MiniLMEmbedder(fake).embed(["text"])


def test_missing_weights_say_how_to_reinstall(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="pip install"):
        MiniLMEmbedder(tmp_path).embed(["text"])


def test_nothing_is_loaded_before_the_first_text() -> None:
    embedder = MiniLMEmbedder()
    assert embedder.embed([]).shape == (0, 384)
    assert not embedder.loaded
    assert embedder.fingerprint == MINILM_SHA256 and embedder.name == "minilm-l6-v2"


@pytest.mark.slow
def test_minilm_vectors(embedder: MemoEmbedder) -> None:
    model = embedder.model
    assert isinstance(model, Embedder)
    vectors = model.embed(["low back pain", "lumbago", "fracture of the hip socket"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]  # meaning, not spelling


@pytest.mark.slow
def test_minilm_is_thread_safe(embedder: MemoEmbedder) -> None:
    model = embedder.model
    texts = [f"pain at level L{i % 5 + 1}" for i in range(16)]
    expected = model.embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: model.embed(texts), range(8)))
    for got in results:
        assert np.allclose(got, expected, atol=1e-5)
