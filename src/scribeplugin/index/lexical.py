"""Lexical retrieval: BM25 (bm25s) over chunk text, saved beside the Chroma data.

The tokenizer lowercases, drops English stopwords, stems words (Snowball English, so
"degenerated" meets "degeneration") and keeps whole the tokens coders search by: ICD-10-CM codes
(``m53.87``, ``s33.5xxa``) and spinal levels (``l5-s1``; ``L4-5`` becomes ``l4-l5``). The saved
index also holds every chunk's text and metadata, so the retriever can resolve, filter and show
any hit without a round trip to the vector store.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN
from numpy.typing import NDArray

from scribeplugin.errors import IndexNotReadyError
from scribeplugin.index.chunk import Chunk

_TOKEN = re.compile(
    r"(?P<level>\b[ctls]\d{1,2}\s?[-/]\s?[ctls]?\d{1,2}\b)"
    r"|(?P<code>\b[a-z]\d[0-9a-z]\.[0-9a-z]{1,4}\b)"
    r"|(?P<word>[a-z0-9]+)"
)
_LEVEL_PART = re.compile(r"([ctls]?)(\d{1,2})")
STOPWORDS = frozenset(STOPWORDS_EN)
# bm25s sets its own logger to DEBUG on import and logs every build; keep it quiet.
logging.getLogger("bm25s").setLevel(logging.WARNING)
RECORDS_FILE = "chunks.jsonl"
BM25_DIR = "bm25"


_local = threading.local()  # a PyStemmer object must not be shared between threads


def _stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    stemmed: str = stemmer.stemWord(word)
    return stemmed


def tokenize(text: str) -> list[str]:
    """Lowercase stemmed tokens without English stopwords; codes and spinal levels stay whole."""
    out: list[str] = []
    for m in _TOKEN.finditer(text.lower()):
        if m.lastgroup == "level":
            out.append(_level(m.group()))
        elif m.lastgroup == "code":
            out.append(m.group())
        elif (tok := m.group()) not in STOPWORDS:
            out.append(_stem(tok))
    return out


def _level(raw: str) -> str:
    (first_letter, first_num), (second_letter, second_num) = _LEVEL_PART.findall(raw)[:2]
    return f"{first_letter}{first_num}-{second_letter or first_letter}{second_num}"


@dataclass(frozen=True, slots=True)
class Record:
    """What the retriever shows for a chunk: its id, stored text and metadata."""

    id: str
    text: str
    metadata: dict[str, Any]


class LexicalIndex:
    """BM25 over the chunks of one collection, plus their records, aligned by position."""

    def __init__(self, bm25: Any, records: Sequence[Record]) -> None:
        self._bm25 = bm25
        self.records: list[Record] = list(records)
        self.position = {r.id: i for i, r in enumerate(self.records)}
        self._codes = [str(r.metadata.get("code", "")) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def code_of(self, position: int) -> str:
        return self._codes[position]

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([tokenize(c.text) for c in chunks], show_progress=False)
        return cls(bm25, [Record(c.id, c.text, dict(c.metadata)) for c in chunks])

    def save(self, directory: Path) -> None:
        """Write to a fresh folder, then swap it in, so a reader never sees half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = directory.with_name(f".{directory.name}.{uuid.uuid4().hex}")
        tmp.mkdir()
        try:
            self._bm25.save(str(tmp / BM25_DIR), show_progress=False)
            with (tmp / RECORDS_FILE).open("w", encoding="utf-8") as f:
                for r in self.records:
                    f.write(json.dumps({"id": r.id, "text": r.text, "metadata": r.metadata}))
                    f.write("\n")
            old = directory.with_name(f".{directory.name}.old.{uuid.uuid4().hex}")
            if directory.exists():
                directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        if not (directory / RECORDS_FILE).is_file():
            raise IndexNotReadyError(
                f"No lexical index at {directory}. Build the index: scribeplugin index build"
            )
        bm25 = bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False)
        records = []
        with (directory / RECORDS_FILE).open(encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                records.append(Record(d["id"], d["text"], d["metadata"]))
        return cls(bm25, records)

    def search(
        self, query: str, n: int, mask: NDArray[np.bool_] | None = None
    ) -> list[tuple[int, float]]:
        """Up to ``n`` (record position, BM25 score), best first; only records that share a
        term with the query and pass ``mask``."""
        ids = self._bm25.get_tokens_ids(tokenize(query))
        if not ids or n <= 0:
            return []
        scores = np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > n:
            hits = hits[np.argpartition(-scores[hits], n - 1)[:n]]
        # best first; ties broken by position so results are reproducible
        order = np.lexsort((hits, -scores[hits]))
        return [(int(hits[i]), float(scores[hits[i]])) for i in order]
