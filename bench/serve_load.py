"""Serving under load: requests/s and p50/p95 latency of ``POST /v1/suggest`` on loopback, for
1, 4 and 16 concurrent clients against ``scribeplugin serve`` with 1 and 2 workers.

A spine-scope index is built in a temporary folder from a copy of ``corpus/`` (the project's
``var/`` is never touched). Each server runs as ``scribeplugin serve --workers N`` in its own
process, exactly as deployed; the clients are threads of this process, each with one keep-alive
connection, sending the example transcripts in turn (``examples/transcripts`` and
``examples/requests/l5s1.json``). Every phase is bounded in requests and in time; any error
(non-200 or transport failure) is counted and reported. Figures go to the ``serve_load`` section
of BENCHMARKS.md and, in full, to ``var/bench/serve_load.json``.

The load generator shares the machine's cores with the server, as on a single-host deployment;
on 2 cores a second worker can add throughput only where one worker leaves a core idle.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, facts_table, loadavg, machine_facts, percentile, write_section
from scribeplugin.config import Scope, Settings
from scribeplugin.index.build import build_index

WORKERS = (1, 2)
CLIENTS = (1, 4, 16)
PHASE_TIME_LIMIT_S = 90.0
STARTUP_LIMIT_S = 300.0


def requests_per_phase(clients: int, quick: bool) -> int:
    return (8 if quick else 24) * max(2, clients) if clients > 1 else (16 if quick else 40)


def bodies() -> list[bytes]:
    """The example visits as request bodies (the README's l5s1 request first)."""
    out = [(ROOT / "examples" / "requests" / "l5s1.json").read_bytes()]
    for path in sorted((ROOT / "examples" / "transcripts").glob("*.txt")):
        out.append(json.dumps({"transcript": path.read_text(encoding="utf-8")}).encode())
    return out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``scribeplugin serve --workers N`` on a free loopback port, with its log."""

    def __init__(
        self,
        settings: Settings,
        workers: int,
        log: Path,
        *,
        python: str = sys.executable,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        """``python``, ``env`` and ``cwd``: another checkout's venv and settings (the baseline
        bench); by default this one's, with the settings' scope, corpus and embedder.
        ``extra``: more ``SCRIBE_*`` settings for the server on top of those (timeouts,
        limits)."""
        self.workers = workers
        self.port = free_port()
        self.log = log
        env = env or {
            "SCRIBE_INDEX_SCOPE": settings.index_scope.value,
            "SCRIBE_CORPUS_DIR": str(settings.corpus_dir),
            "SCRIBE_EMBEDDER": settings.embedder,
        }
        env = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
        for name in (
            "SCRIBE_CHROMA_URL",
            "SCRIBE_API_KEYS",
            "SCRIBE_DATABASE_URL",
            "PROMETHEUS_MULTIPROC_DIR",
        ):
            env.pop(name, None)
        env.update(extra or {})
        cmd = [
            python,
            "-m",
            "scribeplugin.cli",
            "--data-dir",
            str(settings.data_dir),
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> float:
        """Seconds until every worker has loaded the pipeline and answers."""
        started = time.monotonic()
        while time.monotonic() - started < STARTUP_LIMIT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')[-2000:]}")
            loaded = self.log.read_text(errors="replace").count("pipeline loaded")
            if loaded >= self.workers:
                try:
                    if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
            time.sleep(0.25)
        raise RuntimeError(f"server not ready within {STARTUP_LIMIT_S:.0f} s")

    def peak_rss_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each process serving requests."""
        pids = [self.proc.pid]
        if self.workers > 1:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            try:
                pids = [int(p) for p in children.read_text().split()]
            except OSError:
                return []
        out = []
        for pid in pids:
            try:
                if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    continue  # multiprocessing's helper, not a worker
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                continue
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def phase(
    url: str,
    clients: int,
    total: int,
    payloads: list[bytes],
    seconds: float = PHASE_TIME_LIMIT_S,
) -> dict[str, Any]:
    """``total`` requests shared by ``clients`` threads (keep-alive), within ``seconds``."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    next_i = [0]
    deadline = time.monotonic() + seconds

    def take() -> int | None:
        with lock:
            if next_i[0] >= total or time.monotonic() > deadline:
                return None
            next_i[0] += 1
            return next_i[0] - 1

    def client() -> None:
        with httpx.Client(
            base_url=url, timeout=60, headers={"content-type": "application/json"}
        ) as c:
            while (i := take()) is not None:
                t = time.perf_counter()
                try:
                    r = c.post("/v1/suggest", content=payloads[i % len(payloads)])
                    ok = r.status_code == 200
                    why = f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    ok, why = False, type(exc).__name__
                elapsed = time.perf_counter() - t
                with lock:
                    (latencies.append(elapsed) if ok else errors.append(why))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - started
    done = len(latencies)
    return {
        "clients": clients,
        "requests": done + len(errors),
        "planned": total,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "seconds": round(wall, 2),
        "rps": round(done / wall, 2) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "time_limited": done + len(errors) < total,
    }


def run(quick: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {"facts": machine_facts(), "quick": quick, "runs": []}
    payloads = bodies()
    work = Path(tempfile.mkdtemp(prefix="scribe-bench-serve-"))
    try:
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        settings = Settings(
            data_dir=work / "var", corpus_dir=corpus, chroma_url=None, index_scope=Scope.spine
        )
        print("building the spine index ...", flush=True)
        report = build_index(settings, Scope.spine, progress=False)  # SCRIBE_EMBEDDER's embedder
        results["index_chunks"] = report.total
        for workers in WORKERS:
            print(f"serving with {workers} worker(s) ...", flush=True)
            server = Server(settings, workers, work / f"serve-{workers}.log")
            try:
                ready_s = server.wait_ready()
                warm = phase(server.url, max(1, workers), 2 * len(payloads), payloads)
                phases = []
                for clients in CLIENTS:
                    total = requests_per_phase(clients, quick)
                    print(f"  {clients} client(s), {total} requests ...", flush=True)
                    phases.append(phase(server.url, clients, total, payloads))
                results["runs"].append(
                    {
                        "workers": workers,
                        "startup_s": round(ready_s, 1),
                        "warmup_errors": warm["errors"],
                        "phases": phases,
                        "peak_rss_mb": server.peak_rss_mb(),
                    }
                )
            finally:
                server.stop()
        results["loadavg_end"] = loadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = ROOT / "var" / "bench" / "serve_load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_section("serve_load", render(results))
    return results


def render(r: dict[str, Any]) -> str:
    rows = []
    for run_ in r["runs"]:
        for p in run_["phases"]:
            rows.append(
                f"| {run_['workers']} | {p['clients']} | {p['requests']} | {p['errors']} | "
                f"{p['rps']:.2f} | {p['p50_ms']} | {p['p95_ms']} | {p['max_ms']} |"
                + (" time-limited |" if p["time_limited"] else " |")
            )
    starts = ", ".join(
        f"{x['workers']} worker(s): ready in {x['startup_s']} s, peak RSS "
        f"{' / '.join(f'{m:,.0f}' for m in x['peak_rss_mb']) or '?'} MB per worker"
        for x in r["runs"]
    )
    errors = sum(p["errors"] for x in r["runs"] for p in x["phases"])
    best = {x["workers"]: max(p["rps"] for p in x["phases"]) for x in r["runs"]}
    ratio = best.get(2, 0) / best[1] if best.get(1) else 0
    return f"""## Serving under load (`bench/serve_load.py`)

