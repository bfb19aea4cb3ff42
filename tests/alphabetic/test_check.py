"""The index against the tabular list in use, and the check-alphabetic command."""

from __future__ import annotations

import json

import pytest

from scribeplugin.alphabetic import AlphabeticIndex, check_codes
from scribeplugin.cli import main
from scribeplugin.codeset import CodeSet, get_codeset
from tests.alphabetic.conftest import RELEASE_2027, SAMPLE_XML

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
