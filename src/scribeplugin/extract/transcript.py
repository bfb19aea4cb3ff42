"""Transcript input: one canonical text, split into speaker turns with character offsets.

A scribe sends plain text with speaker labels (``Doctor:``/``Patient:``, ``D:``/``P:``,
``DR:``/``PT:``, ``Dr. Lee:``, ``Guest_family:``, ``[doctor]``/``[patient]`` ASR tags), plain
text without labels, or JSON segments ``[{"speaker": ..., "text": ...}]``. Whatever arrives,
``Transcript.text`` is the one string every offset refers to: for text input it is the input
itself (decoded, never rewritten), for segments it is ``"Speaker: text"`` lines joined by
``"\\n"``. Bad input raises :class:`~scribeplugin.errors.InputError` with a message that says
what to send instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scribeplugin.errors import InputError

Speaker = Literal["clinician", "patient", "other", "unknown"]
SourceFormat = Literal["labeled", "asr", "plain", "segments"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker's stretch of talk. ``text == transcript.text[start:end]``."""

    speaker: Speaker
    label: str  # as written ("Doctor", "[patient]", "D"); "" for unlabeled text
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    turns: tuple[Turn, ...]
    source_format: SourceFormat


# Speaker labels, normalised: lower case, no brackets, dots, digits or "_2" suffixes.
# fmt: off
_CLINICIAN = {
    "doctor", "docotr", "doc", "dr", "d", "physician", "clinician", "clinican", "provider",
    "md", "np", "pa", "nurse", "rn", "nurse practitioner", "physician assistant", "surgeon",
    "resident", "attending", "consultant", "gp", "examiner", "specialist", "therapist",
    "guest clinician", "guest clinican", "guest doctor", "doctor guest", "clinician guest",
}
# fmt: on
_PATIENT = {"patient", "pt", "p", "pat", "client", "patient self"}
# fmt: off
_OTHER = {
    "guest family", "family", "guest", "patient guest", "guest patient", "family member",
    "mother", "father", "mom", "mum", "dad", "wife", "husband", "daughter", "son", "parent",
    "caregiver", "carer", "spouse", "partner", "friend", "relative", "guardian", "sister",
    "brother", "interpreter", "translator", "companion",
}
# fmt: on
_UNKNOWN = re.compile(r"^(?:speaker|spk|s)[ _-]?(?:\d+|[a-z])$")
# Full words that may start a turn mid-line after a sentence ("... today? Patient: ...").
_INLINE_WORDS = "Doctor|Patient|Physician|Clinician|Provider|Nurse|Dr|DR|PT|Pt"


def classify_label(label: str) -> Speaker | None:
    """The speaker role a label names, or None when the label is not a speaker label."""
    norm = label.strip().strip("[]*").strip().lower()
    norm = re.sub(r"[_\-]+", " ", norm)
    norm = re.sub(r"\s*\d+$", "", norm).strip()  # Doctor_2, Guest_family_1
    norm = norm.rstrip(".")
    if not norm:
        return None
    if _UNKNOWN.match(norm) or norm in {"speaker", "unknown"}:
        return "unknown"
    if norm in _CLINICIAN:
        return "clinician"
    if norm in _PATIENT:
        return "patient"
    if norm in _OTHER:
        return "other"
    first = norm.split()[0].rstrip(".")
    if first in {"dr", "doctor"} and len(norm.split()) <= 3:  # "Dr. Lee", "Doctor Kumar"
        return "clinician"
    if first in {"patient", "pt"} and len(norm.split()) <= 3:
        return "patient"
    return None


