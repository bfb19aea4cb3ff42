"""Invalid Unicode at every route: an unpaired surrogate, NUL or another control character in a
JSON string, a URL path or a query is a 422 that names the field and the code point, before
anything is hashed or stored; tabs and line breaks stay allowed in transcripts. Errors never echo
more than a short excerpt of the input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scribeplugin.store import Store

pytestmark = pytest.mark.slow

HOOK = {"hook": "scribeplugin-transcript", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"}
CONTEXT = {"patientId": "pat-1", "transcript": "Doctor: Any back pain?\nPatient: Yes, low back."}
FEEDBACK = {"card": "5f0c2a5e-9d7e-4f4b-8d0e-2f1c9b3a7e11", "outcome": "accepted"}
TS = {"outcomeTimestamp": "2026-11-24T18:41:03Z"}
CDS = "/cds-services/scribeplugin-transcript"


def body(data: Any) -> bytes:
    """JSON as most clients send it: non-ASCII escaped, so "\\ud800" travels as ``\\ud800``."""
    return json.dumps(data, ensure_ascii=True).encode()


# (method, route template, url, JSON body or None, the field the error must name, code point)
CASES: list[tuple[str, str, str, Any, str, str]] = [
    (
        "POST",
        "/v1/suggest",
        "/v1/suggest",
        {"transcript": "Back pain \ud800 today"},
        "transcript",
        "U+D800",
    ),
    (
        "POST",
        "/v1/suggest",
        "/v1/suggest",
        {"transcript": "Back pain \udfff"},
        "transcript",
        "U+DFFF",
    ),
    (
        "POST",
        "/v1/suggest",
        "/v1/suggest",
        {"transcript": "Back pain\u0000"},
        "transcript",
        "U+0000",
    ),
    (
        "POST",
        "/v1/suggest",
        "/v1/suggest",
        {
            "transcript": [
                {"speaker": "Doctor", "text": "Any pain?"},
                {"speaker": "Patient", "text": "Yes\u001b[2J"},
            ]
        },
        "transcript[1].text",
        "U+001B",
    ),
    (
        "POST",
        "/v1/suggest",
        "/v1/suggest",
        {"transcript": [{"speaker": "Doc\ttor", "text": "Any pain?"}]},
        "transcript[0].speaker",
        "U+0009",
    ),
    (
        "POST",
        "/v1/suggest",
        "/v1/suggest",
        {"transcript": "Low back pain.", "context": {"visit_type": "office\u0007"}},
        "context.visit_type",
        "U+0007",
    ),
    (
        "POST",
        "/v1/suggest",
        "/v1/suggest",
        {"transcript": "Low back pain.", "\ud800": 1},
        "body (a field name)",
        "U+D800",
    ),
    (
        "POST",
        "/v1/feedback",
        "/v1/feedback",
        {
            "request_id": "abcdef0123",
            "target": "code",
            "target_id": "M54.5\ud800",
            "outcome": "accepted",
        },
        "target_id",
        "U+D800",
    ),
    (
        "POST",
        "/v1/feedback",
        "/v1/feedback",
        {
            "request_id": "abcdef0123",
            "target": "code",
            "target_id": "M54.50",
            "outcome": "dismissed",
            "reason": "no\u0000",
        },
        "reason",
        "U+0000",
    ),
    (
        "POST",
        "/v1/feedback",
        "/v1/feedback",
        {
            "request_id": "abcdef0123",
            "target": "code",
            "target_id": "M54.50\n",
            "outcome": "accepted",
        },
        "target_id",
        "U+000A",
    ),
    (
        "POST",
        "/cds-services/{service_id}",
        CDS,
        {**HOOK, "context": {**CONTEXT, "transcript": "pain \ud800"}},
        "context.transcript",
        "U+D800",
    ),
    (
        "POST",
        "/cds-services/{service_id}",
        "/cds-services/scribeplugin-encounter-discharge",
        {
            "hook": "encounter-discharge",
            "hookInstance": "x1",
            "context": {"patientId": "p", "note": "Assessment:\u0008 stenosis"},
        },
        "context.note",
        "U+0008",
    ),
    (
        "POST",
        "/cds-services/{service_id}",
        CDS,
        {**HOOK, "context": CONTEXT, "extension": {"x": "\udbff"}},
        "extension.x",
        "U+DBFF",
    ),
    (
        "POST",
        "/cds-services/{service_id}/feedback",
        CDS + "/feedback",
        {"feedback": [{**FEEDBACK, "card": "\ud800", **TS}]},
        "feedback[0].card",
        "U+D800",
    ),
    (
        "POST",
        "/cds-services/{service_id}/feedback",
        CDS + "/feedback",
        {
            "feedback": [
                {
                    **FEEDBACK,
                    "outcome": "overridden",
                    "overrideReason": {"reason": {"code": "\ud800", "system": "urn:x"}},
                    **TS,
                }
            ]
        },
        "feedback[0].overrideReason.reason.code",
        "U+D800",
    ),
    (
        "POST",
        "/cds-services/{service_id}/feedback",
        CDS + "/feedback",
        {
            "feedback": [
                {
                    **FEEDBACK,
                    "outcome": "overridden",
                    "overrideReason": {"userComment": "ok\u0000"},
                    **TS,
                }
            ]
        },
        "feedback[0].overrideReason.userComment",
        "U+0000",
    ),
    ("GET", "/v1/search", "/v1/search?q=back%00pain", None, "query", "U+0000"),
    ("GET", "/v1/search", "/v1/search?q=back%ED%A0%80pain", None, "query", "0xed"),
    ("GET", "/v1/codes/{code}", "/v1/codes/M54%00", None, "path", "U+0000"),
    ("GET", "/v1/codes/{code}", "/v1/codes/M54%ED%A0%80", None, "path", "0xed"),
    ("GET", "/healthz", "/healthz?probe=%00", None, "query", "U+0000"),
    ("GET", "/readyz", "/readyz?probe=%ED%A0%80", None, "query", "0xed"),
    ("GET", "/metrics", "/metrics?probe=%7F", None, "query", "U+007F"),
    ("GET", "/cds-services", "/cds-services?probe=%01", None, "query", "U+0001"),
    ("GET", "/ui", "/ui/?probe=%00", None, "query", "U+0000"),
]


@pytest.mark.parametrize(
    ("method", "route", "url", "data", "field", "code_point"),
    CASES,
    ids=[f"{c[0]} {c[2][:40]} {c[4]}" for c in CASES],
)
def test_invalid_unicode_is_a_422_naming_the_field(
    client: TestClient,
    store: Store,
    method: str,
    route: str,
    url: str,
    data: Any,
    field: str,
    code_point: str,
) -> None:
    before = (store.count("suggest_audit"), store.count("feedback"))
    if data is None:
        r = client.request(method, url)
    else:
        r = client.request(
            method, url, content=body(data), headers={"content-type": "application/json"}
        )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request"
    assert field in [p["field"] for p in error["fields"]]  # (with a union's other member)
    assert code_point in error["message"]
    assert (store.count("suggest_audit"), store.count("feedback")) == before  # nothing stored


def test_every_route_has_a_bad_input_case(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert routes | {("GET", "/ui")} == {(c[0], c[1]) for c in CASES}


def test_tabs_line_breaks_and_surrogate_pairs_stay_allowed(client: TestClient) -> None:
    text = "Doctor:\tWhere is the pain?\r\nPatient: Low in my back \U0001f62c, on the left.\n"
    r = client.post(
        "/v1/suggest",
        content=body({"transcript": text + "Doctor: Assessment: low back pain.\f"}),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert b"\\ud83d\\ude2c" in body(text)  # the emoji travelled as an escaped surrogate pair
    r = client.get("/v1/search", params={"q": "chronic pain\tat the lumbosacral junction\n"})
    assert r.status_code == 200, r.text


def test_a_raw_control_character_is_malformed_json(client: TestClient) -> None:
    r = client.post(
        "/v1/suggest",
        content=b'{"transcript": "back\x07pain"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "malformed_json"


LONG = "x" * 100_000  # a 100 KB id in a body
LONG_URL = "x" * 30_000  # as long as a URL may be (clients refuse 64 KiB and more)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (CDS + "/feedback", {"feedback": [{**FEEDBACK, "card": LONG, **TS}]}),
        (
            CDS + "/feedback",
            {
                "feedback": [
                    {
                        **FEEDBACK,
                        "outcome": "overridden",
                        "overrideReason": {"reason": {"code": LONG}},
                        **TS,
                    }
                ]
            },
        ),
        (
            CDS + "/feedback",
            {"feedback": [{**FEEDBACK, "acceptedSuggestions": [{"id": LONG}], **TS}]},
        ),
        (CDS, {**HOOK, "hook": LONG, "context": CONTEXT}),
        (CDS, {**HOOK, "context": {**CONTEXT, "patientId": LONG}}),
        (CDS, {**HOOK, "context": CONTEXT, LONG: 1}),
        ("/cds-services/" + LONG_URL, {**HOOK, "context": CONTEXT}),
        (
            "/v1/feedback",
            {"request_id": LONG, "target": "code", "target_id": "M54.50", "outcome": "accepted"},
        ),
        (
            "/v1/feedback",
            {"request_id": "abcdef0123", "target": LONG, "target_id": LONG, "outcome": LONG},
        ),
        (
            "/v1/feedback",
            {
                "request_id": "abcdef0123",
                "target": "code",
                "target_id": "M54.50",
                "outcome": "overridden",
                "override_code": LONG,
            },
        ),
        ("/v1/suggest", {"transcript": "Low back pain.", "drafter": LONG}),
        ("/v1/suggest", {"transcript": "Low back pain.", LONG: 1}),
        ("/v1/suggest", {"transcript": [{"speaker": LONG, "text": "x"}]}),
        ("/v1/" + LONG_URL, {"transcript": "x"}),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else None,
)
def test_errors_never_echo_more_than_an_excerpt(client: TestClient, url: str, data: Any) -> None:
    r = client.post(url, content=body(data), headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text[:500]
    assert len(r.content) < 2000, r.text[:3000]
    assert "x" * 100 not in r.text


@pytest.mark.parametrize(
    "url", ["/v1/codes/" + LONG_URL, "/v1/search?q=" + LONG_URL, "/" + LONG_URL]
)
def test_get_errors_never_echo_more_than_an_excerpt(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert 400 <= r.status_code < 500, r.text[:500]
    assert len(r.content) < 2000, r.text[:3000]
