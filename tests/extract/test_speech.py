"""Assertion that survives speech: what real recorded visits say, pinned down on new wording
(issue "Real visits", item 3). One row per phrase: concept, assertion and attributes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scribeplugin.extract.findings import Finding
from tests.extract.test_findings import Expect, _check

Extract = Callable[[object], list[Finding]]

ROWS: list[tuple[str, str, list[Expect]]] = [
    # A side's exam result ("the right is negative") names the side, and denies it.
    (
        "side result negated",
        "Doctor: Straight leg raise on the left reproduces the pain. The right was negative.",
        [("right", "negated", {}), ("left", "present", {})],
    ),
    (
        "all right is not a side",
        "Doctor: All right is there anything else today?",
        [("right", "absent", {})],
    ),
    # A side dictated after its finding, between commas or ending the clause.
    (
        "side dictated after the finding",
        "Doctor: Assessment: patellar tendinitis, left, from basketball.",
        [("tendinitis", "present", {"site": "site_knee", "laterality": "left"})],
    ),
    (
        "side dictated at the end",
        "Doctor: Assessment: carpal tunnel syndrome, right.",
        [("carpal_tunnel_syndrome", "present", {"laterality": "right"})],
    ),
    (
        "talk before the comma is not a side",
        "Doctor: Okay, right, now let's look at the carpal tunnel.",
        [("right", "absent", {})],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_speech(extract: Extract, name: str, text: str, expected: list[Expect]) -> None:
    _check(extract(text), expected)
