"""This tree beside a baseline commit, on the same machine in one run, runs alternated: warm
suggest latency (p50, p95) of a 1,500-word visit, and throughput and p95 of ``POST /v1/suggest``
at 16 clients against ``scribeplugin serve``.

The baseline (default commit 58ac155, issue 14's reference) is a git worktree with its own venv,
made on first use under ``var/bench/baseline-<ref>`` (``git worktree add`` and ``make install``:
a few minutes, once), or an existing checkout given by ``SCRIBE_BENCH_BASELINE_DIR``. Each side
builds its default index with its own code in its own ``var/`` (``make index``; incremental:
free when it is current) and is measured by its own Python: ``bench/probe_latency.py`` for latency, its own
``scribeplugin serve`` for throughput. Sides alternate (base, new, new, base, ...), so slow
spells of a shared machine fall on both; the ratios are what to read.

Environment: ``SCRIBE_BENCH_BASELINE_REF`` (58ac155), ``SCRIBE_BENCH_BASELINE_DIR``,
``SCRIBE_EMBEDDER`` (this tree's embedder; auto by default). Figures go to the ``baseline``
section of BENCHMARKS.md and to ``var/bench/baseline.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, facts_table, loadavg, machine_facts, percentile, write_section
from bench.serve_load import Server, bodies, phase
from bench.suggest_latency import visit_of

CLIENTS = 16
WORDS = 1500


@dataclass(frozen=True)
class Side:
    name: str  # "base" or "new"
    label: str  # the commit
    root: Path
    data_dir: Path
    env: dict[str, str]

    @property
    def python(self) -> str:
        return str(self.root / ".venv" / "bin" / "python")

    def cli(self, *args: str, timeout: float = 3600) -> str:
        cmd = [self.python, "-m", "scribeplugin.cli", "--data-dir", str(self.data_dir), *args]
        done = subprocess.run(
            cmd, cwd=self.root, env=self.environ(), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIBE_")}
        return {**env, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", **self.env}


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def baseline_side(ref: str) -> Side:
    given = os.environ.get("SCRIBE_BENCH_BASELINE_DIR")
    root = Path(given) if given else ROOT / "var" / "bench" / f"baseline-{ref}"
    if not (root / ".git").exists():
        print(f"making a worktree of {ref} in {root} ...", flush=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        _git("worktree", "add", "--detach", str(root), ref)
    if not (root / ".venv" / ".installed").exists():
        print(f"installing the baseline's venv in {root} (make install) ...", flush=True)
        subprocess.run(["make", "install"], cwd=root, check=True)
    head = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Side("base", head, root, root / "var", {})


def new_side() -> Side:
    head = _git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--", "src") else ""
    embedder = os.environ.get("SCRIBE_EMBEDDER", "auto")
    return Side("new", head + dirty, ROOT, ROOT / "var", {"SCRIBE_EMBEDDER": embedder})


def latency(side: Side, visit: Path, runs: int) -> dict[str, Any]:
    script = ROOT / "bench" / "probe_latency.py"
    done = subprocess.run(
        [side.python, str(script), "--data-dir", str(side.data_dir), "--visit", str(visit),
         "--runs", str(runs)],
        cwd=side.root, env=side.environ(), capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{side.name} latency probe failed:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    ms = out["ms"]
    out.update(p50=percentile(ms, 50), p95=percentile(ms, 95), mean=statistics.fmean(ms))
    del out["ms"]
    return out


def throughput(side: Side, workers: int, seconds: float, work: Path) -> dict[str, Any]:
    from scribeplugin.config import Settings

    log = work / f"serve-{side.name}-{workers}.log"
    env = {"SCRIBE_INDEX_SCOPE": "musculoskeletal", **side.env}
    server = Server(
        Settings(data_dir=side.data_dir), workers, log, python=side.python, env=env, cwd=side.root
    )
    try:
        server.wait_ready()
        payloads = bodies()
        phase(server.url, CLIENTS, 2 * len(payloads), payloads)  # warm every worker
        result = phase(server.url, CLIENTS, 10**6, payloads, seconds=seconds)
    finally:
        server.stop()
    return {k: result[k] for k in ("requests", "errors", "rps", "p50_ms", "p95_ms", "seconds")}


def run(quick: bool = False) -> dict[str, Any]:
    ref = os.environ.get("SCRIBE_BENCH_BASELINE_REF", "58ac155")
    base, new = baseline_side(ref), new_side()
    rounds = 2 if quick else 3
    runs = 20 if quick else 40
    load_s = 20.0 if quick else 30.0
    workers_list = (1,) if quick else (1, 2)
    work = Path(tempfile.mkdtemp(prefix="scribe-bench-baseline-"))
    visit = work / "visit-1500.txt"
    visit.write_text(visit_of(WORDS), encoding="utf-8")
    facts = machine_facts()
    facts["avx512_vnni"] = "yes" if "avx512_vnni" in _cpu_flags() else "no"
    results: dict[str, Any] = {
        "facts": facts,
        "quick": quick,
        "sides": {s.name: {"commit": s.label, "root": str(s.root)} for s in (base, new)},
        "latency": {"base": [], "new": []},
        "load": {w: {"base": [], "new": []} for w in workers_list},
    }
    for side in (base, new):
        print(f"{side.name} ({side.label}): index build ...", flush=True)
        side.cli("index", "build")
    for i in range(rounds):  # ABBA order: base, new, new, base, base, new ...
        order = (base, new) if i % 2 == 0 else (new, base)
        for side in order:
            got = latency(side, visit, runs)
            results["latency"][side.name].append(got)
            results["sides"][side.name]["embedder"] = got["embedder"]
            print(f"  round {i + 1} {side.name}: p50 {got['p50']:.1f} p95 {got['p95']:.1f} ms",
                  flush=True)  # fmt: skip
    for workers in workers_list:
        for i in range(rounds):
            order = (base, new) if i % 2 == 0 else (new, base)
            for side in order:
                got = throughput(side, workers, load_s, work)
                results["load"][workers][side.name].append(got)
                print(f"  {workers} worker(s), round {i + 1} {side.name}: {got['rps']:.1f} req/s"
                      f", p95 {got['p95_ms']} ms, errors {got['errors']}", flush=True)  # fmt: skip
    results["loadavg_end"] = loadavg()
    out = ROOT / "var" / "bench" / "baseline.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_section("baseline", render(results))
    return results


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _med(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rows))


def render(r: dict[str, Any]) -> str:
    base, new = r["sides"]["base"], r["sides"]["new"]
    lat = r["latency"]
    lat_rows = []
    for i, (b, n) in enumerate(zip(lat["base"], lat["new"], strict=True), 1):
        lat_rows.append(
            f"| {i} | {b['p50']:.1f} | {b['p95']:.1f} | {n['p50']:.1f} | {n['p95']:.1f} | "
            f"{n['p95'] / b['p95']:.2f} |"
        )
    p95_ratio = _med(lat["new"], "p95") / _med(lat["base"], "p95")
    p50_ratio = _med(lat["new"], "p50") / _med(lat["base"], "p50")
    load_rows = []
    load_summary = []
    for workers, sides in r["load"].items():
        for i, (b, n) in enumerate(zip(sides["base"], sides["new"], strict=True), 1):
            load_rows.append(
                f"| {workers} | {i} | {b['rps']:.1f} | {b['p95_ms']} | {b['errors']} | "
                f"{n['rps']:.1f} | {n['p95_ms']} | {n['errors']} | {n['rps'] / b['rps']:.2f} |"
            )
        ratio = _med(sides["new"], "rps") / _med(sides["base"], "rps")
        load_summary.append(f"{ratio:.2f}x with {workers} worker(s)")
    words = lat["new"][0]["words"]
    return f"""## This tree beside a baseline commit (`bench/baseline.py`)

