"""Warm suggest latency by transcript length, and its ratio to the bare embedding time.

The work of one request is dominated by embedding the transcript's query texts (short windows
around the findings). This bench measures, in one run on one machine, the warm end-to-end
``Pipeline.suggest`` time for visits of about 200, 1,500 and 6,000 words and the time MiniLM
alone takes to embed exactly the texts that request embeds, so the overhead of everything else
(parsing, medspaCy, Chroma, BM25, fusion, drafting, guard) reads as a ratio that machine noise
affects much less than absolute milliseconds.

The visits are built from the project's synthetic samples (examples/transcripts): the first
turns of one visit for ~200 words; several visits' turns in a row for the longer ones.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.common import ROOT, facts_table, loadavg, machine_facts, percentile, write_section
from scribeplugin.config import Scope, Settings

SAMPLES = ROOT / "examples" / "transcripts"
ORDER = [
    "l5s1_herniation_radiculopathy.txt", "stenosis_claudication.txt", "l5s1_facet.txt",
    "l4l5_lumbar_only.txt", "negations.txt", "possible_herniation.txt", "family_history.txt",
    "lumbar_strain_injury.txt", "l5s1_iliolumbar.txt", "injection.txt", "history_only.txt",
    "kidney_stone_flank.txt", "drpt_labels.txt", "vague_back.txt", "strain_followup.txt",
]  # fmt: skip
TARGETS = (200, 1500, 6000)


def visit_of(words: int) -> str:
    """Doctor/Patient turns from the samples, in order, until ``words`` words (whole turns)."""
    turns: list[str] = []
    count = 0
    while count < words:
        for name in ORDER:
            for line in (SAMPLES / name).read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                turns.append(line)
                count += len(line.split())
                if count >= words:
                    return "\n".join(turns)
    return "\n".join(turns)


def _settings() -> Settings:
    return Settings(index_scope=Scope.musculoskeletal)


def run(quick: bool = False) -> dict[str, Any]:
    from scribeplugin.extract.transcript import parse_transcript
    from scribeplugin.index.build import build_index, index_status
    from scribeplugin.pipeline import Pipeline, build_queries, freeze_heap
    from scribeplugin.retrieval import query_forms

    settings = _settings()
    if not index_status(settings, settings.index_scope).ready:
        print("building the default index first (make index)", flush=True)
        build_index(settings, settings.index_scope, progress=True)
    pipeline = Pipeline.from_settings(settings)
    t0 = time.perf_counter()
    pipeline.warm_up()
    warm_up_s = time.perf_counter() - t0
    freeze_heap()  # as `scribeplugin serve` does once the pipeline is warm
    embedder = pipeline.retriever.embedder
    repeats = 10 if quick else 30
    rows = []
    for target in TARGETS:
        text = visit_of(target)
        n = max(5, repeats // (3 if target >= 6000 else 1))
        transcript = parse_transcript(text)
        queries = build_queries(transcript, pipeline.extractor.run(transcript))
        dense = [query_forms(q)[0] for q in queries]
        for _ in range(3):
            pipeline.suggest(text)
            embedder.embed(dense)
        # Interleaved, so that both see the same machine: a shared VM's speed drifts by tens of
        # percent within a minute, which separate blocks of runs would read as a change of ratio.
        totals, embeds, steps = [], [], []
        for _ in range(n):
            t = time.perf_counter()
            r = pipeline.suggest(text)
            totals.append((time.perf_counter() - t) * 1000)
            steps.append(r.timings_ms)
            t = time.perf_counter()
            embedder.embed(dense)
            embeds.append((time.perf_counter() - t) * 1000)
        p50, p95, e50 = percentile(totals, 50), percentile(totals, 95), statistics.median(embeds)
        rows.append({
            "words": len(text.split()),
            "queries": len(queries),
            "query_chars": sum(len(q) for q in dense),
            "runs": n,
            "p50": p50,
            "p95": p95,
            "embed_p50": e50,
            "ratio": p50 / e50 if e50 else float("nan"),
            "rest_p50": statistics.median(a - b for a, b in zip(totals, embeds, strict=True)),
            "steps": {k: statistics.median(s[k] for s in steps) for k in steps[0]},
        })  # fmt: skip
        print(
            f"{target} words: p50 {p50:.1f} ms, p95 {p95:.1f} ms, embed {e50:.1f} ms, "
            f"ratio {rows[-1]['ratio']:.2f}",
            flush=True,
        )
    results = {"facts": machine_facts(), "rows": rows, "warm_up_s": warm_up_s,
               "index": pipeline.index_id, "loadavg_end": loadavg()}  # fmt: skip
    write_section("suggest_latency", render(results))
    return results


def render(res: dict[str, Any]) -> str:
    lines = [
        "## Suggest latency (`bench/suggest_latency.py`)",
        "",
        "Command: `python -m bench suggest_latency` (part of `make bench`). Warm",
        f"`Pipeline.suggest` on the default index ({res['index']}), rules drafter, one thread;",
        "visits built from the synthetic samples. `embed` is MiniLM alone on exactly the query",
        "texts that request embeds, timed right after each suggest call; `ratio` = suggest p50 /",
        "embed p50 (1.50 would mean the rest of the pipeline adds 50% on top of embedding);",
        "`rest` is the median of suggest minus embed over the pairs of runs. Warm-up took",
        f"{res['warm_up_s']:.1f} s.",
        "",
        facts_table(res["facts"]),
        "| words | queries | query chars | runs | p50 ms | p95 ms | embed p50 ms | ratio | rest ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['words']:,} | {r['queries']} | {r['query_chars']:,} | {r['runs']} | "
            f"{r['p50']:.1f} | {r['p95']:.1f} | {r['embed_p50']:.1f} | {r['ratio']:.2f} | "
            f"{r['rest_p50']:.1f} |"
        )
    lines += ["", "Median time per step (ms):", "", "| words | " + " | ".join(res["rows"][0]["steps"]) + " |",
              "|---:|" + "---:|" * len(res["rows"][0]["steps"])]  # fmt: skip
    for r in res["rows"]:
        lines.append(
            f"| {r['words']:,} | " + " | ".join(f"{v:.1f}" for v in r["steps"].values()) + " |"
        )
    lines += ["", f"Load average at the end: {res['loadavg_end']}."]
    return "\n".join(lines) + "\n"
