"""``scribeplugin suggest``: one or many transcripts through one pipeline, built once."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from scribeplugin.config import Settings
from scribeplugin.draft.types import SuggestResponse
from scribeplugin.errors import InputError, ScribeError


def read_input(path: str) -> Any:
    """Bytes of a transcript file (or stdin); ``.json`` files are parsed as segments."""
    if path == "-":
        raw = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{path}: no such file")
        raw = p.read_bytes()
        name = p.name
    if name.endswith(".json"):
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not valid UTF-8 JSON segments ({exc})") from exc
    return raw


def render_text(r: SuggestResponse, path: str) -> str:
    lines = [
        f"== {path}  [{r.code_set}; drafter {r.engine.drafter}"
        + (f", DEGRADED: {r.engine.degraded_reason}" if r.engine.degraded else "")
        + "]"
    ]
    for n in r.notices:
        lines.append(f"  ! {n}")
    if not r.codes:
        lines.append("  no code suggested")
    for c in r.codes:
        lines.append(f"  {c.code:<9} {c.status:<20} {c.confidence:.2f}  {c.display}")
        for e in c.evidence[:3]:
            lines.append(f"      \u201c{e.text}\u201d ({e.speaker}, {e.start}-{e.end})")
        refs = ", ".join(x.ref for x in c.citations)
        lines.append(f"      cites: {refs}")
    for p in r.prompts:
        lines.append(f"  prompt [{p.note_section}] {p.text}  ({p.id})")
    for w in r.warnings:
        alt = f" -> consider {', '.join(w.alternatives)}" if w.alternatives else ""
        lines.append(f"  warning {w.rule}: {w.message}{alt}")
    for a in r.guard:
        lines.append(f"  guard {a.action} {a.code}: {a.reason} ({a.detail})")
    return "\n".join(lines)


def suggest_cli(settings: Settings, args: argparse.Namespace) -> int:
    from scribeplugin.pipeline import Pipeline

    fmt = args.format or ("jsonl" if len(args.paths) > 1 else "json")
    if fmt == "json" and len(args.paths) > 1:
        raise InputError("--format json takes one path; use --format jsonl for several")
    dos = date.fromisoformat(args.date_of_service) if args.date_of_service else None
    pipeline = Pipeline.from_settings(settings)
    failures = 0
    for path in args.paths:
        try:
            response = pipeline.suggest(read_input(path), drafter=args.drafter, date_of_service=dos)
        except ScribeError as exc:
            failures += 1
            if fmt == "jsonl":
                print(
                    json.dumps({"path": path, "error": type(exc).__name__, "message": str(exc)}),
                    flush=True,
                )
                continue
            raise
        if fmt == "json":
            print(response.model_dump_json(indent=2))
        elif fmt == "jsonl":
            print(json.dumps({"path": path, **response.model_dump(mode="json")}), flush=True)
        else:
            print(render_text(response, path), flush=True)
    return 1 if failures else 0
