"""``GET /v1/codes/{code}``: the official entry and the guidance card; unknown codes get a 404
with the nearest valid codes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from scribeplugin.api.schemas import CodeInfo

pytestmark = pytest.mark.slow


def test_a_code_with_a_card(client: TestClient) -> None:
    r = client.get("/v1/codes/M53.87")
    assert r.status_code == 200
    info = CodeInfo.model_validate(r.json())
    assert info.entry.description == "Other specified dorsopathies, lumbosacral region"
    assert info.entry.billable and info.billable_codes == []
    assert info.card is not None and info.card.source == "cards/M53.87.md"
    ids = {i.id for i in info.card.items}
    assert "M53.87/pitfall/more-specific-code" in ids
    assert {i.kind for i in info.card.items} == {"tip", "pitfall", "context", "faq"}
    assert all(i.question for i in info.card.items if i.kind == "faq")


def test_without_the_dot_and_in_lower_case(client: TestClient) -> None:
    assert client.get("/v1/codes/m5387").json()["entry"]["code"] == "M53.87"


def test_a_category_that_is_not_billable_lists_its_billable_codes(client: TestClient) -> None:
    body = client.get("/v1/codes/M54.5").json()
    assert body["entry"]["billable"] is False
    assert body["billable_codes"] == ["M54.50", "M54.51", "M54.59"]


def test_a_code_without_a_card(client: TestClient) -> None:
    body = client.get("/v1/codes/S32.001A").json()
    assert body["entry"]["code"] == "S32.001A" and body["card"] is None


@pytest.mark.parametrize(
    ("code", "nearest"),
    [("M54.99", ["M54.9"]), ("M53.879", ["M53.87"]), ("lumbar", []), ("Z", [])],
)
def test_an_unknown_code_is_a_404_with_the_nearest_valid_codes(
    client: TestClient, code: str, nearest: list[str]
) -> None:
    r = client.get(f"/v1/codes/{code}")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["type"] == "unknown_code"
    assert f"{code!r} is not an ICD-10-CM code" in error["message"]
    assert error.get("nearest", []) == nearest


def test_an_overlong_code_is_a_422(client: TestClient) -> None:
    r = client.get("/v1/codes/" + "M" * 17)
    assert r.status_code == 422 and r.json()["error"]["type"] == "invalid_request"
