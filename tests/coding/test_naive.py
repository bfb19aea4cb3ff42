"""The codes a careless coder would pick instead (a route's ``naive``), which let the pitfall
rules about them fire: only those of the proposal's own side and encounter, so that a warning
never speaks of the other side's code or of an initial encounter at a healing visit. On the
real extractor; synthetic sentences."""

from __future__ import annotations

import pytest

from scribeplugin.codeset import get_codeset
from scribeplugin.coding.analysis import Analysis
from scribeplugin.extract.findings import FindingExtractor


def naive_of(extractor: FindingExtractor, text: str) -> tuple[set[str], frozenset[str]]:
    analysis = Analysis.of(extractor.extract(text), get_codeset(), text)
    return {p.code for p in analysis.proposals}, analysis.naive


@pytest.mark.parametrize(
    ("sentence", "code", "naive", "not_naive"),
    [
        (
            "Assessment: sprain of the anterior talofibular ligament of the right ankle.",
            "S93.491A",
            "S93.401A",
            "S93.402A",
        ),
        (
            "Assessment: sprain of the anterior talofibular ligament of the left ankle.",
            "S93.492A",
            "S93.402A",
            "S93.401A",
        ),
        (
            "Assessment: medial epicondylitis of the right elbow, golfer's elbow.",
            "M77.01",
            "M77.11",
            "M77.12",
        ),
    ],
)
def test_the_careless_code_is_of_the_same_side(
    extractor: FindingExtractor, sentence: str, code: str, naive: str, not_naive: str
) -> None:
    codes, got = naive_of(extractor, f"Doctor: {sentence}\n")
    assert code in codes, codes
    assert naive in got, got
    assert not_naive not in got, got


def test_the_careless_code_is_of_the_same_encounter(extractor: FindingExtractor) -> None:
    """A healing MCL sprain (D) is not warned about S83.91XA (an initial encounter)."""
    codes, got = naive_of(
        extractor,
        "Doctor: Four weeks since the right MCL sprain. Routine follow-up, healing well, no "
        "change in treatment. Assessment: medial collateral ligament sprain of the right knee, "
        "healing.\n",
    )
    assert "S83.411D" in codes, codes
    assert not any(c.startswith("S83.91") for c in got), got
