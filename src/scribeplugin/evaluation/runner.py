"""``scribeplugin eval``: every case through the pipeline the API uses, then metrics and reports.

The pipeline is built once (``Pipeline.from_settings``, as the API does), warmed up, and shared
by ``--jobs`` threads. Its retriever is wrapped so the harness knows, per request, which chunks
were retrieved: the grounding check (``guard.assert_invariants``) needs them and the response
does not carry them. LLM replies are cached on disk by the LLM drafter itself
(``llm_cache_dir``, defaulting to ``<data_dir>/llm-cache`` for evals); ``--no-cache`` bypasses it.

Exit codes: 0 when every gate in ``evals/thresholds.yaml`` holds, 1 when one fails (the failing
cases are named), 2 for bad cases, thresholds or setup (``ScribeError``).
"""

from __future__ import annotations

import argparse
import fnmatch
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml
from pydantic import ValidationError

from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.errors import ConfigError, ScribeError
from scribeplugin.evaluation.cases import Case, CaseError, check_references, load_cases
from scribeplugin.evaluation.metrics import (
    CaseResult,
    GotCode,
    GotGuardAction,
    Thresholds,
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
    from scribeplugin.retrieval import Retriever

log = logging.getLogger(__name__)


class ThresholdsError(ScribeError):
    """``evals/thresholds.yaml`` is missing or invalid."""


# -- setup ---------------------------------------------------------------------------------------


def eval_settings(settings: Settings, *, no_cache: bool = False) -> Settings:
    """The run's settings: LLM replies cached under the data dir unless configured elsewhere."""
    update: dict[str, Any] = {}
    if settings.llm_cache_dir is None:
        update["llm_cache_dir"] = settings.data_dir / "llm-cache"
    if no_cache:
        update["llm_cache_bypass"] = True
    return settings.model_copy(update=update) if update else settings


def load_thresholds(path: Path) -> Thresholds:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdsError(f"{path}: cannot read the gate thresholds ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ThresholdsError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return Thresholds.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or "file"
        raise ThresholdsError(f"{path}: {where}: {err['msg']}") from exc


def git_state(root: Path = PROJECT_ROOT) -> tuple[str, bool | None]:
    """(commit, dirty) of the checkout; ('unknown', None) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
    return commit or "unknown", bool(status.strip())


def corpus_version(corpus_dir: Path) -> tuple[int | str, str]:
    try:
        data = yaml.safe_load((corpus_dir / "corpus.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return "unknown", "unknown"
    return data.get("version", "unknown"), str(data.get("name", ""))


def ensure_index(settings: Settings) -> None:
    """Build (or bring up to date) the index when it is missing or stale: evals must run
    against the corpus on disk, and a fresh clone has no index yet."""
    from scribeplugin.index.build import build_index, index_status

    status = index_status(settings, settings.index_scope)
    if status.ready:
        return
    log.warning("index not ready (%s); building it now", status.message())
    print(
        report_line(
            f"index not ready: building the {settings.index_scope.value} index "
            "(one time, a minute or two)"
        ),
        file=sys.stderr,
    )
    build_index(settings, settings.index_scope)


@contextmanager
def quiet_engine_logs(verbose: bool) -> Iterator[None]:
    """One INFO line per request would bury the progress bar (-v brings them back); the level is
    put back after the run, as the process may go on (tests, a notebook)."""
    logger = logging.getLogger("scribeplugin")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def report_line(text: str) -> str:
    return f"eval: {text}"


# -- retrieval recording -------------------------------------------------------------------------


class RecordingRetriever:
    """Delegates to the pipeline's retriever and remembers, per thread, the chunk ids of every
    passage it returned since :meth:`start`. One case runs on one thread, so this is per case."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._local = threading.local()

    def start(self) -> None:
        self._local.ids = set()

    def retrieved(self) -> set[str]:
        return set(getattr(self._local, "ids", set()))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def recorded(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            self._collect(out, 0)
            return out

        return recorded

    def _collect(self, obj: Any, depth: int) -> None:
        ids: set[str] | None = getattr(self._local, "ids", None)
        if ids is None or depth > 3:
            return
        chunk_id = getattr(obj, "chunk_id", None)
        if isinstance(chunk_id, str):
            ids.add(chunk_id)
        elif isinstance(obj, list | tuple):
            for x in obj:
                self._collect(x, depth + 1)


def build_pipeline(
    settings: Settings, *, guard: bool = True
) -> tuple[Pipeline, RecordingRetriever]:
    from scribeplugin.pipeline import Pipeline

    pipeline = Pipeline.from_settings(settings, guard_enabled=guard)
    recorder = RecordingRetriever(pipeline.retriever)
    pipeline.retriever = cast("Retriever", recorder)
    return pipeline, recorder


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
