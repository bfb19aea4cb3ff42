"""Switch each check of the guard off in turn and run tests/test_guard.py: every one must fail.

    .venv/bin/python tools/mutate_guard.py

A check no test fails without is not tested. Each mutation replaces one pattern in one file of
``src/scribeplugin/guard/``; a pattern that is no longer there is reported (update the list with
the guard). The files are restored afterwards, whatever happens. Exit 1 if a mutation is not
caught or a pattern is missing.
"""

import subprocess
import sys
from pathlib import Path

GUARD = Path(__file__).resolve().parents[1] / "src" / "scribeplugin" / "guard"
CORE, EVIDENCE = GUARD / "core.py", GUARD / "evidence.py"

# (name, file, pattern, replacement): the replacement switches the check off.
MUTATIONS = [
    ("unknown code", CORE, "            if entry is None:\n", "            if False:\n"),
    ("duplicate", CORE, "            if s.code in seen:\n", "            if False:\n"),
    ("not billable", CORE, "            if not entry.billable:\n", "            if False:\n"),
    (
        "verbatim",
        EVIDENCE,
        "        start = locate(text, ev.text, ev.start)\n        if start is None:\n"
        "            actions.append(\n                act(\n"
        '                    "evidence_dropped",\n                    s.code,',
        "        start = locate(text, ev.text, ev.start) or ev.start\n        if start is None:\n"
        "            actions.append(\n                act(\n"
        '                    "evidence_dropped",\n                    s.code,',
    ),
    (
        "present only",
        EVIDENCE,
        'f.assertion == "present" and supports(f, s.code, knowledge)',
        "supports(f, s.code, knowledge)",
    ),
    (
        "past finding's words",
        EVIDENCE,
        "        if negated and not any(carries(f, s.code, knowledge) for f in present):\n",
        "        if False:\n",
    ),
    (
        "modifier only",
        CORE,
        "            if len(actions) > before or not carried:\n",
        "            if len(actions) > before:\n",
    ),
    (
        "any quote fell",
        CORE,
        "            if len(actions) > before or not carried:\n",
        "            if not carried:\n",
    ),
    (
        "citations valid",
        CORE,
        "            if p is not None:\n                out.append(Citation.of(p))",
        "            out.append(c)",
    ),
    ("no citation", CORE, "            if not s.citations:\n", "            if False:\n"),
    ("excludes1", CORE, "        kept = excludes1(self.codeset, kept, actions)\n", ""),
    (
        "pitfalls",
        CORE,
        "        kept, warnings = pitfalls(kept, warnings, ctx, actions, self.knowledge)\n",
        "",
    ),
    (
        "prompt of removed code",
        CORE,
        "            if p.code is not None and p.code not in final_codes:\n",
        "            if False:\n",
    ),
    (
        "claim verbatim",
        EVIDENCE,
        '                    "evidence_not_verbatim",\n'
        '                    f"quote not in the transcript: {len(ev.text)} chars",\n'
        "                    target=target,\n                )\n            )\n            continue",
        '                    "evidence_not_verbatim",\n'
        '                    f"quote not in the transcript: {len(ev.text)} chars",\n'
        "                    target=target,\n                )\n            )\n"
        "            start = ev.start",
    ),
    ("claim on finding", EVIDENCE, "        if not on:\n", "        if False:\n"),
    ("contradiction table", EVIDENCE, "        if g.concept in key:\n            return g\n", ""),
    (
        "denials",
        EVIDENCE,
        "            denials\n            and g.concept",
        "            False\n            and g.concept",
    ),
    (
        "claim no evidence",
        EVIDENCE,
        "    if out:\n        return out\n",
        "    if True:\n        return out\n",
    ),
]


def main() -> int:
    originals = {path: path.read_text(encoding="utf-8") for path in (CORE, EVIDENCE)}
    failed = 0
    try:
        for name, path, old, new in MUTATIONS:
            original = originals[path]
            if old not in original:
                print(f"{name:28s} -> PATTERN MISSING in {path.name}")
                failed += 1
                continue
            path.write_text(original.replace(old, new, 1), encoding="utf-8")
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-x",
                    "tests/test_guard.py",
                    "-p",
                    "no:cacheprovider",
                ],
                capture_output=True,
                text=True,
            )
            path.write_text(original, encoding="utf-8")
            caught = run.returncode != 0
            failed += not caught
            last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
            print(f"{name:28s} -> {'CAUGHT' if caught else 'NOT CAUGHT'}: {last}")
    finally:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
