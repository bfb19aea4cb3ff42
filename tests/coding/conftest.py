"""Shared by the coding tests that read words with the real extractor: the extractor, loaded
once per session, and ``coded``: a transcript's proposals by code, from extraction through
the coding step (``Analysis``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scribeplugin.codeset import get_codeset
from scribeplugin.coding.analysis import Analysis
from scribeplugin.coding.facts import Proposal
from scribeplugin.extract.findings import FindingExtractor

Coded = Callable[[str], dict[str, Proposal]]


@pytest.fixture(scope="session")
def extractor() -> FindingExtractor:
    return FindingExtractor()


@pytest.fixture(scope="session")
def coded(extractor: FindingExtractor) -> Coded:
    def run(text: str) -> dict[str, Proposal]:
        proposals = Analysis.of(extractor.extract(text), get_codeset(), text).proposals
        return {p.code: p for p in proposals}

    return run


def described(code: str) -> str:
    """The code's tabular description, to check a code means what the test says."""
    return get_codeset().lookup(code).description
