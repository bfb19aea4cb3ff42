"""CDS Hooks authentication: the EHR's signed JWT, verified as the CDS Hooks spec describes.

An EHR (CDS client) calls a CDS service with ``Authorization: Bearer <JWT>``, signed with its
private key. For each trusted EHR (``SCRIBE_CDS_EHRS``: issuer, JWK Set URL or file, allowed
algorithms, tenant) the service checks, with PyJWT:

- the header: ``alg`` is one the EHR is trusted with (never ``none``, never HMAC), ``kid``
  names a key of the EHR's JWK Set (and the algorithm the key declares, if it declares one);
- the signature, with that key;
- the claims: ``iss`` is the EHR, ``aud`` is the URL of the endpoint being called (for the
  feedback endpoint, that URL or its service's), ``exp`` is in the future and ``iat`` not, both
  within ``SCRIBE_CDS_JWT_LEEWAY_S``; the token is valid for at most
  ``SCRIBE_CDS_JWT_MAX_LIFETIME_S``;
- ``jti`` was never seen before from this issuer while the token is valid: the store records
  it (a primary key, so across every API process and host), and a replay is refused.

The ``jku`` header is never followed: keys come only from the configured URL or file.

The JWK Set is fetched with PyJWT's ``PyJWKClient`` (timeout ``SCRIBE_CDS_JWKS_TIMEOUT_S`` per
connect and read, no redirects) and used for ``SCRIBE_CDS_JWKS_CACHE_S``; an unknown ``kid``
fetches it again at most every 30 s (a rotated key). If the key server cannot be reached, the
last keys fetched serve for as long again, then the service answers 503; after a failed fetch,
calls within the next few seconds get that 503 at once instead of each waiting for a timeout.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError, PyJWTError

from scribeplugin.api.text import excerpt
from scribeplugin.config import Settings, TrustedEhr
from scribeplugin.store import Store

log = logging.getLogger(__name__)

# The public key types each algorithm family verifies with (RS/PS: RSA, ES: EC, Ed: EdDSA).
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "RS": (rsa.RSAPublicKey,),
    "PS": (rsa.RSAPublicKey,),
    "ES": (ec.EllipticCurvePublicKey,),
    "Ed": (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey),
}

REFETCH_UNKNOWN_KID_S = 30.0  # an unknown kid fetches the JWK Set again at most this often
RETRY_AFTER_FAILURE_S = 5.0  # after a failed fetch, answer 503 at once for this long
MAX_JTI = 255


class CdsAuthError(Exception):
    """The JWT is not acceptable (401); the message says why, without echoing the token."""


class KeyServerError(Exception):
    """The EHR's keys cannot be had right now (503)."""


@dataclass(frozen=True, slots=True)
class Caller:
    issuer: str
    tenant: str


class JwkSource:
    """The signing keys of one EHR, from its JWK Set URL (fetched, cached) or file."""

    def __init__(self, ehr: TrustedEhr, settings: Settings) -> None:
        self.ehr = ehr
        self.cache_s = settings.cds_jwks_cache_s
        self._client = (
            PyJWKClient(
                ehr.jwks_url,
                cache_jwk_set=True,
                lifespan=settings.cds_jwks_cache_s,
                timeout=settings.cds_jwks_timeout_s,
                cooldown_duration=REFETCH_UNKNOWN_KID_S,
                headers={"User-Agent": "scribeplugin", "Accept": "application/json"},
            )
            if ehr.jwks_url is not None
            else None
        )
        self._lock = threading.Lock()  # one fetch at a time: the others wait, then share it
        self._good: tuple[float, list[PyJWK]] | None = None  # last keys fetched, and when
        self._refetched = 0.0
        self._failed_until = 0.0
        self._failure = ""
        self._file_state: tuple[float, list[PyJWK]] | None = None

    @property
    def where(self) -> str:
        return self.ehr.jwks_url or str(self.ehr.jwks_file)

    def key(self, kid: str) -> PyJWK:
        """The key ``kid``; CdsAuthError if the EHR has no such key, KeyServerError if its keys
        cannot be had."""
        with self._lock:
            keys = self._keys(refresh=False)
            found = _match(keys, kid)
            now = time.monotonic()
            if (
                found is None
                and self._client is not None
                and now - self._refetched > (REFETCH_UNKNOWN_KID_S)
            ):
                self._refetched = now
                found = _match(self._keys(refresh=True), kid)
        if found is None:
            raise CdsAuthError(
                f"the token's kid {excerpt(kid)!r} names no key of the EHR's JWK Set "
                f"({self.where}); sign with a key published there"
            )
        return found

    def _keys(self, *, refresh: bool) -> list[PyJWK]:
        if self._client is None:
            return self._file_keys()
        now = time.monotonic()
        if now < self._failed_until:
            return self._stale_or_fail(now)
        try:
            keys = self._client.get_signing_keys(refresh=refresh)
        except PyJWKClientConnectionError as exc:
            self._failed_until = now + RETRY_AFTER_FAILURE_S
            self._failure = f"cannot fetch the EHR's JWK Set from {self.where} ({_why(exc)})"
            log.warning("CDS Hooks: %s", self._failure)
            return self._stale_or_fail(now)
        except (PyJWKClientError, PyJWKSetError) as exc:
            self._failed_until = now + RETRY_AFTER_FAILURE_S
            self._failure = f"the EHR's JWK Set at {self.where} is not usable ({exc})"
            log.warning("CDS Hooks: %s", self._failure)
            return self._stale_or_fail(now)
        self._good = (self._fetched_at() or now, keys)
        return keys

    def _fetched_at(self) -> float | None:
        """When the cached JWK Set was fetched (``time.monotonic``), as PyJWT's cache has it."""
        cache = self._client.jwk_set_cache if self._client is not None else None
        entry = cache.jwk_set_with_timestamp if cache is not None else None
        return float(entry.get_timestamp()) if entry is not None else None

    def _stale_or_fail(self, now: float) -> list[PyJWK]:
        """The last keys fetched, while they are at most two cache periods old."""
        if self._good is not None and now - self._good[0] < 2 * self.cache_s:
            return self._good[1]
        raise KeyServerError(
            f"{self._failure}; retry shortly (the EHR's key server must answer within "
            "SCRIBE_CDS_JWKS_TIMEOUT_S)"
        )

    def _file_keys(self) -> list[PyJWK]:
        path = Path(str(self.ehr.jwks_file))
        try:
            mtime = path.stat().st_mtime
            if self._file_state is not None and self._file_state[0] == mtime:
                return self._file_state[1]
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            keys = [k for k in PyJWKSet.from_dict(data).keys if k.public_key_use in ("sig", None)]
        except (OSError, ValueError, PyJWKSetError) as exc:
            raise KeyServerError(f"cannot read the EHR's JWK Set file {path} ({exc})") from None
        self._file_state = (mtime, keys)
        return keys


