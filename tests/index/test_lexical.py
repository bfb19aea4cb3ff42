"""BM25: the tokenizer keeps codes and levels whole; save/load round trip; masks; ranking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scribeplugin.errors import IndexNotReadyError
from scribeplugin.index.chunk import Chunk
from scribeplugin.index.lexical import LexicalIndex, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M53.87 and S33.5XXA", ["m53.87", "s33.5xxa"]),
        ("pain at L5-S1", ["pain", "l5-s1"]),
        ("L4-5 and c5/6, T12 - L1", ["l4-l5", "c5-c6", "t12-l1"]),
        ("Lumbago with sciatica (M54.4-)", ["lumbago", "sciatica", "m54.4"]),
        ("degenerated discs", ["degener", "disc"]),  # stemmed: meets "disc degeneration"
        ("the pain is not in the leg", ["pain", "leg"]),  # stopwords out
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_tokenize_stems_both_sides_alike() -> None:
    assert set(tokenize("degenerated discs")) == set(tokenize("disc degeneration"))


def _chunks() -> list[Chunk]:
    def make(code: str, text: str, kind: str = "tabular") -> Chunk:
        meta = {
            "code": code,
            "kind": kind,
            "item_id": "",
            "source": "tabular",
            "code_set": "test",
            "block": "M50-M54",
            "category": code[:3],
            "billable": True,
        }
        return Chunk.make(f"{code} {text}", text, meta)

    return [
        make("M54.17", "Radiculopathy, lumbosacral region"),
        make("M54.16", "Radiculopathy, lumbar region"),
        make("M53.87", "Other specified dorsopathies, lumbosacral region"),
        make("M48.062", "Spinal stenosis, lumbar region with neurogenic claudication"),
        make("M53.87", "L5-S1 is the lumbosacral junction", kind="faq"),
    ]


def test_search_ranks_and_masks() -> None:
    index = LexicalIndex.build(_chunks())
    hits = index.search("lumbosacral radiculopathy", n=10)
    assert index.records[hits[0][0]].metadata["code"] == "M54.17"
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)  # only records that share a term
    mask = np.array([r.metadata["kind"] == "faq" for r in index.records])
    masked = index.search("lumbosacral", n=10, mask=mask)
    assert [index.records[p].metadata["kind"] for p, _ in masked] == ["faq"]
    assert index.search("L5-S1", n=10)[0][0] == 4  # the level is one token
    assert index.search("nothing matches this", n=10) == []
    assert index.search("", n=10) == []


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = LexicalIndex.build(_chunks())
    index.save(tmp_path / "lexical")
    index.save(tmp_path / "lexical")  # replacing an existing index is atomic and fine
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert [r.id for r in loaded.records] == [r.id for r in index.records]
    assert loaded.records[2].metadata == index.records[2].metadata
    assert loaded.search("claudication", n=3) == index.search("claudication", n=3)
    assert [p.name for p in tmp_path.iterdir()] == ["lexical"]  # no temporary folders left


def test_load_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexNotReadyError, match="scribeplugin index build"):
        LexicalIndex.load(tmp_path / "nothing")
