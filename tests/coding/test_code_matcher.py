"""``CodeMatcher`` answers exactly what matching every code against every pattern would, with
its category test first (a pattern of a category no code has matches nothing; a pattern shorter
than a category is never ruled out by it)."""

from __future__ import annotations

import pytest

from scribeplugin.coding.ruleset import CodeMatcher
from scribeplugin.corpus.rules import code_matches

CODES = ["M51.16", "M54.50", "S83.411A", "S93.401A", "G56.03"]


@pytest.mark.parametrize(
    "patterns",
    [
        ["M51.1-"],
        ["M51.2-"],
        ["M54.5-", "S83.4-"],
        ["S93.401A"],
        ["S93.402A"],
        ["M17.1-", "M16.1-"],  # no code of these categories
        ["G56.0-", "M1A-"],
        ["M5-"],  # shorter than a category
        ["S-", "Z99.9"],
        [],
    ],
)
def test_the_matcher_agrees_with_matching_every_code(patterns: list[str]) -> None:
    brute = tuple(sorted({c for c in CODES for p in patterns if code_matches(c, p)}))
    assert CodeMatcher(CODES).any(patterns) == brute


def test_a_category_no_code_has_is_ruled_out_before_matching() -> None:
    matcher = CodeMatcher(CODES)
    assert matcher.any(["M17.1-"]) == ()
    assert "M17.1-" not in matcher._by_pattern  # never matched code by code
    assert matcher.any(["M5-"]) == ("M51.16", "M54.50")  # a short pattern is still matched
