from __future__ import annotations

import json
import re

import pytest

from scribeplugin.errors import InputError
from scribeplugin.extract.transcript import Transcript, classify_label, parse_transcript


def _invariant(t: Transcript) -> None:
    for turn in t.turns:
        assert t.text[turn.start : turn.end] == turn.text
        assert turn.text == turn.text.strip() and turn.text


@pytest.mark.parametrize(
    ("text", "speakers", "labels"),
    [
        ("Doctor: Hi.\nPatient: My back hurts.", ["clinician", "patient"], ["Doctor", "Patient"]),
        ("DR: Hi.\nPT: My back hurts.", ["clinician", "patient"], ["DR", "PT"]),
        ("D: Hi.\nP: My back hurts.", ["clinician", "patient"], ["D", "P"]),
        ("Dr. Lee: Hi.\nPatient: Hello.", ["clinician", "patient"], ["Dr. Lee", "Patient"]),
        ("Dr.: Hi.\nPt.: Hello.", ["clinician", "patient"], ["Dr.", "Pt."]),
        ("Physician: Hi.\nPatient: Hello.", ["clinician", "patient"], ["Physician", "Patient"]),
        ("Clinician: Hi.\nPatient: Hello.", ["clinician", "patient"], ["Clinician", "Patient"]),
        ("Provider: Hi.\nClient: Hello.", ["clinician", "patient"], ["Provider", "Client"]),
        (
            "Nurse Practitioner: Hi.\nPatient: Hi.",
            ["clinician", "patient"],
            ["Nurse Practitioner", "Patient"],
        ),
        (
            "Doctor: Hi.\nGuest_family: She fell.\nDoctor_2: OK.\nGuest_clinician: Yes.",
            ["clinician", "other", "clinician", "clinician"],
            ["Doctor", "Guest_family", "Doctor_2", "Guest_clinician"],
        ),
        (
            "Docotr_2: typo in the source.\nGuest_family_1: fine.",
            ["clinician", "other"],
            ["Docotr_2", "Guest_family_1"],
        ),
        ("**Doctor:** Hi.\n**Patient:** Hello.", ["clinician", "patient"], ["Doctor", "Patient"]),
        (
            "[00:01:02] Doctor: Hi.\n[00:01:05] Patient: Hello.",
            ["clinician", "patient"],
            ["Doctor", "Patient"],
        ),
        ("Speaker 1: Hi.\nSpeaker 2: Hello.", ["unknown", "unknown"], ["Speaker 1", "Speaker 2"]),
        (
            "Doctor: How is the back? Patient: Better.",
            ["clinician", "patient"],
            ["Doctor", "Patient"],
        ),
    ],
)
def test_labeled_text(text: str, speakers: list[str], labels: list[str]) -> None:
    t = parse_transcript(text)
    assert t.source_format == "labeled"
    assert [u.speaker for u in t.turns] == speakers
    assert [u.label for u in t.turns] == labels
    assert t.text == text  # never rewritten
    _invariant(t)


def test_asr_tags() -> None:
    text = "[doctor] hi , how are you ? [patient] my back hurts . [patient_guest] he fell ."
    t = parse_transcript(text)
    assert t.source_format == "asr"
    assert [(u.speaker, u.label, u.text) for u in t.turns] == [
        ("clinician", "[doctor]", "hi , how are you ?"),
        ("patient", "[patient]", "my back hurts ."),
        ("other", "[patient_guest]", "he fell ."),
    ]
    _invariant(t)


def test_a_section_header_is_not_a_speaker() -> None:
    t = parse_transcript("Doctor: Let me summarise.\nImpression: lumbar strain.\nPatient: OK.")
    assert [u.speaker for u in t.turns] == ["clinician", "patient"]
    assert "Impression: lumbar strain." in t.turns[0].text
    assert classify_label("Impression") is None and classify_label("Plan") is None


def test_preamble_before_the_first_label_is_kept() -> None:
    t = parse_transcript("Visit 2024-01-02\n\nDoctor: Hi.\nPatient: Hello.")
    assert [u.speaker for u in t.turns] == ["unknown", "clinician", "patient"]
    _invariant(t)


