"""Bounded work per request: what a pathological transcript costs, and what it does to others.

1. Extraction CPU time (``time.thread_time``) of paragraphs without line breaks of several
   shapes at 50,000 and 199,000 characters (linear: the ratio is about 4).
2. The whole pipeline on the 199,000-character paragraph of the example visits, by step.
3. Against ``scribeplugin serve`` (one worker, on loopback): normal requests one at a time, in
   alternating rounds with and without a client sending that paragraph back to back; p50/p95
   of each, and what the paragraph's requests got.
4. In process, with a 1 s ``SCRIBE_REQUEST_TIMEOUT_S``: when the 504 came, and when the worker
   thread stopped working.

Figures go to the ``bounded_work`` section of BENCHMARKS.md and to var/bench/bounded_work.json.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, facts_table, loadavg, machine_facts, percentile, write_section
from bench.serve_load import Server, bodies
from scribeplugin.config import Scope, Settings

VISITS = " ".join(
    p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples/transcripts").glob("*.txt"))
)
FLAT = " ".join(VISITS.split())
SHAPES = {
    "the example visits as one paragraph": FLAT,
    "the same without punctuation": FLAT.translate(str.maketrans(".?!;,:", "      ")),
    "dense levels": "disc herniation at L4-L5 with L5 radiculopathy on the left ",
    "roots and segments in one clause": "L5 radiculopathy, it L4-L5 L4-L5 L4-L5, i ",
    "negations": "no numbness or tingling or weakness and no back pain ",
    "resolutions": "The discitis at L3-L4 has resolved. Discitis at L4-L5. ",
}
PARAGRAPH = ((FLAT + " ") * 10)[:199_000]
JSON = {"content-type": "application/json"}


def _text(shape: str, chars: int) -> str:
    src = SHAPES[shape]
    return (src * (chars // len(src) + 1))[:chars]


def extraction(quick: bool) -> list[dict[str, Any]]:
    from scribeplugin.extract.findings import FindingExtractor
    from scribeplugin.extract.transcript import parse_transcript

    fx = FindingExtractor()
    fx.warm_up()
    rows = []
    for shape in SHAPES:
        row: dict[str, Any] = {"shape": shape}
        for chars in (50_000, 199_000):
            transcript = parse_transcript(_text(shape, chars), max_chars=200_000)
            started = time.thread_time()
            found = fx.extract(transcript)
            row[str(chars)] = round(time.thread_time() - started, 2)
            row[f"findings_{chars}"] = len(found)
        rows.append(row)
        if quick:
            break
    return rows


def pipeline_steps(settings: Settings) -> dict[str, Any]:
    from scribeplugin.pipeline import Pipeline

    pipeline = Pipeline.from_settings(settings)
    pipeline.warm_up()
    pipeline.suggest(FLAT[:3000])
    started = time.perf_counter()
    answer = pipeline.suggest(PARAGRAPH)
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "timings_ms": answer.timings_ms,
        "findings": len(answer.findings),
    }


def beside(settings: Settings, work: Path, rounds: int) -> dict[str, Any]:
    server = Server(settings, 1, work / "serve-bounded.log")
    normal = bodies()[:6]
    big = json.dumps({"transcript": PARAGRAPH}).encode()
    answers: list[tuple[int, float]] = []

    def timed(c: httpx.Client, n: int) -> list[float]:
        out = []
        for i in range(n):
            t = time.perf_counter()
            c.post("/v1/suggest", content=normal[i % len(normal)]).raise_for_status()
            out.append(time.perf_counter() - t)
        return out

    def hammer(stop: threading.Event) -> None:
        with httpx.Client(base_url=server.url, timeout=120, headers=JSON) as c:
            while not stop.is_set():
                t = time.perf_counter()
                status = c.post("/v1/suggest", content=big).status_code
                answers.append((status, round(time.perf_counter() - t, 2)))

    try:
        server.wait_ready()
        unloaded: list[float] = []
        loaded: list[float] = []
        with httpx.Client(base_url=server.url, timeout=120, headers=JSON) as c:
            timed(c, 8)
            for _ in range(rounds):
                unloaded += timed(c, 10)
                stop = threading.Event()
                sender = threading.Thread(target=hammer, args=(stop,))
                sender.start()
                time.sleep(2.0)
                loaded += timed(c, 10)
                stop.set()
                sender.join(timeout=120)
    finally:
        server.stop()
    return {
        "requests_each": len(unloaded),
        "unloaded": {q: round(percentile(unloaded, q) * 1000) for q in (50, 95)},
        "beside": {q: round(percentile(loaded, q) * 1000) for q in (50, 95)},
        "paragraph_answers": answers,
    }


def deadline_stop(settings: Settings, work: Path) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from scribeplugin.api.app import create_app
    from scribeplugin.store import Store

    store = Store(f"sqlite:///{work / 'deadline.db'}")
    app = create_app(settings.model_copy(update={"request_timeout_s": 1.0}), store=store)
    dense = _text("dense levels", 199_000)
    registry = app.state.service.metrics.registry
    with TestClient(app) as c:
        started = time.monotonic()
        status = c.post("/v1/suggest", json={"transcript": dense}).status_code
        answered = time.monotonic() - started
        while (registry.get_sample_value("scribe_suggest_deadline_stops_total") or 0) < 1:
            if time.monotonic() - started > 60:
                break
            time.sleep(0.01)
        stopped = time.monotonic() - started
    store.close()
    return {"status": status, "answered_s": round(answered, 2), "stopped_s": round(stopped, 2)}


def run(quick: bool = False) -> dict[str, Any]:
    from scribeplugin.index.build import build_index

    results: dict[str, Any] = {"facts": machine_facts(), "quick": quick}
    work = Path(tempfile.mkdtemp(prefix="scribe-bench-bounded-"))
    try:
        print("extraction by shape ...", flush=True)
        results["extraction"] = extraction(quick)
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        settings = Settings(
            data_dir=work / "var", corpus_dir=corpus, chroma_url=None, index_scope=Scope.spine
        )
        print("building the spine index ...", flush=True)
        build_index(settings, Scope.spine, progress=False)  # SCRIBE_EMBEDDER's embedder
        print("the pipeline on the paragraph ...", flush=True)
        results["pipeline"] = pipeline_steps(settings)
        print("normal requests beside the paragraph ...", flush=True)
        results["beside"] = beside(settings, work, rounds=2 if quick else 5)
        print("a request past its deadline ...", flush=True)
        results["deadline"] = deadline_stop(settings, work)
        results["loadavg_end"] = loadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = ROOT / "var" / "bench" / "bounded_work.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_section("bounded_work", render(results))
    return results


def render(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {x['shape']} | {x['50000']} | {x['199000']} | {x['199000'] / max(x['50000'], 1e-3):.1f} "
        f"| {x['findings_199000']:,} |"
        for x in r["extraction"]
    )
    p = r["pipeline"]
    steps = ", ".join(f"{k} {v:,.0f} ms" for k, v in p["timings_ms"].items() if k != "total")
    b = r["beside"]
    statuses: dict[int, int] = {}
    for status, _ in b["paragraph_answers"]:
        statuses[status] = statuses.get(status, 0) + 1
    got = ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items()))
    d = r["deadline"]
    return f"""## Bounded work per request (`bench/bounded_work.py`)

Command: `python -m bench {"--quick " if r["quick"] else ""}bounded_work`. Measured
{r["facts"]["date"]}; load average at the end {r["loadavg_end"]} (other work on the machine
inflates every figure, the ratios less).

{facts_table(r["facts"])}
Extraction of one paragraph (no line breaks), CPU seconds of the extracting thread:

| shape | 50,000 chars | 199,000 chars | ratio | findings at 199,000 |
|---|---:|---:|---:|---:|
{rows}

The whole pipeline on the 199,000-character paragraph of the example visits: {p["wall_s"]} s
({steps}; {p["findings"]:,} findings).

Normal requests (the example visits, one at a time, {b["requests_each"]} each way in
alternating rounds) against `scribeplugin serve` with one worker: alone p50 {b["unloaded"][50]} ms,
p95 {b["unloaded"][95]} ms; beside a client sending the paragraph back to back p50
{b["beside"][50]} ms, p95 {b["beside"][95]} ms. The paragraph's requests got {got}.

A request past its deadline (1 s; the dense-levels paragraph): HTTP {d["status"]} after
{d["answered_s"]} s; the worker thread stopped working {d["stopped_s"]} s after the request
came in.
"""
