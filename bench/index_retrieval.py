"""Index build and retrieval: build time and chunks/s per scope, incremental rebuild, recall@k
and MRR of dense, BM25 and hybrid retrieval, query latency, and the acceptance query.

Everything is built from scratch in a temporary folder from a copy of ``corpus/``, so the
project's own ``var/`` is never touched. ``--quick`` skips the ``all`` scope (about 10 minutes
on 2 cores). Figures go to the ``index_retrieval`` section of BENCHMARKS.md and, in full, to
``var/bench/index_retrieval.json``.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    ROOT,
    facts_table,
    loadavg,
    machine_facts,
    percentile,
    timed,
    write_section,
)
from scribeplugin.codeset import CodeSet, get_codeset, normalize
from scribeplugin.config import Scope, Settings
from scribeplugin.corpus.cards import parse_card
from scribeplugin.index.build import BuildReport, build_index, index_status
from scribeplugin.index.chunk import scope_entries
from scribeplugin.index.embed import MiniLMEmbedder
from scribeplugin.retrieval import MODES, Mode, Passage, Retriever

QUERIES = Path(__file__).parent / "data" / "retrieval_queries.yaml"
ACCEPTANCE = "chronic pain at the lumbosacral junction without radiculopathy"
INDEX_ACCEPTANCE = "strain low back"  # the Alphabetic Index entry "Strain > low back" first
EDITED_CARD = "M53.87.md"
K = (1, 5, 10)


@dataclass(frozen=True)
class Query:
    text: str
    codes: tuple[str, ...]
    type: str


def load_queries(codeset: CodeSet, scope: Scope, path: Path = QUERIES) -> list[Query]:
    """The query set; every expected code must exist and lie in ``scope``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    in_scope = {e.code for e in scope_entries(codeset, scope)}
    out: list[Query] = []
    for item in raw:
        codes = tuple(normalize(c) for c in (item.get("codes") or [item["code"]]))
        for code in codes:
            if code not in codeset:
                raise SystemExit(f"{path}: {item['q']!r} expects {code}, not in the code set")
            if code not in in_scope:
                raise SystemExit(f"{path}: {item['q']!r} expects {code}, outside {scope.value}")
        out.append(Query(item["q"], codes, item["type"]))
    return out


def first_hit(passages: Sequence[Passage], codes: Sequence[str]) -> int | None:
    """1-based rank of the first passage whose code is an expected code or lies under one."""
    bare = [c.replace(".", "") for c in codes]
    for rank, p in enumerate(passages, 1):
        if p.code.replace(".", "").startswith(tuple(bare)):
            return rank
    return None


def quality(retriever: Retriever, queries: Sequence[Query], mode: Mode) -> dict[str, Any]:
    results = retriever.search_many([q.text for q in queries], k=max(K), mode=mode)
    ranks = [first_hit(r, q.codes) for r, q in zip(results, queries, strict=True)]

    def summary(selected: list[int | None]) -> dict[str, float]:
        n = len(selected) or 1
        out = {f"recall@{k}": sum(1 for r in selected if r and r <= k) / n for k in K}
        out["mrr@10"] = sum(1 / r for r in selected if r) / n
        return out

    by_type = {
        t: summary([r for r, q in zip(ranks, queries, strict=True) if q.type == t])
        for t in sorted({q.type for q in queries})
    }
    return {"all": summary(ranks), "by_type": by_type}


def latency(retriever: Retriever, queries: Sequence[Query]) -> dict[str, Any]:
    """Warm single-query latency per mode, bare embedding time, and batching."""
    texts = [q.text for q in queries]
    retriever.warm_up()
    # interleaved (embedding, then each mode, query by query), so load on a shared machine
    # falls on every column alike and the ratios hold
    samples: dict[str, list[float]] = {"embed_one_ms": [], **{m: [] for m in MODES}}
    for t in texts:
        samples["embed_one_ms"].append(timed(partial(retriever.embedder.embed, [t]))[1] * 1000)
        for mode in MODES:
            samples[mode].append(timed(partial(retriever.search, t, k=10, mode=mode))[1] * 1000)
    out: dict[str, Any] = {
        name: {"p50": percentile(ms, 50), "p95": percentile(ms, 95)} for name, ms in samples.items()
    }
    batch = texts[:8]
    many = statistics.median(timed(lambda: retriever.search_many(batch, k=6))[1] for _ in range(5))
    singles = statistics.median(
        timed(lambda: [retriever.search(t, k=6) for t in batch])[1] for _ in range(5)
    )
    embed8 = statistics.median(timed(lambda: retriever.embedder.embed(batch))[1] for _ in range(5))
    out["batch_of_8"] = {
        "search_many_ms": many * 1000,
        "eight_searches_ms": singles * 1000,
        "embed_8_ms": embed8 * 1000,
    }
    return out


