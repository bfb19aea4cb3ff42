"""CDS Hooks 2.0: request and response shapes, the services offered, and SuggestResponse ->
cards.

Two services, one engine:

- ``scribeplugin-transcript`` answers the custom hook ``scribeplugin-transcript``, fired by an
  ambient scribe when a visit's transcript (or draft note) is ready;
- ``scribeplugin-encounter-discharge`` answers the standard hook ``encounter-discharge``.

Both expect in ``context``: ``patientId`` (required; the subject of the Conditions the cards
propose), ``userId`` and ``encounterId`` (optional; ``encounterId`` becomes the Conditions'
encounter), and the text to code: ``transcript`` (a string with or without speaker labels, or a
list of ``{speaker, text}`` segments) or ``note`` (the draft note as plain text). When both come,
the transcript is used: evidence offsets refer to it. ``dateOfService`` (YYYY-MM-DD) is optional
and flags a visit outside the code set's fiscal year. The services need no prefetch and no FHIR
server access.

Cards: one per suggested code (its suggestion creates a FHIR R4 Condition coded in
ICD-10-CM, verificationStatus provisional, category encounter-diagnosis), one per documentation
prompt (indicator from the prompt's severity), one per pitfall warning (warning), one per
notice (info). Each card's source links to ``/v1/codes/{code}``; its detail (Markdown) quotes
the evidence and the guidance cited.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from scribeplugin.api.schemas import Segment
from scribeplugin.api.text import Line, Text
from scribeplugin.codeset import CodeSet
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    CodingWarning,
    DocPrompt,
    SuggestResponse,
)
from scribeplugin.store import TargetKind

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OVERRIDE_SYSTEM = "urn:scribeplugin:cds:override-reason"
CARD_TOPIC_SYSTEM = "urn:scribeplugin:cds:card-kind"
SUMMARY_MAX = 139  # CDS Hooks: "<140-character summary"
FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"
OVERRIDE_REASONS = (
    ("not-supported", "The encounter does not support it"),
    ("different-code", "Coded differently"),
    ("already-documented", "Already documented"),
    ("not-relevant", "Not relevant to this visit"),
)
SECTION_TITLES = {
    "chief_complaint": "Chief complaint",
    "hpi": "HPI",
    "ros": "ROS",
    "exam": "Exam",
    "imaging": "Imaging",
    "assessment": "Assessment",
    "plan": "Plan",
}
_SUGGESTION_NS = uuid.UUID("6f1c7d2a-1b8e-4c0f-9a51-3f7e2b9d4c10")


# Field names are snake_case in Python and camelCase on the wire (alias generator).
_CAMEL = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
)


class _In(BaseModel):
    model_config = ConfigDict(**_CAMEL, extra="forbid")


class _Out(BaseModel):
    model_config = _CAMEL


# -- discovery ---------------------------------------------------------------------------------


class CdsServiceDescriptor(_Out):
    hook: str
    title: str
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usage_requirements: str | None = None


class CdsDiscovery(_Out):
    services: list[CdsServiceDescriptor]


_CONTEXT_DOC = (
    "context: patientId (required), userId and encounterId (optional), and the text to code: "
    "transcript (string, or list of {speaker, text}) or note (draft note text); transcript "
    "wins when both come. Optional dateOfService (YYYY-MM-DD). No prefetch, no FHIR access."
)

_USAGE = (
    "Authorization: Bearer <JWT signed by the EHR> (CDS Hooks security) when the service "
    "trusts EHRs, else Bearer <API key>."
)

SERVICES: dict[str, CdsServiceDescriptor] = {
    s.id: s
    for s in (
        CdsServiceDescriptor(
            id="scribeplugin-transcript",
            hook="scribeplugin-transcript",
            title="ICD-10-CM suggestions from a visit transcript",
            description="Grounded ICD-10-CM code suggestions, documentation prompts and coding "
            "pitfall warnings for an orthopedic or spine visit, from the visit's transcript "
            "or draft note. " + _CONTEXT_DOC,
            usage_requirements=_USAGE,
        ),
        CdsServiceDescriptor(
            id="scribeplugin-encounter-discharge",
            hook="encounter-discharge",
            title="ICD-10-CM review at the end of an encounter",
            description="The same suggestions on the standard encounter-discharge hook; the "
            "CDS client adds the transcript or draft note to the hook's context. " + _CONTEXT_DOC,
            usage_requirements=_USAGE,
        ),
    )
}


# -- service request ---------------------------------------------------------------------------


class CdsContext(BaseModel):
    """Hook context. Fields of the standard hook beyond these are accepted and ignored."""

    model_config = ConfigDict(**_CAMEL, extra="allow")

    user_id: Line | None = Field(default=None, max_length=256)
    patient_id: str = Field(pattern=FHIR_ID)
    encounter_id: str | None = Field(default=None, pattern=FHIR_ID)
    transcript: Text | list[Segment] | None = None
    note: Text | None = Field(default=None, description="the draft note, as plain text")
    date_of_service: date | None = None

    @model_validator(mode="after")
    def _needs_text(self) -> CdsContext:
        if self.transcript is None and self.note is None:
            raise ValueError(
                "context needs 'transcript' (the visit's dialogue, as text or "
                "[{speaker, text}] segments) or 'note' (the draft note text)"
            )
        return self

    def text_data(self) -> str | list[dict[str, str]]:
        if self.transcript is None:
            return self.note or ""
        if isinstance(self.transcript, str):
            return self.transcript
        return [s.model_dump() for s in self.transcript]

    def text_chars(self) -> int:
        data = self.text_data()
        if isinstance(data, str):
            return len(data)
        return sum(len(s["text"]) + len(s["speaker"]) + 3 for s in data)


class CdsRequest(_In):
    hook: Line = Field(max_length=128)
    hook_instance: Line = Field(min_length=1, max_length=128)
    fhir_server: Line | None = Field(default=None, max_length=2048)
    fhir_authorization: dict[str, Any] | None = None
    context: CdsContext
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None


# -- cards -------------------------------------------------------------------------------------


class Coding(_Out):
    code: str
    system: str | None = None
    display: str | None = None


class CardSource(_Out):
    label: str
    url: str | None = None
    topic: Coding | None = None


class Action(_Out):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None


class Suggestion(_Out):
    label: str
    uuid: str
    is_recommended: bool
    actions: list[Action]


class Link(_Out):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class CdsCard(_Out):
    uuid: str
    summary: str = Field(max_length=SUMMARY_MAX)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: CardSource
    suggestions: list[Suggestion] = Field(default_factory=list)
    selection_behavior: Literal["at-most-one", "any"] | None = None
    override_reasons: list[Coding] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class CdsResponse(_Out):
    cards: list[CdsCard]
    system_actions: list[Action] = Field(default_factory=list)


# -- feedback ----------------------------------------------------------------------------------


class ReasonCoding(BaseModel):
    """The override reason chosen, one of the card's ``overrideReasons`` (other fields of a
    FHIR Coding are accepted and ignored)."""

    model_config = _CAMEL

    code: Line = Field(min_length=1, max_length=64)
    system: Line | None = Field(default=None, max_length=2048)
    display: Line | None = Field(default=None, max_length=1000)


class OverrideReason(_In):
    reason: ReasonCoding | None = None
    user_comment: Text | None = Field(default=None, max_length=1000)


class AcceptedSuggestion(_In):
    id: Line = Field(max_length=64)


class CdsFeedbackEntry(_In):
    card: Line = Field(min_length=1, max_length=64, description="the card's uuid")
    outcome: Literal["accepted", "overridden"]
    accepted_suggestions: list[AcceptedSuggestion] = Field(default_factory=list)
    override_reason: OverrideReason | None = None
    outcome_timestamp: datetime
    extension: dict[str, Any] | None = None


class CdsFeedback(_In):
    feedback: list[CdsFeedbackEntry] = Field(min_length=1, max_length=200)


# -- building cards ----------------------------------------------------------------------------


def suggestion_uuid(card_uuid: str) -> str:
    """The uuid of a card's one suggestion, derived so feedback can be checked without storing
    it."""
    return str(uuid.uuid5(_SUGGESTION_NS, card_uuid))


def condition(code: str, display: str, patient_id: str, encounter_id: str | None) -> dict[str, Any]:
    """A FHIR R4 Condition: a provisional encounter diagnosis coded in ICD-10-CM."""
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                    "display": "Active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "provisional",
                    "display": "Provisional",
                }
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "encounter-diagnosis",
                        "display": "Encounter Diagnosis",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": ICD10CM, "code": code, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    if encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return resource


def summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


def md(text: str) -> str:
    """Plain text safe inside Markdown (transcript quotes may hold *, _, [, <...)."""
    out = " ".join(text.split())
    for ch in "\\`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out


class CardBuilder:
    """SuggestResponse -> cards, with (uuid, target kind, target id) for the store."""

    def __init__(
        self, codeset: CodeSet, base_url: str, patient_id: str, encounter_id: str | None
    ) -> None:
        self.codeset = codeset
        self.base_url = base_url.rstrip("/")
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.refs: list[tuple[str, TargetKind, str]] = []

    def build(self, response: SuggestResponse) -> list[CdsCard]:
        cards = [self._code_card(c) for c in response.codes]
        cards += [self._prompt_card(p) for p in response.prompts]
        cards += [self._warning_card(w) for w in response.warnings]
        cards += [self._notice_card(i, n) for i, n in enumerate(response.notices)]
        return cards

    # -- one card per item ---------------------------------------------------------------------

    def _new(self, kind: TargetKind, target: str) -> str:
        card_uuid = str(uuid.uuid4())
        self.refs.append((card_uuid, kind, target))
        return card_uuid

    def _source(self, code: str | None, kind: str) -> CardSource:
        topic = Coding(system=CARD_TOPIC_SYSTEM, code=kind)
        if code is None:
            return CardSource(label="scribeplugin", topic=topic)
        return CardSource(
            label=f"scribeplugin guidance for {code}",
            url=f"{self.base_url}/v1/codes/{code}",
            topic=topic,
        )

    def _reasons(self) -> list[Coding]:
        return [Coding(system=OVERRIDE_SYSTEM, code=c, display=d) for c, d in OVERRIDE_REASONS]

    def _code_card(self, c: CodeSuggestion) -> CdsCard:
        card_uuid = self._new("code", c.code)
        suggested = c.status == "suggested"
        head = f"{c.code} {c.display}"
        if not suggested:
            head = f"{c.code} needs documentation: {c.display}"
        lines = [
            f"**{md(c.code)} {md(c.display)}**: {c.status.replace('_', ' ')}, confidence "
            f"{c.confidence:.2f}{'' if c.billable else ', not billable as it stands'}",
            "",
            md(c.rationale),
            "",
            "**Evidence in the transcript**",
            "",
            *[
                f"- \u201c{md(e.text)}\u201d ({e.speaker}, characters {e.start}\u2013{e.end})"
                for e in c.evidence
            ],
            *_guidance(c.citations),
        ]
        suggestions = []
        if c.billable:
            suggestions.append(
                Suggestion(
                    label=f"Add {c.code} {c.display} as a provisional encounter diagnosis",
                    uuid=suggestion_uuid(card_uuid),
                    is_recommended=suggested,
                    actions=[
                        Action(
                            type="create",
                            description=f"Create a provisional Condition {c.code}",
                            resource=condition(
                                c.code, c.display, self.patient_id, self.encounter_id
                            ),
                        )
                    ],
                )
            )
        return CdsCard(
            uuid=card_uuid,
            summary=summary(head),
            detail="\n".join(lines),
            indicator="info" if suggested else "warning",
            source=self._source(c.code, "code-suggestion"),
            suggestions=suggestions,
            selection_behavior="at-most-one" if suggestions else None,
            override_reasons=self._reasons(),
        )

    def _prompt_card(self, p: DocPrompt) -> CdsCard:
        card_uuid = self._new("prompt", p.id)
        section = SECTION_TITLES.get(p.note_section, p.note_section.replace("_", " ").title())
        lines = [md(p.text), "", f"Note section: **{md(section)}**"]
        if p.code:
            lines.append(f"For code: **{md(p.code)}** {md(self._display(p.code))}")
        lines += _guidance(p.citations)
        return CdsCard(
            uuid=card_uuid,
            summary=summary(f"{section}: {p.text}"),
            detail="\n".join(lines),
            indicator=p.severity,
            source=self._source(p.code or _code_of(p.citations), "documentation-prompt"),
            override_reasons=self._reasons(),
        )

    def _warning_card(self, w: CodingWarning) -> CdsCard:
        card_uuid = self._new("warning", w.rule)
        lines = [md(w.message), ""]
        if w.codes:
            lines.append(
                "Concerns: " + ", ".join(f"**{md(c)}** {md(self._display(c))}" for c in w.codes)
            )
        if w.alternatives:
            lines.append(
                "Consider: "
                + ", ".join(f"**{md(c)}** {md(self._display(c))}" for c in w.alternatives)
            )
        lines += _guidance(w.citations)
        code = w.codes[0] if w.codes else _code_of(w.citations)
        return CdsCard(
            uuid=card_uuid,
            summary=summary(w.message),
            detail="\n".join(lines),
            indicator="warning",
            source=self._source(code, "coding-warning"),
            override_reasons=self._reasons(),
        )

    def _notice_card(self, i: int, notice: str) -> CdsCard:
        card_uuid = self._new("notice", f"notice-{i}")
        return CdsCard(
            uuid=card_uuid,
            summary=summary(notice),
            detail=md(notice),
            indicator="info",
            source=self._source(None, "notice"),
        )

    def _display(self, code: str) -> str:
        entry = self.codeset.get(code)
        return entry.description if entry is not None else ""


def _guidance(citations: list[Citation]) -> list[str]:
    if not citations:
        return []
    return ["", "**Guidance**", "", *[f"- `{c.ref}` {md(_body(c))}" for c in citations]]


def _body(c: Citation) -> str:
    """A card chunk's text without its 'CODE Title' first line (the ref names the code)."""
    _, _, rest = c.text.partition("\n")
    return rest if rest and c.source not in {"tabular", "alphabetic"} else c.text


def _code_of(citations: list[Citation]) -> str | None:
    for c in citations:
        if c.ref.startswith("index:"):  # an index path, not a code
            continue
        ref = c.ref.removeprefix("tabular:")
        return ref.split("/", 1)[0]
    return None
