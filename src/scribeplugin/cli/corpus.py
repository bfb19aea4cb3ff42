"""Commands on the corpus and its index: ``lint-corpus``, ``index build | status |
check-alphabetic``."""

from __future__ import annotations

import argparse

from scribeplugin.config import Scope, Settings

EMBEDDERS = ["auto", "torch", "onnx-int8"]
EMBEDDER_HELP = "default: SCRIBE_EMBEDDER or auto (int8 on AVX512-VNNI CPUs, fp32 torch elsewhere)"


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


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
