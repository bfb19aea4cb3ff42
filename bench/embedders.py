"""fp32 torch beside int8 ONNX, in one run: embedding throughput (index chunks in batches of 64,
and the 8 query windows of a request), cosine of int8 to fp32, and retrieval quality (recall@k,
MRR@10 of dense and hybrid search on the default index, the queries of
``bench/data/retrieval_queries.yaml``) with each embedder's own index.

The int8 model is built from the packaged weights into a temporary folder (its build time is
reported); both indexes are built from scratch in temporary folders from a copy of ``corpus/``.
Throughput rounds alternate fp32 and int8 so that a shared machine's slow spells fall on both.
Figures go to the ``embedders`` section of BENCHMARKS.md and ``var/bench/embedders.json``.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, facts_table, loadavg, machine_facts, timed, write_section
from bench.index_retrieval import QUERIES, Query, quality
from scribeplugin.codeset import get_codeset
from scribeplugin.config import Scope, Settings
from scribeplugin.index.build import build_index, plan_index
from scribeplugin.index.embed import Embedder, MiniLMEmbedder
from scribeplugin.index.onnx import OnnxInt8Embedder
from scribeplugin.retrieval import Retriever


def queries_in(codeset: Any, scope: Scope) -> list[Query]:
    """The retrieval queries whose expected codes all lie in ``scope``."""
    import yaml

    from scribeplugin.codeset import normalize
    from scribeplugin.index.chunk import scope_entries

    in_scope = {e.code for e in scope_entries(codeset, scope)}
    out = []
    for item in yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["queries"]:
        codes = tuple(normalize(c) for c in (item.get("codes") or [item["code"]]))
        if all(c in in_scope for c in codes):
            out.append(Query(item["q"], codes, item["type"]))
    return out


def windows() -> list[str]:
    """The query windows requests embed, from the example visits (as the pipeline builds them)."""
    from scribeplugin.extract.findings import FindingExtractor
    from scribeplugin.extract.transcript import parse_transcript
    from scribeplugin.pipeline import build_queries

    extractor = FindingExtractor()
    out: list[str] = []
    for path in sorted((ROOT / "examples" / "transcripts").glob("*.txt")):
        transcript = parse_transcript(path.read_text(encoding="utf-8"))
        out += build_queries(transcript, extractor.run(transcript))
    return out


def throughput(
    models: dict[str, Embedder], chunks: list[str], wins: list[str], rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Chunks per second (batches of 64) and ms per request-shaped call (8 windows), per round."""
    rates: dict[str, dict[str, list[float]]] = {n: {"chunks": [], "windows": []} for n in models}
    batches = [wins[i : i + 8] for i in range(0, len(wins), 8)]
    for i in range(rounds):
        order = list(models) if i % 2 == 0 else list(reversed(models))
        for name in order:
            model = models[name]
            started = time.perf_counter()
            model.embed(chunks, batch_size=64)
            s = time.perf_counter() - started
            rates[name]["chunks"].append(len(chunks) / s)
            started = time.perf_counter()
            for b in batches:
                model.embed(b)
            rates[name]["windows"].append(
                (time.perf_counter() - started) * 1000 / len(batches)
            )  # ms per request-shaped call
    return rates


def run(quick: bool = False) -> dict[str, Any]:
    scope = Scope.spine if quick else Scope.musculoskeletal
    results: dict[str, Any] = {"facts": machine_facts(), "quick": quick, "scope": scope.value}
    work = Path(tempfile.mkdtemp(prefix="scribe-bench-embedders-"))
    try:
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        codeset = get_codeset()
        fp32 = MiniLMEmbedder()
        int8 = OnnxInt8Embedder(work / "models")
        built, results["int8_build_s"] = timed(int8.build)
        results["int8"] = {"kernel": int8.kernel, "file_mb": built.path.stat().st_size / 1e6}
        results["fp32_mb"] = _fp32_size_mb()
        models: dict[str, Embedder] = {"torch fp32": fp32, f"onnx int8 ({int8.kernel})": int8}
        for m in models.values():
            m.embed(["warm up"])

        plan = plan_index(Settings(corpus_dir=corpus), Scope.musculoskeletal, fp32.name, codeset)
        texts = [c.embed_text for c in plan.chunks]
        chunks = random.Random(14).sample(texts, 512 if quick else 1024)
        wins = windows()
        print(f"throughput: {len(chunks)} chunks, {len(wins)} windows ...", flush=True)
        results["throughput"] = throughput(models, chunks, wins, 2 if quick else 4)

        a, b = fp32.embed(chunks[:512]), int8.embed(chunks[:512])
        ca = (a * b).sum(axis=1)
        wa, wb = fp32.embed(wins), int8.embed(wins)
        cw = (wa * wb).sum(axis=1)
        results["cosine"] = {
            "chunks": {"mean": float(ca.mean()), "min": float(ca.min()), "n": len(ca)},
            "windows": {"mean": float(cw.mean()), "min": float(cw.min()), "n": len(cw)},
        }

        queries = queries_in(codeset, scope)
        results["quality"] = {}
        results["builds"] = {}
        for name, model in models.items():
            settings = Settings(data_dir=work / name.split()[0], corpus_dir=corpus, chroma_url=None)
            print(f"building the {scope.value} index with {name} ...", flush=True)
            report = build_index(settings, scope, progress=False, embedder=model, codeset=codeset)
            results["builds"][name] = {
                "chunks": report.total,
                "seconds": report.seconds,
                "embed_seconds": report.embed_seconds,
            }
            retriever = Retriever.from_settings(settings, scope, embedder=model)
            results["quality"][name] = {
                mode: quality(retriever, queries, mode)["all"] for mode in ("dense", "hybrid")
            }
        results["queries"] = len(queries)
        results["loadavg_end"] = loadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = ROOT / "var" / "bench" / "embedders.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_section("embedders", render(results))
    return results


