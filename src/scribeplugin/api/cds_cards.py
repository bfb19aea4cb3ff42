"""SuggestResponse -> CDS Hooks cards: one per suggested code (its suggestion creates a FHIR R4
Condition coded in ICD-10-CM, verificationStatus provisional, category encounter-diagnosis), one
per documentation prompt, one per pitfall warning, one per notice; the detail (Markdown) quotes
the evidence and the guidance cited.
"""

from __future__ import annotations

import uuid
from typing import Any

from scribeplugin.api.cds_shapes import (
    _SUGGESTION_NS,
    CARD_TOPIC_SYSTEM,
    ICD10CM,
    OVERRIDE_REASONS,
    OVERRIDE_SYSTEM,
    SECTION_TITLES,
    SUMMARY_MAX,
    Action,
    CardSource,
    CdsCard,
    Coding,
    Suggestion,
)
from scribeplugin.codeset import CodeSet
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    CodingWarning,
    DocPrompt,
    SuggestResponse,
)
from scribeplugin.store import TargetKind


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