Command: `python -m bench {"--quick " if r["quick"] else ""}serve_load`. Measured
{r["facts"]["date"]}. `POST /v1/suggest` against `scribeplugin serve --workers N` on 127.0.0.1
(spine-scope index of {r.get("index_chunks", 0):,} chunks, rules drafter, SQLite audit store),
clients are threads of the bench process with one keep-alive connection each, sending the 19
example visits in turn. Each phase is bounded ({PHASE_TIME_LIMIT_S:.0f} s at most). Latency is
seen by the client (queueing included).

{facts_table(r["facts"])}
| workers | clients | requests | errors | req/s | p50 ms | p95 ms | max ms | |
|---:|---:|---:|---:|---:|---:|---:|---:|---|
{chr(10).join(rows)}

Errors in all phases: {errors}. {starts}. Best throughput: {best.get(1, 0):.2f} req/s with one
worker, {best.get(2, 0):.2f} with two ({ratio:.2f}x); load average at the end
{r.get("loadavg_end", "?")}.

The work is CPU-bound (medspaCy, then MiniLM on the query windows): once the cores are busy,
more clients only queue (p50 grows with the client count while req/s stays flat), and a second
worker adds throughput only if the machine has cores the first one leaves idle. Here the two
cores are shared with the load generator and, as the load average shows, with other jobs; read
the worker comparison on a machine with spare cores before sizing a deployment.
"""
