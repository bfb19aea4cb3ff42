"""A condition family added by data alone, through the whole pipeline: the extra knowledge file
``tests/data/knowledge_extra/dupuytren.yaml`` (its concept, target patterns and a limbs route
through the Alphabetic Index) makes a Dupuytren's visit come out as M72.0, with the transcript's
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
    "Patient: My right ring finger has been curling into my palm for a year and won't "
    "straighten.\n"
    "Doctor: There is a firm cord in the right palm and the ring finger will not extend fully.\n"
    "Doctor: Assessment: Dupuytren's contracture of the right hand. We will refer you to hand "
    "surgery to discuss a release."
)


def _pipeline(default_index: Any, embedder: Any, extra: list[Any]) -> Pipeline:
    settings = Settings(data_dir=default_index.data_dir, knowledge_extra=extra)
    return Pipeline.from_settings(settings, embedder=embedder)


def test_an_extra_knowledge_file_codes_a_new_family(default_index: Any, embedder: Any) -> None:
    response = _pipeline(default_index, embedder, [EXTRA]).suggest(VISIT)
    by_code = {c.code: c for c in response.codes}
    assert "M72.0" in by_code, [c.code for c in response.codes]
    code = by_code["M72.0"]  # Palmar fascial fibromatosis [Dupuytren]
    assert code.status == "suggested" and code.billable
    assert any(e.text == "Dupuytren's contracture" for e in code.evidence)
    refs = {c.ref for c in code.citations}
    assert "tabular:M72.0" in refs
    assert "index:Dupuytren's contraction or disease" in refs


def test_without_the_file_the_family_is_unknown(default_index: Any, embedder: Any) -> None:
    response = _pipeline(default_index, embedder, []).suggest(VISIT)
    assert "M72.0" not in {c.code for c in response.codes}