# "Doctor:" / "**Dr. Lee**:" / "[00:01:12] Patient:" at the start of a line.
_LINE_LABEL = re.compile(
    r"^[ \t]*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?[\])]?[ \t]+)?"
    r"(?:\*\*)?(?P<label>[A-Za-z][A-Za-z0-9_ .'-]{0,30}?)(?:\*\*)?[ \t]*:(?!//)(?:\*\*)?",
    re.MULTILINE,
)
_INLINE_LABEL = re.compile(rf"(?<=[.?!])[ \t]+(?P<label>(?:{_INLINE_WORDS})\.?)[ \t]*:")
_ASR_TAG = re.compile(r"\[(?P<label>[A-Za-z][A-Za-z _-]{0,30}?(?:[ _-]?\d+)?)\]")
# C0 controls other than tab, LF, FF and CR; DEL; unpaired surrogates.
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f]*\n")


def parse_transcript(
    data: str | bytes | bytearray | Sequence[Mapping[str, Any]] | Transcript,
    max_chars: int | None = None,
) -> Transcript:
    """Turn whatever the scribe sent into a :class:`Transcript`.

    ``max_chars`` defaults to ``Settings.max_transcript_chars`` (``SCRIBE_MAX_TRANSCRIPT_CHARS``).
    """
    if isinstance(data, Transcript):
        return data
    if max_chars is None:
        from scribeplugin.config import get_settings

        max_chars = get_settings().max_transcript_chars
    if isinstance(data, bytes | bytearray | memoryview):
        data = _decode(bytes(data), max_chars)
    if isinstance(data, str):
        stripped = data.lstrip()
        if stripped[:1] == "{" or re.match(r"\[\s*[{\]]", stripped):
            if len(data) > 4 * max_chars + 1024:
                raise _too_long(len(data), max_chars)
            return _from_segments(_load_json(data), max_chars)
        return _from_text(data, max_chars)
    if isinstance(data, Sequence):
        return _from_segments(data, max_chars)
    raise InputError(
        f"a transcript must be text, UTF-8 bytes or a list of {{speaker, text}} segments, "
        f"not {type(data).__name__}"
    )


def _too_long(n: int, max_chars: int) -> InputError:
    return InputError(
        f"transcript is {n:,} characters; the limit is {max_chars:,} "
        "(SCRIBE_MAX_TRANSCRIPT_CHARS). Send one encounter at a time, or raise the limit."
    )


def _decode(raw: bytes, max_chars: int) -> str:
    if len(raw) > 4 * max_chars + 4:  # no UTF-8 character is longer than 4 bytes
        raise _too_long(len(raw), max_chars)
    if b"\x00" in raw:
        raise InputError(
            "transcript contains NUL bytes: it looks like a binary file or UTF-16 text; "
            "send UTF-8 text"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"transcript is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position "
            f"{exc.start}); re-encode it as UTF-8"
        ) from None


def _check_text(text: str, max_chars: int, what: str = "transcript") -> None:
    if not text.strip():
        raise InputError(f"{what} is empty; send the encounter's dialogue text")
    if len(text) > max_chars:
        raise _too_long(len(text), max_chars)
    bad = _BAD_CHAR.search(text)
    if bad:
        code = ord(bad.group())
        kind = "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF else "the control character"
        raise InputError(
            f"{what} contains {kind} U+{code:04X} at offset {bad.start()}: it looks like binary "
            "data, not text; send plain UTF-8 text"
        )


def _load_json(data: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"transcript looks like JSON but does not parse ({exc.msg} at line {exc.lineno} "
            f'column {exc.colno}); send a JSON list of {{"speaker", "text"}} segments or '
            "plain text"
        ) from None


