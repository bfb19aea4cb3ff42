"""CDS Hooks 2.0 shapes: the discovery document and the services offered, the service request
and its context, the cards and the response, the feedback; pydantic models with camelCase
aliases (see ``api.cds`` for what the services do).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from scribeplugin.api.schemas import Segment
from scribeplugin.api.text import Line, Text

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
