"""Session fixtures: one real spine-scope index (MiniLM + Chroma + BM25), built once per run.

The index is built from a copy of ``corpus/`` in a temporary folder, so a test may edit a card
(and must put it back). ``embedder`` is the real MiniLM model behind a memo: a text embedded
once is not embedded again, which lets the Chroma-server test rebuild the same index over HTTP
without paying for the model twice. Every vector it returns came from the model.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from numpy.typing import NDArray

from scribeplugin.config import PROJECT_ROOT, Scope, Settings
from scribeplugin.index.build import build_index
from scribeplugin.index.embed import MiniLMEmbedder
from scribeplugin.index.onnx import OnnxInt8Embedder
from scribeplugin.pipeline import Pipeline
from scribeplugin.retrieval import Retriever
from tests.support.postgres import INSTALL_HINT, PostgresServer, pg_bin_dir

CORPUS = PROJECT_ROOT / "corpus"


class MemoEmbedder:
    """The real MiniLM embedder with a memo of what it has embedded in this test session."""

    def __init__(self) -> None:
        self.model = MiniLMEmbedder()
        self.name = self.model.name
        self.fingerprint = self.model.fingerprint
        self.dimension = self.model.dimension
        self.backend = self.model.backend
        self.memo: dict[str, NDArray[np.float32]] = {}
        self.calls = 0  # calls that reached the model
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            self.calls += 1
            self.texts_embedded += len(missing)
            vectors = self.model.embed(missing, batch_size=batch_size)
            self.memo.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.memo[t] for t in texts])


@dataclass
class SpineIndex:
    settings: Settings
    corpus: Path
    first_build_embedded: int
    first_build_total: int


def spine_settings(data_dir: Path, corpus: Path, chroma_url: str | None = None) -> Settings:
    """The session index's settings: fp32 torch, as ``embedder`` embeds, whatever the CPU (so
    the suite's retrieval results are the same on every machine; tests/index/test_onnx.py
    covers the int8 embedder)."""
    return Settings(
        data_dir=data_dir,
        corpus_dir=corpus,
        index_scope=Scope.spine,
        chroma_url=chroma_url,
        embedder="torch",
    )


@pytest.fixture(scope="session", autouse=True)
def _fp32_from_the_environment() -> Iterator[None]:
    """Settings read from the environment (CLI calls and servers the tests start) embed with
    fp32 torch, as the session's index was built, on every CPU. A test of another embedder
    says so in its own settings or environment (tests/index/test_onnx.py, test_scale_out.py)."""
    saved = os.environ.get("SCRIBE_EMBEDDER")
    os.environ["SCRIBE_EMBEDDER"] = "torch"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SCRIBE_EMBEDDER", None)
        else:
            os.environ["SCRIBE_EMBEDDER"] = saved


@pytest.fixture(scope="session")
def embedder() -> MemoEmbedder:
    return MemoEmbedder()


@pytest.fixture(scope="session")
def int8_embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxInt8Embedder:
    """The int8 ONNX embedder for this CPU's kernels, built once per session (about 8 s) from
    the packaged weights into a temporary cache folder; tests that start servers point
    ``SCRIBE_MODEL_CACHE_DIR`` at ``int8_embedder.cache_dir`` to reuse it."""
    embedder = OnnxInt8Embedder(tmp_path_factory.mktemp("models"))
    embedder.build()
    return embedder


@pytest.fixture(scope="session")
def spine_index(tmp_path_factory: pytest.TempPathFactory, embedder: MemoEmbedder) -> SpineIndex:
    root = tmp_path_factory.mktemp("spine")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = spine_settings(root / "var", corpus)
    report = build_index(settings, Scope.spine, progress=False, embedder=embedder)
    return SpineIndex(settings, corpus, report.embedded, report.total)


@dataclass
class DefaultIndex:
    data_dir: Path
    settings: Settings


@pytest.fixture(scope="session")
def default_index(tmp_path_factory: pytest.TempPathFactory, embedder: MemoEmbedder) -> DefaultIndex:
    """The default-scope index of the repository's own corpus, as ``make serve`` builds it, in a
    temporary data folder: what the real-visit suite runs against."""
    data_dir = tmp_path_factory.mktemp("default") / "var"
    settings = Settings(data_dir=data_dir)
    build_index(settings, settings.index_scope, progress=False, embedder=embedder)
    return DefaultIndex(data_dir, settings)


@pytest.fixture(scope="session")
def spine_retriever(spine_index: SpineIndex, embedder: MemoEmbedder) -> Retriever:
    return Retriever.from_settings(spine_index.settings, embedder=embedder)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(
    url: str,
    timeout: float = 60.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll ``url`` until it answers 200, or fail (with the server's log if it died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            pytest.fail(f"server exited with {proc.returncode} before answering {url}:\n{out}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextlib.contextmanager
def chroma_run(root: Path) -> Iterator[str]:
    """A real ``chroma run`` on a free loopback port, its data under ``root``; its URL."""
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip("the chroma CLI (installed with chromadb) is not in the venv")
    port = free_port()
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(root / "data"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/api/v2/heartbeat", timeout=30, proc=proc, log=log)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``chroma run`` on a free loopback port; its URL."""
    with chroma_run(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (Debian's package) in a temporary folder, for the session."""
    if pg_bin_dir() is None:
        pytest.fail(f"PostgreSQL is not installed: {INSTALL_HINT}")
    server = PostgresServer(free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    return postgres.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty feedback store on each backend: a SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scribe.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(scope="session")
def spine_pipeline(spine_index: SpineIndex, embedder: MemoEmbedder) -> Pipeline:
    """The real suggestion pipeline (medspaCy, MiniLM, Chroma, BM25, rules, guard) over the
    session's spine index; built once, shared by the engine, API and eval tests."""
    pipeline = Pipeline.from_settings(spine_index.settings, embedder=embedder)  # type: ignore[arg-type]
    pipeline.warm_up()
    return pipeline
