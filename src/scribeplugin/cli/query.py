"""Commands that ask the engine: ``search`` (hybrid retrieval) and ``suggest`` (codes, prompts
and warnings for transcripts)."""

from __future__ import annotations

import argparse

from scribeplugin.config import Scope, Settings


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.retrieval import search_cli

    return search_cli(settings, args)


def cmd_suggest(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.suggest_cli import suggest_cli

    return suggest_cli(settings, args)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("search", help="hybrid retrieval over the index")
    p.add_argument("query", help="free text, e.g. 'lumbosacral pain without radiculopathy'")
    p.add_argument("--k", type=int, default=10, help="passages to return (default 10)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    p.add_argument("--kind", action="append", help="only these chunk kinds (repeatable)")
    p.add_argument("--code", action="append", help="only codes under this prefix (repeatable)")
    p.add_argument("--scope", choices=[s.value for s in Scope])
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("suggest", help="codes, prompts and warnings for transcripts")
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="transcript files (.txt or .json), or -"
    )
    p.add_argument(
        "--format",
        choices=["json", "text", "jsonl"],
        default=None,
        help="json (one path), text, or jsonl (one SuggestResponse per line, in order)",
    )
    p.add_argument("--drafter", choices=["rules", "llm"], help="default: SCRIBE_DRAFTER or rules")
    p.add_argument(
        "--date-of-service", help="YYYY-MM-DD; flags a visit outside the code set's year"
    )
    p.set_defaults(handler=cmd_suggest)
