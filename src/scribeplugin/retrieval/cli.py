"""``scribeplugin search``: ranked passages as text lines or JSON."""

from __future__ import annotations

import argparse
import json

from scribeplugin.config import Scope, Settings
from scribeplugin.retrieval.retriever import Retriever


def search_cli(
    settings: Settings, args: argparse.Namespace, *, retriever: Retriever | None = None
) -> int:
    """``scribeplugin search``: ranked passages as text lines or JSON."""
    scope = Scope(args.scope) if getattr(args, "scope", None) else settings.index_scope
    retriever = retriever or Retriever.from_settings(settings, scope)
    passages = retriever.search(
        args.query, k=args.k, kinds=args.kind, code_prefixes=args.code, mode=args.mode
    )
    if args.format == "json":
        payload = {
            "query": args.query,
            "mode": args.mode,
            "index": retriever.index_id,
            "passages": [p.to_dict() for p in passages],
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    if not passages:
        print("no passages matched")
        return 0
    for rank, p in enumerate(passages, 1):
        text = " ".join(p.text.split())
        text = text if len(text) <= 110 else text[:109] + "…"
        print(
            f"{rank:>2}  {p.score:7.4f}  {p.chunk_id[:10]}  {p.code:<9} {p.kind:<8} "
            f"{p.item_id or '-'}"
        )
        print(f"    {text}")
    return 0
