"""Real input: every dialogue of ../shared/external/msk_dialogues.jsonl goes through extraction."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from scribeplugin.concepts import concepts
from scribeplugin.extract.findings import FindingExtractor
from scribeplugin.extract.transcript import parse_transcript
from tests.extract.conftest import check_offsets

EXTERNAL = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "external" / "msk_dialogues.jsonl"
)


def _dialogues() -> list[dict[str, object]]:
    if not EXTERNAL.exists():
        pytest.skip(f"external dialogues not found at {EXTERNAL.resolve()} (outside the repo)")
    with EXTERNAL.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_every_external_dialogue(extractor: FindingExtractor) -> None:
    dialogues = _dialogues()
    assert len(dialogues) >= 100
    assertions: Counter[str] = Counter()
    for d in dialogues:
        transcript = parse_transcript(str(d["dialogue"]))
        assert transcript.source_format == "labeled", d["source_id"]
        speakers = {t.speaker for t in transcript.turns}
        assert "clinician" in speakers and speakers & {"patient", "other"}, d["source_id"]
        findings = extractor.extract(transcript)
        check_offsets(transcript, findings)
        assert all(f.concept in concepts() for f in findings)
        assertions.update(f.assertion for f in findings)
    # sanity: real dialogues deny many things and confirm many others
    assert assertions["present"] > 500 and assertions["negated"] > 200
