"""One entry point: ``scribeplugin index | search | suggest | serve | eval | lint-corpus | db``.

Each command's work lives in its own module; this package only parses arguments, builds settings
and turns ``ScribeError`` into a one-line message and exit code 2 (bad input or setup). One
module per group of commands, each adding its subcommands to the parser: ``corpus``
(``lint-corpus``, ``index``), ``query`` (``search``, ``suggest``), ``evals`` (``eval``),
``service`` (``serve``, ``db``, ``api-key``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scribeplugin.cli import corpus, evals, query, service
from scribeplugin.config import Settings, apply_offline_environment
from scribeplugin.errors import ScribeError

Handler = Callable[[argparse.Namespace, Settings], int]


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "embedder", None):
        overrides["embedder"] = args.embedder
    return Settings(**overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scribeplugin",
        description="Grounded ICD-10-CM suggestions, documentation prompts and pitfall warnings.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (no PHI)")
    parser.add_argument("--data-dir", help="where the index and stores live (default: var/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (corpus, query, evals, service):
        group.add_commands(sub)
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
