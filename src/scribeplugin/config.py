"""Settings, read from the environment (prefix ``SCRIBE_``) and validated at start-up."""

from __future__ import annotations

import ipaddress
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scribeplugin.errors import ConfigError

# A source checkout keeps corpus/, prompts/ and evals/ beside src/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _project_path(name: str) -> Path:
    here = PROJECT_ROOT / name
    return here if here.exists() else Path.cwd() / name


def apply_offline_environment() -> None:
    """No hub downloads, no telemetry: set before any model or Chroma import."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Scope(StrEnum):
    """How much of the tabular list goes into the index (cards are always in)."""

    spine = "spine"
    musculoskeletal = "musculoskeletal"
    all = "all"


# Signature algorithms a trusted EHR may use: asymmetric only (an HMAC "key" would be a secret
# shared with the EHR, and "none" is no signature). CDS Hooks asks for ES384 or RS384.
JwtAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
]
_TENANT_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class TrustedEhr(BaseModel):
    """An EHR (CDS client) whose signed JWTs the CDS Hooks services accept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(
        min_length=1, max_length=512, description="the 'iss' of its JWTs, exactly as it sends it"
    )
    jwks_url: str | None = Field(
        default=None,
        max_length=2048,
        description="where it publishes its public keys (a JWK Set): https://..., or http:// on "
        "a loopback address",
    )
    jwks_file: Path | None = Field(default=None, description="its JWK Set as a local JSON file")
    algorithms: tuple[JwtAlgorithm, ...] = Field(
        default=("ES384", "RS384"), min_length=1, description="signature algorithms accepted"
    )
    tenant: str = Field(
        pattern=_TENANT_NAME, description="the tenant its calls and their feedback belong to"
    )

    @model_validator(mode="after")
    def _one_key_source(self) -> TrustedEhr:
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError(
                f"EHR {self.issuer!r}: give exactly one of jwks_url (its published JWK Set) "
                "and jwks_file (a copy of it on disk)"
            )
        if self.jwks_url is not None:
            parts = urlsplit(self.jwks_url)
            if parts.scheme == "http" and not _loopback(parts.hostname or ""):
                raise ValueError(
                    f"EHR {self.issuer!r}: jwks_url must be https:// (http:// only on a "
                    "loopback address): keys fetched in clear could be swapped in transit"
                )
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"EHR {self.issuer!r}: jwks_url must be an https:// URL")
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Every knob of scribeplugin. Environment: ``SCRIBE_<FIELD>`` (e.g. ``SCRIBE_CHROMA_URL``)."""

    model_config = SettingsConfigDict(env_prefix="SCRIBE_", extra="ignore")

    corpus_dir: Path = Field(default_factory=lambda: _project_path("corpus"))
    prompts_dir: Path = Field(default_factory=lambda: _project_path("prompts"))
    evals_dir: Path = Field(default_factory=lambda: _project_path("evals"))
    data_dir: Path = Field(default_factory=lambda: _project_path("var"))
    # Clinical knowledge (concepts, patterns, code tables) beyond corpus/knowledge: extra folders
    # or files of the same format, loaded after it (a clinic's own additions; tests).
    knowledge_extra: list[Path] = Field(
        default_factory=list, description="extra knowledge folders or files (JSON list of paths)"
    )
    # Material that is not ours (real encounters, the NegEx/ConText set), read where it lies and
    # never copied into the repository: ../shared/external beside the checkout.
    external_dir: Path = Field(
        default_factory=lambda: PROJECT_ROOT.parent / "shared" / "external",
        description="the shared external data (real-visit suite, NegEx/ConText set)",
    )

    # Code set: the packaged April 1, 2026 update unless a CDC release is given by path.
    code_list_path: Path | None = None
    tabular_xml_path: Path | None = None
    # Alphabetic Index: the FY2025 index vendored in corpus/alphabetic unless a CDC index XML
    # (icd10cm_index_<year>.xml, the Index to Diseases and Injuries) is given by path.
    index_xml_path: Path | None = Field(
        default=None,
        description="a CDC ICD-10-CM index XML (Index to Diseases and Injuries); unset: the "
        "FY2025 index vendored in corpus/alphabetic",
    )

    # Index and retrieval.
    index_scope: Scope = Scope.musculoskeletal
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); local files when unset."
    )
    embedding_batch_size: int = Field(default=64, ge=1, le=1024)
    embedder: Literal["auto", "torch", "onnx-int8"] = Field(
        default="auto",
        description="'auto': MiniLM quantized to int8 (ONNX Runtime) on a CPU with AVX512-VNNI, "
        "fp32 torch elsewhere; 'torch': always fp32; 'onnx-int8': int8 with the CPU's best "
        "kernels. The index records the embedder that built it; another one needs a rebuild.",
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="where the int8 model built from the packaged weights is kept; unset: "
        "<data_dir>/models",
    )
    rrf_k: int = Field(default=60, ge=1)

    # Input limits: a transcript longer than this is refused with a clear error (about 30,000
    # words; a one-hour visit is about 10,000).
    max_transcript_chars: int = Field(default=200_000, ge=1)

    # Drafting. The rules drafter is the default; the LLM drafter needs a provider the user runs.
    drafter: Literal["rules", "llm"] = "rules"
    llm_provider: Literal["openai", "ollama"] = Field(
        default="openai",
        description="'openai': any OpenAI-compatible server (OpenAI, Azure OpenAI v1, vLLM, "
        "llama.cpp server, Ollama's /v1); 'ollama': Ollama's native API.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="e.g. http://127.0.0.1:8080/v1 (llama.cpp) or "
        "http://127.0.0.1:11434 (Ollama native); unset means api.openai.com for 'openai'.",
    )
    llm_api_key: SecretStr | None = Field(default=None, description="never logged")
    llm_model: str | None = None
    llm_timeout_s: float = Field(default=20.0, gt=0, le=600)
    llm_max_retries: int = Field(default=1, ge=0, le=10)
    llm_max_output_tokens: int = Field(default=1500, ge=64, le=32768)
    llm_max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = Field(
        default="max_tokens",
        description="the request field that caps the reply; some servers ignore "
        "max_completion_tokens, OpenAI's newer models reject max_tokens",
    )
    llm_structured_method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema"
    llm_temperature: float | None = Field(
        default=0.0, ge=0.0, le=2.0, description="None: do not send a temperature"
    )
    llm_num_ctx: int | None = Field(
        default=None,
        ge=2048,
        description="Ollama native only: context window (num_ctx); "
        "Ollama truncates longer prompts silently, 16384 fits the draft prompt",
    )
    llm_prompt: str = Field(default="draft.v1", pattern=r"^[a-z][a-z0-9_]*\.v[0-9]+$")
    llm_cache_dir: Path | None = Field(
        default=None,
        description="disk cache of LLM replies keyed by sha256(model, prompt version, rendered "
        "input); replies quote the transcript, so keep it where PHI may live (evals use it)",
    )
    llm_cache_bypass: bool = Field(
        default=False, description="ignore cached replies (still writes fresh ones)"
    )

    # Service (``scribeplugin serve``, the HTTP API). See ``scribeplugin.api.security``.
    environment: Literal["development", "production"] = Field(
        default="development",
        description="'production' refuses unsafe settings (transcript text in logs) and needs "
        "API keys; 'development' serves without keys only on a loopback address",
    )
    host: str = Field(default="127.0.0.1", description="address the server binds to")
    port: int = Field(default=8000, ge=1, le=65535)
    api_keys: SecretStr | None = Field(
        default=None,
        description="'tenant:sha256hex' pairs separated by commas or newlines: the sha256 of "
        "each key, never the key (`scribeplugin api-key TENANT` makes one)",
    )
    api_keys_file: Path | None = Field(
        default=None, description="a file of 'tenant:sha256hex' lines (# comments allowed)"
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="feedback and audit store; unset: SQLite at <data_dir>/scribe.db; "
        "postgresql+psycopg://user:pass@host/db for PostgreSQL (extra 'postgres')",
    )
    store_transcript_text: bool = Field(
        default=False,
        description="keep transcript text in the audit store (its sha256 is always kept)",
    )
    log_transcript_text: bool = Field(
        default=False, description="debug only: log transcript text (refused in production)"
    )
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="HTTP request body limit")
    request_timeout_s: float = Field(default=30.0, gt=0, le=600, description="per suggest call")
    max_concurrent_suggest: int = Field(
        default=4,
        ge=1,
        le=256,
        description="pipeline calls run at once per worker; more queue, and long ones (over "
        "40,000 characters or running over 1 s) stand aside for shorter ones (api.lane)",
    )
    # Connections, per worker (see ``scribeplugin.api.connections`` and the README's proxy
    # settings): slow clients are cut off so they cannot hold connections or request slots.
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="a request's head must arrive within this many seconds of the connection "
        "opening or of its first byte; else 408 and the connection is closed",
    )
    body_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="a request's body must arrive in full within this many seconds of its head; "
        "else 408 and the connection is closed",
    )
    keep_alive_timeout_s: float = Field(
        default=5.0, gt=0, le=300, description="an idle keep-alive connection is closed after this"
    )
    max_connections: int = Field(
        default=256,
        ge=8,
        le=100_000,
        description="open connections (and requests in progress) per worker; past it, 503",
    )
    max_header_bytes: int = Field(
        default=65_536,
        ge=4096,
        le=1_048_576,
        description="the largest request head (request line and headers); past it, 431",
    )
    # CDS Hooks authentication (``scribeplugin.api.cds_auth``). With trusted EHRs configured,
    # the CDS Hooks services accept only their signed JWTs; without, API keys as elsewhere.
    cds_ehrs: list[TrustedEhr] = Field(
        default_factory=list,
        description='JSON list of trusted EHRs: [{"issuer", "jwks_url" or "jwks_file", '
        '"algorithms", "tenant"}]',
    )
    cds_ehrs_file: Path | None = Field(
        default=None, description="a YAML or JSON file holding that list (added to cds_ehrs)"
    )
    cds_jwks_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="connect and read timeout of a JWK Set fetch"
    )
    cds_jwks_cache_s: float = Field(
        default=300.0,
        ge=1,
        le=86_400,
        description="a fetched JWK Set is used this long; while the key server is down, for "
        "as long again",
    )
    cds_jwt_leeway_s: float = Field(
        default=30.0, ge=0, le=300, description="clock skew allowed on exp and iat"
    )
    cds_jwt_max_lifetime_s: int = Field(
        default=3600,
        ge=60,
        le=86_400,
        description="JWTs valid longer (exp - iat) are refused; CDS Hooks recommends 5 minutes",
    )
    cors_origins: str = Field(
        default="", description="comma-separated browser origins allowed to call the API ('*': any)"
    )
    public_url: str | None = Field(
        default=None,
        description="external base URL (https://scribe.example.org) for links in CDS Hooks "
        "cards; unset: the URL the request came in on",
    )

    @property
    def knowledge_dirs(self) -> list[Path]:
        """Where clinical knowledge is read from: the corpus's, then the extra ones."""
        return [self.corpus_dir / "knowledge", *self.knowledge_extra]

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def database(self) -> str:
        """The store URL: ``SCRIBE_DATABASE_URL`` or the SQLite file under the data folder."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'scribe.db'}"

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @model_validator(mode="after")
    def _refuse_unsafe_production_values(self) -> Settings:
        if self.environment == "production" and self.log_transcript_text:
            raise ConfigError(
                "SCRIBE_LOG_TRANSCRIPT_TEXT=true puts patient speech (PHI) in the logs and is "
                "refused when SCRIBE_ENVIRONMENT=production. Unset it."
            )
        return self

    def trusted_ehrs(self) -> list[TrustedEhr]:
        """``cds_ehrs`` and those of ``cds_ehrs_file``; ConfigError (with the fix) if the file
        cannot be read or an issuer is configured twice."""
        ehrs = list(self.cds_ehrs)
        if self.cds_ehrs_file is not None:
            ehrs += _read_ehrs(self.cds_ehrs_file)
        issuers = [e.issuer for e in ehrs]
        twice = sorted({i for i in issuers if issuers.count(i) > 1})
        if twice:
            raise ConfigError(
                f"SCRIBE_CDS_EHRS: the issuer {twice[0]!r} is configured twice; give each "
                "trusted EHR once"
            )
        return ehrs

    @model_validator(mode="after")
    def _ehrs_file_is_readable(self) -> Settings:
        self.trusted_ehrs()
        return self

    @model_validator(mode="after")
    def _release_paths_come_in_pairs(self) -> Settings:
        if (self.code_list_path is None) != (self.tabular_xml_path is None):
            raise ConfigError(
                "Set both SCRIBE_CODE_LIST_PATH and SCRIBE_TABULAR_XML_PATH (a CDC ICD-10-CM "
                "release's code list and tabular XML), or neither to use the packaged release."
            )
        return self

    @field_validator(
        "llm_temperature", "llm_num_ctx", "llm_cache_dir", "model_cache_dir", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        """``SCRIBE_LLM_TEMPERATURE=none`` (or empty) sends no temperature at all."""
        return None if isinstance(v, str) and v.strip().lower() in {"", "none", "null"} else v

    @model_validator(mode="after")
    def _llm_drafter_needs_a_model(self) -> Settings:
        if self.drafter == "llm" and not self.llm_model:
            raise ConfigError(
                "SCRIBE_DRAFTER=llm needs SCRIBE_LLM_MODEL (and SCRIBE_LLM_BASE_URL for a local "
                "server); see docs/llm.md, or set SCRIBE_DRAFTER=rules."
            )
        return self


def _read_ehrs(path: Path) -> list[TrustedEhr]:
    import yaml
    from pydantic import TypeAdapter, ValidationError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read SCRIBE_CDS_EHRS_FILE={path} ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"SCRIBE_CDS_EHRS_FILE={path} is not YAML or JSON: {exc}") from None
    try:
        return TypeAdapter(list[TrustedEhr]).validate_python(data or [])
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"SCRIBE_CDS_EHRS_FILE={path}: {problems}. Each entry needs issuer, jwks_url or "
            "jwks_file, and tenant (algorithms optional)."
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings from the environment (tests build their own ``Settings``)."""
    return Settings()
