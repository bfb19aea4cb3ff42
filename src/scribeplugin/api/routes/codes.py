"""``GET /v1/codes/{code}``: the tabular entry of a code and the project's guidance card for it.

Open without an API key: it serves only the public tabular list and the project's guidance,
never tenant data, and CDS Hooks cards link to it from the clinician's browser.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from scribeplugin.api.deps import CodeSetDep, ServiceDep
from scribeplugin.api.errors import error_responses
from scribeplugin.api.examples import example
from scribeplugin.api.schemas import (
    CodeInfo,
    GuidanceCard,
    GuidanceItem,
    RelatedCptOut,
    TabularEntry,
)
from scribeplugin.api.text import Line
from scribeplugin.corpus.cards import Card

router = APIRouter(prefix="/v1", tags=["codes"])

_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The official entry and, when the corpus has one, the guidance card.",
        "content": {"application/json": {"example": example("code_info")}},
    }
}


@router.get(
    "/codes/{code}",
    response_model=CodeInfo,
    summary="The tabular entry and guidance card of an ICD-10-CM code",
    responses={**_OK, **error_responses(404, 422, 503)},
)
def get_code(
    code: Annotated[
        Line,
        Path(
            min_length=1,
            max_length=16,
            description="with or without the dot: M53.87, m5387",
            examples=["M53.87"],
        ),
    ],
    codeset: CodeSetDep,
    service: ServiceDep,
) -> CodeInfo:
    entry = codeset.lookup(code)  # UnknownCodeError -> 404 with the nearest valid codes
    card = service.cards.get(entry.code)
    return CodeInfo(
        code_set=codeset.release.name,
        entry=TabularEntry.model_validate(entry.to_dict()),
        billable_codes=[] if entry.billable else codeset.billable_descendants(entry.code)[:25],
        card=_card(card) if card is not None else None,
    )


def _card(card: Card) -> GuidanceCard:
    meta = card.meta
    return GuidanceCard(
        source=f"cards/{card.path.name}",
        title=meta.title,
        summary=card.summary,
        region=meta.region,
        verified=meta.verified,
        siblings=meta.siblings,
        sources=meta.sources,
        related_cpt=[RelatedCptOut(code=r.code, label=r.label) for r in meta.related_cpt],
        items=[
            GuidanceItem(id=i.id, kind=i.kind, question=i.question, text=i.text) for i in card.items
        ],
    )
