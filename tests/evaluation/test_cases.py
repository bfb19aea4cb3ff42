"""Eval cases: the real suite loads and resolves; broken case files fail with file, line and why."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from scribeplugin.codeset import get_codeset
from scribeplugin.config import PROJECT_ROOT
from scribeplugin.corpus.cards import load_cards
from scribeplugin.corpus.rules import load_rules
from scribeplugin.evaluation.cases import (
    Case,
    CaseError,
    check_references,
    load_case_file,
    load_cases,
)

CASES = PROJECT_ROOT / "evals" / "cases"
CORPUS = PROJECT_ROOT / "corpus"

GOOD = """\
- id: {id}
  title: A short synthetic neck visit
  format: labeled
  transcript: |
    Doctor: What brings you in?
    Patient: My neck is sore.
  expect:
    codes: [M54.2]
"""


@pytest.fixture(scope="module")
def suite() -> list[Case]:
    return load_cases(CASES)


def words(case: Case) -> int:
    data = case.load_transcript()
    text = data if isinstance(data, str) else " ".join(s["text"] for s in data)
    return len(re.findall(r"\S+", text))


def test_the_suite_loads_and_every_reference_resolves(suite: list[Case]) -> None:
    items = {i.id for card in load_cards(CORPUS) for i in card.items}
    problems = check_references(suite, get_codeset(), load_rules(CORPUS), items)
    assert problems == [], "\n".join(problems)
    assert len(suite) >= 110
    assert len({c.id for c in suite}) == len(suite)


def test_the_suite_spans_formats_and_hard_cases(suite: list[Case]) -> None:
    formats = Counter(c.format for c in suite)
    assert set(formats) == {"labeled", "asr", "plain", "segments"}, formats
    assert any(c.transcript_file and c.transcript_file.endswith(".json") for c in suite)
    assert any(c.transcript_file and c.transcript_file.endswith(".txt") for c in suite)
    assert any("DR:" in str(c.transcript) for c in suite), "a DR:/PT: transcript"
    tags = {t for c in suite for t in c.tags}
    for needed in (
        "injection",
        "negation",
        "family-history",
        "history-only",
        "uncertain",
        "kidney-stone",
        "seventh-character",
        "abstain",
        "multiple-regions",
    ):
        assert needed in tags, needed
    assert any(c.expect.abstain for c in suite)


def test_transcripts_are_short(suite: list[Case]) -> None:
    """40 to 150 words keeps the suite fast and each case about one thing."""
    out = {c.id: words(c) for c in suite if not 40 <= words(c) <= 150}
    assert out == {}


def test_segments_from_a_file_are_read_as_segments(suite: list[Case]) -> None:
    [case] = [c for c in suite if c.id == "format-file-segments-mixed-encounters"]
    data = case.load_transcript()
    assert isinstance(data, list) and {"speaker", "text"} == set(data[0])


def write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "  expect:",
            "  transcript_file: other.txt\n  expect:",
            "exactly one of 'transcript'",
            id="transcript-and-file",
        ),
        pytest.param(
            "codes: [M54.2]",
            "codes: [M542]",
            "'M542' is not an ICD-10-CM code",
            id="bad-code-shape",
        ),
        pytest.param(
            "codes: [M54.2]",
            "codes: [M54.2]\n    not_codes: [M54.-]",
            "is both expected and forbidden",
            id="expected-and-forbidden",
        ),
        pytest.param(
            "format: labeled",
            "format: segments",
            "format 'segments' goes with",
            id="segments-with-text",
        ),
        pytest.param(
            "  expect:", "  priority: high\n  expect:", "Extra inputs", id="unknown-field"
        ),
        pytest.param(
            "  expect:",
            "  covers: [M53.87/faq/Bertolotti]\n  expect:",
            "not a card item id",
            id="bad-item-id",
        ),
        pytest.param(
            "codes: [M54.2]",
            "codes: [M54.2]\n    prompts: [Missing Level]",
            "is not a rule or prompt id",
            id="bad-prompt-id",
        ),
        pytest.param(
            "- id: {id}", "- id: Neck_Visit", "String should match pattern", id="bad-case-id"
        ),
    ],
)
def test_a_broken_case_names_file_line_and_reason(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = GOOD.replace(old, new).format(id="neck-visit")
    path = write(tmp_path, "# a comment line\n" + text)
    with pytest.raises(CaseError) as err:
        load_case_file(path)
    assert err.value.path == path and err.value.line == 2
    assert message in err.value.message


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.format(id="neck-visit") + "  tags: [a, b\n")
    with pytest.raises(CaseError, match=r"cases\.yaml:\d+: not valid YAML"):
        load_case_file(path)


def test_ids_are_unique_across_files(tmp_path: Path) -> None:
    write(tmp_path, GOOD.format(id="neck-visit"), "a.yaml")
    write(tmp_path, GOOD.format(id="neck-visit"), "b.yaml")
    with pytest.raises(CaseError, match="duplicate case id neck-visit"):
        load_cases(tmp_path)


def test_a_missing_transcript_file_is_an_error(tmp_path: Path) -> None:
    text = GOOD.format(id="neck-visit").split("  transcript: |")[0] + (
        "  transcript_file: visits/nowhere.txt\n  expect:\n    codes: [M54.2]\n"
    )
    write(tmp_path, text)
    with pytest.raises(CaseError, match=r"nowhere\.txt does not exist"):
        load_cases(tmp_path)


def test_a_file_may_hold_one_case_as_a_mapping(tmp_path: Path) -> None:
    one = "\n".join(line[2:] for line in GOOD.format(id="neck-visit").splitlines())
    [case] = load_case_file(write(tmp_path, one + "\n"))
    assert case.id == "neck-visit" and case.line == 1


def test_references_are_checked_against_code_set_rules_and_cards(tmp_path: Path) -> None:
    text = (
        GOOD.format(id="neck-visit").replace(
            "codes: [M54.2]",
            "codes: [M54.2, M51.36, M53.89]\n    prompts: [no-such-rule, missing-level-or-region]\n"
            "    warnings: [m53-87-imaging, m53-87-more-specific-code]",
        )
        + "  covers: [M53.87/faq/no-such-question]\n"
    )
    cases = load_case_file(write(tmp_path, text))
    items = {i.id for card in load_cards(CORPUS) for i in card.items}
    problems = check_references(cases, get_codeset(), load_rules(CORPUS), items)
    assert [p.split(": case neck-visit: ")[1] for p in problems] == [
        "expected code M51.36 is not billable; name the leaf",
        "expected code M53.89 is not in ICD-10-CM FY2026 (April 1, 2026 update)",
        "no-such-rule is not a prompt rule, missing-* or confirm-* id",
        "m53-87-imaging is not a warning or alternative rule id",
        "covers unknown card item M53.87/faq/no-such-question",
    ]
