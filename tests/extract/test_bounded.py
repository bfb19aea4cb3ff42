"""Extraction costs time linear in a transcript's length whatever its shape, and stops at its
deadline: a 199,000-character paragraph without line breaks or punctuation is cut into bounded
units, and a long turn costs no more per character than a short one.

Costs are CPU time of the test's own thread (``time.thread_time``), compared within one test:
other processes on a shared machine barely move them.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from scribeplugin.config import PROJECT_ROOT
from scribeplugin.deadline import Deadline
from scribeplugin.errors import DeadlineExceededError
from scribeplugin.extract.findings import FindingExtractor
from scribeplugin.extract.transcript import parse_transcript
from scribeplugin.extract.units import MAX_UNIT_CHARS, split_units
from tests.extract.conftest import check_offsets

EXAMPLES = " ".join(
    p.read_text(encoding="utf-8")
    for p in sorted((PROJECT_ROOT / "examples/transcripts").glob("*.txt"))
)
FLAT = " ".join(EXAMPLES.split())  # the example visits as one paragraph
NO_PUNCTUATION = FLAT.translate(str.maketrans(".?!;,:", "      "))
# Shapes that cost the square (or the cube) of a unit's or a turn's length before 2026-12-07:
SHAPES = {
    "visits-as-one-paragraph": FLAT,
    "no-punctuation": NO_PUNCTUATION,
    "dense-levels": "disc herniation at L4-L5 with L5 radiculopathy on the left ",
    "roots-and-segments-in-one-clause": "L5 radiculopathy, it L4-L5 L4-L5 L4-L5, i ",
    "negations": "no numbness or tingling or weakness and no back pain ",
    "resolutions": "The discitis at L3-L4 has resolved. Discitis at L4-L5. ",
}


def paragraph(shape: str, chars: int) -> str:
    src = SHAPES[shape]
    return (src * (chars // len(src) + 1))[:chars]


def cpu_seconds(extractor: FindingExtractor, text: str) -> float:
    transcript = parse_transcript(text, max_chars=200_000)
    started = time.thread_time()
    findings = extractor.extract(transcript)
    elapsed = time.thread_time() - started
    check_offsets(transcript, findings)
    return elapsed


@pytest.mark.parametrize("shape", SHAPES)
def test_cost_is_linear_in_length(extractor: FindingExtractor, shape: str) -> None:
    """Four times the text costs about four times as much (at most eight here); the square
    would cost sixteen times, the cube sixty-four."""
    cpu_seconds(extractor, paragraph(shape, 2_000))  # automaton states for these words
    small = min(cpu_seconds(extractor, paragraph(shape, 12_000)) for _ in range(2))
    # the least of two runs for both: one collector pause must not pass for the square
    large = min(cpu_seconds(extractor, paragraph(shape, 48_000)) for _ in range(2))
    assert large < 8 * small + 0.05, (shape, small, large)


def test_a_long_paragraph_is_cut_into_bounded_units() -> None:
    words = "she has had low back pain for two years and it goes down the left leg to the knee "
    text = (words * 3000)[:199_000]
    transcript = parse_transcript(text, max_chars=200_000)
    assert len(transcript.turns) == 1
    units = split_units(transcript)
    assert max(u.end - u.start for u in units) <= MAX_UNIT_CHARS
    assert all(a.end <= b.start for a, b in itertools.pairwise(units))
    # every word is in a unit, and no word is cut in two
    covered = "".join(text[u.start : u.end] + " " for u in units)
    assert covered.split() == text.split()


def test_no_unit_of_our_transcripts_comes_near_the_limit() -> None:
    """The limit changes nothing on real visits (the external dialogues included)."""
    paths = sorted((PROJECT_ROOT / "examples/transcripts").glob("*.txt"))
    external = Path(PROJECT_ROOT.parent / "shared/external/msk_dialogues.jsonl")
    texts = [p.read_text(encoding="utf-8") for p in paths]
    if external.exists():
        import json

        texts += [json.loads(line)["dialogue"] for line in external.read_text().splitlines()]
    longest = max(u.end - u.start for t in texts for u in split_units(parse_transcript(t)))
    assert longest < MAX_UNIT_CHARS / 2


def test_extraction_stops_at_its_deadline(extractor: FindingExtractor) -> None:
    transcript = parse_transcript(paragraph("dense-levels", 199_000), max_chars=200_000)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="in extraction"):
        extractor.extract(transcript, Deadline(0.3))
    assert time.monotonic() - started < 0.3 + 2.0  # one unit past the deadline, at most
    extractor.extract(parse_transcript("Doctor: Any back pain?\nPatient: Yes."))  # still works
