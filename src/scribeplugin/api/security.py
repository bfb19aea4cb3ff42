"""API keys (bearer), per tenant, and the start-up checks that refuse unsafe serving.

Keys are configured hashed: ``SCRIBE_API_KEYS="clinic-a:<sha256 hex>,clinic-b:<sha256 hex>"``
or ``SCRIBE_API_KEYS_FILE`` with one ``tenant:<sha256 hex>`` per line. The server never holds a
key in clear: it hashes the presented key and compares it with every configured hash in constant
time (``hmac.compare_digest``, no early exit), so neither timing nor a leaked config reveals a key.
``scribeplugin api-key TENANT`` makes a key and prints the line to configure.

Without keys the API is open, which is allowed only in development on a loopback address;
:func:`check_serving` refuses anything else at start-up with the fix.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass

from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError

LOCAL_TENANT = "local"  # the tenant of every request when no keys are configured
KEY_PREFIX = "sk_scribe_"
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class ApiKeys:
    """Configured (tenant, sha256) pairs."""

    entries: tuple[tuple[str, bytes], ...]

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    @property
    def tenants(self) -> list[str]:
        return sorted({t for t, _ in self.entries})

    def tenant_of(self, key: str) -> str | None:
        """The tenant whose key this is, or None. Compares against every hash, always."""
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        found: str | None = None
        for tenant, expected in self.entries:
            if hmac.compare_digest(digest, expected) and found is None:
                found = tenant
        return found

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiKeys:
        text = settings.api_keys.get_secret_value() if settings.api_keys else ""
        sources = [("SCRIBE_API_KEYS", text)]
        if settings.api_keys_file is not None:
            try:
                body = settings.api_keys_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"Cannot read SCRIBE_API_KEYS_FILE={settings.api_keys_file} ({exc.strerror})."
                ) from None
            sources.append((str(settings.api_keys_file), body))
        entries: list[tuple[str, bytes]] = []
        for where, body in sources:
            entries += _parse(where, body)
        digests = [d for _, d in entries]
        if len(set(digests)) != len(digests):
            raise ConfigError(f"{sources[0][0]}: the same key hash is configured twice.")
        return cls(tuple(entries))


def _parse(where: str, text: str) -> list[tuple[str, bytes]]:
    out = []
    for raw in re.split(r"[,\n]", text):
        item = raw.split("#", 1)[0].strip()
        if not item:
            continue
        tenant, sep, digest = item.partition(":")
        tenant, digest = tenant.strip(), digest.strip().lower()
        if not sep or not _TENANT.match(tenant) or not _HEX64.match(digest):
            raise ConfigError(
                f"{where}: an entry is not 'tenant:<sha256 hex of the key>' (tenant: letters, "
                "digits, '_.-', up to 64). Make a key and its line with `scribeplugin api-key "
                "TENANT`; configure the hash, never the key itself."
            )
        out.append((tenant, bytes.fromhex(digest)))
    return out


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_serving(settings: Settings, keys: ApiKeys | None = None) -> ApiKeys:
    """Refuse to serve without keys unless in development on loopback; return the keys."""
    keys = keys if keys is not None else ApiKeys.from_settings(settings)
    if keys.enabled:
        return keys
    if settings.environment != "development":
        raise ConfigError(
            "SCRIBE_ENVIRONMENT=production needs API keys: set SCRIBE_API_KEYS=tenant:<sha256> "
            "(make one with `scribeplugin api-key TENANT`) or SCRIBE_API_KEYS_FILE."
        )
    if not is_loopback(settings.host):
        raise ConfigError(
            f"Refusing to serve on {settings.host} without API keys: anyone who can reach it "
            "could read suggestions and write feedback. Set SCRIBE_API_KEYS=tenant:<sha256> "
            "(make one with `scribeplugin api-key TENANT`), or bind to 127.0.0.1."
        )
    return keys


def api_key_cli(tenant: str) -> int:
    """``scribeplugin api-key TENANT``: a new key, and the line that configures its hash."""
    if not _TENANT.match(tenant):
        raise ConfigError(f"{tenant!r} is not a tenant name (letters, digits, '_.-', up to 64).")
    key = new_key()
    print(f"key (give it to the client; it is not stored anywhere): {key}")
    print(
        f"configure (SCRIBE_API_KEYS, comma-separated, or a line of SCRIBE_API_KEYS_FILE): "
        f"{tenant}:{hash_key(key)}"
    )
    return 0