Command: `python -m bench {"--quick " if r["quick"] else ""}baseline` (or `make bench`). Measured
{r["facts"]["date"]}, on {r["facts"]["cpu"]} (AVX512-VNNI: {r["facts"]["avx512_vnni"]}).
Baseline: commit {base["commit"]} (embedder {base.get("embedder", "?")}), its own venv and
index; new: commit {new["commit"]} (embedder {new.get("embedder", "?")}). Each side builds its
default index with its own code; runs of the two sides were **alternated** (base, new, new,
base, ...), so the machine's slow spells fall on both (it is shared: see the load averages).

{facts_table(r["facts"])}
### Warm suggest latency, {words:,}-word visit (one process, one thread)

| round | base p50 ms | base p95 ms | new p50 ms | new p95 ms | p95 new / base |
|---:|---:|---:|---:|---:|---:|
{chr(10).join(lat_rows)}

Median over the rounds: p95 **{p95_ratio:.2f}x** of the baseline's (p50 {p50_ratio:.2f}x).

### Throughput at {CLIENTS} clients (`scribeplugin serve --workers N`, loopback)

The 19 example visits in turn, {CLIENTS} keep-alive clients (threads of the bench process),
each run time-bounded, after a warm-up of every worker.

| workers | round | base req/s | base p95 ms | base errors | new req/s | new p95 ms | new errors | req/s new / base |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(load_rows)}

Median throughput over the rounds: {", ".join(load_summary)}. Load average at the end:
{r["loadavg_end"]}.
"""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(0 if run() else 1)
