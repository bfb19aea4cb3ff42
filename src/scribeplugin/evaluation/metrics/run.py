"""A whole run into metrics (micro-averaged over cases unless named otherwise; see the package's
docstring for the definitions).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from scribeplugin.evaluation.metrics.case import _region_swap, forbidden_hits
from scribeplugin.evaluation.metrics.regions import RegionOf, default_region_of
from scribeplugin.evaluation.metrics.results import (
    PRF,
    CaseResult,
    Metrics,
    RegionPair,
    _r,
    category,
)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def compute_metrics(results: Sequence[CaseResult], region_of: RegionOf | None = None) -> Metrics:
    region_of = region_of or default_region_of()
    ok = [r for r in results if r.error is None]
    exact, cat = PRF(), PRF()
    families: dict[str, PRF] = defaultdict(PRF)
    not_codes_violations = 0
    prompts_expected = prompts_found = not_prompts = 0
    exact_emitted = exact_matched = exact_cases = 0
    warnings_expected = warnings_found = not_warnings = 0
    suggestions = grounded = 0
    abst: Counter[str] = Counter()
    removals: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    matrix: dict[str, Counter[str]] = defaultdict(Counter)
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)

    for r in ok:
        e, got = r.expect, set(r.got)
        want = set(e.codes)
        for c in got & want:
            exact.tp += 1
            families[category(c)].tp += 1
        for c in got - want:
            exact.fp += 1
            families[category(c)].fp += 1
        for c in want - got:
            exact.fn += 1
            families[category(c)].fn += 1
        got_cat, want_cat = {category(c) for c in got}, {category(c) for c in want}
        cat.tp += len(got_cat & want_cat)
        cat.fp += len(got_cat - want_cat)
        cat.fn += len(want_cat - got_cat)
        if forbidden_hits([c.code for c in r.codes], e.not_codes):
            not_codes_violations += 1

        prompts = set(r.prompts)
        prompts_expected += len(e.prompts)
        prompts_found += len(set(e.prompts) & prompts)
        not_prompts += len(set(e.not_prompts) & prompts)
        if e.exact_prompts:
            exact_cases += 1
            exact_emitted += len(prompts)
            exact_matched += len(prompts & set(e.prompts))
        warnings = set(r.warnings)
        warnings_expected += len(e.warnings)
        warnings_found += len(set(e.warnings) & warnings)
        not_warnings += len(set(e.not_warnings) & warnings)

        for suggestion in r.codes:
            suggestions += 1
            grounded += not r.grounding.get(suggestion.code)

        predicted = r.abstained
        abst[
            "tp" if predicted and e.abstain else "fp" if predicted else "fn" if e.abstain else "tn"
        ] += 1

        for a in r.guard:
            actions[f"{a.action}:{a.reason}"] += 1
            if a.action == "removed":
                removals[a.reason] += 1

        # Region view: each expected regional code against the same category's answer.
        for c in want:
            er = region_of(c)
            if er is None:
                continue
            if c in got:
                matrix[er][er] += 1
                continue
            swaps = [x for x in got - want if _region_swap(c, x, region_of)]
            if swaps:
                gr = region_of(swaps[0]) or "?"
                matrix[er][gr] += 1
                pairs[(c, swaps[0])].append(r.id)
            else:
                matrix[er]["missed"] += 1

    latencies = [r.latency_ms for r in ok]
    n = len(ok)
    return Metrics(
        cases=len(results),
        passed=sum(r.passed for r in results),
        failed=sum(not r.passed for r in results),
        errors=len(results) - n,
        code_exact=exact.summary(),
        code_category=cat.summary(),
        families={k: families[k].summary() for k in sorted(families)},
        not_codes_violations=not_codes_violations,
        prompts_expected=prompts_expected,
        prompts_found=prompts_found,
        prompt_recall=_r(prompts_found / prompts_expected) if prompts_expected else None,
        prompt_precision=_r(exact_matched / exact_emitted)
        if exact_emitted
        else (1.0 if exact_cases else None),
        prompt_precision_cases=exact_cases,
        not_prompts_violations=not_prompts,
        warnings_expected=warnings_expected,
        warnings_found=warnings_found,
        warning_recall=_r(warnings_found / warnings_expected) if warnings_expected else None,
        not_warnings_violations=not_warnings,
        suggestions=suggestions,
        grounded=grounded,
        grounding_rate=_r(grounded / suggestions) if suggestions else None,
        abstention={k: abst.get(k, 0) for k in ("tp", "fp", "fn", "tn")},
        abstention_accuracy=_r((abst["tp"] + abst["tn"]) / n) if n else None,
        guard_removals=dict(sorted(removals.items())),
        guard_actions=dict(sorted(actions.items())),
        fallback_rate=_r(sum(r.degraded for r in ok) / n) if n else None,
        latency_ms={
            "p50": _r(percentile(latencies, 50), 1),
            "p95": _r(percentile(latencies, 95), 1),
            "max": _r(max(latencies), 1) if latencies else None,
            "mean": _r(sum(latencies) / n, 1) if n else None,
        },
        region_matrix={k: dict(v) for k, v in sorted(matrix.items())},
        region_pairs=sorted(
            (
                RegionPair(
                    expected=a,
                    got=b,
                    expected_region=region_of(a) or "?",
                    got_region=region_of(b) or "?",
                    count=len(ids),
                    cases=ids,
                )
                for (a, b), ids in pairs.items()
            ),
            key=lambda p: (-p.count, p.expected, p.got),
        ),
    )
