"""``scribeplugin eval``: every case through the pipeline the API uses, then metrics and reports.

The pipeline is built once (``Pipeline.from_settings``, as the API does), warmed up, and shared
by ``--jobs`` threads. Its retriever is wrapped so the harness knows, per request, which chunks
were retrieved: the grounding check (``guard.assert_invariants``) needs them and the response
does not carry them. LLM replies are cached on disk by the LLM drafter itself
(``llm_cache_dir``, defaulting to ``<data_dir>/llm-cache`` for evals); ``--no-cache`` bypasses it.

Exit codes: 0 when every gate in ``evals/thresholds.yaml`` holds, 1 when one fails (the failing
cases are named), 2 for bad cases, thresholds or setup (``ScribeError``).

The setup (settings, thresholds, git state, index, the recording retriever, the pipeline) is in
``evaluation.engine``; its names are re-exported here.
"""

from __future__ import annotations

import argparse
import fnmatch
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError, ScribeError
from scribeplugin.evaluation.cases import Case, CaseError, check_references, load_cases
from scribeplugin.evaluation.engine import RecordingRetriever as RecordingRetriever
from scribeplugin.evaluation.engine import ThresholdsError as ThresholdsError
from scribeplugin.evaluation.engine import build_pipeline as build_pipeline
from scribeplugin.evaluation.engine import corpus_version as corpus_version
from scribeplugin.evaluation.engine import ensure_index as ensure_index
from scribeplugin.evaluation.engine import eval_settings as eval_settings
from scribeplugin.evaluation.engine import git_state as git_state
from scribeplugin.evaluation.engine import load_thresholds as load_thresholds
from scribeplugin.evaluation.engine import quiet_engine_logs as quiet_engine_logs
from scribeplugin.evaluation.engine import report_line as report_line
from scribeplugin.evaluation.metrics import (
    CaseResult,
    GotCode,
    GotGuardAction,
    check_gates,
    compute_metrics,
    score_case,
)
from scribeplugin.evaluation.report import (
    EngineRecord,
    Gate,
    RunReport,
    compare_runs,
    load_run,
    render_comparison,
    write_reports,
)

if TYPE_CHECKING:
    from scribeplugin.pipeline import Pipeline


log = logging.getLogger(__name__)


# -- running -------------------------------------------------------------------------------------


def run_case(
    pipeline: Pipeline, recorder: RecordingRetriever, case: Case, drafter: str
) -> CaseResult:
    """One case through ``Pipeline.suggest``; a failure fails the case, never the run."""
    from scribeplugin.extract.transcript import parse_transcript
    from scribeplugin.guard import assert_invariants

    result = CaseResult(
        id=case.id,
        title=case.title,
        source=case.source,
        format=case.format,
        tags=case.tags,
        covers=case.covers,
        expect=case.expect,
        drafter=drafter,
    )
    try:
        data = case.load_transcript()
        transcript = parse_transcript(data, max_chars=pipeline.settings.max_transcript_chars)
        recorder.start()
        t0 = time.perf_counter()
        response = pipeline.suggest(
            data,
            drafter=drafter,
            date_of_service=case.context.date_of_service,
            request_id=f"eval-{case.id}",
        )
        latency = (time.perf_counter() - t0) * 1000
    except ScribeError as exc:
        return result.model_copy(update={"error": f"{type(exc).__name__}: {exc}"})
    except Exception as exc:  # an engine crash fails its case, not the run
        log.warning("case %s crashed: %s", case.id, type(exc).__name__, exc_info=True)
        return result.model_copy(update={"error": f"crash {type(exc).__name__}: {exc}"})
    retrieved = recorder.retrieved()
    grounding = {
        s.code: assert_invariants([s], transcript.text, retrieved, pipeline.codeset)
        for s in response.codes
    }
    return result.model_copy(
        update={
            "parsed_format": transcript.source_format,
            "codes": [
                GotCode(code=c.code, status=c.status, billable=c.billable, confidence=c.confidence)
                for c in response.codes
            ],
            "prompts": [p.id for p in response.prompts],
            "warnings": [w.rule for w in response.warnings],
            "guard": [
                GotGuardAction(action=a.action, code=a.code, reason=a.reason)
                for a in response.guard
            ],
            "drafter": response.engine.drafter,
            "degraded": response.engine.degraded,
            "degraded_reason": response.engine.degraded_reason,
            "latency_ms": round(latency, 2),
            "timings_ms": response.timings_ms,
            "grounding": grounding,
        }
    )


