"""Chunks: stable content-addressed ids, scopes, tabular, card and Alphabetic Index chunk
contents, metadata."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from scribeplugin.alphabetic import AlphabeticIndex, get_alphabetic
from scribeplugin.codeset import CodeSet, get_codeset
from scribeplugin.config import PROJECT_ROOT, Scope
from scribeplugin.corpus.cards import Card, load_cards, parse_card
from scribeplugin.errors import CorpusError
from scribeplugin.index.chunk import (
    CHUNK_KINDS,
    Chunk,
    build_chunks,
    card_chunks,
    chunk_id,
    cited_code,
    corpus_fingerprint,
    index_chunk,
    index_chunks,
    read_corpus_version,
    scope_entries,
    tabular_chunk,
)

CORPUS = PROJECT_ROOT / "corpus"
SAMPLE_XML = PROJECT_ROOT / "tests" / "data" / "alphabetic" / "icd10cm_index_sample.xml"


@pytest.fixture(scope="module")
def cs() -> CodeSet:
    return get_codeset()


@pytest.fixture(scope="module")
def m5387_card() -> Card:
    return parse_card(CORPUS / "cards" / "M53.87.md")


def test_chunk_id_is_stable_and_ignores_key_order() -> None:
    meta = {"code": "M53.87", "kind": "tabular", "billable": True}
    same = {"billable": True, "kind": "tabular", "code": "M53.87"}
    assert chunk_id("text", "embed", meta) == chunk_id("text", "embed", same)
    assert len(chunk_id("text", "embed", meta)) == 64


@pytest.mark.parametrize(
    ("text", "embed", "meta"),
    [
        ("text!", "embed", {"code": "M53.87", "kind": "tabular", "billable": True}),
        ("text", "embed!", {"code": "M53.87", "kind": "tabular", "billable": True}),
        ("text", "embed", {"code": "M53.86", "kind": "tabular", "billable": True}),
        ("text", "embed", {"code": "M53.87", "kind": "tabular", "billable": False}),
        ("text", "embed", {"code": "M53.87", "kind": "tabular", "billable": True, "x": ""}),
    ],
)
def test_chunk_id_changes_with_any_content(text: str, embed: str, meta: dict[str, object]) -> None:
    base = chunk_id("text", "embed", {"code": "M53.87", "kind": "tabular", "billable": True})
    assert chunk_id(text, embed, meta) != base  # type: ignore[arg-type]


def test_chunks_are_rebuilt_with_identical_ids(cs: CodeSet) -> None:
    cards = load_cards(CORPUS)
    first = [c.id for c in build_chunks(cs, cards, Scope.spine)]
    again = [c.id for c in build_chunks(cs, load_cards(CORPUS), Scope.spine)]
    assert first == again
    assert len(set(first)) == len(first)
    assert corpus_fingerprint(first) == corpus_fingerprint(reversed(again))


@pytest.mark.parametrize(
    ("scope", "items"),
    # No code with its 7th character is an item of its own (its parent's chunk speaks for it).
    # spine: blocks M40-M43, M45-M49, M50-M54, categories S13, S16, S23, S29, S33, S39 and Q76
    # (25: a transitional vertebra is Q76.49); musculoskeletal: chapter 13, S10-S99, G56-G57,
    # Z47, Z48.81, Z96.6, L40.5 and Q76; all: the 98,505 items less 51,305 such codes
    [(Scope.spine, 792), (Scope.musculoskeletal, 15_216), (Scope.all, 47_200)],
)
def test_scope_sizes(cs: CodeSet, scope: Scope, items: int) -> None:
    entries = list(scope_entries(cs, scope))
    assert len(entries) == items
    assert len({e.code for e in entries}) == items


def test_spine_scope_holds_its_blocks_and_injury_categories(cs: CodeSet) -> None:
    codes = {e.code for e in scope_entries(cs, Scope.spine)}
    assert {"M50-M54", "M53.87", "M48.062", "S13.4", "S33.5", "S39.012", "Q76.49"} <= codes
    assert "M17.11" not in codes and "S32.010" not in codes  # knee OA, lumbar fracture
    assert "S39.012A" not in codes  # cited by S39.012's chunk (cited_code)


def test_the_orthopedic_scope_holds_the_limbs_and_their_nerves(cs: CodeSet) -> None:
    codes = {e.code for e in scope_entries(cs, Scope.musculoskeletal)}
    assert {"M17.11", "S83.241", "S52.501", "S92.301", "G56.01", "Z47.1", "Z96.651"} <= codes
    assert {"L40.50", "M72.0", "Q76.49", "Z47.89", "Z48.811"} <= codes
    assert not {"S83.241A", "S52.501A", "G35", "Z48.3"} & codes
    assert cited_code(cs, "S83.241A") == "S83.241" and cited_code(cs, "M17.11") == "M17.11"


def test_tabular_chunk_text_and_embed_text(cs: CodeSet) -> None:
    chunk = tabular_chunk(cs.lookup("M54.5"), cs)
    assert chunk.text.startswith("M54.5 Low back pain")
    assert "\nExcludes1: " in chunk.text and "low back strain (S39.012)" in chunk.text
    assert "\nExcludes2: " in tabular_chunk(cs.lookup("13"), cs).text
    # what is embedded is short: the description and inclusion terms, never the Excludes lists
    assert "strain" not in chunk.embed_text
    assert chunk.metadata == {
        "code": "M54.5",
        "kind": "tabular",
        "item_id": "",
        "source": "tabular",
        "code_set": cs.release.name,
        "block": "M50-M54",
        "category": "M54",
        "billable": False,
    }


def test_tabular_chunk_carries_inclusion_terms_stated_above_it(cs: CodeSet) -> None:
    chunk = tabular_chunk(cs.lookup("M75.02"), cs)
    assert "Inclusion terms of M75.0: Frozen shoulder; Periarthritis of shoulder" in chunk.text
    assert "Frozen shoulder" in chunk.embed_text
    own = tabular_chunk(cs.lookup("M54.50"), cs)
    assert "Inclusion terms: Loin pain; Lumbago NOS" in own.text


def test_block_and_chapter_chunks_have_no_category(cs: CodeSet) -> None:
    block = tabular_chunk(cs.lookup("M50-M54"), cs)
    assert block.metadata["category"] == "" and block.metadata["block"] == "M50-M54"
    chapter = tabular_chunk(cs.lookup("13"), cs)
    assert chapter.metadata["category"] == "" and chapter.metadata["block"] == ""


def test_card_chunks(cs: CodeSet, m5387_card: Card) -> None:
    chunks = card_chunks(m5387_card, cs)
    by_kind: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_kind.setdefault(c.kind, []).append(c)
    assert len(by_kind["summary"]) == 1
    assert len(chunks) == len(m5387_card.items) + 1
    assert {c.item_id for c in chunks if c.kind != "summary"} == {i.id for i in m5387_card.items}
    faq = next(c for c in chunks if c.item_id == "M53.87/faq/vs-m53-86")
    assert faq.text.startswith("M53.87 Other specified dorsopathies, lumbosacral region\nFAQ: ")
    assert "What distinguishes M53.87 from M53.86?" in faq.text  # question and answer
    assert "The region." in faq.text
    assert faq.metadata["source"] == "cards/M53.87.md"
    assert faq.metadata["billable"] is True and faq.metadata["block"] == "M50-M54"


def test_metadata_is_flat_and_kinds_are_known(cs: CodeSet) -> None:
    for chunk in build_chunks(cs, load_cards(CORPUS), Scope.spine):
        assert chunk.kind in CHUNK_KINDS
        assert all(isinstance(v, str | int | bool) for v in chunk.metadata.values())
        assert set(chunk.metadata) == {
            "code",
            "kind",
            "item_id",
            "source",
            "code_set",
            "block",
            "category",
            "billable",
        }


def test_every_card_is_in_every_scope(cs: CodeSet) -> None:
    cards = load_cards(CORPUS)
    spine = build_chunks(cs, cards, Scope.spine)
    card_ids = {c.id for card in cards for c in card_chunks(card, cs)}
    assert card_ids <= {c.id for c in spine}


def test_editing_one_card_item_changes_one_chunk(cs: CodeSet, tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    path = tmp_path / "corpus" / "cards" / "M53.87.md"
    before = {c.id for c in card_chunks(parse_card(path), cs)}
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Code the region the clinician documents.", "Code the region."))
    after = {c.id for c in card_chunks(parse_card(path), cs)}
    assert len(before - after) == 1 and len(after - before) == 1


def test_corpus_version(tmp_path: Path) -> None:
    assert read_corpus_version(CORPUS)
    with pytest.raises(CorpusError, match=r"corpus\.yaml"):
        read_corpus_version(tmp_path)
    (tmp_path / "corpus.yaml").write_text("name: no version\n")
    with pytest.raises(CorpusError, match="version"):
        read_corpus_version(tmp_path)


# -- Alphabetic Index chunks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_index() -> AlphabeticIndex:
    return AlphabeticIndex.from_xml(SAMPLE_XML)


def test_index_chunks_of_a_scope(cs: CodeSet, sample_index: AlphabeticIndex) -> None:
    in_scope = {e.code for e in scope_entries(cs, Scope.musculoskeletal)}
    chunks = {c.item_id: c for c in index_chunks(sample_index, cs, in_scope)}
    low_back = chunks["Strain > low back"]
    assert low_back.text == "Strain > low back -> S39.012"
    assert low_back.embed_text == "Strain, low back"
    assert low_back.metadata == {
        "code": "S39.012",
        "kind": "index",
        "item_id": "Strain > low back",
        "source": "alphabetic",
        "code_set": cs.release.name,
        "index_release": "ICD-10-CM Alphabetic Index FY2025 (XML)",
        "index_code": "S39.012",
        "block": "S30-S39",
        "category": "S39",
        "billable": False,
    }
    # the nonessential modifiers along the path go with it; the code drops the index's "-"
    lumbar = chunks["Sprain > lumbar"]
    assert lumbar.text == (
        "Sprain > lumbar -> S33.5\nNonessential modifiers: Sprain (joint) (ligament); lumbar (spine)"
    )
    assert lumbar.embed_text == "Sprain (joint) (ligament), lumbar (spine)"
    disc = chunks["Disorder > disc > with > radiculopathy > lumbar region"]
    assert disc.code == "M51.16" and disc.text.endswith("Disorder (of); disc (intervertebral)")
    sciatica = chunks["Sciatica"]
    assert sciatica.code == "M54.3" and sciatica.metadata["index_code"] == "M54.3-"
    # only entries with a code, and only codes the scope holds: the knee (S83) is in, not Z73.3, F44.4
    assert "Strain" not in chunks and "Strain > muscle" not in chunks
    assert "Sprain > knee" in chunks and "Abasia" not in chunks
    assert "Strain > mental NOS" not in chunks
    assert len(chunks) == 35  # of the excerpt's 43 coded entries
    narrow = {c.item_id for c in index_chunks(sample_index, cs, {"S39.012"})}
    assert narrow == {"Strain > back", "Strain > low back", "Injury > muscle > lower back > strain"}


def test_index_chunk_ids_are_stable_and_follow_the_code(
    cs: CodeSet, sample_index: AlphabeticIndex
) -> None:
    entry = sample_index.get("Strain > low back")
    assert entry is not None
    release = sample_index.release.name
    assert index_chunk(entry, cs, release).id == index_chunk(entry, cs, release).id
    moved = dataclasses.replace(entry, code="S39.011")
    assert index_chunk(moved, cs, release).id != index_chunk(entry, cs, release).id
    nothing = sample_index.get("Strain > muscle")
    assert nothing is not None
    with pytest.raises(ValueError, match="has no code"):
        index_chunk(nothing, cs, release)


def test_build_chunks_adds_the_index_entries_of_the_scope(cs: CodeSet) -> None:
    alphabetic = get_alphabetic(None, CORPUS)
    cards = load_cards(CORPUS)
    plain = build_chunks(cs, cards, Scope.spine)
    with_index = build_chunks(cs, cards, Scope.spine, alphabetic)
    assert with_index[: len(plain)] == plain  # tabular and cards first, unchanged
    added = with_index[len(plain) :]
    assert {c.kind for c in added} == {"index"} and len(added) == 935
    spine = {e.code for e in scope_entries(cs, Scope.spine)}
    assert all(c.code in spine for c in added)
    assert "Strain > low back" in {c.item_id for c in added}
    again = build_chunks(cs, load_cards(CORPUS), Scope.spine, get_alphabetic(None, CORPUS))
    assert [c.id for c in again] == [c.id for c in with_index]
