"""Hybrid retrieval over the real spine index: ranking, filters, batching, modes, the CLI; and
the Alphabetic Index entries in the default index."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.typing import NDArray

from scribeplugin.draft.types import Citation, DocPrompt, Draft, DraftContext, Evidence
from scribeplugin.errors import InputError
from scribeplugin.extract.findings import FindingExtractor
from scribeplugin.guard import Guard
from scribeplugin.retrieval import Retriever, normalize_prefix, query_forms, search_cli
from tests.conftest import DefaultIndex, MemoEmbedder, SpineIndex
from tests.support.llm_context import make_ctx

ACCEPTANCE = "chronic pain at the lumbosacral junction without radiculopathy"


@pytest.mark.parametrize(
    ("query", "dense", "lexical"),
    [
        (
            ACCEPTANCE,
            "chronic pain at the lumbosacral junction",
            "chronic pain at the lumbosacral junction without",
        ),
        (
            "no leg pain, but numbness in the foot",
            ", but numbness in the foot",
            "no , but numbness in the foot",
        ),
        (
            "Patient denies bowel or bladder changes. Back pain for 3 months.",
            "Patient . Back pain for 3 months.",
            "Patient denies . Back pain for 3 months.",
        ),
        ("no radiculopathy", "no radiculopathy", "no radiculopathy"),  # all negation: as is
        ("L5-S1 disc herniation", "L5-S1 disc herniation", "L5-S1 disc herniation"),
    ],
)
def test_query_forms(query: str, dense: str, lexical: str) -> None:
    assert query_forms(query) == (dense, lexical)


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("M53.8", "M538"), ("m54.1-", "M541"), ("M50-M54", "M50-M54"), (" s33 ", "S33")],
)
def test_normalize_prefix(raw: str, norm: str) -> None:
    assert normalize_prefix(raw) == norm


@pytest.mark.parametrize("bad", ["", "53.87", "M53.87.1", "lumbar"])
def test_bad_prefix(bad: str) -> None:
    with pytest.raises(InputError, match="code prefix"):
        normalize_prefix(bad)


class CountingEmbedder:
    """Counts calls; delegates to the session's MiniLM (through its memo)."""

    def __init__(self, inner: MemoEmbedder) -> None:
        self.inner = inner
        self.name, self.fingerprint, self.dimension = inner.name, inner.fingerprint, 384
        self.backend = inner.backend
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        self.calls.append(len(texts))
        return self.inner.embed(texts, batch_size)


@pytest.mark.slow
def test_acceptance_query_brings_the_m53_87_card_and_tabular_entry(
    spine_retriever: Retriever,
) -> None:
    passages = spine_retriever.search(ACCEPTANCE, k=10)
    kinds = {p.kind for p in passages if p.code == "M53.87"}
    assert "tabular" in kinds, [(p.code, p.kind) for p in passages]
    assert kinds - {"tabular"}, [(p.code, p.kind) for p in passages]


@pytest.mark.slow
def test_card_passages_bring_their_tabular_entry(spine_retriever: Retriever) -> None:
    passages = spine_retriever.search("lumbar spinal stenosis with neurogenic claudication", k=10)
    seen: set[str] = set()
    for i, p in enumerate(passages[:-1]):
        if p.source.startswith("cards/") and p.code not in seen:
            nxt = passages[i + 1]
            assert (nxt.code, nxt.kind) == (p.code, "tabular") or any(
                q.code == p.code and q.kind == "tabular" for q in passages[:i]
            )
        seen.add(p.code)
    assert passages[0].code == "M48.062"


@pytest.mark.slow
def test_codes_are_found_by_name(spine_retriever: Retriever) -> None:
    top = spine_retriever.search("M48.062", k=3, mode="lexical")
    assert top[0].code == "M48.062" and top[0].lexical_rank == 1
    assert spine_retriever.search("L5-S1", k=5, mode="lexical")  # levels are tokens too


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_modes(spine_retriever: Retriever, mode: str) -> None:
    passages = spine_retriever.search("sprain of the lumbar ligaments", k=8, mode=mode)  # type: ignore[arg-type]
    assert len(passages) == 8
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert len({p.chunk_id for p in passages}) == 8
    if mode == "dense":
        assert all(p.lexical_rank is None or p.lexical_rank > 0 for p in passages)
        assert passages[0].dense_rank == 1
    if mode == "lexical":
        assert passages[0].lexical_rank == 1
    assert any(p.code.startswith("S33.5") for p in passages)


