"""API keys per tenant, start-up refusals, CORS, and no transcript text in any log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scribeplugin import cli
from scribeplugin.api.app import create_app
from scribeplugin.api.security import ApiKeys, check_serving, hash_key, is_loopback, new_key
from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.api.conftest import KEY_A, KEY_B, KEYS, bearer, make_app, read_example, settings_for
from tests.conftest import SpineIndex

TRANSCRIPT = read_example("l5s1_iliolumbar.txt")


# -- keys --------------------------------------------------------------------------------------


def test_keys_are_configured_hashed_and_matched_per_tenant(tmp_path: Path) -> None:
    key_c = new_key()
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"# clinic c\nclinic-c:{hash_key(key_c)}\n\n", encoding="utf-8")
    keys = ApiKeys.from_settings(Settings(api_keys=KEYS, api_keys_file=keys_file))
    assert keys.tenants == ["clinic-a", "clinic-b", "clinic-c"]
    assert keys.tenant_of(KEY_A) == "clinic-a"
    assert keys.tenant_of(KEY_B) == "clinic-b"
    assert keys.tenant_of(key_c) == "clinic-c"
    assert keys.tenant_of(KEY_A + "x") is None and keys.tenant_of("") is None
    assert key_c.startswith("sk_scribe_") and len(key_c) > 40
    assert all(len(d) == 32 for _, d in keys.entries)  # only sha256 digests are held


@pytest.mark.parametrize(
    "value",
    [
        "clinic-a",
        f"clinic-a:{'0' * 63}",
        f"clinic a:{'0' * 64}",
        f":{'0' * 64}",
        f"clinic-a:{'0' * 64},clinic-b:{'0' * 64}",
        "clinic-a:sk_scribe_plaintext",
    ],
)
def test_bad_key_config_is_refused_with_the_fix(value: str) -> None:
    with pytest.raises(ConfigError, match=r"api-key TENANT|twice"):
        ApiKeys.from_settings(Settings(api_keys=value))


def test_api_key_command_prints_a_key_and_its_hash(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["api-key", "clinic-z"]) == 0
    out = capsys.readouterr().out
    key = out.split("stored anywhere): ")[1].split()[0]
    assert f"clinic-z:{hash_key(key)}" in out


@pytest.mark.slow
def test_requests_need_a_valid_key(keyed: TestClient) -> None:
    body = {"transcript": TRANSCRIPT}
    r = keyed.post("/v1/suggest", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["message"].startswith("missing API key")
    r = keyed.post("/v1/suggest", json=body, headers={"authorization": f"Basic {KEY_A}"})
    assert r.status_code == 401 and "Bearer" in r.json()["error"]["message"]
    r = keyed.post("/v1/suggest", json=body, headers=bearer("sk_scribe_wrong"))
    assert r.status_code == 401 and r.json()["error"]["message"] == "invalid API key"
    assert keyed.get("/v1/search", params={"q": "pain"}).status_code == 401
    assert keyed.post("/v1/feedback", json={}).status_code == 401
    assert keyed.post("/cds-services/scribeplugin-transcript", json={}).status_code == 401
    r = keyed.post("/v1/suggest", json=body, headers=bearer(KEY_A))
    assert r.status_code == 200
    # open: liveness, readiness, metrics, guidance, discovery, the note view
    for path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/codes/M53.87",
        "/cds-services",
        "/ui/",
        "/openapi.json",
    ):
        assert keyed.get(path).status_code == 200, path


@pytest.mark.slow
def test_feedback_on_another_tenants_request_is_forbidden(keyed: TestClient, store: Store) -> None:
    r = keyed.post("/v1/suggest", json={"transcript": TRANSCRIPT}, headers=bearer(KEY_A))
    answer = r.json()
    [row] = store.audit_rows(answer["request_id"])
    assert row["tenant"] == "clinic-a"
    fb = {
        "request_id": answer["request_id"],
        "target": "code",
        "target_id": answer["codes"][0]["code"],
        "outcome": "accepted",
    }
    r = keyed.post("/v1/feedback", json=fb, headers=bearer(KEY_B))
    assert r.status_code == 403 and r.json()["error"]["type"] == "forbidden"
    r = keyed.post("/v1/feedback", json=fb, headers=bearer(KEY_A))
    assert r.status_code == 201
    assert store.feedback_rows(answer["request_id"])[-1]["tenant"] == "clinic-a"


@pytest.mark.slow
def test_cds_feedback_on_another_tenants_card_is_forbidden(keyed: TestClient) -> None:
    req = {
        "hook": "scribeplugin-transcript",
        "hookInstance": "h-1",
        "context": {"patientId": "p1", "transcript": TRANSCRIPT},
    }
    cards = keyed.post(
        "/cds-services/scribeplugin-transcript", json=req, headers=bearer(KEY_A)
    ).json()["cards"]
    fb = {
        "feedback": [
            {
                "card": cards[0]["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-24T18:00:00Z",
            }
        ]
    }
    url = "/cds-services/scribeplugin-transcript/feedback"
    assert keyed.post(url, json=fb, headers=bearer(KEY_B)).status_code == 403
    assert keyed.post(url, json=fb, headers=bearer(KEY_A)).status_code == 200


# -- refusing unsafe settings -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_development_on_loopback_needs_no_keys(host: str) -> None:
    assert is_loopback(host)
    assert not check_serving(Settings(host=host)).enabled


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "scribe.example.org"])
def test_no_keys_on_a_reachable_address_is_refused(host: str, tmp_path: Path) -> None:
    settings = Settings(host=host, data_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"without API keys.*scribeplugin api-key TENANT"):
        create_app(settings)
    assert check_serving(Settings(host=host, api_keys=KEYS)).enabled


def test_production_needs_keys_even_on_loopback() -> None:
    with pytest.raises(ConfigError, match="production needs API keys"):
        check_serving(Settings(environment="production"))


def test_transcript_logging_is_refused_in_production() -> None:
    with pytest.raises(ConfigError, match="SCRIBE_LOG_TRANSCRIPT_TEXT"):
        Settings(environment="production", log_transcript_text=True, api_keys=KEYS)


def test_serve_refuses_to_start_exposed_without_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCRIBE_API_KEYS", raising=False)
    code = cli.main(["--data-dir", str(tmp_path), "serve", "--host", "0.0.0.0", "--port", "9"])
    assert code == 2
    assert "Refusing to serve on 0.0.0.0 without API keys" in capsys.readouterr().err


# -- CORS --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cors(spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store) -> Iterator[TestClient]:
    app = make_app(spine_index, spine_pipeline, store, cors_origins="https://scribe.example.org")
    with TestClient(app) as c:
        yield c


@pytest.mark.slow
def test_cors_allows_only_configured_origins(cors: TestClient, client: TestClient) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
    }
    r = cors.options("/v1/suggest", headers={"origin": "https://scribe.example.org", **preflight})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://scribe.example.org"
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = cors.options("/v1/suggest", headers={"origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in r.headers
    r = cors.get("/v1/codes/M53.87", headers={"origin": "https://scribe.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://scribe.example.org"
    assert r.headers["access-control-expose-headers"].lower() == "x-request-id"
    # CORS is off unless configured
    r = client.get("/v1/codes/M53.87", headers={"origin": "https://scribe.example.org"})
    assert "access-control-allow-origin" not in r.headers


# -- no transcript text in logs ------------------------------------------------------------------

MARKER = "Quokkazanthe-7731"


def _everything_at_debug() -> list[tuple[logging.Logger, int]]:
    saved = []
    for logger in [
        logging.getLogger(),
        *(lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)),
    ]:
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    return saved


def _marked_requests(c: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    text = TRANSCRIPT.replace("Patient: ", f"Patient: {MARKER} ", 1)
    assert MARKER in text
    segments = [
        {"speaker": "Doctor", "text": f"{MARKER} where is the pain?"},
        {"speaker": "Patient", "text": "Low back, left, at the belt line."},
    ]
    return [
        ("post", "/v1/suggest", {"json": {"transcript": text}}),
        ("post", "/v1/suggest", {"json": {"transcript": segments}}),
        ("post", "/v1/suggest", {"json": {"transcript": text, "typo": MARKER}}),
        ("post", "/v1/suggest", {"json": {"transcript": f"{MARKER}\u0000"}}),
        (
            "post",
            "/v1/suggest",
            {
                "content": f'{{"transcript": "{MARKER}'.encode(),
                "headers": {"content-type": "application/json"},
            },
        ),
        ("post", "/v1/suggest", {"json": {"transcript": 7, "context": {"visit_type": MARKER}}}),
        ("get", "/v1/search", {"params": {"q": f"{MARKER} low back pain"}}),
        (
            "post",
            "/cds-services/scribeplugin-transcript",
            {
                "json": {
                    "hook": "scribeplugin-transcript",
                    "hookInstance": "h",
                    "context": {"patientId": "p1", "transcript": text},
                }
            },
        ),
    ]


def _test_client_request_line(record: logging.LogRecord) -> bool:
    """The test's own HTTP client logs each URL it requests (the search query): that is the
    caller's log, not the server's."""
    return (
        record.name.startswith("httpx")
        and record.getMessage().startswith("HTTP Request: ")
        and "http://testserver/" in record.getMessage()
    )


@pytest.mark.slow
def test_no_transcript_text_in_any_log(
    client: TestClient, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    saved = _everything_at_debug()
    caplog.set_level(logging.DEBUG)
    try:
        statuses = [
            getattr(client, m)(path, **kw).status_code for m, path, kw in _marked_requests(client)
        ]
    finally:
        for logger, level in saved:
            logger.setLevel(level)
    assert statuses[0] == statuses[1] == statuses[-1] == statuses[-2] == 200
    assert all(400 <= s < 500 for s in statuses[2:6])
    assert caplog.records, "nothing was logged: the capture is not working"
    assert any(r.name == "scribeplugin.api.access" for r in caplog.records)
    for record in caplog.records:
        if _test_client_request_line(record):
            continue
        assert MARKER not in record.getMessage(), record.name
        assert MARKER not in str(record.args), record.name
    out, err = capfd.readouterr()
    assert MARKER not in out and MARKER not in err


@pytest.mark.slow
def test_the_log_check_would_catch_transcript_logging(
    spine_index: SpineIndex,
    spine_pipeline: Pipeline,
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same capture sees the marker when transcript logging is switched on (development)."""
    settings = settings_for(spine_index, log_transcript_text=True)
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings, pipeline=spine_pipeline, store=store)) as c:
        method, path, kw = _marked_requests(c)[0]
        assert getattr(c, method)(path, **kw).status_code == 200
    assert any(MARKER in r.getMessage() for r in caplog.records)
