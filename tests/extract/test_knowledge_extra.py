"""A condition family added by data alone: an extra knowledge file, loaded after the corpus's
through ``SCRIBE_KNOWLEDGE_EXTRA`` (``Settings.knowledge_extra``), is found by the extractor
with its offsets, side and assertion; no Python changes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.extract.findings import Finding, FindingExtractor
from scribeplugin.extract.transcript import parse_transcript
from scribeplugin.knowledge.extraction import Category, load_cached
from tests.extract.conftest import check_offsets

EXTRA = PROJECT_ROOT / "tests" / "data" / "knowledge_extra"
BAKER = "bakers_cyst"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(knowledge_extra=[EXTRA])


@pytest.fixture(scope="module")
def find(settings: Settings) -> Callable[[str], list[Finding]]:
    extractor = FindingExtractor(load_cached(tuple(settings.knowledge_dirs)))

    def run(text: str) -> list[Finding]:
        transcript = parse_transcript(text)
        findings = extractor.extract(transcript)
        check_offsets(transcript, findings)
        return [f for f in findings if f.concept == BAKER]

    return run


def test_the_environment_names_the_extra_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBE_KNOWLEDGE_EXTRA", json.dumps([str(EXTRA)]))
    assert Settings().knowledge_dirs == [PROJECT_ROOT / "corpus" / "knowledge", EXTRA]


def test_only_the_extra_file_knows_it(settings: Settings) -> None:
    assert BAKER not in load_cached((PROJECT_ROOT / "corpus" / "knowledge",)).concepts
    concept = load_cached(tuple(settings.knowledge_dirs)).concepts[BAKER]
    assert concept.category == Category.condition


def test_found_with_offsets_side_and_assertion(find: Callable[[str], list[Finding]]) -> None:
    text = (
        "Doctor: What brings you in?\n"
        "Patient: My right knee feels tight at the back when I bend it.\n"
        "Doctor: This is a Baker's cyst of the right knee."
    )
    [f] = find(text)
    assert (f.text, f.start) == ("Baker's cyst", text.index("Baker's cyst"))
    assert f.category == Category.condition
    assert (f.assertion, f.site, f.laterality, f.speaker) == (
        "present",
        "site_knee",
        "right",
        "clinician",
    )
    assert f.from_assessment


def test_denied_is_negated(find: Callable[[str], list[Finding]]) -> None:
    [asked] = find("Doctor: Have you ever had a Baker's cyst?\nPatient: No, never.")
    assert asked.assertion == "negated"
    [stated] = find("Doctor: The ultrasound shows no Baker's cyst.")
    assert stated.assertion == "negated"


def test_other_assertions(find: Callable[[str], list[Finding]]) -> None:
    [guess] = find("Patient: I think I have a Baker's cyst.")
    assert guess.assertion == "possible"
    [family] = find("Patient: My mother had a Baker's cyst.")
    assert family.assertion == "family"
    [phrase] = find("Doctor: There is a cyst at the back of the left knee.")
    assert (phrase.assertion, phrase.site, phrase.laterality) == ("present", "site_knee", "left")
