"""CDS Hooks authentication: the EHR's JWT, verified against the EHR's JWK Set served by a real
HTTP server on loopback. Tokens are signed with keys generated here (cryptography)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from scribeplugin.config import Settings, TrustedEhr
from scribeplugin.errors import ConfigError
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.api.conftest import KEY_A, bearer, make_app, new_store, read_example
from tests.conftest import SpineIndex

pytestmark = pytest.mark.slow

ISSUER = "https://ehr.example.org"
SERVICE = "/cds-services/scribeplugin-transcript"
AUD = "http://testserver" + SERVICE
EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC_KEY = ec.generate_private_key(ec.SECP384R1())  # not published: a forger's key


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    algorithm = ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else RSAAlgorithm
    jwk: dict[str, Any] = algorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig"}


JWKS = {"keys": [public_jwk(EC_KEY, "ec-1"), public_jwk(RSA_KEY, "rsa-1")]}


@dataclass
class KeyServer:
    """A JWK Set on a real HTTP server: ``mode`` ok, slow (answers after ``delay``) or 500."""

    mode: str = "ok"
    delay: float = 5.0
    hits: int = 0
    server: ThreadingHTTPServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"


@pytest.fixture(scope="module")
def keyserver() -> Iterator[KeyServer]:
    state = KeyServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            if state.mode == "slow":
                time.sleep(state.delay)
            if state.mode == "error":
                self.send_error(500)
                return
            body = json.dumps(JWKS).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server.daemon_threads = True
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


def ehr(url: str, **kw: Any) -> TrustedEhr:
    return TrustedEhr(issuer=ISSUER, jwks_url=url, tenant="clinic-a", **kw)


@pytest.fixture(scope="module")
def jwt_client(
    spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store, keyserver: KeyServer
) -> Iterator[TestClient]:
    app = make_app(
        spine_index,
        spine_pipeline,
        store,
        cds_ehrs=[ehr(keyserver.url)],
        cds_jwks_timeout_s=1.0,
    )
    with TestClient(app) as c:
        yield c


def token(key: Any = EC_KEY, alg: str = "ES384", kid: str | None = "ec-1", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUD, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def hook(transcript: str | None = None) -> dict[str, Any]:
    return {
        "hook": "scribeplugin-transcript",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "patientId": "pat-1",
            "transcript": transcript or read_example("l5s1_iliolumbar.txt"),
        },
    }


def call(client: TestClient, tok: str, path: str = SERVICE, body: Any = None) -> Any:
    return client.post(path, json=body or hook(), headers={"authorization": f"Bearer {tok}"})


def refused(r: Any, status: int = 401) -> str:
    assert r.status_code == status, r.text
    message: str = r.json()["error"]["message"]
    return message


def test_a_good_token_is_accepted_once(jwt_client: TestClient, store: Store) -> None:
    tok = token()
    r = call(jwt_client, tok)
    assert r.status_code == 200, r.text
    assert r.json()["cards"]
    [row] = store.audit_rows(r.headers["x-request-id"])
    assert row["tenant"] == "clinic-a"  # the EHR's tenant
    assert "used before" in refused(call(jwt_client, tok))  # the same token again: a replay


def test_rsa_keys_and_feedback_with_the_feedback_url_as_audience(
    jwt_client: TestClient, store: Store
) -> None:
    r = call(jwt_client, token(RSA_KEY, "RS384", "rsa-1"))
    assert r.status_code == 200, r.text
    card = r.json()["cards"][0]["uuid"]
    feedback = {
        "feedback": [
            {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T18:41:03Z"}
        ]
    }
    for aud in (AUD + "/feedback", AUD):  # the endpoint called, or its service
        r = call(jwt_client, token(aud=aud), SERVICE + "/feedback", feedback)
        assert r.status_code == 200, r.text
    assert {f["tenant"] for f in store.feedback_rows() if f["card_uuid"] == card} == {"clinic-a"}


@dataclass(frozen=True)
class In:
    """A time ``seconds`` from when the test runs."""

    seconds: int


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"aud": "http://testserver/cds-services/scribeplugin-encounter-discharge"}, "aud"),
        ({"aud": "https://elsewhere.example.org" + SERVICE}, "aud"),
        ({"iat": In(-900), "exp": In(-300)}, "expired"),
        ({"iat": In(600), "exp": In(900)}, "not valid yet"),
        ({"exp": In(7200)}, "valid for"),
        ({"jti": None}, "jti"),
        ({"jti": "j" * 300}, "jti"),
        ({"iss": "https://rogue.example.org"}, "not a trusted EHR"),
        ({"aud": None}, "aud"),
    ],
    ids=[
        "other-service",
        "other-host",
        "expired",
        "future",
        "too-long",
        "no-jti",
        "long-jti",
        "issuer",
        "no-aud",
    ],
)
def test_bad_claims_are_refused(jwt_client: TestClient, claims: dict[str, Any], why: str) -> None:
    now = int(time.time())  # when the test runs, not when it was collected: a suite is long
    claims = {k: now + v.seconds if isinstance(v, In) else v for k, v in claims.items()}
    assert why in refused(call(jwt_client, token(**claims)))


def test_an_unknown_key_is_refused_without_hammering_the_key_server(
    jwt_client: TestClient, keyserver: KeyServer
) -> None:
    call(jwt_client, token())  # keys cached
    before = keyserver.hits
    for _ in range(5):
        assert "names no key" in refused(call(jwt_client, token(kid="rotated-" + uuid.uuid4().hex)))
    assert keyserver.hits - before <= 1  # at most one refetch per 30 s for unknown kids
    assert "no kid" in refused(call(jwt_client, token(kid=None)))


def test_a_forged_signature_is_refused(jwt_client: TestClient) -> None:
    assert "signature" in refused(call(jwt_client, token(OTHER_EC_KEY, "ES384", "ec-1")))
    # an RSA key named as the EC key: the key cannot verify that algorithm
    assert "cannot verify" in refused(call(jwt_client, token(RSA_KEY, "RS384", "ec-1")))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_alg_none_and_hs256_with_the_public_key_are_refused(jwt_client: TestClient) -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUD, "iat": now, "exp": now + 300}
    unsigned = jwt.encode({**claims, "jti": uuid.uuid4().hex}, None, algorithm="none")
    assert "'none'" in refused(call(jwt_client, unsigned))
    # The classic confusion: HMAC "signed" with the EHR's public key, which anyone can read.
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    body = b64(json.dumps({**claims, "jti": uuid.uuid4().hex}).encode())
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert "'HS256'" in refused(call(jwt_client, f"{head}.{body}.{b64(mac)}"))


def test_without_a_jwt(jwt_client: TestClient) -> None:
    assert "missing JWT" in refused(jwt_client.post(SERVICE, json=hook()))
    assert "not a JWT" in refused(call(jwt_client, KEY_A))  # an API key is not enough here
    assert jwt_client.get("/cds-services").status_code == 200  # discovery stays open


def test_the_key_server_down_or_slow_is_a_quick_503(
    spine_index: SpineIndex, spine_pipeline: Pipeline, tmp_path: Path, keyserver: KeyServer
) -> None:
    store = new_store(tmp_path / "s.db")
    # down: nothing listens on the URL
    dead = ehr("http://127.0.0.1:9/jwks.json")  # the discard port: nothing answers
    with TestClient(make_app(spine_index, spine_pipeline, store, cds_ehrs=[dead])) as c:
        started = time.monotonic()
        assert "cannot fetch" in refused(call(c, token()), 503)
        assert time.monotonic() - started < 5
    # slow: the key server answers after 5 s, the timeout is 1 s
    app = make_app(
        spine_index, spine_pipeline, store, cds_ehrs=[ehr(keyserver.url)], cds_jwks_timeout_s=1.0
    )
    keyserver.mode = "slow"
    try:
        with TestClient(app) as c:
            started = time.monotonic()
            r = call(c, token())
            first = time.monotonic() - started
            assert "cannot fetch" in refused(r, 503)
            assert r.headers["retry-after"] == "5"
            started = time.monotonic()
            refused(call(c, token()), 503)  # right after a failure: no second wait
            second = time.monotonic() - started
        assert first < 4.5, first
        assert second < first, (first, second)
    finally:
        keyserver.mode = "ok"


def test_keys_fetched_serve_while_the_key_server_fails(
    spine_index: SpineIndex, spine_pipeline: Pipeline, tmp_path: Path, keyserver: KeyServer
) -> None:
    store = new_store(tmp_path / "s.db")
    app = make_app(
        spine_index, spine_pipeline, store, cds_ehrs=[ehr(keyserver.url)], cds_jwks_cache_s=1
    )
    with TestClient(app) as c:
        assert call(c, token()).status_code == 200
        keyserver.mode = "error"
        try:
            time.sleep(1.2)  # the cached set has expired; the refetch fails with a 500
            assert call(c, token()).status_code == 200  # the last keys still serve
        finally:
            keyserver.mode = "ok"


def test_a_jwks_file(spine_index: SpineIndex, spine_pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(JWKS))
    file_ehr = TrustedEhr(issuer=ISSUER, jwks_file=path, tenant="clinic-b", algorithms=("ES384",))
    store = new_store(tmp_path / "s.db")
    with TestClient(make_app(spine_index, spine_pipeline, store, cds_ehrs=[file_ehr])) as c:
        r = call(c, token())
        assert r.status_code == 200, r.text
        assert store.audit_rows(r.headers["x-request-id"])[0]["tenant"] == "clinic-b"
        assert "trusted with ES384 only" in refused(call(c, token(RSA_KEY, "RS384", "rsa-1")))


def test_a_replay_is_refused_by_another_process(tmp_path: Path) -> None:
    """The jti store is the SQL store: a second process sees the first one's tokens."""
    db = tmp_path / "shared.db"
    store = new_store(db)
    from datetime import UTC, datetime, timedelta

    expires = datetime.now(UTC) + timedelta(minutes=5)
    assert store.claim_jti(ISSUER, "jti-1", expires)
    code = (
        "import sys; from datetime import UTC, datetime, timedelta; "
        "from scribeplugin.store import Store; "
        f"s = Store('sqlite:///{db}'); "
        "e = datetime.now(UTC) + timedelta(minutes=5); "
        f"print(s.claim_jti({ISSUER!r}, 'jti-1', e), s.claim_jti({ISSUER!r}, 'jti-2', e))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert not store.claim_jti(ISSUER, "jti-2", expires)  # and the other way round


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        (
            {
                "issuer": ISSUER,
                "jwks_url": "https://ehr.example.org/jwks",
                "tenant": "a",
                "algorithms": ["HS256"],
            },
            "algorithms",
        ),
        (
            {
                "issuer": ISSUER,
                "jwks_url": "https://ehr.example.org/jwks",
                "tenant": "a",
                "algorithms": ["none"],
            },
            "algorithms",
        ),
        ({"issuer": ISSUER, "jwks_url": "http://ehr.example.org/jwks", "tenant": "a"}, "https"),
        ({"issuer": ISSUER, "tenant": "a"}, "exactly one of"),
        (
            {
                "issuer": ISSUER,
                "jwks_url": "https://x.org/j",
                "jwks_file": "/tmp/j.json",
                "tenant": "a",
            },
            "exactly one of",
        ),
        ({"issuer": ISSUER, "jwks_url": "https://x.org/j", "tenant": "bad tenant"}, "tenant"),
    ],
)
def test_bad_ehr_settings_are_refused(entry: dict[str, Any], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Settings(cds_ehrs=[entry])


def test_the_ehrs_file(tmp_path: Path) -> None:
    path = tmp_path / "ehrs.yaml"
    path.write_text(f"- issuer: {ISSUER}\n  jwks_url: https://ehr.example.org/jwks\n  tenant: a\n")
    assert Settings(cds_ehrs_file=path).trusted_ehrs()[0].algorithms == ("ES384", "RS384")
    path.write_text(f"- issuer: {ISSUER}\n  tenant: a\n")
    with pytest.raises(ConfigError, match="SCRIBE_CDS_EHRS_FILE"):
        Settings(cds_ehrs_file=path)
    twice = tmp_path / "twice.yaml"
    twice.write_text(f"- issuer: {ISSUER}\n  jwks_url: https://y.org/j\n  tenant: b\n")
    with pytest.raises(ConfigError, match="configured twice"):
        Settings(
            cds_ehrs=[{"issuer": ISSUER, "jwks_url": "https://x.org/j", "tenant": "a"}],
            cds_ehrs_file=twice,
        )


def test_api_keys_still_work_when_no_ehr_is_configured(keyed: TestClient) -> None:
    r = keyed.post(SERVICE, json=hook(), headers=bearer(KEY_A))
    assert r.status_code == 200, r.text
