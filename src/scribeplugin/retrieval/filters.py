"""Filters by chunk kind and code prefix or block, in the two forms the retrievers need: a
Chroma ``where`` for dense search and a mask over the BM25 records, so both lists rank the same
candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scribeplugin.errors import InputError
from scribeplugin.index.lexical import LexicalIndex

_BLOCK = re.compile(r"^[A-Z][0-9]{2}-[A-Z][0-9]{2}$")
_PREFIX = re.compile(r"^[A-Z](?:[0-9][0-9A-Z]{0,5})?$")


@dataclass(frozen=True, slots=True)
class _Filter:
    mask: NDArray[np.bool_] | None  # over lexical records
    where: dict[str, Any] | None  # Chroma metadata filter
    empty: bool  # nothing in the index can match


class _Columns:
    """Metadata of every record as arrays, for filter masks."""

    def __init__(self, lexical: LexicalIndex) -> None:
        meta = [r.metadata for r in lexical.records]
        self.kind = np.array([str(m.get("kind", "")) for m in meta])
        self.code = np.array([str(m.get("code", "")) for m in meta])
        self.bare = np.array([c.replace(".", "") for c in self.code])
        self.category = np.array([str(m.get("category", "")) for m in meta])
        self.block = np.array([str(m.get("block", "")) for m in meta])
        self.tabular = {
            str(m.get("code")): i for i, m in enumerate(meta) if m.get("source") == "tabular"
        }
        self.item = {
            str(m["item_id"]): i
            for i, m in enumerate(meta)
            if m.get("item_id") and m.get("kind") != "index"
        }
        self.index = {str(m["item_id"]): i for i, m in enumerate(meta) if m.get("kind") == "index"}
        self.votes = self.kind != "index"  # chunks that rank their code in the dense list


def normalize_prefix(prefix: str) -> str:
    """``m53.8-`` -> ``M538``; a block (``M50-M54``) stays as it is."""
    p = prefix.strip().upper()
    if _BLOCK.match(p):
        return p
    p = p.rstrip("-")
    dotted = "." not in p or (p.count(".") == 1 and p.index(".") == 3)
    p = p.replace(".", "")
    if not dotted or not _PREFIX.match(p):
        raise InputError(
            f"{prefix!r} is not a code prefix: give a code or its start (M53, M53.8, M53.87, "
            "M54.1-) or a block (M50-M54)."
        )
    return p


def compile_filter(cols: _Columns, kinds: tuple[str, ...], prefixes: tuple[str, ...]) -> _Filter:
    """One filter, two forms: a Chroma ``where`` and a mask over the BM25 records."""
    clauses: list[dict[str, Any]] = []
    mask = np.ones(len(cols.kind), dtype=bool)
    if kinds:
        clauses.append({"kind": {"$in": list(kinds)}})
        mask &= np.isin(cols.kind, kinds)
    if prefixes:
        alternatives: list[dict[str, Any]] = []
        any_mask = np.zeros(len(cols.kind), dtype=bool)
        blocks = [p for p in prefixes if _BLOCK.match(p)]
        short = [p for p in prefixes if not _BLOCK.match(p) and len(p) <= 3]
        long = [p for p in prefixes if not _BLOCK.match(p) and len(p) > 3]
        if blocks:
            alternatives.append({"block": {"$in": blocks}})
            any_mask |= np.isin(cols.block, blocks)
        if short:
            cats = sorted(
                {c for c in set(cols.category.tolist()) if c and c.startswith(tuple(short))}
            )
            if cats:
                alternatives.append({"category": {"$in": cats}})
                any_mask |= np.isin(cols.category, cats)
        if long:
            hit = np.zeros(len(cols.kind), dtype=bool)
            for p in long:
                hit |= (cols.category != "") & np.char.startswith(cols.bare, p)
            codes = sorted(set(cols.code[hit].tolist()))
            if codes:
                alternatives.append({"code": {"$in": codes}})
                any_mask |= hit
        if not alternatives:
            return _Filter(None, None, empty=True)
        clauses.append(alternatives[0] if len(alternatives) == 1 else {"$or": alternatives})
        mask &= any_mask
    if not clauses:
        return _Filter(None, None, empty=False)
    where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
    return _Filter(mask, where, empty=not mask.any())
