"""Warm suggest latency of one visit, in the Python (and so the scribeplugin) it is run with.

``bench/baseline.py`` runs this file with this tree's venv and with a baseline checkout's venv,
so it uses only what every scribeplugin since 2026-12-06 has (``Settings``,
``Pipeline.from_settings``, ``warm_up``, ``suggest``, ``freeze_heap``) and imports nothing from
``bench``. Prints one JSON line: the per-run milliseconds and the embedder that served them,
and with ``--stages`` the median of each stage's time (the response's ``timings_ms``).

    python bench/probe_latency.py --data-dir DIR --visit FILE [--runs N] [--stages]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--visit", required=True, help="a transcript file")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--stages", action="store_true", help="also each stage's median ms")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.WARNING)
    from scribeplugin.config import Scope, Settings
    from scribeplugin.logs import quiet_third_party
    from scribeplugin.pipeline import Pipeline, freeze_heap

    quiet_third_party()
    settings = Settings(data_dir=Path(args.data_dir), index_scope=Scope.musculoskeletal)
    pipeline = Pipeline.from_settings(settings)
    pipeline.warm_up()
    freeze_heap()  # as `scribeplugin serve` does once the pipeline is warm
    text = Path(args.visit).read_text(encoding="utf-8")
    for _ in range(3):
        pipeline.suggest(text)
    ms = []
    stages: dict[str, list[float]] = {}
    for _ in range(args.runs):
        started = time.perf_counter()
        answer = pipeline.suggest(text)
        ms.append((time.perf_counter() - started) * 1000)
        for stage, took in answer.timings_ms.items():
            stages.setdefault(stage, []).append(took)
    embedder = pipeline.retriever.embedder
    out = {
        "ms": ms,
        "embedder": getattr(embedder, "backend", "torch-fp32"),
        "index": pipeline.index_id,
        "words": len(text.split()),
    }
    if args.stages:
        out["stages"] = {k: round(statistics.median(v), 1) for k, v in stages.items()}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
