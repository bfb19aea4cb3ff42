"""The coding knowledge: loaded from YAML, merged across files, linted like the cards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scribeplugin.codeset import get_codeset
from scribeplugin.config import PROJECT_ROOT
from scribeplugin.corpus.lint import lint_corpus
from scribeplugin.knowledge import KnowledgeError, read_sources
from scribeplugin.knowledge.coding import CodingKnowledge, default_coding

BAD = PROJECT_ROOT / "tests" / "data" / "knowledge_bad"


def test_the_default_knowledge_has_the_spine_tables() -> None:
    k = default_coding()
    assert k.table("stenosis").code("lumbar_with_claudication") == "M48.062"
    assert "sciatica" in k.support["M54.3"] and k.confirm["disc_herniation"] == "M51.2"
    assert k.phrase("hedge").search("It is probably the disc")
    assert "right" in k.contradicted_by["bilateral"]


def test_a_missing_table_entry_names_the_table() -> None:
    with pytest.raises(KnowledgeError, match="coding table stenosis has no 'cervical'"):
        default_coding().table("stenosis").code("cervical")
    with pytest.raises(KnowledgeError, match="no coding table 'knee'"):
        default_coding().table("knee")


def test_an_entry_defined_twice_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("coding:\n  confirm: {sprain: S33.5}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("coding:\n  confirm: {sprain: S93.4}\n", encoding="utf-8")
    with pytest.raises(
        KnowledgeError,
        match=r"b\.yaml:1: coding confirm 'sprain' is defined twice \(first at .*a\.yaml:1\)",
    ):
        CodingKnowledge.from_sources(read_sources([tmp_path]))


def test_an_unknown_section_or_field_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text("# a comment\ncodes:\n  x: 1\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"k\.yaml:2: unknown section 'codes'"):
        read_sources([tmp_path])
    (tmp_path / "k.yaml").write_text("coding:\n  suport: {}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"k\.yaml:1: coding\.suport: Extra inputs"):
        CodingKnowledge.from_sources(read_sources([tmp_path]))


def test_the_lint_reports_bad_codes_and_concepts_in_coding_knowledge(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    shutil.copy(BAD / "coding_errors.yaml", corpus / "knowledge" / "coding" / "zz_bad.yaml")
    problems = [str(p) for p in lint_corpus(corpus, codeset=get_codeset())]
    bad = [p for p in problems if "zz_bad.yaml" in p]
    assert any("M99.999" in p for p in bad), problems
    assert any("S13.9XQ" in p for p in bad), problems
    assert any("unknown concept 'not_a_concept'" in p for p in bad), problems
    assert all(p.split(":")[1].isdigit() for p in bad)
    assert len(problems) == len(bad)  # the real corpus is clean