def _fp32_size_mb() -> float:
    from scribeplugin.index.embed import default_model_path

    return (default_model_path() / "model.safetensors").stat().st_size / 1e6


def render(r: dict[str, Any]) -> str:
    names = list(r["throughput"])
    fp, q8 = names
    tp = r["throughput"]

    def med(name: str, what: str) -> float:
        return float(statistics.median(tp[name][what]))

    rows = []
    for name in names:
        chunk_runs = " / ".join(f"{x:.0f}" for x in tp[name]["chunks"])
        win_runs = " / ".join(f"{x:.1f}" for x in tp[name]["windows"])
        b = r["builds"][name]
        rows.append(
            f"| {name} | {med(name, 'chunks'):.0f} ({chunk_runs}) | "
            f"{med(name, 'windows'):.1f} ({win_runs}) | {b['seconds']:.0f} |"
        )
    qrows = []
    for name in names:
        for mode in ("dense", "hybrid"):
            a = r["quality"][name][mode]
            qrows.append(
                f"| {name} | {mode} | {a['recall@1']:.3f} | {a['recall@5']:.3f} | "
                f"{a['recall@10']:.3f} | {a['mrr@10']:.3f} |"
            )
    d10 = {n: r["quality"][n]["dense"]["recall@10"] for n in names}
    h10 = {n: r["quality"][n]["hybrid"]["recall@10"] for n in names}
    cos = r["cosine"]
    scope_note = "; `--quick` uses the spine scope" if r["quick"] else ""
    speed_chunks = med(q8, "chunks") / med(fp, "chunks")
    speed_windows = med(fp, "windows") / med(q8, "windows")
    return f"""## Embedders: torch fp32 beside ONNX int8 (`bench/embedders.py`)

Command: `python -m bench {"--quick " if r["quick"] else ""}embedders` (part of `make bench`).
Measured {r["facts"]["date"]}. The int8 model was built here from the packaged MiniLM weights
in {r["int8_build_s"]:.1f} s ({r["int8"]["file_mb"]:.0f} MB, the {r["int8"]["kernel"]} kernels;
matrix products int8, the word-embedding table fp32; the fp32 weights are
{r["fp32_mb"]:.0f} MB). Throughput rounds **alternated** the two embedders.

{facts_table(r["facts"])}
| embedder | index chunks/s, batches of 64: median (runs) | ms per request call (8 windows): median (runs) | {r["scope"]} index build, s |
|---|---:|---:|---:|
{chr(10).join(rows)}

int8 embeds index chunks {speed_chunks:.2f}x as fast as fp32 and a request's windows
{speed_windows:.2f}x as fast. Cosine of int8 to fp32 vectors: index chunks mean
{cos["chunks"]["mean"]:.4f} (min {cos["chunks"]["min"]:.4f}, {cos["chunks"]["n"]} chunks), query
windows mean {cos["windows"]["mean"]:.4f} (min {cos["windows"]["min"]:.4f}, {cos["windows"]["n"]}
windows of the example visits).

Retrieval on the {r["scope"]} index, each embedder with the index it built ({r["queries"]}
queries of `bench/data/retrieval_queries.yaml` whose codes lie in that scope{scope_note}):

| embedder | mode | recall@1 | recall@5 | recall@10 | MRR@10 |
|---|---|---:|---:|---:|---:|
{chr(10).join(qrows)}

recall@10, int8 minus fp32: dense {d10[q8] - d10[fp]:+.3f}, hybrid {h10[q8] - h10[fp]:+.3f}.
Load average at the end: {r["loadavg_end"]}.
"""
