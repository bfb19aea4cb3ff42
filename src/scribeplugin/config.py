"""Settings, read from the environment (prefix ``SCRIBE_``) and validated at start-up."""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
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


class Settings(BaseSettings):
    """Every knob of scribeplugin. Environment: ``SCRIBE_<FIELD>`` (e.g. ``SCRIBE_CHROMA_URL``)."""

    model_config = SettingsConfigDict(env_prefix="SCRIBE_", extra="ignore")

    corpus_dir: Path = Field(default_factory=lambda: _project_path("corpus"))
    prompts_dir: Path = Field(default_factory=lambda: _project_path("prompts"))
    evals_dir: Path = Field(default_factory=lambda: _project_path("evals"))
    data_dir: Path = Field(default_factory=lambda: _project_path("var"))

    # Code set: the packaged April 1, 2026 update unless a CDC release is given by path.
    code_list_path: Path | None = None
    tabular_xml_path: Path | None = None

    # Index and retrieval.
    index_scope: Scope = Scope.musculoskeletal
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); local files when unset."
    )
    embedding_batch_size: int = Field(default=64, ge=1, le=1024)
    rrf_k: int = Field(default=60, ge=1)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @model_validator(mode="after")
    def _release_paths_come_in_pairs(self) -> Settings:
        if (self.code_list_path is None) != (self.tabular_xml_path is None):
            raise ConfigError(
                "Set both SCRIBE_CODE_LIST_PATH and SCRIBE_TABULAR_XML_PATH (a CDC ICD-10-CM "
                "release's code list and tabular XML), or neither to use the packaged release."
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings from the environment (tests build their own ``Settings``)."""
    return Settings()