def run_cases(
    pipeline: Pipeline,
    recorder: RecordingRetriever,
    cases: Sequence[Case],
    drafter: str,
    *,
    jobs: int = 1,
    progress: bool = True,
) -> list[CaseResult]:
    """Every case, scored, in case order; ``jobs`` threads share the pipeline."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    results: list[CaseResult | None] = [None] * len(cases)
    failed = 0
    with Progress(
        TextColumn("[bold]eval[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task("running", total=len(cases))

        def one(i: int) -> int:
            results[i] = score_case(run_case(pipeline, recorder, cases[i], drafter))
            return i

        def done(i: int) -> None:
            nonlocal failed
            r = results[i]
            failed += r is not None and not r.passed
            bar.update(task, advance=1, description=f"{failed} failing")

        if jobs <= 1:
            for i in range(len(cases)):
                done(one(i))
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="eval") as pool:
                for i in pool.map(one, range(len(cases))):
                    done(i)
    return [r for r in results if r is not None]


# -- command -------------------------------------------------------------------------------------


def select(cases: list[Case], patterns: Sequence[str] | None) -> list[Case]:
    if not patterns:
        return cases
    chosen = [c for c in cases if any(fnmatch.fnmatch(c.id, p) for p in patterns)]
    if not chosen:
        raise CaseError(Path(cases[0].source).parent, 0, f"no case id matches {list(patterns)}")
    return chosen


def check_cases(cases: list[Case], settings: Settings) -> None:
    """Every code, prompt id, warning id and card item the cases name must resolve."""
    from scribeplugin.codeset import get_codeset
    from scribeplugin.corpus.cards import load_cards
    from scribeplugin.corpus.rules import load_rules

    codeset = get_codeset(settings.code_list_path, settings.tabular_xml_path)
    items = {i.id for card in load_cards(settings.corpus_dir) for i in card.items}
    problems = check_references(cases, codeset, load_rules(settings.corpus_dir), items)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CaseError(
            Path(cases[0].source).parent,
            0,
            f"{len(problems)} problem(s) in the cases:\n  {shown}{more}",
        )


def eval_cli(
    settings: Settings, args: argparse.Namespace, out: Callable[[str], None] = print
) -> int:
    started = time.perf_counter()
    settings = eval_settings(settings, no_cache=bool(getattr(args, "no_cache", False)))
    # The orthopedic suite (evals/ortho) keeps its own cases and gate: measured where the engine
    # stands on the limbs, beside the spine suite's release gate.
    home = settings.evals_dir / "ortho" if getattr(args, "suite", "qa") == "ortho" else None
    cases_dir = Path(args.cases) if args.cases else (home or settings.evals_dir) / "cases"
    thresholds_path = (
        Path(args.thresholds)
        if getattr(args, "thresholds", None)
        else ((home or settings.evals_dir) / "thresholds.yaml")
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.out) if args.out else settings.data_dir / "evals" / stamp
    thresholds = load_thresholds(thresholds_path)
    cases = select(load_cases(cases_dir), getattr(args, "only", None))
    check_cases(cases, settings)
    previous = load_run(Path(args.compare)) if args.compare else None
    jobs = max(1, int(args.jobs or 1))

    ensure_index(settings)
    pipeline, recorder = build_pipeline(settings, guard=not args.no_guard)
    drafter = args.drafter or settings.drafter
    if drafter not in pipeline.drafters:
        available = ", ".join(sorted(pipeline.drafters))
        raise ConfigError(
            f"drafter {drafter!r} is not configured (available: {available})."
            + (
                " Set SCRIBE_LLM_BASE_URL and SCRIBE_LLM_MODEL to evaluate the LLM drafter."
                if drafter == "llm"
                else ""
            )
        )
    t_warm = time.perf_counter()
    pipeline.warm_up()
    warm_up_ms = (time.perf_counter() - t_warm) * 1000

    results = run_cases(
        pipeline, recorder, cases, drafter, jobs=jobs, progress=not getattr(args, "quiet", False)
    )
    metrics = compute_metrics(results)
    checks = check_gates(metrics, thresholds)
    failing = [r.id for r in results if not r.passed]
    commit, dirty = git_state()
    version, name = corpus_version(settings.corpus_dir)
    d = pipeline.drafters[drafter]
    run = RunReport(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - started, 2),
        warm_up_ms=round(warm_up_ms, 1),
        code_set=pipeline.codeset.release.name,
        corpus_version=version,
        corpus_name=name,
        engine=EngineRecord(
            drafter=drafter,
            model=d.model,
            prompt_version=d.prompt_version,
            index_id=pipeline.index_id,
            guard_enabled=not args.no_guard,
            jobs=jobs,
            llm_cache_dir=str(settings.llm_cache_dir) if drafter == "llm" else None,
            llm_cache_bypass=settings.llm_cache_bypass if drafter == "llm" else False,
        ),
        git_commit=commit,
        git_dirty=dirty,
        cases_dir=str(cases_dir),
        thresholds=thresholds.gates,
        gate=Gate(passed=all(c.passed for c in checks), checks=checks, failing_cases=failing),
        metrics=metrics,
        cases=results,
    )
    paths = write_reports(run, out_dir)
    out(summary_text(run))
    out(f"reports: {', '.join(str(p) for p in paths)}")
    if previous is not None:
        comparison = compare_runs(previous, run)
        text = render_comparison(comparison)
        (out_dir / "compare.md").write_text(text, encoding="utf-8")
        (out_dir / "compare.json").write_text(
            comparison.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
        out(text)
    return 0 if run.gate.passed else 1


def summary_text(run: RunReport) -> str:
    """What the terminal shows: the headline numbers, the gate, and every failing case."""
    from scribeplugin.evaluation.report import fmt_metric, headline

    lines = [
        f"scribeplugin eval: {'PASS' if run.gate.passed else 'FAIL'} "
        f"({run.engine.drafter} drafter, {run.code_set}, corpus v{run.corpus_version}, "
        f"git {run.git_commit[:12]}{', guard OFF' if not run.engine.guard_enabled else ''})"
    ]
    lines += [f"  {k}: {v}" for k, v in headline(run)]
    for c in run.gate.checks:
        mark = "ok  " if c.passed else "FAIL"
        lines.append(
            f"  gate {mark} {c.metric} {c.op} {fmt_metric(c.metric, c.bound)}: "
            f"{fmt_metric(c.metric, c.value)}"
        )
    failing = [r for r in run.cases if not r.passed]
    if failing:
        lines.append(f"failing cases ({len(failing)}):")
        lines += [f"  {r.id}: {r.explanation}" for r in failing]
    return "\n".join(lines)
