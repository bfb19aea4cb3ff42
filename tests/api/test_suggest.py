"""``POST /v1/suggest``: answers, the audit row each call leaves, and every kind of bad input
getting a 4xx with a reason (never a 500)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scribeplugin.draft.types import SuggestResponse
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store, sha256_text
from tests.api.conftest import EXAMPLES, make_app, new_store, read_example
from tests.conftest import SpineIndex

pytestmark = pytest.mark.slow

L5S1 = json.loads((EXAMPLES / "requests" / "l5s1.json").read_text(encoding="utf-8"))


def test_the_readme_example_returns_a_suggest_response(client: TestClient, store: Store) -> None:
    r = client.post("/v1/suggest", json=L5S1)
    assert r.status_code == 200, r.text
    body = SuggestResponse.model_validate(r.json())
    assert [c.code for c in body.codes] == ["M53.87"]
    assert body.code_set.startswith("ICD-10-CM FY2026")
    assert body.engine.drafter == "rules" and body.engine.index_id.startswith("scribe-spine")
    # the date of service (2026-11-24) is in FY2027: the answer says so
    assert any("FY2027" in n for n in body.notices)
    assert r.headers["x-request-id"] == body.request_id
    assert r.headers["cache-control"] == "no-store"
    text = L5S1["transcript"]
    for code in body.codes:
        assert code.citations
        for ev in code.evidence:
            assert text[ev.start : ev.end] == ev.text


def test_each_call_leaves_an_audit_row_without_the_transcript(
    client: TestClient, store: Store
) -> None:
    text = read_example("injection.txt")
    r = client.post("/v1/suggest", json={"transcript": text})
    assert r.status_code == 200
    answer = r.json()
    [row] = store.audit_rows(answer["request_id"])
    assert row["tenant"] == "local" and row["source"] == "api" and row["status"] == "ok"
    assert row["code_set"] == answer["code_set"]
    assert row["engine"]["index_id"] == answer["engine"]["index_id"]
    assert row["transcript_sha256"] == sha256_text(text)
    assert row["transcript_chars"] == len(text)
    assert row["transcript_text"] is None
    cited = {c["chunk_id"] for s in answer["codes"] for c in s["citations"]}
    assert cited and cited <= set(row["chunk_ids"])
    # The audit keeps every chunk retrieved for the request, not only the cited ones; the
    # response itself does not carry that list.
    assert len(row["chunk_ids"]) > len(cited)
    assert "retrieved_chunk_ids" not in answer
    assert [c["code"] for c in row["suggestions"]["codes"]] == [c["code"] for c in answer["codes"]]
    assert [p["id"] for p in row["suggestions"]["prompts"]] == [p["id"] for p in answer["prompts"]]
    assert [w["rule"] for w in row["suggestions"]["warnings"]] == [
        w["rule"] for w in answer["warnings"]
    ]
    stored = json.dumps(row, default=str)
    assert "Ignore your previous instructions" not in stored


def test_segments_are_accepted_and_offsets_index_the_joined_lines(client: TestClient) -> None:
    segments = json.loads(read_example("segments.json"))
    r = client.post("/v1/suggest", json={"transcript": segments, "context": {"patient_age": 61}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["codes"]
    joined = "\n".join(
        f"{' '.join(s['speaker'].split())}: {s['text'].strip()}"
        for s in segments
        if s["text"].strip()
    )
    for code in body["codes"]:
        for ev in code["evidence"]:
            assert joined[ev["start"] : ev["end"]] == ev["text"]


def test_the_transcript_is_stored_only_when_configured(
    spine_index: SpineIndex, spine_pipeline: Pipeline, tmp_path: Any
) -> None:
    store = new_store(tmp_path / "keep.db")
    app = make_app(spine_index, spine_pipeline, store, store_transcript_text=True)
    with TestClient(app) as c:
        r = c.post("/v1/suggest", json={"transcript": L5S1["transcript"]})
    [row] = store.audit_rows(r.json()["request_id"])
    assert row["transcript_text"] == L5S1["transcript"]


def test_a_slow_call_times_out_with_504_and_is_audited(
    spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store
) -> None:
    app = make_app(spine_index, spine_pipeline, store, request_timeout_s=0.001)
    with TestClient(app) as c:
        r = c.post("/v1/suggest", json={"transcript": read_example("l5s1_facet.txt")})
    assert r.status_code == 504
    assert r.json()["error"]["type"] == "timeout"
    assert "SCRIBE_REQUEST_TIMEOUT_S" in r.json()["error"]["message"]
    [row] = store.audit_rows(r.headers["x-request-id"])
    assert row["status"] == "timeout"


@pytest.fixture(scope="module")
def small(spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store) -> Iterator[TestClient]:
    """Small limits: 4 KiB bodies, 600-character transcripts."""
    app = make_app(
        spine_index, spine_pipeline, store, max_body_bytes=4096, max_transcript_chars=600
    )
    with TestClient(app) as c:
        yield c


JSON = {"content-type": "application/json"}
BAD: list[tuple[str, Any, dict[str, str], int, str]] = [
    # (case, body, headers, status, error type)
    ("empty body", b"", JSON, 422, "invalid_request"),
    ("malformed JSON", b'{"transcript": "Doctor: hi",', JSON, 400, "malformed_json"),
    ("JSON that is not an object", b'["Doctor: hi"]', JSON, 422, "invalid_request"),
    (
        "not UTF-8",
        '{"transcript": "Patient: caf\u00e9"}'.encode("latin-1"),
        JSON,
        400,
        "invalid_encoding",
    ),
    ("UTF-16", '{"transcript": "Doctor: hi"}'.encode("utf-16"), JSON, 400, "invalid_encoding"),
    ("binary", bytes(range(256)) * 4, JSON, 400, "invalid_encoding"),
    (
        "control characters in the text",
        json.dumps({"transcript": "Doctor: hi\u0000\u0001"}),
        JSON,
        422,
        "invalid_request",  # refused at the boundary, naming the field (test_bad_input.py)
    ),
    ("empty transcript", {"transcript": ""}, {}, 422, "invalid_input"),
    ("blank transcript", {"transcript": " \n\t "}, {}, 422, "invalid_input"),
    ("no transcript", {"context": {"visit_type": "office"}}, {}, 422, "invalid_request"),
    (
        "unknown field",
        {"transcript": "Doctor: hi", "patient_name": "x"},
        {},
        422,
        "invalid_request",
    ),
    (
        "unknown context field",
        {"transcript": "Doctor: hi", "context": {"mrn": "1"}},
        {},
        422,
        "invalid_request",
    ),
    ("wrong type", {"transcript": 42}, {}, 422, "invalid_request"),
    (
        "bad date",
        {"transcript": "Doctor: hi", "context": {"date_of_service": "24/11/2026"}},
        {},
        422,
        "invalid_request",
    ),
    (
        "age out of range",
        {"transcript": "Doctor: hi", "context": {"patient_age": 400}},
        {},
        422,
        "invalid_request",
    ),
    ("unknown drafter", {"transcript": "Doctor: hi", "drafter": "gpt"}, {}, 422, "invalid_request"),
    (
        "llm drafter not configured",
        {"transcript": "Doctor: low back pain", "drafter": "llm"},
        {},
        422,
        "not_configured",
    ),
    ("no segments", {"transcript": []}, {}, 422, "invalid_input"),
    ("segment without text", {"transcript": [{"speaker": "Doctor"}]}, {}, 422, "invalid_request"),
    (
        "segment with an extra field",
        {"transcript": [{"speaker": "D", "text": "hi", "t": 1}]},
        {},
        422,
        "invalid_request",
    ),
    (
        "plain text body",
        b"Doctor: low back pain",
        {"content-type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
    (
        "form body",
        b"transcript=x",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
        "unsupported_media_type",
    ),
    (
        "body over the limit",
        {"transcript": "Doctor: back pain. " * 400},
        {},
        413,
        "payload_too_large",
    ),
    (
        "transcript over the limit",
        {"transcript": "Doctor: back pain. " * 40},
        {},
        413,
        "payload_too_large",
    ),
    (
        "segments over the limit",
        {"transcript": [{"speaker": "D", "text": "x" * 300}] * 3},
        {},
        413,
        "payload_too_large",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "headers", "status", "kind"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_input_gets_a_4xx_with_a_reason(
    small: TestClient, case: str, body: Any, headers: dict[str, str], status: int, kind: str
) -> None:
    if isinstance(body, dict):
        r = small.post("/v1/suggest", json=body, headers=headers)
    else:
        r = small.post("/v1/suggest", content=body, headers=headers)
    assert r.status_code == status, (case, r.text)
    error = r.json()["error"]
    assert error["type"] == kind
    assert len(error["message"]) > 10
    assert r.headers["x-request-id"]


def test_messages_say_what_is_wrong(small: TestClient) -> None:
    def message(**kw: Any) -> str:
        return str(small.post("/v1/suggest", **kw).json()["error"]["message"])

    assert message(json={"transcript": "x", "foo": 1}) == (
        "foo: unknown field (allowed: transcript, context, drafter)"
    )
    assert "context.mrn: unknown field (allowed: visit_type, specialty" in message(
        json={"transcript": "x", "context": {"mrn": "1"}}
    )
    assert message(content=b"", headers=JSON) == "request body is empty; send a JSON object"
    assert "byte 0xe9 at position 19" in message(
        content='{"transcript": "caf\u00e9"}'.encode("latin-1"), headers=JSON
    )
    assert "the limit is 600" in message(json={"transcript": "Doctor: back pain. " * 40})
    assert "larger than 4,096 bytes" in message(json={"transcript": "x" * 5000})
    assert message(json={"transcript": 42}) == (
        "transcript: Input should be a valid string or a valid list"
    )


def test_a_body_streamed_past_the_limit_is_cut_off(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no content-length: chunked transfer
        yield b'{"transcript": "'
        for _ in range(100):
            yield b"Doctor: back pain. " * 10
        yield b'"}'

    r = small.post("/v1/suggest", content=chunks(), headers=JSON)
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "payload_too_large"


def test_wrong_method_and_unknown_path_get_json_errors(client: TestClient) -> None:
    r = client.get("/v1/suggest")
    assert r.status_code == 405 and r.json()["error"]["type"] == "method_not_allowed"
    r = client.post("/v1/suggestions", json={})
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"