def test_unlabeled_text_is_one_turn_per_paragraph() -> None:
    text = "Low back pain for six months.\nNo leg pain.\n\n  \nPlan: physical therapy.\n"
    t = parse_transcript(text)
    assert t.source_format == "plain"
    assert [u.text for u in t.turns] == [
        "Low back pain for six months.\nNo leg pain.",
        "Plan: physical therapy.",
    ]
    assert {u.speaker for u in t.turns} == {"unknown"}
    _invariant(t)


SEGMENTS = [
    {"speaker": "Doctor", "text": "Any leg pain?", "start_s": 0.5},
    {"speaker": "Patient", "text": "  No.  "},
    {"speaker": "", "text": "(inaudible)"},
    {"speaker": "Nurse", "text": ""},
]


@pytest.mark.parametrize(
    "data",
    [SEGMENTS, json.dumps(SEGMENTS), json.dumps(SEGMENTS, indent=2), json.dumps(SEGMENTS).encode()],
)
def test_json_segments(data: object) -> None:
    t = parse_transcript(data)  # type: ignore[arg-type]
    assert t.source_format == "segments"
    assert t.text == "Doctor: Any leg pain?\nPatient: No.\n(inaudible)"
    assert [(u.speaker, u.label, u.text) for u in t.turns] == [
        ("clinician", "Doctor", "Any leg pain?"),
        ("patient", "Patient", "No."),
        ("unknown", "", "(inaudible)"),
    ]
    _invariant(t)


def test_crlf_and_tabs() -> None:
    text = "Doctor:\tAny leg pain?\r\nPatient: No.\r\n"
    t = parse_transcript(text)
    assert [(u.speaker, u.text) for u in t.turns] == [
        ("clinician", "Any leg pain?"),
        ("patient", "No."),
    ]
    _invariant(t)


def test_bytes_are_decoded_and_bom_dropped() -> None:
    t = parse_transcript("\ufeffDoctor: Hi.\nPatient: Ça va.".encode())
    assert t.text.startswith("Doctor:") and t.turns[1].text == "Ça va."


def test_transcript_passes_through() -> None:
    t = parse_transcript("Doctor: Hi.")
    assert parse_transcript(t) is t


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "empty"),
        ("  \n\t ", "empty"),
        (b"", "empty"),
        ("x" * 101, "101 characters; the limit is 100"),
        (b"\xff\xfeD\x00r\x00", "NUL bytes"),
        (b"Doctor: caf\xe9", "not valid UTF-8 (byte 0xe9 at position 11)"),
        ("Doctor: hi\x00there", "U+0000 at offset 10"),
        ("Doctor: hi\x07", "U+0007"),
        ("Doctor: \ud800", "unpaired surrogate U+D800"),
        ('[{"speaker": "Doctor", "text": "hi"', "does not parse"),
        ('{"speaker": "Doctor", "text": "hi"}', "must be a list"),
        ("[]", "no segments"),
        ([], "no segments"),
        ([{"speaker": "Doctor", "text": "hi"}, "hello"], "segment 1 is a string"),
        ([{"speaker": "Doctor"}], "segment 0 has no 'text' field"),
        ([{"text": "hi"}], "segment 0 has no 'speaker' field"),
        (
            [{"speaker": "Doctor", "text": 3}],
            "segment 0 field 'text' must be a string, not a number",
        ),
        ([{"speaker": None, "text": "hi"}], "field 'speaker' must be a string, not a null"),
        ([{"speaker": "Doctor", "text": "  "}], "empty"),
        (42, "not int"),
        ("Doctor:\nPatient:\n", "speaker labels but no words"),
        ("[doctor] [patient] .", "speaker labels but no words"),
    ],
)
def test_bad_input(data: object, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse_transcript(data, max_chars=100)  # type: ignore[arg-type]


def test_limit_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from scribeplugin import config

    monkeypatch.setenv("SCRIBE_MAX_TRANSCRIPT_CHARS", "50")
    config.get_settings.cache_clear()
    try:
        with pytest.raises(InputError, match="SCRIBE_MAX_TRANSCRIPT_CHARS"):
            parse_transcript("Doctor: " + "pain " * 20)
    finally:
        config.get_settings.cache_clear()
