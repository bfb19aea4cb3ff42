"""One medspaCy pipeline for the whole extract test module (loading it takes a few seconds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scribeplugin.extract.findings import Finding, FindingExtractor
from scribeplugin.extract.transcript import Transcript, parse_transcript


@pytest.fixture(scope="session")
def extractor() -> FindingExtractor:
    fx = FindingExtractor()
    fx.warm_up()
    return fx


def check_offsets(transcript: Transcript, findings: list[Finding]) -> None:
    """The invariant every consumer relies on: offsets point at the finding's text."""
    for f in findings:
        assert transcript.text[f.start : f.end] == f.text, f
        turn = transcript.turns[f.turn_index]
        assert turn.start <= f.start < f.end <= turn.end, f
        assert f.speaker == turn.speaker


@pytest.fixture
def extract(extractor: FindingExtractor) -> Callable[[Any], list[Finding]]:
    """Parse and extract, checking the offset invariant on every finding."""

    def run(data: Any) -> list[Finding]:
        transcript = parse_transcript(data)
        findings = extractor.extract(transcript)
        check_offsets(transcript, findings)
        return findings

    return run
