"""What drafters produce and what the guard checks: the output contract of DESIGN.md.

These are domain types (pydantic, so they serialise as the SuggestResponse JSON). The API layer
reuses them as response models; request schemas live in ``scribeplugin.api.schemas``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.coding.analysis import Analysis
    from scribeplugin.corpus.rules import LoadedRule
    from scribeplugin.extract.findings import Finding
    from scribeplugin.extract.transcript import Transcript
    from scribeplugin.retrieval import Passage

Assertion = Literal["present", "negated", "possible", "historical", "family"]
Status = Literal["suggested", "needs_documentation"]
Severity = Literal["info", "warning", "critical"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    """A verbatim span of the transcript; ``text == transcript[start:end]`` always."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    speaker: str = "unknown"
    assertion: Assertion = "present"


class Citation(_Model):
    """A retrieved chunk of guidance: a tabular entry, a card item or an Alphabetic Index entry."""

    chunk_id: str
    source: str = Field(
        description="'tabular', the card file (e.g. 'cards/M53.87.md') or 'alphabetic'"
    )
    ref: str = Field(
        description="the card item id, 'tabular:<CODE>', '<CODE>/summary' for a card summary, or "
        "'index:<path>' for an Alphabetic Index entry (e.g. 'index:Strain > low back')"
    )
    text: str

    @classmethod
    def of(cls, passage: Any) -> Citation:
        """The one way a retrieved passage becomes a citation."""
        if passage.kind == "index":
            ref = f"index:{passage.item_id}"
        elif passage.item_id:
            ref = passage.item_id
        elif passage.kind == "summary":
            ref = f"{passage.code}/summary"
        else:
            ref = f"tabular:{passage.code}"
        return cls(chunk_id=passage.chunk_id, source=passage.source, ref=ref, text=passage.text)


class CodeSuggestion(_Model):
    code: str
    display: str
    billable: bool
    confidence: float = Field(ge=0.0, le=1.0)
    status: Status
    rationale: str
    evidence: list[Evidence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)


class DocPrompt(_Model):
    """An in-note prompt: what the note still lacks, placed in a note section.

    A prompt is a documentation query (AHIMA/ACDIS compliant query practice): it quotes the
    clinical indicators it rests on (``evidence``), offers the clinically reasonable answers
    where it asks for a choice (``options``, with "other" and "clinically undetermined"), never
    leads and never mentions payment. Codes and coding rules belong in warnings.
    """

    id: str = Field(description="the rule id that produced it")
    code: str | None
    note_section: str
    text: str
    severity: Severity = "info"
    axis: str | None = Field(
        default=None,
        description="what the prompt asks the note to settle (laterality, encounter, level, "
        "site, confirmation...), when it asks for one thing",
    )
    options: list[str] = Field(
        default_factory=list, description="the answers offered, when the prompt asks for a choice"
    )
    evidence: list[Evidence] = Field(
        default_factory=list, description="the transcript quotes the prompt rests on (verbatim)"
    )
    citations: list[Citation] = Field(default_factory=list)


class CodingWarning(_Model):
    """A coding pitfall that applies to this visit, with the codes it concerns."""

    rule: str
    codes: list[str]
    message: str
    alternatives: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(
        default_factory=list, description="the transcript quotes the warning rests on (verbatim)"
    )
    citations: list[Citation] = Field(default_factory=list)


class GuardAction(_Model):
    """What the guard did to a draft, so QA can see it."""

    action: Literal["removed", "downgraded", "evidence_dropped", "citation_dropped"]
    target: Literal["code", "prompt", "warning"] = "code"
    code: str = Field(description="the code; for a prompt or warning, its id or rule")
    reason: Literal[
        "unknown_code",
        "not_billable",
        "evidence_not_verbatim",
        "no_evidence",
        "citation_not_retrieved",
        "no_citation",
        "negated_or_family_evidence",
        "modifier_only_evidence",
        "evidence_contradicted",
        "excludes1_conflict",
        "pitfall_rule",
        "duplicate",
        "code_removed",
    ]
    detail: str


class Draft(_Model):
    """A drafter's proposal, before the guard."""

    codes: list[CodeSuggestion] = Field(default_factory=list)
    prompts: list[DocPrompt] = Field(default_factory=list)
    warnings: list[CodingWarning] = Field(default_factory=list)
    drafter: str = Field(default="rules", description="who actually wrote this draft")
    degraded_reason: str | None = Field(
        default=None, description="set when the LLM drafter fell back to the rules drafter"
    )


class FindingOut(_Model):
    concept: str
    category: str
    text: str
    start: int
    end: int
    speaker: str
    assertion: Assertion
    level: str | None = None
    region: str | None = None
    laterality: str | None = None
    site: str | None = None
    structure: str | None = None
    digit: str | None = None


class EngineInfo(_Model):
    drafter: str
    model: str | None = None
    prompt_version: str | None = None
    index_id: str
    degraded: bool = False
    degraded_reason: str | None = None


class SuggestResponse(_Model):
    """The answer to one transcript (``POST /v1/suggest``, ``scribeplugin suggest``)."""

    request_id: str
    code_set: str
    engine: EngineInfo
    codes: list[CodeSuggestion]
    prompts: list[DocPrompt]
    warnings: list[CodingWarning]
    findings: list[FindingOut]
    guard: list[GuardAction] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list, description="e.g. date-of-service release")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    retrieved_chunk_ids: list[str] = Field(
        default_factory=list,
        exclude=True,
        description="every chunk retrieved for this request (for the audit store; not serialised)",
    )


class DraftContext:
    """Everything a drafter may read. Built by the pipeline; drafters never fetch on their own."""

    def __init__(
        self,
        transcript: Transcript,
        findings: list[Finding],
        passages: list[Passage],
        rules: list[LoadedRule],
        codeset: CodeSet,
        candidates: list[str],
        analysis: Analysis | None = None,
    ) -> None:
        self.transcript = transcript
        self.findings = findings
        self.passages = passages
        self.passage_by_id = {p.chunk_id: p for p in passages}
        self.rules = rules
        self.codeset = codeset
        self.candidates = candidates
        # The coding logic's reading of ``findings``, when the pipeline has worked it out
        # already (the rules drafter and the guard reuse it rather than working it out again).
        self.analysis = analysis

    def own_analysis(self) -> Analysis | None:
        """``analysis`` if it is the reading of this context's ``findings``, else None."""
        a = self.analysis
        return a if a is not None and a.findings is self.findings else None


class Drafter(Protocol):
    """Rules and LLM drafters share this interface; the pipeline guards whatever they return."""

    name: str
    model: str | None
    prompt_version: str | None

    def draft(self, ctx: DraftContext) -> Draft: ...
