"""The code set over the packaged CDC tabular list, and a CDC release loaded by path."""

from __future__ import annotations

import timeit
from datetime import date
from pathlib import Path

import pytest

from scribeplugin.codeset import CodeSet, get_codeset, normalize
from scribeplugin.errors import CodeSetError, UnknownCodeError

RELEASE = Path(__file__).parent / "data" / "release-fy2027"


@pytest.fixture(scope="module")
def cs() -> CodeSet:
    return get_codeset()


def test_packaged_release_size_and_name(cs: CodeSet) -> None:
    assert len(cs) == 98_505  # every item of the April 1, 2026 tabular list
    # Leaf codes; the 12 childless block headings (e.g. M40-M54 Dorsopathies) are not codes.
    assert cs.billable_count == 74_719
    assert cs.release.name == "ICD-10-CM FY2026 (April 1, 2026 update)"
    assert cs.release.valid_through == date(2026, 9, 30)


@pytest.mark.parametrize("raw", ["M53.87", "m5387", " M53.87 ", "M5387"])
def test_lookup_with_or_without_dot(cs: CodeSet, raw: str) -> None:
    entry = cs.lookup(raw)
    assert entry.code == "M53.87"
    assert entry.description == "Other specified dorsopathies, lumbosacral region"
    assert entry.billable


@pytest.mark.parametrize(
    ("code", "description", "billable"),
    [
        ("M54.4", "Lumbago with sciatica", False),  # the seed page's error: not radiculopathy
        ("M54.41", "Lumbago with sciatica, right side", True),
        ("M54.17", "Radiculopathy, lumbosacral region", True),
        ("M51.36", "Other intervertebral disc degeneration, lumbar region", False),
        (
            "M51.360",
            "Other intervertebral disc degeneration, lumbar region with discogenic back pain only",
            True,
        ),
        ("M48.061", "Spinal stenosis, lumbar region without neurogenic claudication", True),
        ("S33.5XXA", "Sprain of ligaments of lumbar spine, initial encounter", True),
        ("S33.5", "Sprain of ligaments of lumbar spine", False),
    ],
)
def test_descriptions_and_billable(
    cs: CodeSet, code: str, description: str, billable: bool
) -> None:
    assert cs.description(code) == description
    assert cs.is_billable(code) is billable


def test_hierarchy(cs: CodeSet) -> None:
    assert cs.parent("M53.87") == "M53.8"
    assert cs.ancestors("M53.87") == ["M53.8", "M53", "M50-M54", "13"]
    assert cs.block("M53.87") == "M50-M54"
    assert cs.chapter("M53.87") == "13"
    assert cs.children("M54.5") == ("M54.50", "M54.51", "M54.59")
    assert cs.billable_descendants("M51.3") == [
        "M51.34",
        "M51.35",
        "M51.360",
        "M51.361",
        "M51.362",
        "M51.369",
        "M51.370",
        "M51.371",
        "M51.372",
        "M51.379",
    ]
    assert cs.is_descendant("M51.17", "M51")


def test_notes_and_excludes(cs: CodeSet) -> None:
    block = cs.lookup("M50-M54")
    assert "discitis NOS (M46.4-)" in block.excludes1
    assert any("M51.1-" in note for note in cs.lookup("M54.1").excludes1)
    assert "lumbago with sciatica (M54.4-)" in cs.lookup("M54.5").excludes1
    assert cs.lookup("M48.0").inclusion_terms == ("Caudal stenosis",)


def test_seventh_character_rules(cs: CodeSet) -> None:
    s335 = cs.lookup("S33.5")
    assert s335.requires_seventh_character
    assert dict(s335.seventh_characters) == {
        "A": "initial encounter",
        "D": "subsequent encounter",
        "S": "sequela",
    }
    assert cs.children("S33.5") == ("S33.5XXA", "S33.5XXD", "S33.5XXS")
    assert not cs.lookup("S33.5XXA").requires_seventh_character
    assert not cs.lookup("M53.87").requires_seventh_character


def test_unknown_code_names_nearest(cs: CodeSet) -> None:
    with pytest.raises(UnknownCodeError) as info:
        cs.lookup("M53.8Z")
    assert info.value.suggestions[:2] == ["M53.80", "M53.81"]
    assert "not an ICD-10-CM code" in str(info.value)
    assert cs.get("ZZZ") is None and "ZZZ" not in cs


def test_blocks_sharing_a_category_name_are_kept_apart(cs: CodeSet) -> None:
    assert cs.lookup("B99").kind == "category"
    assert cs.lookup("B99-B99").kind == "block"
    assert cs.parent("B99") == "B99-B99"


def test_lookups_are_fast(cs: CodeSet) -> None:
    # Not a benchmark: a guard that lookups stay dict reads, not tree walks (>100x margin).
    per_call = timeit.timeit(lambda: cs.get("M53.87"), number=10_000) / 10_000
    assert per_call < 1e-4


def test_normalize() -> None:
    assert normalize("s335xxa") == "S33.5XXA"
    assert normalize("M50-M54") == "M50-M54"
    assert normalize("M54") == "M54"


def test_release_from_path_and_date_of_service(cs: CodeSet) -> None:
    fy27 = CodeSet.from_release(
        RELEASE / "icd10cm-codes-October-1-2026.txt", RELEASE / "icd10cm-tabular-October-1-2026.xml"
    )
    assert fy27.release.name == "ICD-10-CM FY2027 (October 1, 2026 update)"
    assert fy27.is_billable("M53.8A") and "M53.8A" not in cs
    assert fy27.lookup("S33.5XXD").billable
    assert fy27.release.date_of_service_warning(date(2026, 11, 24)) is None
    warning = cs.release.date_of_service_warning(date(2026, 11, 24))
    assert warning is not None and "FY2027" in warning and "SCRIBE_CODE_LIST_PATH" in warning
    # The packaged snapshot is untouched by loading another release.
    assert len(get_codeset()) == 98_505 and get_codeset().release.fiscal_year == 2026


def test_release_errors(tmp_path: Path) -> None:
    with pytest.raises(CodeSetError, match="not found"):
        CodeSet.from_release(tmp_path / "codes.txt", tmp_path / "tabular.xml")
    (tmp_path / "codes.txt").write_text("M53\n", encoding="utf-8")
    (tmp_path / "tabular.xml").write_text("<ICD10CM.tabular><oops>", encoding="utf-8")
    with pytest.raises(CodeSetError, match="Could not parse"):
        CodeSet.from_release(tmp_path / "codes.txt", tmp_path / "tabular.xml")
