"""The LLM drafter's output schema: what the model is asked to return (structured output).

Small and flat on purpose. It must pass OpenAI's strict structured-output subset (every field
required, no defaults, no numeric bounds, no free-form objects) and stay easy for small local
models behind llama.cpp or Ollama grammars. Citations are chunk ids and evidence is bare quotes:
offsets, displays and citation texts are filled in by ``llm_parse`` and the guard, never taken
from the model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NoteSectionOut = Literal["chief_complaint", "hpi", "ros", "exam", "imaging", "assessment", "plan"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CodeOut(_Out):
    """One proposed ICD-10-CM code."""

    code: str = Field(description="ICD-10-CM code with its dot, e.g. M51.17")
    evidence: list[str] = Field(
        description="short quotes copied verbatim from the transcript (no speaker labels)"
    )
    citations: list[str] = Field(description="chunk ids of the given passages that support it")
    rationale: str = Field(description="one or two sentences: why this code, and not another")
    confidence: float = Field(description="0 to 1")
    status: Literal["suggested", "needs_documentation"]


class PromptOut(_Out):
    """Something the note still lacks, for the clinician."""

    rule: str = Field(description="id of the rule result this prompt repeats, or empty")
    code: str = Field(description="the code it concerns, or empty")
    note_section: NoteSectionOut
    text: str
    citations: list[str] = Field(description="chunk ids of the given passages")


class WarningOut(_Out):
    """A coding pitfall that applies to this visit."""

    rule: str = Field(description="id of the rule result this warning repeats, or empty")
    codes: list[str]
    message: str
    alternatives: list[str]
    citations: list[str] = Field(description="chunk ids of the given passages")


class DraftReply(_Out):
    """Codes, documentation prompts and coding warnings for one visit."""

    codes: list[CodeOut]
    prompts: list[PromptOut]
    warnings: list[WarningOut]
