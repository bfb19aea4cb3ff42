"""Request and response schemas of the HTTP API, kept apart from the domain types."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scribeplugin.api.text import Line, Text
from scribeplugin.index.chunk import ChunkKind
from scribeplugin.retrieval import Passage


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class PassageOut(BaseModel):
    """One retrieved chunk with its provenance."""

    model_config = ConfigDict(from_attributes=True)

    chunk_id: str = Field(description="sha256 of the chunk's content and metadata; cite it")
    code: str = Field(description="the ICD-10-CM code (or block) the chunk is about")
    kind: ChunkKind
    item_id: str = Field(
        description="card item id (e.g. M53.87/pitfall/more-specific-code), or the path of an "
        "Alphabetic Index entry (e.g. 'Strain > low back')"
    )
    source: str = Field(
        description="'tabular', the card file (e.g. cards/M53.87.md) or 'alphabetic'"
    )
    text: str
    score: float = Field(description="fused RRF score (hybrid), cosine (dense) or BM25 (lexical)")
    dense_rank: int | None = Field(description="1-based rank among dense candidates")
    lexical_rank: int | None = Field(description="1-based rank among BM25 candidates")

    @classmethod
    def of(cls, passage: Passage) -> PassageOut:
        return cls.model_validate(passage)


class SearchResponse(BaseModel):
    query: str
    mode: Literal["hybrid", "dense", "lexical"]
    k: int
    index: str = Field(description="collection name and corpus fingerprint of the index used")
    passages: list[PassageOut]
    took_ms: float


# -- /v1/suggest ---------------------------------------------------------------------------------


class Segment(BaseModel):
    """One speaker turn of a transcript sent as segments."""

    model_config = ConfigDict(extra="forbid")

    speaker: Line = Field(
        max_length=64,
        description="Doctor, Patient, Nurse, Family, Speaker 1, ...",
        examples=["Doctor"],
    )
    text: Text = Field(description="what the speaker said", examples=["Any pain down the leg?"])


class EncounterContext(BaseModel):
    """About the visit. ``date_of_service`` flags a visit outside the code set's fiscal year
    (a notice in the answer); the other fields are validated and reserved for rules that use
    them (they are not stored)."""

    model_config = ConfigDict(extra="forbid")

    visit_type: Line | None = Field(
        default=None,
        max_length=64,
        description="office, follow-up, telehealth, ...",
        examples=["office"],
    )
    specialty: Line | None = Field(default=None, max_length=64, examples=["spine"])
    patient_age: int | None = Field(default=None, ge=0, le=130, examples=[47])
    patient_sex: Literal["female", "male", "other", "unknown"] | None = Field(
        default=None, examples=["female"]
    )
    date_of_service: date | None = Field(default=None, examples=["2026-11-24"])


class SuggestRequest(BaseModel):
    """A transcript (text with or without speaker labels, or segments) and the visit context.
    Unknown fields are refused (422) rather than ignored, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")

    transcript: Text | list[Segment] = Field(
        description="plain text ('Doctor: ...' / 'Patient: ...' lines, [doctor] tags, or no "
        "labels) or a list of {speaker, text} segments; UTF-8, at most "
        "SCRIBE_MAX_TRANSCRIPT_CHARS characters (200,000 by default); tabs and line breaks "
        "allowed, no other control character",
    )
    context: EncounterContext | None = None
    drafter: Literal["rules", "llm"] | None = Field(
        default=None, description="default: SCRIBE_DRAFTER (rules); 'llm' needs a provider"
    )

    def transcript_data(self) -> str | list[dict[str, str]]:
        if isinstance(self.transcript, str):
            return self.transcript
        return [s.model_dump() for s in self.transcript]

    def transcript_chars(self) -> int:
        if isinstance(self.transcript, str):
            return len(self.transcript)
        return sum(len(s.text) + len(s.speaker) + 3 for s in self.transcript)


# -- /v1/feedback --------------------------------------------------------------------------------

REQUEST_ID = r"^[A-Za-z0-9_-]{8,64}$"


class FeedbackRequest(BaseModel):
    """A clinician's decision on one item of an earlier answer (by its request id)."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(pattern=REQUEST_ID, description="from the SuggestResponse")
    target: Literal["code", "prompt", "warning"] = Field(description="what the decision is about")
    target_id: Line = Field(
        min_length=1,
        max_length=200,
        description="the code (M53.87), the prompt id, or the warning's rule id",
    )
    outcome: Literal["accepted", "dismissed", "overridden"] = Field(
        description="accepted: used as suggested; dismissed: not used; overridden: replaced "
        "(give override_code for a code replaced by another)"
    )
    override_code: Line | None = Field(
        default=None, max_length=16, description="the code chosen instead (outcome overridden)"
    )
    reason: Text | None = Field(
        default=None,
        max_length=1000,
        description="why (free text; avoid patient details; no control characters but tabs "
        "and line breaks)",
    )
    source: Literal["api", "ui"] = Field(default="api", description="who sent it")

    @model_validator(mode="after")
    def _override_code_only_when_overridden(self) -> FeedbackRequest:
        if self.override_code is not None and self.outcome != "overridden":
            raise ValueError("override_code is only allowed with outcome 'overridden'")
        return self


class FeedbackReceipt(BaseModel):
    id: int = Field(description="the stored feedback row")
    request_id: str
    target: str
    target_id: str
    outcome: str
    recorded_at: datetime


# -- /v1/codes/{code} ----------------------------------------------------------------------------


class TabularEntry(BaseModel):
    """The official ICD-10-CM tabular list entry (the authority over any guidance)."""

    code: str
    description: str
    kind: str = Field(description="chapter, block, category, subcategory or extended subcategory")
    billable: bool
    parent: str | None
    children: list[str]
    inclusion_terms: list[str]
    includes: list[str]
    excludes1: list[str]
    excludes2: list[str]
    code_first: str
    use_additional: str
    code_also: str
    notes: str
    seventh_characters: dict[str, str]
    seventh_character_note: str


class GuidanceItem(BaseModel):
    id: str = Field(description="stable id, e.g. M53.87/pitfall/more-specific-code")
    kind: Literal["tip", "pitfall", "context", "faq"]
    question: str | None = Field(default=None, description="FAQ items only")
    text: str


class RelatedCptOut(BaseModel):
    code: str
    label: str = Field(description="the project's own short label (AMA descriptors not shipped)")


class GuidanceCard(BaseModel):
    """The project's guidance card for the code, in its own words."""

    source: str = Field(description="e.g. cards/M53.87.md")
    title: str
    summary: str
    region: str
    verified: date
    siblings: list[str]
    sources: list[str]
    related_cpt: list[RelatedCptOut]
    items: list[GuidanceItem]


class CodeInfo(BaseModel):
    code_set: str = Field(description="the ICD-10-CM release in use")
    entry: TabularEntry
    billable_codes: list[str] = Field(
        description="for a code that is not billable: billable codes under it (first 25)"
    )
    card: GuidanceCard | None = Field(description="null when the corpus has no card for it")


# -- /readyz ------------------------------------------------------------------------------------


class IndexState(BaseModel):
    state: Literal["missing", "stale", "current", "unknown"]
    scope: str
    collection: str
    reason: str


class Readiness(BaseModel):
    """200 when the index is current, the model loaded and the store reachable; else 503."""

    status: Literal["ready", "not_ready"]
    index: IndexState | None
    model_loaded: bool
    store: Literal["ok", "unreachable"]
    fix: str | None = Field(default=None, description="the command that fixes it")
    message: str | None = None