def _match(keys: list[PyJWK], kid: str) -> PyJWK | None:
    return next((k for k in keys if k.key_id == kid), None)


def _why(exc: Exception) -> str:
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else "no answer"


class CdsAuth:
    """Verifies the JWTs of the trusted EHRs; ``enabled`` only when some are configured."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.sources = {e.issuer: JwkSource(e, settings) for e in settings.trusted_ehrs()}

    @property
    def enabled(self) -> bool:
        return bool(self.sources)

    def verify(self, token: str, audiences: list[str]) -> Caller:
        """The EHR and tenant of a valid token; CdsAuthError or KeyServerError otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except PyJWTError:
            raise CdsAuthError(
                "the bearer token is not a JWT; the EHR must send 'Authorization: Bearer <JWT>' "
                "signed with its private key (CDS Hooks security)"
            ) from None
        issuer = unverified.get("iss")
        source = self.sources.get(issuer) if isinstance(issuer, str) else None
        if source is None:
            raise CdsAuthError(
                f"the token's issuer {excerpt(issuer)!r} is not a trusted EHR; add it to "
                "SCRIBE_CDS_EHRS (issuer, jwks_url or jwks_file, tenant)"
            )
        ehr = source.ehr
        alg = header.get("alg")
        if alg not in ehr.algorithms:
            raise CdsAuthError(
                f"the token is signed with {excerpt(alg)!r}; this EHR is trusted with "
                f"{', '.join(ehr.algorithms)} only"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise CdsAuthError("the token's header has no kid: name the key that signed it")
        key = source.key(kid)
        if not isinstance(key.key, _KEY_TYPES[alg[:2]]):
            raise CdsAuthError(
                f"the key {excerpt(kid)!r} is a {type(key.key).__name__}, which cannot verify "
                f"{alg}; sign with a key of the right type"
            )
        claims = self._claims(token, key, ehr, alg, audiences)
        self._claim_jti(ehr, claims)
        return Caller(ehr.issuer, ehr.tenant)

    def _claims(
        self, token: str, key: PyJWK, ehr: TrustedEhr, alg: str, audiences: list[str]
    ) -> dict[str, Any]:
        leeway = self.settings.cds_jwt_leeway_s
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=audiences,
                issuer=ehr.issuer,
                leeway=leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise CdsAuthError("the token has expired (exp); send a fresh one") from None
        except jwt.InvalidAudienceError:
            raise CdsAuthError(
                f"the token's aud is not this endpoint: it must be {audiences[0]} (set "
                "SCRIBE_PUBLIC_URL to the URL the EHR calls)"
            ) from None
        except jwt.ImmatureSignatureError:
            raise CdsAuthError("the token is not valid yet (iat or nbf in the future)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise CdsAuthError(
                f"the token has no {exc.claim} claim (CDS Hooks requires it)"
            ) from None
        except jwt.InvalidSignatureError:
            raise CdsAuthError("the token's signature does not verify with its key") from None
        except PyJWTError as exc:
            raise CdsAuthError(f"the token is not acceptable: {excerpt(exc, 200)}") from None
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > self.settings.cds_jwt_max_lifetime_s:
            raise CdsAuthError(
                f"the token is valid for {lifetime:.0f} s; at most "
                f"{self.settings.cds_jwt_max_lifetime_s} s (SCRIBE_CDS_JWT_MAX_LIFETIME_S) are "
                "accepted (CDS Hooks recommends 5 minutes)"
            )
        return claims

    def _claim_jti(self, ehr: TrustedEhr, claims: dict[str, Any]) -> None:
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
            raise CdsAuthError(f"the token's jti must be a string of 1 to {MAX_JTI} characters")
        expires = datetime.fromtimestamp(
            float(claims["exp"]) + self.settings.cds_jwt_leeway_s, tz=UTC
        )
        if not self.store.claim_jti(ehr.issuer, jti, expires):
            raise CdsAuthError(
                "the token was used before (its jti has been seen): send a new token with each call"
            )
