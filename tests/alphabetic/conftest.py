"""Fixtures of the Alphabetic Index tests: the hand-written CDC XML excerpt and the vendored
FY2025 index, each loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribeplugin.alphabetic import AlphabeticIndex, vendored_path
from scribeplugin.config import PROJECT_ROOT

DATA = Path(__file__).parents[1] / "data" / "alphabetic"
SAMPLE_XML = DATA / "icd10cm_index_sample.xml"
SAMPLE_CSV = DATA / "icd10cm_index_sample.csv"
XML_ONLY = DATA / "icd10cm_index_xml_only.xml"
RELEASE_2027 = Path(__file__).parents[1] / "data" / "release-fy2027"
VENDORED = vendored_path(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="session")
def sample() -> AlphabeticIndex:
    return AlphabeticIndex.from_xml(SAMPLE_XML)


@pytest.fixture(scope="session")
def vendored() -> AlphabeticIndex:
    return AlphabeticIndex.from_csv(VENDORED)