def _from_segments(segments: Any, max_chars: int) -> Transcript:
    if (
        isinstance(segments, Mapping)
        or not isinstance(segments, Sequence)
        or isinstance(segments, str | bytes)
    ):
        raise InputError(
            'JSON transcript must be a list of {"speaker", "text"} segments, '
            f"not {_a(_json_type(segments))}"
        )
    if not segments:
        raise InputError("transcript has no segments; send at least one {speaker, text} segment")
    lines: list[str] = []
    spans: list[tuple[Speaker, str, int, int]] = []
    pos = 0
    for i, seg in enumerate(segments):
        if not isinstance(seg, Mapping):
            raise InputError(
                f"segment {i} is {_a(_json_type(seg))}; each segment must be an object "
                '{"speaker": ..., "text": ...}'
            )
        for field in ("speaker", "text"):
            if field not in seg:
                raise InputError(f"segment {i} has no {field!r} field")
            if not isinstance(seg[field], str):
                raise InputError(
                    f"segment {i} field {field!r} must be a string, "
                    f"not {_a(_json_type(seg[field]))}"
                )
        label = " ".join(seg["speaker"].split())
        text = seg["text"].strip()
        if not text:
            continue
        prefix = f"{label}: " if label else ""
        start = pos + len(prefix)
        lines.append(prefix + text)
        speaker: Speaker = (classify_label(label) or "unknown") if label else "unknown"
        spans.append((speaker, label, start, start + len(text)))
        pos += len(prefix) + len(text) + 1
    canonical = "\n".join(lines)
    _check_text(canonical, max_chars)
    turns = tuple(Turn(sp, lb, canonical[s:e], s, e) for sp, lb, s, e in spans)
    return Transcript(canonical, turns, "segments")


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, Sequence):
        return "list"
    return type(value).__name__


def _from_text(text: str, max_chars: int) -> Transcript:
    _check_text(text, max_chars)
    labels = _find_asr_tags(text)
    fmt: SourceFormat = "asr"
    if not labels:
        labels = _find_line_labels(text)
        fmt = "labeled"
    if not labels:
        return Transcript(text, tuple(_paragraphs(text)), "plain")
    if not any(c.isalnum() for c in _without_labels(text, labels)):
        raise InputError("transcript has speaker labels but no words; send the dialogue text")
    turns: list[Turn] = []
    first = labels[0][0]
    if any(c.isalnum() for c in text[:first]):  # preamble before the first label
        turns.extend(_paragraphs(text, 0, first))
    for i, (_lstart, lend, label, speaker) in enumerate(labels):
        stop = labels[i + 1][0] if i + 1 < len(labels) else len(text)
        turn = _stripped_turn(text, lend, stop, speaker, label)
        if turn is not None:
            turns.append(turn)
    return Transcript(text, tuple(turns), fmt)


def _without_labels(text: str, labels: list[tuple[int, int, str, Speaker]]) -> str:
    parts, pos = [], 0
    for start, end, _label, _speaker in labels:
        parts.append(text[pos:start])
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _find_asr_tags(text: str) -> list[tuple[int, int, str, Speaker]]:
    found = []
    for m in _ASR_TAG.finditer(text):
        speaker = classify_label(m.group("label"))
        if speaker is not None:
            found.append((m.start(), m.end(), m.group(), speaker))
    return found


def _find_line_labels(text: str) -> list[tuple[int, int, str, Speaker]]:
    found = []
    for regex in (_LINE_LABEL, _INLINE_LABEL):
        for m in regex.finditer(text):
            label = m.group("label").strip()
            speaker = classify_label(label)
            if speaker is not None:
                found.append((m.start(), m.end(), label, speaker))
    found.sort()
    return found


def _stripped_turn(text: str, start: int, stop: int, speaker: Speaker, label: str) -> Turn | None:
    chunk = text[start:stop]
    left = len(chunk) - len(chunk.lstrip())
    right = len(chunk.rstrip())
    if right <= left:
        return None
    return Turn(speaker, label, text[start + left : start + right], start + left, start + right)


def _paragraphs(text: str, start: int = 0, stop: int | None = None) -> list[Turn]:
    stop = len(text) if stop is None else stop
    turns = []
    pos = start
    for m in _PARAGRAPH_BREAK.finditer(text, start, stop):
        turn = _stripped_turn(text, pos, m.start(), "unknown", "")
        if turn is not None:
            turns.append(turn)
        pos = m.end()
    turn = _stripped_turn(text, pos, stop, "unknown", "")
    if turn is not None:
        turns.append(turn)
    return turns
