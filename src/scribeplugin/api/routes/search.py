"""``GET /v1/search``: hybrid retrieval over the index, for people and tools that inspect it.

The query is never logged: it may be transcript text.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from scribeplugin.api.deps import RetrieverDep
from scribeplugin.api.schemas import PassageOut, SearchResponse
from scribeplugin.api.text import Line, Text
from scribeplugin.errors import InputError
from scribeplugin.index.chunk import ChunkKind

router = APIRouter(prefix="/v1", tags=["search"])


@router.get("/search", response_model=SearchResponse)
def search(  # sync: FastAPI runs it in its thread pool, off the event loop
    retriever: RetrieverDep,
    q: Annotated[Text, Query(min_length=1, max_length=2000, description="free text")],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid",
    kind: Annotated[list[ChunkKind] | None, Query(description="only these chunk kinds")] = None,
    code: Annotated[
        list[Line] | None,
        Query(max_length=16, description="only codes under these prefixes or blocks"),
    ] = None,
) -> SearchResponse:
    if not q.strip():
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, detail="q is blank; give query text"
        )
    started = time.perf_counter()
    try:
        passages = retriever.search(q, k=k, kinds=kind, code_prefixes=code, mode=mode)
    except InputError as exc:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)
        ) from exc
    return SearchResponse(
        query=q,
        mode=mode,
        k=k,
        index=retriever.index_id,
        passages=[PassageOut.of(p) for p in passages],
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )
