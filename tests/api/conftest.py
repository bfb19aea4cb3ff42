"""API fixtures: apps over the session's spine index and its one real pipeline.

Building an app is cheap when it is handed the pipeline (a fraction of a second: schema, cards,
index status), so each module builds the apps it needs with its own settings and store, and the
model, medspaCy and the index load once per test session.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scribeplugin.api.app import create_app
from scribeplugin.api.security import hash_key
from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.conftest import SpineIndex, free_port

EXAMPLES = PROJECT_ROOT / "examples"
KEY_A = "sk_scribe_test-key-of-clinic-a"
KEY_B = "sk_scribe_test-key-of-clinic-b"
KEYS = f"clinic-a:{hash_key(KEY_A)},clinic-b:{hash_key(KEY_B)}"


def read_example(name: str) -> str:
    return (EXAMPLES / "transcripts" / name).read_text(encoding="utf-8")


def settings_for(spine_index: SpineIndex, **overrides: Any) -> Settings:
    """The session index's settings with service overrides (validated like the environment)."""
    base = spine_index.settings.model_dump(exclude={"api_keys", "database_url", "llm_api_key"})
    service = {
        "api_keys": None,
        "api_keys_file": None,
        "environment": "development",
        "host": "127.0.0.1",
    }  # whatever the shell running the tests exports
    return Settings(**{**base, **service, **overrides})


def make_app(
    spine_index: SpineIndex, pipeline: Pipeline, store: Store, **overrides: Any
) -> FastAPI:
    return create_app(settings_for(spine_index, **overrides), pipeline=pipeline, store=store)


def new_store(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    store.create_schema()
    return store


@pytest.fixture(autouse=True)
def _no_service_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SCRIBE_API_KEYS",
        "SCRIBE_API_KEYS_FILE",
        "SCRIBE_ENVIRONMENT",
        "SCRIBE_HOST",
        "SCRIBE_DATABASE_URL",
        "SCRIBE_CORS_ORIGINS",
        "SCRIBE_LOG_TRANSCRIPT_TEXT",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = new_store(tmp_path_factory.mktemp("store") / "scribe.db")
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store) -> Iterator[TestClient]:
    """Development mode on loopback, no keys: the open app."""
    with TestClient(make_app(spine_index, spine_pipeline, store)) as c:
        yield c


@pytest.fixture(scope="module")
def keyed(spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store) -> Iterator[TestClient]:
    """Two tenants, clinic-a and clinic-b, each with a key; bound to all interfaces."""
    app = make_app(spine_index, spine_pipeline, store, api_keys=KEYS, host="0.0.0.0")
    with TestClient(app) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


class LiveServer:
    """An app on a real uvicorn server in a background thread, on a free loopback port."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the live server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
