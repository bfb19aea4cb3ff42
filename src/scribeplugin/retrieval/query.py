"""What a search takes and gives: the query's forms (negated phrases out of the embedded text,
their terms out of BM25's) and the passages returned.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")


_NEGATION = re.compile(
    r"\b(without|no|not|denies|denied|denying|negative\s+for|free\s+of|absence\s+of|never)\b"
    r".*?(?=[,.;:!?()]|\b(?:but|however|although|though|with|except|which|who)\b|$)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z0-9]")


def query_forms(query: str) -> tuple[str, str]:
    """(text to embed, text for BM25): negated phrases out, the cue word kept for BM25.

    A query that is all negation ("no radiculopathy") is used as it is.
    """
    dense = " ".join(_NEGATION.sub(" ", query).split())
    lexical = " ".join(_NEGATION.sub(lambda m: f" {m.group(1)} ", query).split())
    if not _WORD.search(dense):
        return query, query
    return dense, lexical


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved chunk. ``score`` is its code's: the fused RRF score (hybrid), or the best
    cosine similarity (dense) or BM25 score (lexical) among the code's chunks. Ranks are the
    chunk's 1-based positions in each candidate list, None where it is not a candidate."""

    chunk_id: str
    code: str
    kind: str
    item_id: str
    source: str
    text: str
    score: float
    dense_rank: int | None
    lexical_rank: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
