"""CDS Hooks 2.0: discovery, service calls on the custom and the standard hook, spec-shaped
cards whose Conditions validate as FHIR R4, and feedback."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scribeplugin.api.cds import ICD10CM, SUMMARY_MAX, suggestion_uuid
from scribeplugin.api.examples import example
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.api.conftest import make_app, read_example
from tests.conftest import SpineIndex

pytestmark = pytest.mark.slow

fhir = pytest.importorskip("fhir.resources.R4B.condition", reason="pip install fhir.resources")

TRANSCRIPT = read_example("injection.txt")


def hook_request(hook: str = "scribeplugin-transcript", **context: Any) -> dict[str, Any]:
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/123",
            "patientId": "pat-1",
            "encounterId": "enc-9",
            "transcript": TRANSCRIPT,
            **context,
        },
    }


@pytest.fixture(scope="module")
def cards(client: TestClient) -> list[dict[str, Any]]:
    r = client.post("/cds-services/scribeplugin-transcript", json=hook_request())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) <= {"cards", "systemActions"}
    result: list[dict[str, Any]] = body["cards"]
    return result


def test_discovery(client: TestClient) -> None:
    r = client.get("/cds-services")
    assert r.status_code == 200
    services = {s["id"]: s for s in r.json()["services"]}
    assert services["scribeplugin-transcript"]["hook"] == "scribeplugin-transcript"
    assert services["scribeplugin-encounter-discharge"]["hook"] == "encounter-discharge"
    for s in services.values():
        assert {"hook", "id", "title", "description"} <= set(s)
        assert "transcript" in s["description"] and "patientId" in s["description"]
        assert "prefetch" not in s  # none needed


def test_cards_are_spec_shaped(cards: list[dict[str, Any]]) -> None:
    kinds = [c["source"]["topic"]["code"] for c in cards]
    assert kinds.count("code-suggestion") == 1
    assert kinds.count("documentation-prompt") >= 2 and "coding-warning" in kinds
    for card in cards:
        assert len(card["summary"]) < 140 and len(card["summary"]) <= SUMMARY_MAX
        assert card["indicator"] in {"info", "warning", "critical"}
        assert uuid.UUID(card["uuid"])
        assert card["source"]["label"]
        assert card["source"]["url"].startswith("http://testserver/v1/codes/")
        assert card["detail"]
        assert {r["code"] for r in card["overrideReasons"]} >= {
            "not-supported",
            "already-documented",
        }


def test_a_code_card_quotes_its_evidence_and_proposes_a_valid_fhir_condition(
    cards: list[dict[str, Any]],
) -> None:
    [card] = [c for c in cards if c["source"]["topic"]["code"] == "code-suggestion"]
    assert card["summary"] == "M54.42 Lumbago with sciatica, left side"
    assert card["indicator"] == "info" and card["selectionBehavior"] == "at-most-one"
    assert card["source"]["url"].endswith("/v1/codes/M54.42")
    assert "\u201csciatica\u201d (clinician" in card["detail"]
    assert "`M54.42/tip/neuro-exam`" in card["detail"]
    [suggestion] = card["suggestions"]
    assert suggestion["uuid"] == suggestion_uuid(card["uuid"])
    assert suggestion["isRecommended"] is True
    [action] = suggestion["actions"]
    assert action["type"] == "create"
    resource = action["resource"]
    condition = fhir.Condition.model_validate(resource)  # raises if not valid R4
    assert condition.code.coding[0].system == ICD10CM == "http://hl7.org/fhir/sid/icd-10-cm"
    assert condition.code.coding[0].code == "M54.42"
    assert condition.verificationStatus.coding[0].code == "provisional"
    assert condition.category[0].coding[0].code == "encounter-diagnosis"
    assert condition.subject.reference == "Patient/pat-1"
    assert condition.encounter.reference == "Encounter/enc-9"


def test_prompt_and_warning_cards(cards: list[dict[str, Any]]) -> None:
    prompts = [c for c in cards if c["source"]["topic"]["code"] == "documentation-prompt"]
    assert {c["summary"].split(":")[0] for c in prompts} >= {"Exam", "Imaging"}
    assert all(not c["suggestions"] for c in prompts)
    warnings = [c for c in cards if c["source"]["topic"]["code"] == "coding-warning"]
    assert warnings
    for warning in warnings:
        assert warning["indicator"] == "warning"
        assert "Concerns: **" in warning["detail"] and "**Guidance**" in warning["detail"]


def test_the_standard_hook_with_a_draft_note(client: TestClient) -> None:
    req = copy.deepcopy(example("cds_request")["encounter_discharge"]["value"])
    r = client.post("/cds-services/scribeplugin-encounter-discharge", json=req)
    assert r.status_code == 200, r.text
    codes = [
        c["summary"].split()[0]
        for c in r.json()["cards"]
        if c["source"]["topic"]["code"] == "code-suggestion"
    ]
    assert codes == ["M54.42"]


def test_segments_in_context(client: TestClient) -> None:
    req = hook_request(
        transcript=[
            {"speaker": "Doctor", "text": "Where does it hurt?"},
            {
                "speaker": "Patient",
                "text": "Low in my back on the left, down the back of my thigh.",
            },
            {"speaker": "Doctor", "text": "My assessment is lumbago with sciatica, left side."},
        ]
    )
    r = client.post("/cds-services/scribeplugin-transcript", json=req)
    assert r.status_code == 200 and r.json()["cards"]


def test_card_links_use_the_public_url(
    spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store
) -> None:
    app = make_app(spine_index, spine_pipeline, store, public_url="https://scribe.example.org/")
    with TestClient(app) as c:
        cards = c.post("/cds-services/scribeplugin-transcript", json=hook_request()).json()
    assert cards["cards"][0]["source"]["url"] == "https://scribe.example.org/v1/codes/M54.42"


@pytest.mark.parametrize(
    ("path", "body", "status", "kind"),
    [
        ("/cds-services/nope", hook_request(), 404, "unknown_service"),
        (
            "/cds-services/scribeplugin-transcript",
            hook_request("patient-view"),
            422,
            "invalid_request",
        ),
        (
            "/cds-services/scribeplugin-transcript",
            {**hook_request(), "context": {"patientId": "pat-1"}},
            422,
            "invalid_request",
        ),
        (
            "/cds-services/scribeplugin-transcript",
            {**hook_request(), "context": {"transcript": TRANSCRIPT}},
            422,
            "invalid_request",
        ),
        (
            "/cds-services/scribeplugin-transcript",
            hook_request(patientId="a b/c"),
            422,
            "invalid_request",
        ),
        (
            "/cds-services/scribeplugin-transcript",
            {**hook_request(), "cards": []},
            422,
            "invalid_request",
        ),
        (
            "/cds-services/scribeplugin-transcript",
            hook_request(transcript=""),
            422,
            "invalid_input",
        ),
    ],
)
def test_bad_calls(
    client: TestClient, path: str, body: dict[str, Any], status: int, kind: str
) -> None:
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["type"] == kind


def test_feedback_is_recorded(
    client: TestClient, store: Store, cards: list[dict[str, Any]]
) -> None:
    code_card = next(c for c in cards if c["suggestions"])
    prompt_card = next(c for c in cards if c["source"]["topic"]["code"] == "documentation-prompt")
    body = {
        "feedback": [
            {
                "card": code_card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": code_card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-11-24T18:41:03Z",
            },
            {
                "card": prompt_card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "code": "already-documented",
                        "system": "urn:scribeplugin:cds:override-reason",
                    },
                    "userComment": "in the plan",
                },
                "outcomeTimestamp": "2026-11-24T18:41:09Z",
            },
        ]
    }
    r = client.post("/cds-services/scribeplugin-transcript/feedback", json=body)
    assert r.status_code == 200 and r.json() == {}
    rows = {row["card_uuid"]: row for row in store.feedback_rows() if row["card_uuid"]}
    accepted, overridden = rows[code_card["uuid"]], rows[prompt_card["uuid"]]
    assert (accepted["target_kind"], accepted["target_id"]) == ("code", "M54.42")
    assert accepted["outcome"] == "accepted" and accepted["source"] == "cds-hooks"
    assert overridden["target_kind"] == "prompt" and overridden["outcome"] == "overridden"
    assert (overridden["reason_code"], overridden["reason"]) == (
        "already-documented",
        "in the plan",
    )
    audit = store.audit_rows(accepted["request_id"])[0]
    assert audit["source"] == "cds-hooks" and audit["hook_instance"]


def test_bad_feedback(client: TestClient, cards: list[dict[str, Any]]) -> None:
    url = "/cds-services/scribeplugin-transcript/feedback"
    when = "2026-11-24T18:41:03Z"
    r = client.post(
        url,
        json={
            "feedback": [
                {"card": str(uuid.uuid4()), "outcome": "accepted", "outcomeTimestamp": when}
            ]
        },
    )
    assert r.status_code == 404 and r.json()["error"]["type"] == "unknown_card"
    r = client.post(
        url,
        json={
            "feedback": [
                {
                    "card": cards[0]["uuid"],
                    "outcome": "accepted",
                    "acceptedSuggestions": [{"id": "nope"}],
                    "outcomeTimestamp": when,
                }
            ]
        },
    )
    assert r.status_code == 422
    r = client.post(url, json={"feedback": []})
    assert r.status_code == 422
    r = client.post(
        url,
        json={
            "feedback": [{"card": cards[0]["uuid"], "outcome": "ignored", "outcomeTimestamp": when}]
        },
    )
    assert r.status_code == 422


def test_a_cards_feedback_is_taken_only_at_its_own_service(
    client: TestClient, store: Store, cards: list[dict[str, Any]]
) -> None:
    """The cards came from scribeplugin-transcript: the discharge service's feedback URL refuses
    them, naming the right one, and records nothing."""
    feedback = {
        "feedback": [
            {
                "card": cards[-1]["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-24T18:41:03Z",
            }
        ]
    }
    before = store.count("feedback")
    r = client.post("/cds-services/scribeplugin-encounter-discharge/feedback", json=feedback)
    assert r.status_code == 404, r.text
    error = r.json()["error"]
    assert error["type"] == "unknown_card"
    assert "/cds-services/scribeplugin-transcript/feedback" in error["message"]
    assert store.count("feedback") == before
    r = client.post("/cds-services/scribeplugin-transcript/feedback", json=feedback)
    assert r.status_code == 200, r.text
    assert store.count("feedback") == before + 1


def test_a_knee_visit_makes_a_knee_card(default_index: Any, embedder: Any, store: Store) -> None:
    """The orthopedic families through CDS Hooks as the spine's go: over the default index, the
    knee sample visit's card proposes S83.412A as a valid FHIR Condition and quotes the sprain."""
    pipeline = Pipeline.from_settings(default_index.settings, embedder=embedder)
    request = hook_request(transcript=read_example("ortho/knee_mcl_sprain.txt"))
    with TestClient(make_app(default_index, pipeline, store)) as client:
        r = client.post("/cds-services/scribeplugin-transcript", json=request)
    assert r.status_code == 200, r.text
    codes = [c for c in r.json()["cards"] if c["source"]["topic"]["code"] == "code-suggestion"]
    [card] = codes
    assert card["summary"].startswith("S83.412A Sprain of medial collateral ligament of left knee")
    assert "\u201cmedial collateral ligament\u201d (clinician" in card["detail"]
    [suggestion] = card["suggestions"]
    condition = fhir.Condition.model_validate(suggestion["actions"][0]["resource"])
    assert condition.code.coding[0].code == "S83.412A"
