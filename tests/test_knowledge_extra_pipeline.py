"""A condition family added by data alone, through the whole pipeline: the extra knowledge file
``tests/data/knowledge_extra/bakers_cyst.yaml`` (its concept, target patterns and a limbs route
through the Alphabetic Index) makes a Baker's cyst visit come out as M71.21, with the transcript's
words as evidence and the tabular entry and the index entry as citations; without the file the
same visit gets no code. No Python changes: the extractor, the coding step, retrieval, the rules
drafter and the guard are the real ones, over the default index (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.pipeline import Pipeline

pytestmark = pytest.mark.slow

EXTRA = PROJECT_ROOT / "tests" / "data" / "knowledge_extra"
VISIT = (
    "Doctor: What brings you in today?\n"
    "Patient: The back of my right knee feels full and tight when I bend it, for a few months.\n"
    "Doctor: There is a soft swelling in the right popliteal fossa; the ultrasound shows fluid "
    "in a sac there.\n"
    "Doctor: Assessment: Baker's cyst of the right knee. We will treat the knee's arthritis "
    "behind it and watch the cyst."
)


def _pipeline(default_index: Any, embedder: Any, extra: list[Any]) -> Pipeline:
    settings = Settings(data_dir=default_index.data_dir, knowledge_extra=extra)
    return Pipeline.from_settings(settings, embedder=embedder)


def test_an_extra_knowledge_file_codes_a_new_family(default_index: Any, embedder: Any) -> None:
    response = _pipeline(default_index, embedder, [EXTRA]).suggest(VISIT)
    by_code = {c.code: c for c in response.codes}
    assert "M71.21" in by_code, [c.code for c in response.codes]
    code = by_code["M71.21"]  # Synovial cyst of popliteal space [Baker], right knee
    assert code.status == "suggested" and code.billable
    assert any(e.text == "Baker's cyst" for e in code.evidence)
    refs = {c.ref for c in code.citations}
    assert "tabular:M71.21" in refs
    assert "index:Cyst > Baker's" in refs


def test_without_the_file_the_family_is_unknown(default_index: Any, embedder: Any) -> None:
    response = _pipeline(default_index, embedder, []).suggest(VISIT)
    assert not any(c.code.startswith("M71.2") for c in response.codes)
