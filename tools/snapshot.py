"""Snapshot every SuggestResponse on every transcript we have, and diff two snapshots.

    .venv/bin/python tools/snapshot.py take var/snapshots/before.jsonl
    .venv/bin/python tools/snapshot.py take var/snapshots/after.jsonl
    .venv/bin/python tools/snapshot.py diff var/snapshots/before.jsonl var/snapshots/after.jsonl

The transcripts: the samples in examples/transcripts, every synthetic eval case, the real-visit
suite's encounters and the external dialogues (both read from ../shared/external, skipped with a
note when absent). A response is kept without what changes from run to run (request id,
timings, the retrieved chunk list), so two snapshots of the same engine are identical and a
diff shows exactly what a change did. Refactors use it to prove nothing that works was lost.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

VOLATILE = {"request_id", "timings_ms", "retrieved_chunk_ids"}


def transcripts(settings: Any) -> Iterator[tuple[str, Any]]:
    """(key, transcript) for every transcript we have, in a stable order."""
    from scribeplugin.evaluation.cases import load_cases

    for path in sorted((ROOT / "examples" / "transcripts").iterdir()):
        if path.suffix == ".txt":
            yield f"example:{path.name}", path.read_text(encoding="utf-8")
        elif path.suffix == ".json":
            yield f"example:{path.name}", json.loads(path.read_text(encoding="utf-8"))
    for case in load_cases(settings.evals_dir / "cases"):
        yield f"case:{case.id}", case.load_transcript()
    external = settings.external_dir
    for name, key, field in (
        ("aci_dev.jsonl", "id", "dialogue"),
        ("msk_dialogues.jsonl", "source_id", "dialogue"),
    ):
        path = external / name
        if not path.is_file():
            print(f"note: {path} absent, skipped", file=sys.stderr)
            continue
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                row = json.loads(line)
                yield f"{name.split('.')[0]}:{row.get(key, n)}:{n}", row[field]


def take(out: Path) -> int:
    from scribeplugin.config import Settings, apply_offline_environment
    from scribeplugin.logs import quiet_third_party

    apply_offline_environment()
    quiet_third_party()
    import logging

    logging.getLogger("scribeplugin").setLevel(logging.WARNING)
    from scribeplugin.pipeline import Pipeline

    settings = Settings()
    pipeline = Pipeline.from_settings(settings)
    pipeline.warm_up()
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for key, data in transcripts(settings):
            try:
                resp = pipeline.suggest(data).model_dump(mode="json")
                record = {k: v for k, v in resp.items() if k not in VOLATILE}
            except Exception as exc:  # a crash is part of the snapshot
                record = {"error": f"{type(exc).__name__}: {exc}"}
            fh.write(json.dumps({"key": key, **record}, sort_keys=True) + "\n")
            n += 1
    print(f"{n} responses -> {out}")
    return 0


def _load(path: Path) -> dict[str, dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return {r["key"]: r for r in map(json.loads, fh)}


def _summary(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"ERROR {r['error']}"
    codes = ", ".join(f"{c['code']}{'' if c['status'] == 'suggested' else '?'}" for c in r["codes"])
    return f"[{codes}] prompts={len(r['prompts'])} warnings={len(r['warnings'])}"


def diff(before: Path, after: Path, full: bool) -> int:
    a, b = _load(before), _load(after)
    changed = 0
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if x == y:
            continue
        changed += 1
        if x is None or y is None:
            print(f"{key}: only in {'after' if x is None else 'before'}")
            continue
        parts = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
        print(f"{key}: {', '.join(parts)}")
        sx, sy = _summary(x), _summary(y)
        if sx != sy:
            print(f"    before {sx}\n    after  {sy}")
        if full:
            for k in parts:
                print(
                    f"    {k}:\n      - {json.dumps(x.get(k))[:600]}\n      + {json.dumps(y.get(k))[:600]}"
                )
    print(f"{changed} of {len(set(a) | set(b))} responses differ")
    return 1 if changed else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("take", help="snapshot every response")
    t.add_argument("out", type=Path)
    d = sub.add_parser("diff", help="what differs between two snapshots (exit 1 if anything)")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    d.add_argument("--full", action="store_true", help="print the differing fields")
    args = p.parse_args()
    if args.cmd == "take":
        return take(args.out)
    return diff(args.before, args.after, args.full)


if __name__ == "__main__":
    sys.exit(main())
