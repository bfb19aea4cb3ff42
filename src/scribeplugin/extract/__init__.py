"""Transcript turns, and findings with assertion and offsets (medspaCy + ConText).

Importing this package is cheap; medspaCy loads on the first extraction or ``warm_up()``.
"""

from scribeplugin.extract.findings import Assertion, Finding, FindingExtractor
from scribeplugin.extract.transcript import Speaker, Transcript, Turn, parse_transcript

__all__ = [
    "Assertion",
    "Finding",
    "FindingExtractor",
    "Speaker",
    "Transcript",
    "Turn",
    "parse_transcript",
]
