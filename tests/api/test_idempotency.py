"""``Idempotency-Key`` on ``POST /v1/feedback`` and CDS Hooks feedback: a retry returns the first
answer and stores nothing more, also when the retries race each other on a real server."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.api.conftest import KEY_A, KEY_B, LiveServer, bearer, make_app, read_example
from tests.conftest import SpineIndex

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def answer(client: TestClient) -> dict[str, Any]:
    r = client.post("/v1/suggest", json={"transcript": read_example("injection.txt")})
    assert r.status_code == 200 and r.json()["codes"]
    body: dict[str, Any] = r.json()
    return body


def feedback(answer: dict[str, Any], reason: str) -> dict[str, Any]:
    code = answer["codes"][0]["code"]
    return {
        "request_id": answer["request_id"],
        "target": "code",
        "target_id": code,
        "outcome": "accepted",
        "reason": reason,
    }


def rows_with(store: Store, answer: dict[str, Any], reason: str) -> int:
    return sum(1 for r in store.feedback_rows(answer["request_id"]) if r["reason"] == reason)


def test_a_retry_returns_the_first_answer_and_stores_nothing(
    client: TestClient, store: Store, answer: dict[str, Any]
) -> None:
    key = {"idempotency-key": str(uuid.uuid4())}
    body = feedback(answer, "retried")
    first = client.post("/v1/feedback", json=body, headers=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = client.post("/v1/feedback", json=body, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()  # the same row id and time
    assert again.headers["idempotent-replayed"] == "true"
    assert rows_with(store, answer, "retried") == 1

    # without a key, each call is a new row (the key is what makes a retry safe)
    for _ in range(2):
        assert client.post("/v1/feedback", json=feedback(answer, "twice")).status_code == 201
    assert rows_with(store, answer, "twice") == 2


def test_a_key_reused_for_another_request_is_a_422(
    client: TestClient, store: Store, answer: dict[str, Any]
) -> None:
    key = {"idempotency-key": "reused-" + uuid.uuid4().hex}
    assert client.post("/v1/feedback", json=feedback(answer, "one"), headers=key).status_code == 201
    r = client.post("/v1/feedback", json=feedback(answer, "another"), headers=key)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["type"] == "idempotency_key_reused" and "new key" in error["message"]
    assert key["idempotency-key"] not in r.text  # the key is not echoed
    assert rows_with(store, answer, "another") == 0


@pytest.mark.parametrize("bad", [b"", b"has space", b"x" * 201, "caf\u00e9".encode()])
def test_a_malformed_key_is_a_422(client: TestClient, answer: dict[str, Any], bad: bytes) -> None:
    headers = {"idempotency-key": bad}
    r = client.post("/v1/feedback", json=feedback(answer, "bad key"), headers=headers)
    assert r.status_code == 422, r.text


def test_keys_belong_to_their_tenant(keyed: TestClient, store: Store) -> None:
    key = {"idempotency-key": "shared-name"}
    transcript = {"transcript": read_example("injection.txt")}
    for api_key in (KEY_A, KEY_B):
        answer = keyed.post("/v1/suggest", json=transcript, headers=bearer(api_key)).json()
        r = keyed.post(
            "/v1/feedback",
            json=feedback(answer, "per tenant"),
            headers={**key, **bearer(api_key)},
        )
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        assert rows_with(store, answer, "per tenant") == 1


def test_racing_retries_on_a_real_server_store_one_row(
    spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store, answer: dict[str, Any]
) -> None:
    key = {"idempotency-key": str(uuid.uuid4())}
    body = feedback(answer, "raced")
    barrier = threading.Barrier(8)
    replies: list[httpx.Response] = []
    with LiveServer(make_app(spine_index, spine_pipeline, store)) as server:

        def send() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                barrier.wait()
                replies.append(c.post("/v1/feedback", json=body, headers=key))

        threads = [threading.Thread(target=send) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=90)
    assert [r.status_code for r in replies] == [201] * 8
    assert len({r.json()["id"] for r in replies}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in replies) == 7
    assert rows_with(store, answer, "raced") == 1


def test_cds_hooks_feedback_retried_with_a_key(client: TestClient, store: Store) -> None:
    r = client.post(
        "/cds-services/scribeplugin-transcript",
        json={
            "hook": "scribeplugin-transcript",
            "hookInstance": str(uuid.uuid4()),
            "context": {"patientId": "1288992", "transcript": read_example("injection.txt")},
        },
    )
    assert r.status_code == 200, r.text
    card = r.json()["cards"][0]
    body = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-12-07T10:00:00Z",
            }
        ]
    }
    key = {"idempotency-key": str(uuid.uuid4())}
    url = "/cds-services/scribeplugin-transcript/feedback"
    first = client.post(url, json=body, headers=key)
    again = client.post(url, json=body, headers=key)
    assert (first.status_code, first.json()) == (200, {}) == (again.status_code, again.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert sum(1 for row in store.feedback_rows() if row["card_uuid"] == card["uuid"]) == 1
