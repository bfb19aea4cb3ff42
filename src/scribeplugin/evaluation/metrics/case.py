"""One case scored against its expectations: codes exact and by category, ``not_codes``,
prompts, warnings, abstention, region swaps, and the one-line explanation.
"""

from __future__ import annotations

from collections.abc import Iterable

from scribeplugin.corpus.rules import code_matches
from scribeplugin.evaluation.metrics.regions import RegionOf, default_region_of
from scribeplugin.evaluation.metrics.results import (
    CaseResult,
    category,
)


def forbidden_hits(got: Iterable[str], not_codes: Iterable[str]) -> list[str]:
    patterns = list(not_codes)
    return [c for c in got if any(code_matches(c, p) for p in patterns)]


def score_case(result: CaseResult, region_of: RegionOf | None = None) -> CaseResult:
    """Set ``passed`` and ``reasons``: the case passes when the response holds exactly the
    expected codes, none of the forbidden ones, every expected prompt and warning and none of
    the excluded ones, abstains as expected, and every suggestion is grounded."""
    region_of = region_of or default_region_of()
    e, reasons = result.expect, []
    if result.error:
        reasons.append(f"error: {result.error}")
        return result.model_copy(update={"passed": False, "reasons": reasons})
    if result.parsed_format and result.parsed_format != result.format:
        reasons.append(f"transcript parsed as {result.parsed_format}, expected {result.format}")
    got = result.got
    missed = [c for c in e.codes if c not in got]
    extra = [c for c in got if c not in e.codes]
    forbidden = forbidden_hits([c.code for c in result.codes], e.not_codes)
    for m in missed:
        swap = next((x for x in extra if _region_swap(m, x, region_of)), None)
        if swap:
            reasons.append(
                f"region mix-up: {swap} ({region_of(swap)}) instead of {m} ({region_of(m)})"
            )
            extra.remove(swap)
        else:
            near = [x for x in extra if category(x) == category(m)]
            reasons.append(f"missed {m}" + (f" (got {', '.join(near)})" if near else ""))
    for x in extra:
        reasons.append(f"forbidden {x}" if x in forbidden else f"unexpected {x}")
    for x in forbidden:
        if x not in extra and f"forbidden {x}" not in reasons:
            reasons.append(f"forbidden {x}")
    if missing := [p for p in e.prompts if p not in result.prompts]:
        reasons.append(f"prompt missing: {', '.join(missing)}")
    if bad := [p for p in e.not_prompts if p in result.prompts]:
        reasons.append(f"prompt should not appear: {', '.join(bad)}")
    if e.exact_prompts and (spurious := [p for p in result.prompts if p not in e.prompts]):
        reasons.append(f"unexpected prompt: {', '.join(spurious)}")
    if missing := [w for w in e.warnings if w not in result.warnings]:
        reasons.append(f"warning missing: {', '.join(missing)}")
    if bad := [w for w in e.not_warnings if w in result.warnings]:
        reasons.append(f"warning should not appear: {', '.join(bad)}")
    if e.abstain and not result.abstained:
        confident = [c.code for c in result.codes if c.status == "suggested"]
        reasons.append(
            "expected abstention (no confident code, a prompt): "
            + (f"suggested {', '.join(confident)}" if confident else "no prompt")
        )
    elif not e.abstain and result.abstained and e.codes:
        reasons.append("abstained, but the visit supports a confident code")
    for code, problems in result.grounding.items():
        if problems:
            reasons.append(f"ungrounded {code}: {problems[0]}")
    return result.model_copy(update={"passed": not reasons, "reasons": reasons})


def _region_swap(expected: str, got: str, region_of: RegionOf) -> bool:
    if category(expected) != category(got):
        return False
    a, b = region_of(expected), region_of(got)
    return a is not None and b is not None and a != b
