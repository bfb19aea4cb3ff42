"""The Alphabetic Index: the CDC XML and the CSV flattening load to one tree; look-up walks it as
a coder does; its codes are checked against the tabular list."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from scribeplugin.alphabetic import (
    AlphabeticIndex,
    IndexTerm,
    alternatives,
    check_codes,
    get_alphabetic,
    parse_modifiers,
    vendored_path,
)
from scribeplugin.cli import main
from scribeplugin.codeset import CodeSet, get_codeset
from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.errors import AlphabeticIndexError

DATA = Path(__file__).parent / "data" / "alphabetic"
SAMPLE_XML = DATA / "icd10cm_index_sample.xml"
SAMPLE_CSV = DATA / "icd10cm_index_sample.csv"
XML_ONLY = DATA / "icd10cm_index_xml_only.xml"
RELEASE_2027 = Path(__file__).parent / "data" / "release-fy2027"
VENDORED = vendored_path(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="module")
def sample() -> AlphabeticIndex:
    return AlphabeticIndex.from_xml(SAMPLE_XML)


@pytest.fixture(scope="module")
def vendored() -> AlphabeticIndex:
    return AlphabeticIndex.from_csv(VENDORED)


# -- loading --------------------------------------------------------------------------------------


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


def test_parse_modifiers() -> None:
    assert parse_modifiers("(joint) (ligament)") == ("joint", "ligament")
    assert parse_modifiers("(-astasia) (hysterical)") == ("-astasia", "hysterical")
    assert parse_modifiers("") == ()
    assert parse_modifiers("acute") == ("acute",)


def test_alternatives_are_forms_of_one_word_not_qualifiers() -> None:
    assert alternatives("Abnormal, abnormality, abnormalities") == [
        "abnormal",
        "abnormality",
        "abnormalities",
    ]
    assert alternatives("uterus, uterine") == ["uterus", "uterine"]
    assert alternatives("fibular collateral, knee") == ["fibular collateral"]
    assert alternatives("lipomatous, benign") == ["lipomatous"]


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


# -- the tree -------------------------------------------------------------------------------------


def test_entries_and_paths(sample: AlphabeticIndex) -> None:
    entry = sample.get("Strain > low back")
    assert entry is not None
    assert entry.path == ("Strain", "low back") and entry.level == 1
    assert entry.path_text == "Strain > low back"
    assert entry.ref == "index:Strain > low back"
    assert (entry.code, entry.code_stem, entry.needs_more_characters) == (
        "S39.012",
        "S39.012",
        False,
    )
    knee = sample.get(["Sprain", "knee"])
    assert knee is not None and knee.code == "S83.9-" and knee.code_stem == "S83.9"
    assert knee.needs_more_characters
    sprain = sample.main_term("sprain")
    assert sprain is not None and sprain.modifiers == ("joint", "ligament")
    assert sprain.book_line() == "Sprain (joint) (ligament)"
    assert sample.get("Sciatica > due to displacement of intervertebral disc") is not None
    assert sample.get("Strain > elbow") is None and sample.get("Nothing") is None
    muscle = sample.get("Strain > muscle")
    assert muscle is not None
    assert muscle.book_line() == "muscle (tendon) - see Injury, muscle, by site, strain"
    assert [e.path_text for e in sample.main_terms[0].walk()] == ["Abandonment"]
    walked = [e.name for e in sprain.walk()][:4]
    assert walked == ["Sprain", "ankle", "calcaneofibular ligament", "specified ligament NEC"]
    assert isinstance(sample.main_terms[0], IndexTerm)


def test_main_terms_are_found_by_their_forms(vendored: AlphabeticIndex) -> None:
    lumbago = vendored.main_term("lumbalgia")
    assert lumbago is not None and lumbago.title == "Lumbago, lumbalgia"
    abnormal = vendored.main_term("Abnormal")
    assert abnormal is not None and abnormal.title == "Abnormal, abnormality, abnormalities"
    assert vendored.main_term("no such condition") is None


# -- look-up --------------------------------------------------------------------------------------


def test_lookup_strain_low_back(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Strain", "low back")
    assert found is not None and found.entry is not None
    assert found.code == "S39.012"
    assert found.entry.path_text == "Strain > low back" and found.trail == "Strain > low back"
    assert [s.via for s in found.route] == ["main term", "subterm"]
    assert found.unmatched == () and not found.redirected
    # case and NEC/NOS do not matter
    again = sample.lookup("STRAIN", "Low Back")
    assert again is not None and again.entry == found.entry
    mental = sample.lookup("strain", "mental")
    assert mental is not None and mental.code == "Z73.3"


def test_lookup_stops_where_the_index_does(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Lumbago", "with sciatica", "acute")
    assert found is not None and found.code == "M54.4-"
    assert found.unmatched == ("acute",)
    bare = sample.lookup("Sprain")
    assert bare is not None and bare.entry is None and bare.reached.path_text == "Sprain"
    assert sample.lookup("Sprang") is None


def test_lookup_matches_nonessential_modifiers_and_words_in_any_order(
    sample: AlphabeticIndex,
) -> None:
    # "intervertebral" is a nonessential modifier of "disc"; "with" is read through
    found = sample.lookup("Disorder", "intervertebral", "radiculopathy", "lumbar")
    assert found is not None and found.code == "M51.16"
    assert found.entry is not None
    assert found.entry.path_text == "Disorder > disc > with > radiculopathy > lumbar region"
    assert [s.via for s in found.route] == [
        "main term",
        "modifier",
        "connector",
        "subterm",
        "subterm",
    ]
    # the note's words come in any order; the index's order is what the walk follows
    knee = sample.lookup("Sprain", "collateral ligament", "knee", "tibial")
    assert knee is not None and knee.code == "S83.41-"
    assert knee.entry is not None
    assert knee.entry.path_text == "Sprain > knee > collateral ligament > medial"


def test_lookup_follows_see(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Sprain", "fibular collateral, knee")
    assert found is not None and found.redirected
    assert found.code == "S83.40-"
    assert found.trail == (
        "Sprain > fibular collateral, knee -> see Sprain > knee > collateral ligament"
    )
    lateral = sample.lookup("Sprain", "fibular collateral, knee", "lateral")
    assert lateral is not None and lateral.code == "S83.42-"
    ankle = sample.lookup("Sprain", "ankle", "talofibular ligament")
    assert ankle is not None and ankle.code == "S93.49-"
    assert ankle.entry is not None
    assert ankle.entry.path_text == "Sprain > ankle > specified ligament NEC"


def test_a_see_with_by_site_takes_the_site_from_the_query(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Strain", "muscle", "lower back")
    assert found is not None and found.code == "S39.012"
    assert found.trail == "Strain > muscle -> see Injury > muscle > lower back > strain"
    assert found.unmatched == ()
    no_site = sample.lookup("Strain", "muscle")
    assert no_site is not None and no_site.entry is None
    assert no_site.reached.path_text == "Injury > muscle"


def test_a_see_sends_the_coder_elsewhere_instead(sample: AlphabeticIndex) -> None:
    """After a "see", the codes on the way there no longer apply: Sciatica's M54.3- is not
    the code of sciatica due to a displaced disc; without the region there is none yet."""
    found = sample.lookup("Sciatica", "due to displacement of intervertebral disc")
    assert found is not None and found.entry is None
    assert found.reached.path_text == "Disorder > disc > with > radiculopathy"
    assert [c.name for c in found.reached.children] == [
        "cervical region",
        "lumbar region",
        "lumbosacral region",
    ]
    lumbar = sample.lookup("Sciatica", "due to displacement of intervertebral disc", "lumbar")
    assert lumbar is not None and lumbar.code == "M51.16"
    assert [e.path_text for e in lumbar.entries][-1] == (
        "Disorder > disc > with > radiculopathy > lumbar region"
    )


def test_see_also_only_when_asked(vendored: AlphabeticIndex) -> None:
    plain = vendored.lookup("Strain", "postural")
    assert plain is not None and plain.entry is None and not plain.redirected
    also = vendored.lookup("Strain", "postural", see_also=True)
    assert also is not None and also.code == "M70.90"
    assert also.trail == (
        "Strain > postural -> see also Disorder > soft tissue > due to use, overuse and pressure"
    )


def test_resolve_a_reference(vendored: AlphabeticIndex) -> None:
    found = vendored.resolve("Sprain, knee, collateral")
    assert found is not None and found.complete
    assert found.entry.path_text == "Sprain > knee > collateral ligament"
    waiting = vendored.resolve("Injury, muscle, by site, strain")
    assert waiting is not None and not waiting.complete and waiting.waiting == "by site"
    filled = vendored.resolve("Injury, muscle, by site, strain", ["lower back"])
    assert filled is not None and filled.complete and filled.words == ("lower back",)
    assert filled.entry.path_text == "Injury > muscle > lower back > strain"
    assert vendored.resolve("Table of Drugs and Chemicals") is None


def test_find_main_terms_by_word(vendored: AlphabeticIndex) -> None:
    assert [t.title for t in vendored.find("strain")] == ["Strain", "Straining, on urination"]
    assert vendored.find("low back strain")[0].title == "Strain"
    assert vendored.find(["lumbar", "radiculopathy"])[0].title == "Radiculopathy"
    assert "Herniation" in [t.title for t in vendored.find("herniated")]
    assert vendored.find("") == [] and vendored.find("zzzz") == []


# -- the check against the tabular list -----------------------------------------------------------


def test_check_against_a_release_that_changed(sample: AlphabeticIndex) -> None:
    release = CodeSet.from_release(
        RELEASE_2027 / "icd10cm-codes-October-1-2026.txt",
        RELEASE_2027 / "icd10cm-tabular-October-1-2026.xml",
    )
    check = check_codes(sample, release)
    missing = dict(check.missing)
    assert "S33.5" not in missing  # Sprain > lumbar: still an item
    assert missing["S39.012"] == (
        "Injury > muscle > lower back > strain",
        "Strain > back",
        "Strain > low back",
    )
    assert missing["S83.9"] == ("Sprain > knee",)  # the index's "-" is not part of the code
    assert len(check.missing) == check.codes - 1
    report = check.report(limit=3)
    assert f"{check.codes - 1} codes of the index are not items" in report
    assert "  F44.4  Abasia" in report and "more" in report
    # the redirects to main terms the excerpt lacks do not resolve; "by site" waits for a site
    assert (check.see_references, check.resolved, check.waiting) == (9, 4, 2)
    assert [path for path, _ in check.unresolved] == [
        "Abandonment",
        "Strain > eye NEC",
        "Strain > heart",
    ]


def test_check_the_vendored_index_against_the_packaged_release(
    vendored: AlphabeticIndex,
) -> None:
    check = check_codes(vendored, get_codeset())
    assert check.missing == ()  # measured: every FY2025 index code is an FY2026 item
    assert (check.entries, check.coded_entries) == (81024, 62721)
    assert check.incomplete > 6930  # the '-' entries and the codes needing a 7th character
    assert check.resolved > 0.75 * check.see_references
    assert "Every code of the index is an item of the tabular list." in check.report()


def test_check_alphabetic_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "check-alphabetic"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ICD-10-CM Alphabetic Index FY2025 (CSV): 81,024 entries")
    assert "Every code of the index is an item of the tabular list." in out
    assert main(["index", "check-alphabetic", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["missing"] == [] and payload["codes"] > 20000


def test_check_alphabetic_command_on_a_cdc_xml(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCRIBE_INDEX_XML_PATH", str(SAMPLE_XML))
    monkeypatch.setenv(
        "SCRIBE_CODE_LIST_PATH", str(RELEASE_2027 / "icd10cm-codes-October-1-2026.txt")
    )
    monkeypatch.setenv(
        "SCRIBE_TABULAR_XML_PATH", str(RELEASE_2027 / "icd10cm-tabular-October-1-2026.xml")
    )
    assert main(["index", "check-alphabetic", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ICD-10-CM Alphabetic Index FY2025 (XML): 60 entries")
    assert "checked against ICD-10-CM FY2027" in out and "codes of the index are not items" in out
