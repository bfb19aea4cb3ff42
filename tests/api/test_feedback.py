"""``POST /v1/feedback``: accept, dismiss and override land in the store; feedback must name an
answer on record and an item of it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from scribeplugin.store import Store
from tests.api.conftest import read_example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def answer(client: TestClient) -> dict[str, Any]:
    """An answer with a code, prompts in several note sections and a warning."""
    r = client.post("/v1/suggest", json={"transcript": read_example("injection.txt")})
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    assert body["codes"] and body["prompts"] and body["warnings"]
    return body


def post(client: TestClient, answer: dict[str, Any], **kw: Any) -> Any:
    return client.post("/v1/feedback", json={"request_id": answer["request_id"], **kw})


def test_accept_a_code(client: TestClient, store: Store, answer: dict[str, Any]) -> None:
    code = answer["codes"][0]["code"]
    r = post(client, answer, target="code", target_id=code, outcome="accepted", source="ui")
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["outcome"] == "accepted" and receipt["target_id"] == code
    row = next(x for x in store.feedback_rows(answer["request_id"]) if x["id"] == receipt["id"])
    assert row["tenant"] == "local" and row["source"] == "ui" and row["target_kind"] == "code"
    assert row["code_set"] == answer["code_set"]
    assert row["created_at"] is not None


def test_dismiss_a_prompt_and_a_warning_with_reasons(
    client: TestClient, store: Store, answer: dict[str, Any]
) -> None:
    prompt = answer["prompts"][0]["id"]
    rule = answer["warnings"][0]["rule"]
    r1 = post(
        client,
        answer,
        target="prompt",
        target_id=prompt,
        outcome="dismissed",
        reason="Already documented",
    )
    r2 = post(
        client, answer, target="warning", target_id=rule, outcome="dismissed", reason="Not relevant"
    )
    assert (r1.status_code, r2.status_code) == (201, 201)
    rows = {x["target_id"]: x for x in store.feedback_rows(answer["request_id"])}
    assert rows[prompt]["reason"] == "Already documented"
    assert rows[rule]["target_kind"] == "warning"


def test_override_a_code_with_another(
    client: TestClient, store: Store, answer: dict[str, Any]
) -> None:
    code = answer["codes"][0]["code"]
    r = post(
        client,
        answer,
        target="code",
        target_id=code,
        outcome="overridden",
        override_code="m5441",
        reason="symptoms are on the right",
    )
    assert r.status_code == 201
    row = next(x for x in store.feedback_rows(answer["request_id"]) if x["id"] == r.json()["id"])
    assert row["override_code"] == "M54.41" and row["outcome"] == "overridden"


@pytest.mark.parametrize(
    ("fields", "status", "kind"),
    [
        (
            {"target": "code", "target_id": "M54.17", "outcome": "accepted"},
            422,
            "invalid_request",
        ),  # not in the answer (the injected code)
        (
            {
                "target": "code",
                "target_id": "{code}",
                "outcome": "overridden",
                "override_code": "M54.99",
            },
            422,
            "unknown_code",
        ),
        (
            {
                "target": "code",
                "target_id": "{code}",
                "outcome": "accepted",
                "override_code": "M54.41",
            },
            422,
            "invalid_request",
        ),
        ({"target": "code", "target_id": "{code}", "outcome": "liked"}, 422, "invalid_request"),
        (
            {"target": "finding", "target_id": "{code}", "outcome": "accepted"},
            422,
            "invalid_request",
        ),
        (
            {"target": "code", "target_id": "{code}", "outcome": "accepted", "extra": 1},
            422,
            "invalid_request",
        ),
        (
            {"target": "code", "target_id": "{code}", "outcome": "accepted", "reason": "x" * 1001},
            422,
            "invalid_request",
        ),
    ],
)
def test_bad_feedback_is_a_4xx(
    client: TestClient, answer: dict[str, Any], fields: dict[str, Any], status: int, kind: str
) -> None:
    fields = {
        k: v.format(code=answer["codes"][0]["code"]) if isinstance(v, str) else v
        for k, v in fields.items()
    }
    r = post(client, answer, **fields)
    assert r.status_code == status, r.text
    assert r.json()["error"]["type"] == kind


def test_feedback_on_an_unknown_request_is_a_404(client: TestClient) -> None:
    r = client.post(
        "/v1/feedback",
        json={
            "request_id": "0" * 32,
            "target": "code",
            "target_id": "M53.87",
            "outcome": "accepted",
        },
    )
    assert r.status_code == 404 and r.json()["error"]["type"] == "unknown_request"


def test_a_malformed_request_id_is_a_422(client: TestClient) -> None:
    r = client.post(
        "/v1/feedback",
        json={
            "request_id": "../../etc",
            "target": "code",
            "target_id": "M53.87",
            "outcome": "accepted",
        },
    )
    assert r.status_code == 422
