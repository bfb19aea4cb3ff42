"""Shared by the bench modules: machine facts, timing helpers, the BENCHMARKS.md writer."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "BENCHMARKS.md"
T = TypeVar("T")


def machine_facts() -> dict[str, str]:
    """What the figures were measured on (nproc, CPU model, memory, versions, date)."""
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": _run(["nproc"]) or str(os.cpu_count()),
        "cpu": _lscpu_model(),
        "memory": _free_total(),
        "python": platform.python_version(),
        "loadavg": loadavg(),
    }
    for pkg in ("torch", "sentence-transformers", "chromadb", "bm25s"):
        facts[pkg] = _version(pkg)
    return facts


def loadavg() -> str:
    """1, 5 and 15 minute load averages: other work on the machine skews every timing."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _run(cmd: Sequence[str]) -> str:
    if shutil.which(cmd[0]) is None:
        return ""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def _lscpu_model() -> str:
    for line in _run(["lscpu"]).splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _free_total() -> str:
    for line in _run(["free", "-h"]).splitlines():
        if line.startswith("Mem:"):
            return line.split()[1] + " RAM"
    return "unknown"


def _version(pkg: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(pkg)
    except PackageNotFoundError:
        return "-"


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def facts_table(facts: dict[str, str]) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in facts.items())
    return f"| machine | |\n|---|---|\n{rows}\n"


def write_section(name: str, body: str, path: Path = BENCHMARKS) -> None:
    """Replace (or append) the section of BENCHMARKS.md that bench module ``name`` owns."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text + "\n" + block
    path.write_text(text, encoding="utf-8")
