"""The OpenAPI document is complete (every request and response has a schema and an example)
and the examples are true to the schemas."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from scribeplugin.api.cds import CdsDiscovery, CdsFeedback, CdsRequest, CdsResponse
from scribeplugin.api.examples import example, names
from scribeplugin.api.schemas import (
    CodeInfo,
    FeedbackReceipt,
    FeedbackRequest,
    Readiness,
    SearchResponse,
    SuggestRequest,
)
from scribeplugin.draft.types import SuggestResponse

pytestmark = pytest.mark.slow

ROUTES = {
    ("post", "/v1/suggest"),
    ("get", "/v1/codes/{code}"),
    ("get", "/v1/search"),
    ("post", "/v1/feedback"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/cds-services"),
    ("post", "/cds-services/{service_id}"),
    ("post", "/cds-services/{service_id}/feedback"),
}


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    return data


def _has_example(media: dict[str, Any], spec: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    ref = media.get("schema", {}).get("$ref", "")
    schema = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    return "examples" in schema or "example" in schema


def test_every_route_is_documented(spec: dict[str, Any]) -> None:
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == ROUTES


def test_every_request_and_response_has_a_schema_and_an_example(spec: dict[str, Any]) -> None:
    missing = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), (method, path)
            body = op.get("requestBody")
            if body:
                media = body["content"]["application/json"]
                if "schema" not in media or not _has_example(media, spec):
                    missing.append(f"{method} {path} request")
            for status, response in op["responses"].items():
                content = response.get("content") or {}
                if not content:
                    missing.append(f"{method} {path} {status}: no content")
                for media_type, media in content.items():
                    if "schema" not in media or not _has_example(media, spec):
                        missing.append(f"{method} {path} {status} {media_type}")
    assert missing == []


def test_errors_share_one_schema(spec: dict[str, Any]) -> None:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")) and path != "/readyz":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_api_key_scheme_is_declared(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/suggest"]["post"]["security"] == [{"ApiKey": []}]


RESPONSE_EXAMPLES: dict[str, type[BaseModel]] = {
    "suggest_response": SuggestResponse,
    "code_info": CodeInfo,
    "cds_response": CdsResponse,
    "cds_discovery": CdsDiscovery,
    "feedback_receipt": FeedbackReceipt,
    "search_response": SearchResponse,
}
REQUEST_EXAMPLES: dict[str, type[BaseModel]] = {
    "suggest_request": SuggestRequest,
    "feedback_request": FeedbackRequest,
    "cds_request": CdsRequest,
    "cds_feedback": CdsFeedback,
}


def test_examples_are_true_to_their_schemas() -> None:
    assert set(names()) == {*RESPONSE_EXAMPLES, *REQUEST_EXAMPLES, "readiness"}
    for name, model in RESPONSE_EXAMPLES.items():
        model.model_validate(example(name))
    for name, model in REQUEST_EXAMPLES.items():
        for case in example(name).values():
            model.model_validate(case["value"])
    for case in example("readiness").values():
        Readiness.model_validate(case)


def test_the_request_examples_work(client: TestClient) -> None:
    for case in example("suggest_request").values():
        r = client.post("/v1/suggest", json=case["value"])
        assert r.status_code == 200, r.text
        assert [c["code"] for c in r.json()["codes"]] == ["M54.42"]
