"""The guard's own invariants on a finished response (for tests and the eval harness)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.draft.types import CodeSuggestion


def assert_invariants(
    response_codes: list[CodeSuggestion], text: str, retrieved_ids: set[str], codeset: CodeSet
) -> list[str]:
    """The guard's own invariants on a finished response; an empty list means all hold.

    Used by tests and the eval harness: every suggested code is billable; every evidence quote
    is verbatim at its offsets; every citation is a retrieved chunk.
    """
    problems = []
    for s in response_codes:
        if s.status == "suggested" and not codeset.is_billable(s.code):
            problems.append(f"{s.code} suggested but not billable")
        if s.code not in codeset:
            problems.append(f"{s.code} not in the code set")
        if not s.evidence:
            problems.append(f"{s.code} has no evidence")
        for e in s.evidence:
            if text[e.start : e.end] != e.text:
                problems.append(f"{s.code} evidence {e.start}:{e.end} is not verbatim")
        if not s.citations:
            problems.append(f"{s.code} has no citation")
        for c in s.citations:
            if c.chunk_id not in retrieved_ids:
                problems.append(f"{s.code} cites {c.chunk_id}, not retrieved")
    return problems