@pytest.mark.slow
def test_kind_and_code_filters(spine_retriever: Retriever) -> None:
    query = "pain at the lumbosacral junction"
    pitfalls = spine_retriever.search(query, k=10, kinds=["pitfall"])
    assert pitfalls and {p.kind for p in pitfalls} == {"pitfall"}
    m538 = spine_retriever.search(query, k=20, code_prefixes=["M53.8"])
    assert m538 and all(p.code.startswith("M53.8") for p in m538)
    assert any(p.code == "M53.87" for p in m538)
    injuries = spine_retriever.search(query, k=10, code_prefixes=["S33", "S39"])
    assert injuries and all(p.code[:3] in {"S33", "S39"} for p in injuries)
    block = spine_retriever.search(query, k=10, code_prefixes=["M50-M54"])
    assert block and all(
        p.code == "M50-M54" or p.code[:3] in {"M50", "M51", "M53", "M54"} for p in block
    )
    both = spine_retriever.search(query, k=10, kinds=["faq", "tabular"], code_prefixes=["M53.87"])
    assert both and {(p.code, p.kind in {"faq", "tabular"}) for p in both} == {("M53.87", True)}
    # not in the spine scope, and no card is about it (every card is in every scope)
    assert spine_retriever.search(query, k=10, code_prefixes=["I10"]) == []
    for mode in ("dense", "lexical"):
        only = spine_retriever.search(query, k=5, kinds=["tip"], mode=mode)  # type: ignore[arg-type]
        assert only and {p.kind for p in only} == {"tip"}


@pytest.mark.slow
def test_search_many_embeds_once_and_matches_single_searches(
    spine_index: SpineIndex, embedder: MemoEmbedder
) -> None:
    counting = CountingEmbedder(embedder)
    retriever = Retriever.from_settings(spine_index.settings, embedder=counting)
    queries = [
        "numbness down the left leg to the big toe",
        "neck strain after a rear-end collision",
        "MRI shows L4-L5 disc protrusion",
        "   ",
        "numbness down the left leg to the big toe",
    ]
    many = retriever.search_many(queries, k=5)
    assert counting.calls == [3]  # one call; blank query left out, repeated one embedded once
    assert many[3] == [] and many[4] == many[0]
    for query, got in zip(queries[:3], many, strict=False):
        assert [p.chunk_id for p in got] == [p.chunk_id for p in retriever.search(query, k=5)]
    assert retriever.search_many([], k=5) == []


@pytest.mark.slow
def test_concurrent_searches(spine_retriever: Retriever) -> None:
    queries = ["sciatica right leg", "cervical radiculopathy", "lumbar instability"] * 4
    expected = {q: [p.chunk_id for p in spine_retriever.search(q)] for q in set(queries)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda q: (q, spine_retriever.search(q)), queries))
    for q, got in results:
        assert [p.chunk_id for p in got] == expected[q]


