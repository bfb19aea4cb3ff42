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

The shapes are in ``api.cds_shapes``, the cards built in ``api.cds_cards``; every name is
re-exported here.
"""

from __future__ import annotations

from scribeplugin.api.cds_cards import CardBuilder, condition, md, suggestion_uuid, summary
from scribeplugin.api.cds_shapes import (
    CARD_TOPIC_SYSTEM,
    FHIR_ID,
    ICD10CM,
    OVERRIDE_REASONS,
    OVERRIDE_SYSTEM,
    SECTION_TITLES,
    SERVICES,
    SUMMARY_MAX,
    AcceptedSuggestion,
    Action,
    CardSource,
    CdsCard,
    CdsContext,
    CdsDiscovery,
    CdsFeedback,
    CdsFeedbackEntry,
    CdsRequest,
    CdsResponse,
    CdsServiceDescriptor,
    Coding,
    Link,
    OverrideReason,
    ReasonCoding,
    Suggestion,
)

__all__ = [
    "CARD_TOPIC_SYSTEM",
    "FHIR_ID",
    "ICD10CM",
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "SECTION_TITLES",
    "SERVICES",
    "SUMMARY_MAX",
    "AcceptedSuggestion",
    "Action",
    "CardBuilder",
    "CardSource",
    "CdsCard",
    "CdsContext",
    "CdsDiscovery",
    "CdsFeedback",
    "CdsFeedbackEntry",
    "CdsRequest",
    "CdsResponse",
    "CdsServiceDescriptor",
    "Coding",
    "Link",
    "OverrideReason",
    "ReasonCoding",
    "Suggestion",
    "condition",
    "md",
    "suggestion_uuid",
    "summary",
]
