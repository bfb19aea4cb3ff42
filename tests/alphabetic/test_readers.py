"""Reading the index: the CDC XML and the CSV flattening load to one tree; what only the XML
says; every error names its file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from scribeplugin.alphabetic import AlphabeticIndex, get_alphabetic
from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.errors import AlphabeticIndexError
from tests.alphabetic.conftest import SAMPLE_CSV, SAMPLE_XML, VENDORED, XML_ONLY


def test_xml_and_csv_give_the_same_tree(sample: AlphabeticIndex) -> None:
    from_csv = AlphabeticIndex.from_csv(SAMPLE_CSV)
    assert from_csv.main_terms == sample.main_terms
    # and the tree is not trivially equal: it has depth, redirects and modifiers
    entries = list(sample.entries())
    assert len(entries) == 60 == len(from_csv)
    assert max(e.level for e in entries) == 4
    assert sum(1 for e in entries if e.see) == 9
    assert sum(1 for e in entries if e.see_also) == 4
    assert sum(1 for e in entries if e.modifiers) == 12
    assert [m.title for m in sample.main_terms] == [
        "Abandonment",
        "Abasia",
        "Disorder",
        "Injury",
        "Lumbago, lumbalgia",
        "Pain",
        "Sciatica",
        "Sprain",
        "Strain",
    ]
    assert sample.release.fiscal_year == 2025 and sample.release.form == "xml"
    assert from_csv.release.form == "csv"


def test_the_xml_fixture_is_an_excerpt_of_the_real_index(
    sample: AlphabeticIndex, vendored: AlphabeticIndex
) -> None:
    """Every entry written by hand in the fixture is the vendored index's entry at that path;
    the main terms given whole are whole."""
    for entry in sample.entries():
        real = vendored.get(entry.path)
        assert real is not None, entry.path_text
        assert (real.title, real.modifiers, real.code, real.see, real.see_also) == (
            entry.title,
            entry.modifiers,
            entry.code,
            entry.see,
            entry.see_also,
        ), entry.path_text
    for whole in ("Abandonment", "Abasia", "Lumbago, lumbalgia", "Sciatica", "Strain"):
        assert sample.main_term(whole) == vendored.main_term(whole)


def test_the_vendored_index(vendored: AlphabeticIndex) -> None:
    entries = list(vendored.entries())
    assert len(vendored.main_terms) == 8100 and len(entries) == 81024
    assert sum(1 for e in entries if e.code) == 62721
    assert vendored.release.fiscal_year == 2025 and vendored.release.form == "csv"
    assert "FY2025" in vendored.release.name
    assert sum(1 for e in entries if e.needs_more_characters) == 6930
    # the five entries the flattening left with modifiers only are named by them
    nameless = [e for e in entries if not e.title]
    assert len(nameless) == 5 and all(e.name.startswith("(") for e in nameless)


def test_the_vendored_file_is_the_shared_one() -> None:
    shared = Settings().external_dir / "icd10cm_index_fy2025.csv"
    if not shared.is_file():
        pytest.skip(f"{shared} is absent (the vendored copy is all a clone needs)")
    assert gzip.decompress(VENDORED.read_bytes()) == shared.read_bytes()


def test_what_only_the_xml_says() -> None:
    index = AlphabeticIndex.from_xml(XML_ONLY)
    assert index.release.fiscal_year == 2027
    abandonment = index.main_term("Abandonment")
    assert abandonment is not None
    # the words after a nonessential modifier stay in the title (the CSV flattening drops them)
    assert abandonment.title == "Abandonment NEC"
    assert abandonment.modifiers == ("causing exposure to weather conditions",)
    assert abandonment.code == "T74.01X-" and abandonment.needs_more_characters
    diabetic = index.get("Arthropathy > diabetic")
    assert diabetic is not None and diabetic.manifestations == ("M14.6-",)
    assert diabetic.codes == ("E11.618", "M14.6-")
    gouty = index.get(("Arthropathy", "gouty"))
    assert gouty is not None
    assert (gouty.code, gouty.more_codes, gouty.see_category) == ("M1A.9", ("M10.9",), "M1A")
    neuropathic = index.get("Arthropathy > neuropathic")
    assert neuropathic is not None and neuropathic.subcategory == "M14.6"
    assert neuropathic.modifiers == ("Charcot",) and neuropathic.code is None
    psychogenic = index.get("Arthropathy > psychogenic")
    assert psychogenic is not None and psychogenic.modifiers == ("somatoform",)


# -- errors name the file and the line ------------------------------------------------------------


def _xml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "index.xml"
    path.write_text(body, encoding="utf-8")
    return path


HEAD = '<?xml version="1.0"?>\n<ICD10CM.index>\n<title>ICD-10-CM INDEX TO DISEASES and INJURIES</title>\n'


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        (
            HEAD + "<letter><title>A</title>\n<mainTerm><title>Ab</title>\n</letter>",
            6,
            "mismatched tag",
        ),
        ('<?xml version="1.0"?>\n<ICD10CM.tabular/>', 2, "expected <ICD10CM.index>"),
        (
            HEAD + '<letter><title>A</title><mainTerm><title>Ab</title>\n<term level="2">'
            "<title>x</title></term></mainTerm></letter></ICD10CM.index>",
            5,
            'level="2"',
        ),
        (
            HEAD + '<letter><title>A</title><mainTerm><title>Ab</title>\n<term level="1">\n'
            "<code>M54.5</code></term></mainTerm></letter></ICD10CM.index>",
            6,
            "<term> without a <title>",
        ),
        (
            HEAD + "<indexHeading>\n<head>Malignant</head></indexHeading></ICD10CM.index>",
            4,
            "Neoplasm or Drug table",
        ),
        (
            '<?xml version="1.0"?>\n<ICD10CM.index>\n<title>ICD-10-CM TABLE of NEOPLASMS</title>\n'
            "</ICD10CM.index>",
            3,
            "not the Index to Diseases",
        ),
        (
            HEAD + "<letter><title>A</title><mainTerm><title>Ab</title>\n<code> </code>"
            "</mainTerm></letter></ICD10CM.index>",
            5,
            "empty <code>",
        ),
    ],
)
def test_a_bad_xml_names_its_file_and_line(tmp_path: Path, body: str, line: int, says: str) -> None:
    path = _xml(tmp_path, body)
    with pytest.raises(AlphabeticIndexError) as err:
        AlphabeticIndex.from_xml(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}:") and says in message


def test_a_missing_xml_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(AlphabeticIndexError, match=r"index XML not found: .*SCRIBE_INDEX_XML_PATH"):
        AlphabeticIndex.from_xml(tmp_path / "nope.xml")
    empty = _xml(tmp_path, HEAD + "</ICD10CM.index>")
    with pytest.raises(AlphabeticIndexError, match="no <mainTerm> entries"):
        AlphabeticIndex.from_xml(empty)


@pytest.mark.parametrize(
    ("rows", "line", "says"),
    [
        ("1,A,0,Ab,,,,\n2,A,2,deep,,,,M54.5\n", 3, "a level 2 entry under a level 0 entry"),
        ("1,A,1,orphan,,,,\n", 2, "a level 1 entry first"),
        ("1,A,zero,Ab,,,,\n", 2, "Level 'zero' is not a number"),
        ("1,A,0,Ab,,,\n", 2, "7 columns, expected 8"),
    ],
)
def test_a_bad_csv_names_its_file_and_line(tmp_path: Path, rows: str, line: int, says: str) -> None:
    path = tmp_path / "index.csv"
    path.write_text("RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code\n" + rows)
    with pytest.raises(AlphabeticIndexError) as err:
        AlphabeticIndex.from_csv(path)
    assert str(err.value).startswith(f"{path}:{line}:") and says in str(err.value)


def test_a_csv_with_other_columns_or_missing(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("code,description\nM54.5,Low back pain\n")
    with pytest.raises(AlphabeticIndexError, match=r"other.csv:1: expected the columns RowID"):
        AlphabeticIndex.from_csv(path)
    with pytest.raises(AlphabeticIndexError, match="corpus/alphabetic/icd10cm_index_fy2025"):
        AlphabeticIndex.from_csv(tmp_path / "gone.csv.gz")


def test_settings_choose_the_xml_or_the_vendored_csv(tmp_path: Path) -> None:
    from_xml = get_alphabetic(SAMPLE_XML, PROJECT_ROOT / "corpus")
    assert from_xml.release.source == str(SAMPLE_XML) and len(from_xml) == 60
    default = get_alphabetic(None, PROJECT_ROOT / "corpus")
    assert default.release.source == str(VENDORED) and len(default.main_terms) == 8100
    assert get_alphabetic(None, PROJECT_ROOT / "corpus") is default  # loaded once
    with pytest.raises(AlphabeticIndexError, match="Alphabetic Index CSV not found"):
        get_alphabetic(None, tmp_path)
    settings = Settings(index_xml_path=SAMPLE_XML)
    assert settings.index_xml_path == SAMPLE_XML
