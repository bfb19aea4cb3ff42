"""Switch each check of guard.py off in turn and run tests/test_guard.py: every one must fail.

    .venv/bin/python tools/mutate_guard.py

A check no test fails without is not tested. Each mutation replaces one line pattern of the
guard; a pattern that is no longer in the file is reported (update the list with the guard).
The file is restored afterwards, whatever happens.
"""

import subprocess
from pathlib import Path

P = Path("src/scribeplugin/guard.py")
orig = P.read_text(encoding="utf-8")
M = [
    (
        "unknown code",
        "            if entry is None:\n",
        "            if entry is None and False:\n",
    ),
    ("duplicate", "            if s.code in seen:\n", "            if s.code in seen and False:\n"),
    ("not billable", "            if not entry.billable:\n", "            if False:\n"),
    (
        "verbatim",
        '            start = _locate(text, ev.text, ev.start)\n            if start is None:\n                actions.append(\n                    _act(\n                        "evidence_dropped",\n                        s.code,',
        '            start = _locate(text, ev.text, ev.start) or ev.start\n            if start is None:\n                actions.append(\n                    _act(\n                        "evidence_dropped",\n                        s.code,',
    ),
    (
        "present only",
        'present = [f for f in overlapping if f.assertion == "present" and supports(f, s.code)]',
        "present = [f for f in overlapping if supports(f, s.code)]",
    ),
    (
        "past finding's words",
        "            if negated and not any(carries(f, s.code) for f in present):\n",
        "            if False:\n",
    ),
    (
        "modifier only",
        "            if len(actions) > before or not carried:\n",
        "            if len(actions) > before:\n",
    ),
    (
        "any quote fell",
        "            if len(actions) > before or not carried:\n",
        "            if not carried:\n",
    ),
    (
        "citations valid",
        "            if p is not None:\n                out.append(Citation.of(p))",
        "            out.append(c)",
    ),
    ("no citation", "            if not s.citations:\n", "            if False:\n"),
    ("excludes1", "        kept = self._excludes1(kept, actions)\n", ""),
    ("pitfalls", "        kept, warnings = self._pitfalls(kept, warnings, ctx, actions)\n", ""),
    (
        "prompt of removed code",
        "            if p.code is not None and p.code not in final_codes:\n",
        "            if False:\n",
    ),
    (
        "claim verbatim",
        '                        "evidence_not_verbatim",\n                        f"quote not in the transcript: {len(ev.text)} chars",\n                        target=target,\n                    )\n                )\n                continue',
        '                        "evidence_not_verbatim",\n                        f"quote not in the transcript: {len(ev.text)} chars",\n                        target=target,\n                    )\n                )\n                start = ev.start',
    ),
    ("claim on finding", "            if not on:\n", "            if False:\n"),
    ("contradiction table", "        if g.concept in key:\n            return g\n", ""),
    (
        "denials",
        "            denials\n            and g.concept",
        "            False\n            and g.concept",
    ),
    (
        "claim no evidence",
        "        if out:\n            return out\n        actions.append(",
        "        if True:\n            return out\n        actions.append(",
    ),
]
try:
    for name, old, new in M:
        if orig.count(old) < 1:
            print("PATTERN MISSING", name)
            continue
        P.write_text(orig.replace(old, new, 1), encoding="utf-8")
        r = subprocess.run(
            [
                ".venv/bin/python",
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
        last = r.stdout.strip().splitlines()[-1]
        print(f"{name:28s} -> {'CAUGHT' if r.returncode else 'NOT CAUGHT'}: {last}")
finally:
    P.write_text(orig, encoding="utf-8")