def acceptance(retriever: Retriever) -> dict[str, Any]:
    passages = retriever.search(ACCEPTANCE, k=10)
    return {
        "query": ACCEPTANCE,
        "m53_87": [
            {"rank": i, "kind": p.kind, "item_id": p.item_id}
            for i, p in enumerate(passages, 1)
            if p.code == "M53.87"
        ],
        "top10": [f"{p.code} {p.kind}" for p in passages],
        "index_query": INDEX_ACCEPTANCE,
        "index_top3": [
            f"{p.code} {p.kind} {p.item_id}".strip()
            for p in retriever.search(INDEX_ACCEPTANCE, k=3)
        ],
    }


def edit_one_card(corpus: Path) -> None:
    """Append a word to the first tip and the first FAQ question of one card (two items)."""
    path = corpus / "cards" / EDITED_CARD
    card = parse_card(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for item in (card.items_of("tip")[0], card.items_of("faq")[0]):
        lines[item.line - 1] = lines[item.line - 1].rstrip("\n") + " (edited)\n"
    path.write_text("".join(lines), encoding="utf-8")


def _build(settings: Settings, scope: Scope, embedder: MiniLMEmbedder) -> dict[str, Any]:
    report: BuildReport = build_index(settings, scope, progress=False, embedder=embedder)
    d = asdict(report)
    d["chunks_per_second"] = report.chunks_per_second
    d["embed_chunks_per_second"] = report.embedded / report.embed_seconds if report.embedded else 0
    return d


def run(quick: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {"facts": machine_facts(), "quick": quick}
    work = Path(tempfile.mkdtemp(prefix="scribe-bench-"))
    try:
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        settings = Settings(data_dir=work / "var", corpus_dir=corpus, chroma_url=None)
        codeset, load_s = timed(get_codeset)
        results["codeset_load_s"] = load_s

        embedder = MiniLMEmbedder()
        _, results["model_load_s"] = timed(embedder.warm_up)

        builds: dict[str, Any] = {}
        print("building spine ...", flush=True)
        builds["spine"] = _build(settings, Scope.spine, embedder)
        print("building musculoskeletal ...", flush=True)
        builds["musculoskeletal"] = _build(settings, Scope.musculoskeletal, embedder)
        manifest = index_status(settings, Scope.musculoskeletal).manifest
        results["default_counts"] = manifest.counts if manifest else {}
        builds["musculoskeletal_again"] = _build(settings, Scope.musculoskeletal, embedder)
        edit_one_card(corpus)
        builds["musculoskeletal_one_card_edited"] = _build(
            settings, Scope.musculoskeletal, embedder
        )
        results["builds"] = builds

        print("measuring retrieval ...", flush=True)
        retriever, results["retriever_load_s"] = timed(
            lambda: Retriever.from_settings(settings, Scope.musculoskeletal, embedder=embedder)
        )
        queries = load_queries(codeset, Scope.musculoskeletal)
        results["queries"] = {"total": len(queries)} | {
            t: sum(1 for q in queries if q.type == t) for t in sorted({q.type for q in queries})
        }
        results["quality"] = {mode: quality(retriever, queries, mode) for mode in MODES}
        results["latency"] = latency(retriever, queries)
        results["acceptance"] = acceptance(retriever)

        if not quick:
            print("building all (about 10 minutes) ...", flush=True)
            builds["all"] = _build(settings, Scope.all, embedder)
        results["loadavg_end"] = loadavg()
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(work, ignore_errors=True)

    out = ROOT / "var" / "bench" / "index_retrieval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_section("index_retrieval", render(results))
    return results


def render(r: dict[str, Any]) -> str:
    b = r["builds"]
    q = r["quality"]
    lat = r["latency"]

    def build_row(label: str, d: dict[str, Any]) -> str:
        rate = f"{d['chunks_per_second']:,.0f}" if d["embedded"] >= 1000 else "-"
        return (
            f"| {label} | {d['total']:,} | {d['embedded']:,} | {d['deleted']:,} | "
            f"{d['seconds']:.1f} | {rate} |"
        )

    rows = [
        build_row("spine, from scratch", b["spine"]),
        build_row("musculoskeletal (default), from scratch", b["musculoskeletal"]),
        build_row("musculoskeletal, again (no change)", b["musculoskeletal_again"]),
        build_row(
            f"musculoskeletal, one card edited ({EDITED_CARD}, 2 items)",
            b["musculoskeletal_one_card_edited"],
        ),
    ]
    if "all" in b:
        rows.append(build_row("all (whole tabular list), from scratch", b["all"]))
    else:
        rows.append("| all (whole tabular list) | skipped (`--quick`) | | | | |")
    full = b["musculoskeletal"]["seconds"]
    incr = b["musculoskeletal_one_card_edited"]["seconds"]

    def qrow(mode: str) -> str:
        a = q[mode]["all"]
        return (
            f"| {mode} | {a['recall@1']:.3f} | {a['recall@5']:.3f} | {a['recall@10']:.3f} | "
            f"{a['mrr@10']:.3f} |"
        )

    types = sorted(q["hybrid"]["by_type"])
    columns = ("dense", "lexical", "hybrid")
    type_rows = [
        f"| {t} | " + " | ".join(f"{q[m]['by_type'][t]['recall@10']:.3f}" for m in columns) + " |"
        for t in types
    ]
    best_single = max(q["dense"]["all"]["recall@10"], q["lexical"]["all"]["recall@10"])
    hybrid10 = q["hybrid"]["all"]["recall@10"]
    embed_p50 = lat["embed_one_ms"]["p50"]
    hyb = lat["hybrid"]
    many = lat["batch_of_8"]
    acc = r["acceptance"]
    acc_ranks = ", ".join(f"{m['kind']} at {m['rank']}" for m in acc["m53_87"]) or "not in top 10"
    counts = ", ".join(f"{v} {k}" for k, v in r["queries"].items() if k != "total")
    kinds = r.get("default_counts", {})
    cards = sum(v for k, v in kinds.items() if k not in {"total", "tabular", "index"})
    made_of = (
        f"The default index holds {kinds['total']:,} chunks: {kinds.get('tabular', 0):,} tabular "
        f"items, {cards:,} card items and summaries, {kinds.get('index', 0):,} Alphabetic Index "
        "entries (those whose code is in the scope)."
        if kinds
        else ""
    )
    return f"""## Index build and retrieval (`bench/index_retrieval.py`)

Command: `python -m bench{" --quick" if r["quick"] else ""}` (or `make bench`). Measured
{r["facts"]["date"]}. Builds start from an empty folder; one MiniLM instance (loaded and warmed
in {r["model_load_s"]:.1f} s, code set parsed in {r["codeset_load_s"]:.1f} s) serves every step.

{facts_table(r["facts"])}
### Build

| build | chunks | embedded | deleted | seconds | chunks/s |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

{made_of}

Incremental rebuild after editing one card: {incr:.1f} s, {incr / full:.1%} of the full default
build ({full / incr:.0f}x faster); a rebuild with nothing changed embeds nothing
({b["musculoskeletal_again"]["seconds"]:.1f} s: chunking, diffing ids, BM25). chunks/s is end to
end (chunk, embed, write to Chroma, BM25, manifest); embedding alone runs at
{b["musculoskeletal"]["embed_chunks_per_second"]:,.0f} chunks/s on the default scope.

### Retrieval quality (default scope, {r["queries"]["total"]} queries: {counts})

Queries in `bench/data/retrieval_queries.yaml`, written from the tabular list: inclusion terms
verbatim, and paraphrases as a clinician or patient would put them. A query is answered at the
rank of the first passage whose code is the expected code or lies under it.

| mode | recall@1 | recall@5 | recall@10 | MRR@10 |
|---|---:|---:|---:|---:|
{qrow("dense")}
{qrow("lexical")}
{qrow("hybrid")}

recall@10 by query type:

| type | dense | lexical | hybrid |
|---|---:|---:|---:|
{chr(10).join(type_rows)}

Hybrid recall@10 is {hybrid10:.3f} against {best_single:.3f} for the better single retriever
({hybrid10 / best_single:.2f}x).

Acceptance query "{acc["query"]}": M53.87 {acc_ranks} (top 10: {", ".join(acc["top10"])}).
"{acc["index_query"]}": {"; ".join(acc["index_top3"])} (top 3).

### Query latency (warm, one query at a time, k=10)

| | p50 ms | p95 ms |
|---|---:|---:|
| embedding alone (one query) | {embed_p50:.1f} | {lat["embed_one_ms"]["p95"]:.1f} |
| dense | {lat["dense"]["p50"]:.1f} | {lat["dense"]["p95"]:.1f} |
| lexical | {lat["lexical"]["p50"]:.1f} | {lat["lexical"]["p95"]:.1f} |
| hybrid | {hyb["p50"]:.1f} | {hyb["p95"]:.1f} |

Hybrid p50 is {hyb["p50"] / embed_p50:.1f}x the bare embedding time of the same query. Eight
queries through `search_many` (one embedding call): {many["search_many_ms"]:.0f} ms, against
{many["eight_searches_ms"]:.0f} ms for eight `search` calls ({
        many["eight_searches_ms"] / many["search_many_ms"]:.1f}x) and {
        many["embed_8_ms"]:.0f} ms to embed the eight alone. Opening
the retriever (manifest, Chroma collection; code set already parsed) took
{r["retriever_load_s"] * 1000:.0f} ms; BM25 loads on the first query. Peak RSS of the bench
process: {r["peak_rss_mb"]:,.0f} MB. Load average while measuring: {r["facts"]["loadavg"]} at the
start, {r["loadavg_end"]} at the end (the machine is shared; timings are noisy, ratios less so).
"""
