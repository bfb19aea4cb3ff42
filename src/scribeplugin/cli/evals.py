"""The ``eval`` command: the QA, orthopedic, real-visit and NegEx suites, their reports and
gates."""

from __future__ import annotations

import argparse

from scribeplugin.config import Settings


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


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eval", help="run the eval cases, write reports, gate on thresholds")
    p.add_argument(
        "--suite",
        choices=["qa", "ortho", "real", "negex"],
        default="qa",
        help="qa: the synthetic cases of evals/cases (default); ortho: the synthetic orthopedic "
        "cases of evals/ortho, with their own gate; real: the labelled real visits "
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
