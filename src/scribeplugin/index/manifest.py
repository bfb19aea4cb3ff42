"""The index's layout on disk and its manifest (what was built, from what, when), and what the
corpus would produce now (``plan_index``): what ``build`` and ``status`` compare.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scribeplugin.alphabetic import get_alphabetic
from scribeplugin.codeset import CodeSet, get_codeset
from scribeplugin.config import Scope, Settings
from scribeplugin.corpus.cards import load_cards
from scribeplugin.index.chunk import (
    Chunk,
    build_chunks,
    corpus_fingerprint,
    read_corpus_version,
)
from scribeplugin.index.embed import (
    TORCH_BACKEND,
    MiniLMEmbedder,
)
from scribeplugin.index.store import collection_name

log = logging.getLogger("scribeplugin.index.build")  # the name it has always logged under


MANIFEST_FORMAT = 1


# -- layout and manifest --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexLayout:
    """Where one collection's manifest and lexical index live."""

    root: Path

    @classmethod
    def of(cls, settings: Settings, collection: str) -> IndexLayout:
        return cls(settings.index_dir / collection)

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def lexical(self) -> Path:
        return self.root / "lexical"


@dataclass(slots=True)
class Manifest:
    collection: str
    scope: str
    model: str
    model_sha256: str
    dimension: int
    code_set: str
    code_set_fiscal_year: int
    corpus_version: str
    corpus_fingerprint: str
    counts: dict[str, int]
    store: str
    built_at: str
    embedder: str = TORCH_BACKEND  # how the vectors were computed; older manifests: torch
    format: int = MANIFEST_FORMAT

    @property
    def total(self) -> int:
        return self.counts.get("total", 0)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data) if data.get("format") == MANIFEST_FORMAT else None
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            log.warning("unreadable index manifest %s; treating the index as missing", path)
            return None


def build_command(settings: Settings, scope: Scope) -> str:
    """The exact command that (re)builds this index with these settings."""
    parts = ["scribeplugin"]
    if settings.data_dir != _default(settings, "data_dir"):
        parts += ["--data-dir", str(settings.data_dir)]
    parts += ["index", "build", "--scope", scope.value]
    if settings.corpus_dir != _default(settings, "corpus_dir"):
        parts += ["--corpus", str(settings.corpus_dir)]
    if settings.embedder != _default(settings, "embedder"):
        parts += ["--embedder", settings.embedder]
    return " ".join(parts)


STORE_SUBJECT = "Its collection in the vector store was"


def embedder_mismatch(
    settings: Settings, built_with: str, backend: str, subject: str = "It was"
) -> str:
    """Why an index built by one embedder cannot serve queries of another, and the way out."""
    how = (
        "SCRIBE_EMBEDDER=auto on this CPU"
        if settings.embedder == "auto"
        else f"SCRIBE_EMBEDDER={settings.embedder}"
    )
    back = "torch" if built_with == TORCH_BACKEND else "onnx-int8"
    return (
        f"{subject} built with the {built_with} embedder and this process embeds with {backend} "
        f"({how}); rebuild it (every chunk is embedded again), or set SCRIBE_EMBEDDER={back} "
        "to use it as it is."
    )


def _default(settings: Settings, name: str) -> Any:
    return type(settings).model_fields[name].get_default(call_default_factory=True)


# -- what the corpus would produce now ------------------------------------------------------------


@dataclass(slots=True)
class IndexPlan:
    scope: Scope
    collection: str
    codeset: CodeSet
    corpus_version: str
    chunks: list[Chunk]
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        self.fingerprint = corpus_fingerprint(c.id for c in self.chunks)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {"total": len(self.chunks)}
        for c in self.chunks:
            out[c.kind] = out.get(c.kind, 0) + 1
        return out


def plan_index(
    settings: Settings, scope: Scope, model: str, codeset: CodeSet | None = None
) -> IndexPlan:
    codeset = codeset or get_codeset(settings.code_list_path, settings.tabular_xml_path)
    version = read_corpus_version(settings.corpus_dir)
    cards = load_cards(settings.corpus_dir)
    alphabetic = get_alphabetic(settings.index_xml_path, settings.corpus_dir)
    chunks = build_chunks(codeset, cards, scope, alphabetic)
    name = collection_name(scope, model, codeset.release.fiscal_year, version)
    return IndexPlan(scope, name, codeset, version, chunks)


def current_collection(settings: Settings, scope: Scope, model: str = MiniLMEmbedder.name) -> str:
    """The collection name for these settings, without chunking anything."""
    codeset = get_codeset(settings.code_list_path, settings.tabular_xml_path)
    version = read_corpus_version(settings.corpus_dir)
    return collection_name(scope, model, codeset.release.fiscal_year, version)
