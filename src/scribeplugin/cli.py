"""One entry point: ``scribeplugin index | search | suggest | serve | eval | lint-corpus | db``.

Each command's work lives in its own module; this file only parses arguments, builds settings
and turns ``ScribeError`` into a one-line message and exit code 2 (bad input or setup).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scribeplugin.config import Scope, Settings, apply_offline_environment
from scribeplugin.errors import ScribeError

Handler = Callable[[argparse.Namespace, Settings], int]
EMBEDDERS = ["auto", "torch", "onnx-int8"]
EMBEDDER_HELP = "default: SCRIBE_EMBEDDER or auto (int8 on AVX512-VNNI CPUs, fp32 torch elsewhere)"


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "embedder", None):
        overrides["embedder"] = args.embedder
    return Settings(**overrides)


def cmd_lint_corpus(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.corpus.lint import lint_corpus, print_report

    problems = lint_corpus(
        settings.corpus_dir,
        extra_dirs=[settings.prompts_dir, settings.evals_dir] if not args.corpus else [],
        evals_dir=settings.evals_dir if not args.corpus else None,
        knowledge_extra=settings.knowledge_extra,
    )
    print_report(problems, settings.corpus_dir)
    return 1 if problems else 0


def cmd_index_build(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.index.build import build_index_cli

    return build_index_cli(settings, Scope(args.scope) if args.scope else settings.index_scope)


def cmd_index_status(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.index.build import index_status_cli

    return index_status_cli(settings, Scope(args.scope) if args.scope else settings.index_scope)


def cmd_index_check_alphabetic(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.alphabetic import check_alphabetic_cli

    return check_alphabetic_cli(settings, limit=args.limit, as_json=args.format == "json")


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.retrieval import search_cli

    return search_cli(settings, args)


def cmd_suggest(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.suggest_cli import suggest_cli

    return suggest_cli(settings, args)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.evaluation.runner import eval_cli, quiet_engine_logs

    with quiet_engine_logs(args.verbose):
        if args.suite == "real":
            from scribeplugin.evaluation.real.runner import real_eval_cli

            return real_eval_cli(settings, args)
        if args.suite == "negex":
            from scribeplugin.evaluation.negex.report import negex_eval_cli

            return negex_eval_cli(settings, args)
        return eval_cli(settings, args)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.api.serve import serve_cli

    return serve_cli(settings, args)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin import migrations
    from scribeplugin.store import Store

    store = Store.from_settings(settings)
    try:
        where = store.describe()
        if args.db_command == "upgrade":
            before, after = store.upgrade_schema()
            if before == after:
                print(f"feedback store {where}: already at revision {after}, the current schema")
            else:
                was = before or "an empty or pre-migration schema"
                print(f"feedback store {where}: upgraded from {was} to revision {after}")
            return 0
        found = migrations.state(store.engine)
        if found.up_to_date:
            print(f"feedback store {where}: at revision {found.current}, the current schema")
            return 0
        at = found.current or ("empty" if found.empty else "a schema from before migrations")
        print(
            f"feedback store {where}: at {at}; the current schema is revision {found.head}. "
            f"Fix: {migrations.UPGRADE_COMMAND}"
        )
        return 1
    finally:
        store.close()


def cmd_api_key(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.api.security import api_key_cli

    return api_key_cli(args.tenant)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scribeplugin",
        description="Grounded ICD-10-CM suggestions, documentation prompts and pitfall warnings.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (no PHI)")
    parser.add_argument("--data-dir", help="where the index and stores live (default: var/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "lint-corpus",
        help="check cards, rules, knowledge, prompts and evals against the code set",
    )
    p.add_argument("--corpus", help="corpus folder to check (default: corpus/)")
    p.set_defaults(handler=cmd_lint_corpus)

    p = sub.add_parser("index", help="build or inspect the vector index")
    isub = p.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    b = isub.add_parser("build", help="chunk, embed and store the corpus (incremental)")
    b.add_argument("--scope", choices=[s.value for s in Scope], help="default: musculoskeletal")
    b.add_argument("--corpus", help="corpus folder (default: corpus/)")
    b.add_argument("--embedder", choices=EMBEDDERS, help=EMBEDDER_HELP)
    b.set_defaults(handler=cmd_index_build)
    s = isub.add_parser("status", help="is the index present and current?")
    s.add_argument("--scope", choices=[s.value for s in Scope])
    s.add_argument("--corpus", help="corpus folder (default: corpus/)")
    s.add_argument("--embedder", choices=EMBEDDERS, help=EMBEDDER_HELP)
    s.set_defaults(handler=cmd_index_status)
    c = isub.add_parser(
        "check-alphabetic",
        help="check the Alphabetic Index's codes against the tabular list in use (information)",
    )
    c.add_argument("--limit", type=int, default=20, help="codes listed (default 20)")
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.set_defaults(handler=cmd_index_check_alphabetic)

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

    p = sub.add_parser("eval", help="run the eval cases, write reports, gate on thresholds")
    p.add_argument(
        "--suite",
        choices=["qa", "real", "negex"],
        default="qa",
        help="qa: the synthetic cases of evals/cases (default); real: the labelled real visits "
        "of evals/real (transcripts read from ../shared/external); negex: the assertion layer "
        "on Chapman's NegEx/ConText annotations (../shared/external), beside medspaCy's default",
    )
    p.add_argument(
        "--split",
        choices=["dev", "check", "all"],
        help="real suite only: dev (work from it), check (report only, never tune), all (default)",
    )
    p.add_argument("--cases", help="folder of case files (default: evals/cases/)")
    p.add_argument("--drafter", choices=["rules", "llm"], help="default: SCRIBE_DRAFTER or rules")
    p.add_argument("--out", help="report folder (default: var/evals/<UTC timestamp>/)")
    p.add_argument("--compare", metavar="RUN.json", help="a previous run.json: show what changed")
    p.add_argument("--jobs", type=int, default=1, help="cases run in parallel threads (default 1)")
    p.add_argument("--no-cache", action="store_true", help="fresh LLM calls, ignoring the cache")
    p.add_argument(
        "--no-guard",
        action="store_true",
        help="disable the guard (to prove the gate catches it; never for release)",
    )
    p.add_argument(
        "--thresholds",
        help="gate file (default: evals/thresholds.yaml; evals/<suite>/thresholds.yaml for real "
        "and negex)",
    )
    p.add_argument("--only", action="append", metavar="GLOB", help="only case ids matching")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--json",
        action="store_true",
        help="negex suite only: print the run as JSON (as run.json holds it), not the table",
    )
    p.set_defaults(handler=cmd_eval)

    p = sub.add_parser("serve", help="serve the HTTP API")
    p.add_argument("--host", help="default: SCRIBE_HOST or 127.0.0.1 (others need API keys)")
    p.add_argument("--port", type=int, help="default: SCRIBE_PORT or 8000")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes sharing one index (default 1)",
    )
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("db", help="the feedback and audit store's schema")
    dsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dsub.add_parser(
        "upgrade", help="migrate the store (SCRIBE_DATABASE_URL) to the current schema"
    ).set_defaults(handler=cmd_db)
    dsub.add_parser("status", help="is the store at the current schema?").set_defaults(
        handler=cmd_db
    )

    p = sub.add_parser("api-key", help="make an API key for a tenant and print its config line")
    p.add_argument("tenant", help="tenant name: letters, digits, '_.-'")
    p.set_defaults(handler=cmd_api_key)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    apply_offline_environment()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from scribeplugin.logs import quiet_third_party

    quiet_third_party()
    handler: Handler = args.handler
    try:
        return handler(args, _settings(args))
    except ScribeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