@pytest.mark.slow
def test_bad_arguments(spine_retriever: Retriever) -> None:
    with pytest.raises(InputError, match="k must be"):
        spine_retriever.search("pain", k=0)
    with pytest.raises(InputError, match="mode"):
        spine_retriever.search("pain", mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="kind"):
        spine_retriever.search("pain", kinds=["card"])
    with pytest.raises(InputError, match="code prefix"):
        spine_retriever.search("pain", code_prefixes=["lumbar"])
    assert spine_retriever.search("   ") == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_search_cli(
    spine_index: SpineIndex,
    spine_retriever: Retriever,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    args = argparse.Namespace(
        query=ACCEPTANCE, k=5, format=fmt, mode="hybrid", kind=None, code=None, scope="spine"
    )
    assert search_cli(spine_index.settings, args, retriever=spine_retriever) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        payload = json.loads(out)
        assert payload["index"].startswith("scribe-spine-minilm-l6-v2-fy2026-c1@")
        assert len(payload["passages"]) == 5
        assert set(payload["passages"][0]) == {
            "chunk_id",
            "code",
            "kind",
            "item_id",
            "source",
            "text",
            "score",
            "dense_rank",
            "lexical_rank",
        }
    else:
        lines = out.splitlines()
        assert lines[0].lstrip().startswith("1 ") and len(lines) == 10  # two lines a passage


@pytest.mark.slow
def test_passages_for_looks_up_codes_and_items(spine_retriever: Retriever) -> None:
    got = spine_retriever.passages_for(
        codes=["M53.87", "m5386", "M17.11"], item_ids=["M53.87/faq/vs-m53-86", "X00/tip/none"]
    )
    assert [(p.code, p.kind, p.item_id) for p in got] == [
        ("M53.87", "tabular", ""),
        ("M53.86", "tabular", ""),
        ("M53.87", "faq", "M53.87/faq/vs-m53-86"),
    ]  # M17.11 is not in the spine scope; unknown items are skipped
    assert all(p.score == 0.0 and p.dense_rank is None for p in got)


# -- the Alphabetic Index -------------------------------------------------------------------------


@pytest.mark.slow
def test_strain_low_back_finds_the_index_entry_first(
    default_index: DefaultIndex, embedder: MemoEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    """`scribeplugin search "strain low back"` on the default index: the coder's index entry
    first, then the tabular entry it points to."""
    retriever = Retriever.from_settings(default_index.settings, embedder=embedder)
    passages = retriever.search("strain low back", k=10)
    first = passages[0]
    assert (first.kind, first.item_id, first.code, first.source) == (
        "index",
        "Strain > low back",
        "S39.012",
        "alphabetic",
    )
    assert first.text == "Strain > low back -> S39.012"
    assert first.dense_rank == 1 and first.lexical_rank == 1
    assert (passages[1].kind, passages[1].code) == ("tabular", "S39.012")
    citation = Citation.of(first)
    assert (citation.ref, citation.source, citation.chunk_id) == (
        "index:Strain > low back",
        "alphabetic",
        first.chunk_id,
    )
    args = argparse.Namespace(
        query="strain low back", k=3, format="text", mode="hybrid", kind=None, code=None, scope=None
    )
    assert search_cli(default_index.settings, args, retriever=retriever) == 0
    top = capsys.readouterr().out.splitlines()[:2]
    assert "S39.012   index    Strain > low back" in top[0]
    assert top[1].strip() == "Strain > low back -> S39.012"


@pytest.mark.slow
def test_index_entries_do_not_crowd_codes_out_of_the_default_index(
    default_index: DefaultIndex, embedder: MemoEmbedder
) -> None:
    """Short index entries sit close to many queries in the dense list; they order their own
    code's passages there but do not rank codes, so the acceptance query keeps M53.87."""
    retriever = Retriever.from_settings(default_index.settings, embedder=embedder)
    passages = retriever.search(ACCEPTANCE, k=10)
    assert {(p.code, p.kind) for p in passages} >= {("M53.87", "summary"), ("M53.87", "tabular")}
    # while in the dense list alone index entries are among the nearest
    dense = retriever.search(ACCEPTANCE, k=10, mode="dense")
    assert "index" in {p.kind for p in dense}


@pytest.mark.slow
def test_index_entries_are_filtered_looked_up_and_cited(spine_retriever: Retriever) -> None:
    only = spine_retriever.search("sprain of the lumbar spine", k=5, kinds=["index"])
    assert only and {p.kind for p in only} == {"index"}
    assert "Sprain > lumbar" in {p.item_id for p in only}
    got = spine_retriever.passages_for(
        codes=["S39.012"],
        item_ids=["Strain > low back"],  # an index path is not a card item id
        index_paths=["Strain > low back", "Sprain > knee", "Strain > nowhere"],
    )
    assert [(p.code, p.kind, p.item_id) for p in got] == [
        ("S39.012", "tabular", ""),
        ("S39.012", "index", "Strain > low back"),
    ]  # Sprain > knee (S83.9-) is outside the spine scope; unknown paths are skipped
    # the guard keeps a citation of a retrieved index entry, as it keeps any retrieved chunk
    entry = got[1]
    text = "Doctor: This is a strain of the low back muscles from lifting."
    base = make_ctx(text, codes=("S39.012",))
    findings = FindingExtractor().extract(base.transcript)
    strain = next(f for f in findings if f.concept == "strain")
    ctx = DraftContext(
        base.transcript, findings, [*base.passages, entry], [], base.codeset, base.candidates
    )
    made_up = Citation(chunk_id="0" * 64, source="alphabetic", ref="index:Strain", text="x")
    prompt = DocPrompt(  # no code: the guard keeps a prompt whose code it kept, or none
        id="test-prompt",
        code=None,
        note_section="assessment",
        text="Is this visit active treatment of the strain?",
        citations=[Citation.of(entry), made_up],
        # a prompt quotes the transcript, as the guard requires (guard/evidence.py)
        evidence=[Evidence(text=strain.text, start=strain.start, end=strain.end)],
    )
    checked = Guard(ctx.codeset).check(Draft(prompts=[prompt]), ctx).draft
    assert [c.ref for c in checked.prompts[0].citations] == ["index:Strain > low back"]


@pytest.mark.slow
def test_candidate_lists_are_cut_by_codes_not_chunks(spine_retriever: Retriever) -> None:
    """A code with many chunks takes no more of a candidate list's depth than one with one."""
    records = spine_retriever.lexical.records
    chunks_of: dict[str, list[str]] = {}
    for rec in records:
        chunks_of.setdefault(str(rec.metadata["code"]), []).append(rec.id)
    many = chunks_of["M53.87"]
    assert len(many) > 5
    hits = [(cid, 1.0) for cid in [*many, chunks_of["M54.50"][0], chunks_of["M51.17"][0]]]
    assert spine_retriever._codes_deep(hits, 2) == hits[:-1]  # M53.87 and M54.50, all chunks
    assert spine_retriever._codes_deep(hits, 3) == hits
    assert spine_retriever._codes_deep(hits, 1) == hits[: len(many)]
