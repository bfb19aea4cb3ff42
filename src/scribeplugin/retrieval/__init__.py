"""Hybrid retrieval: query text -> ranked passages from the tabular list, the cards and the
Alphabetic Index.

Dense (MiniLM vectors in Chroma) and lexical (BM25) candidates, ``N = max(50, 5k)`` codes of
each, fused by reciprocal rank. The unit a coder chooses is a code, so fusion ranks codes: in
each list a code's rank is that of its best chunk, and ``score(code) = sum(w / (rrf_k + rank))``
over the two lists. Each list is fetched ``2N`` chunks deep and cut where it names ``N`` codes,
so that codes with many chunks (a card's items, the index entries that lead to a code) do not
shrink the pool of candidate codes. A card with twenty items on one theme thus counts once per
list and cannot crowd other codes out. Passages are then laid out code by code: the code's best
chunk (chunk order within a code is RRF over chunk ranks), and, when that is a card passage, the
code's tabular entry right after it (guidance is never shown without the official text it is
about). Further chunks of a code come only after every candidate code has had its turn.

An Alphabetic Index entry is a few words ("Pain > lumbar region -> M54.50"): embedded alone, it
sits close to any query that shares one of them. It was the 3rd nearest chunk to "chronic pain
at the lumbosacral junction without radiculopathy" and, ranking its code, pushed M53.87 out of
that query's top 10. So in hybrid search an index entry's dense rank only orders its own code's
passages (which is shown first); its code is ranked by the entry's words (BM25), as any chunk's,
and by the code's other chunks. On the benchmark queries: recall@10 0.861 with index entries
ranking codes in both lists, 0.866 without their dense votes, M53.87 back at 7th.

Filters (chunk kind, code prefix or block) apply inside each retriever, Chroma ``where`` for
dense and a mask for BM25, so both lists rank the same candidates.

Negated phrases ("without radiculopathy", "no leg pain") are taken out of the query before it
is embedded, and their terms out of the BM25 query (the cue word stays, so "without" still meets
the tabular list's "without myelopathy or radiculopathy"). Sentence embeddings do not see
negation: left in, "without radiculopathy" pulls the query toward radiculopathy codes.

``search_many`` embeds all queries in one model call: the embedding dominates request latency,
and nothing is embedded twice.

The modules: ``query`` (the query's dense and lexical forms, the passages returned),
``filters`` (chunk kind and code prefix filters, as a Chroma ``where`` and a BM25 mask),
``retriever`` (``Retriever``: candidates, fusion, layout), ``cli`` (``scribeplugin search``).
Every name is re-exported from ``scribeplugin.retrieval``.
"""

from __future__ import annotations

from scribeplugin.retrieval.cli import search_cli
from scribeplugin.retrieval.filters import normalize_prefix
from scribeplugin.retrieval.query import MODES, Mode, Passage, query_forms
from scribeplugin.retrieval.retriever import DEPTH, Retriever

__all__ = [
    "DEPTH",
    "MODES",
    "Mode",
    "Passage",
    "Retriever",
    "normalize_prefix",
    "query_forms",
    "search_cli",
]
