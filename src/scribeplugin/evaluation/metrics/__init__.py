"""Scoring: one case against its expectations, and a whole run into metrics.

Everything here works on :class:`CaseResult` objects (what the engine said, plus what the case
expected), so the metrics can be tested on hand-built results without a pipeline.

Definitions (micro-averaged over cases unless named otherwise):
- code precision / recall / F1, exact: a predicted code counts when it is in ``expect.codes``;
  every billable code in the response counts as predicted, whatever its status (a non-billable
  category marked ``needs_documentation`` is a query for the missing detail, not a code);
- category level: the same on the 3-character categories (M51.16 and M51.17 are both M51);
- per family: exact-code counts bucketed by category (``M51``, ``M54``...);
- ``not_codes`` violations: responses holding a code that matches a forbidden code or pattern;
- prompt recall: expected prompt ids found / expected; prompt precision: over cases whose prompt
  list is exact (``exact_prompts``), expected / emitted;
- warning recall: expected warning rule ids found / expected;
- grounding rate: suggestions with verbatim evidence at their offsets and every citation among
  the chunks retrieved for the request (``guard.assert_invariants``) / all suggestions;
- abstention accuracy: cases where "no confident code, at least one prompt" matches
  ``expect.abstain`` / cases;
- fallback rate: responses whose engine says ``degraded`` / responses;
- latency: wall time of ``Pipeline.suggest`` per case, p50 and p95 (nearest rank).

The steps, one module each: ``results`` (what the engine said and the case expected, the
metrics' models), ``case`` (one case scored), ``run`` (a run into metrics), ``regions`` (the
spinal region of a code), ``gate`` (thresholds and their checks). Every name is re-exported from
``scribeplugin.evaluation.metrics``.
"""

from __future__ import annotations

from scribeplugin.evaluation.metrics.case import forbidden_hits, score_case
from scribeplugin.evaluation.metrics.gate import (
    Bound,
    GateCheck,
    Thresholds,
    check_bounds,
    check_gates,
)
from scribeplugin.evaluation.metrics.regions import REGIONS, RegionOf, default_region_of, region_in
from scribeplugin.evaluation.metrics.results import (
    GATE_METRICS,
    PRF,
    CaseResult,
    GotCode,
    GotGuardAction,
    Metrics,
    RegionPair,
    category,
)
from scribeplugin.evaluation.metrics.run import compute_metrics, percentile

__all__ = [
    "GATE_METRICS",
    "PRF",
    "REGIONS",
    "Bound",
    "CaseResult",
    "GateCheck",
    "GotCode",
    "GotGuardAction",
    "Metrics",
    "RegionOf",
    "RegionPair",
    "Thresholds",
    "category",
    "check_bounds",
    "check_gates",
    "compute_metrics",
    "default_region_of",
    "forbidden_hits",
    "percentile",
    "region_in",
    "score_case",
]
