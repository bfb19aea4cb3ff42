"""Wires the steps: transcript -> findings (extract) -> codes (code) -> guidance (retrieve) ->
draft -> guard -> SuggestResponse.

Components are injected (tests build their own); ``Pipeline.from_settings`` builds the real ones
once per process. Heavy things (medspaCy, MiniLM, Chroma) load on first use or in ``warm_up``.
"""

from __future__ import annotations

import gc
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from scribeplugin.alphabetic import get_alphabetic
from scribeplugin.coding.analysis import Analysis
from scribeplugin.config import Settings
from scribeplugin.deadline import Deadline, check
from scribeplugin.draft.rules import RulesDrafter
from scribeplugin.draft.types import (
    Draft,
    DraftContext,
    Drafter,
    EngineInfo,
    FindingOut,
    SuggestResponse,
)
from scribeplugin.errors import ConfigError
from scribeplugin.guard import Guard
from scribeplugin.index.chunk import cited_code
from scribeplugin.knowledge.coding import CodingKnowledge, load_coding

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.corpus.rules import LoadedRule
    from scribeplugin.extract.findings import Finding, FindingExtractor
    from scribeplugin.extract.transcript import Transcript
    from scribeplugin.index.embed import Embedder
    from scribeplugin.retrieval import Passage, Retriever

log = logging.getLogger(__name__)

# Concepts worth a retrieval query: what a code can rest on. Regions, levels and sides only
# refine; they ride along in the window around the condition.
_QUERY_CATEGORIES = {"condition", "symptom", "cause"}
WINDOW = 70  # characters either side of a finding, inside its turn


def build_queries(transcript: Transcript, findings: list[Finding], limit: int = 8) -> list[str]:
    """Short windows around the findings that can carry a code, one per concept (clinician's
    statement first). Embedding dominates request time, so embed these, not every sentence."""
    chosen: dict[str, Finding] = {}
    for f in sorted(findings, key=lambda f: (f.speaker != "clinician", f.start)):
        if f.category in _QUERY_CATEGORIES and f.assertion in {"present", "possible"}:
            chosen.setdefault(f.concept, f)
    queries = []
    for f in list(chosen.values())[:limit]:
        turn = transcript.turns[f.turn_index] if 0 <= f.turn_index < len(transcript.turns) else None
        lo, hi = (turn.start, turn.end) if turn else (0, len(transcript.text))
        start, end = max(lo, f.start - WINDOW), min(hi, f.end + WINDOW)
        window = transcript.text[start:end]
        # Trim broken words at the window's edges.
        if start > lo and " " in window:
            window = window.split(" ", 1)[1]
        if end < hi and " " in window:
            window = window.rsplit(" ", 1)[0]
        queries.append(" ".join(window.split()))
    return queries


def freeze_heap() -> None:
    """Take every object alive now out of the cyclic garbage collector's reach (``gc.freeze``).

    Call it once in a long-running process, after warm-up. The model, the index and the code set
    are over a million long-lived objects; left in the collector's care, each full collection
    walks them all, and the request it lands on waits: 380 ms on the 2-core VM of 2026-12-06,
    once in 240 warm requests there (a 521 ms maximum against 136 ms once frozen).
    """
    gc.collect()
    gc.freeze()
    log.info("heap frozen: %d objects out of the collector's reach", gc.get_freeze_count())


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        codeset: CodeSet,
        extractor: FindingExtractor,
        retriever: Retriever,
        rules: list[LoadedRule],
        drafters: Mapping[str, Drafter],
        *,
        knowledge: CodingKnowledge | None = None,
        guard_enabled: bool = True,
    ) -> None:
        self.settings = settings
        self.codeset = codeset
        self.extractor = extractor
        self.retriever = retriever
        self.rules = rules
        self.drafters = dict(drafters)
        self.knowledge = knowledge or load_coding(tuple(settings.knowledge_dirs))
        # The Alphabetic Index the coding step walks (the CDC XML by path, else the vendored
        # FY2025 index), loaded once per process.
        self.alphabetic = get_alphabetic(settings.index_xml_path, settings.corpus_dir)
        self.guard = Guard(codeset, self.knowledge)
        self.guard_enabled = guard_enabled

    @classmethod
    def from_settings(
        cls, settings: Settings, *, embedder: Embedder | None = None, **kw: Any
    ) -> Pipeline:
        """The real components for ``settings``; ``embedder`` lets tests share one model."""
        from scribeplugin.codeset import get_codeset
        from scribeplugin.corpus.rules import load_rules
        from scribeplugin.extract.findings import FindingExtractor
        from scribeplugin.knowledge.extraction import load_cached
        from scribeplugin.retrieval import Retriever

        codeset = get_codeset(settings.code_list_path, settings.tabular_xml_path)
        knowledge = load_coding(tuple(settings.knowledge_dirs))
        rules_drafter = RulesDrafter(knowledge)
        drafters: dict[str, Drafter] = {"rules": rules_drafter}
        if settings.llm_model:
            from scribeplugin.draft.llm import LLMDrafter

            drafters["llm"] = LLMDrafter(settings, fallback=rules_drafter)
        return cls(
            settings,
            codeset,
            FindingExtractor(load_cached(tuple(settings.knowledge_dirs))),
            Retriever.from_settings(settings, embedder=embedder),
            load_rules(settings.corpus_dir),
            drafters,
            knowledge=knowledge,
            **kw,
        )

    def warm_up(self) -> None:
        """Load the model, the NLP pipeline and the index now rather than on the first request."""
        self.extractor.warm_up()
        self.retriever.warm_up()

    @property
    def index_id(self) -> str:
        return str(self.retriever.index_id)

    def suggest(
        self,
        data: Any,
        *,
        drafter: str | None = None,
        date_of_service: date | None = None,
        request_id: str | None = None,
        deadline: Deadline | None = None,
    ) -> SuggestResponse:
        """One transcript in, one SuggestResponse out. Raises InputError on bad input, and
        DeadlineExceededError once ``deadline`` has passed (checked between the steps and after
        every unit of extraction), so a request nobody waits for any more stops working."""
        from scribeplugin.extract.transcript import parse_transcript

        timings: dict[str, float] = {}
        clock = _Clock(timings)
        name = drafter or self.settings.drafter
        if name not in self.drafters:
            raise ConfigError(
                f"Drafter {name!r} is not configured. "
                f"Available: {', '.join(sorted(self.drafters))}."
                + (
                    " Set SCRIBE_LLM_MODEL (and SCRIBE_LLM_BASE_URL for a local server) to enable "
                    "'llm'; see docs/llm.md."
                    if name == "llm"
                    else ""
                )
            )
        with clock("parse"):
            transcript = parse_transcript(data, max_chars=self.settings.max_transcript_chars)
        check(deadline, "after parsing")
        with clock("extract"):
            findings = self.extractor.run(transcript, deadline)
        with clock("code"):
            analysis = Analysis.of(
                findings, self.codeset, transcript.text, self.knowledge, self.alphabetic
            )
            candidates = analysis.candidates
        check(deadline, "after coding")
        with clock("retrieve"):
            queries = build_queries(transcript, findings)
            check(deadline, "before retrieval")
            passages = self._retrieve(queries)
            # The guidance of the coding step's candidates, whichever drafter writes the draft:
            # their tabular entries and cards, the rules about them, the uncertain conditions'.
            items = _rule_items(self.rules, candidates)
            # A code with its 7th character is cited by the tabular entry above it
            # (index.chunk.cited_code); the index entries are those the coding step walked.
            cited = [*candidates, *analysis.confirm_codes()]
            cited += [cited_code(self.codeset, c) for c in cited]
            found = self.retriever.passages_for(
                codes=cited, item_ids=items, index_paths=analysis.index_paths.values()
            )
            passages = _merge(passages, found)
        check(deadline, "after retrieval")
        ctx = DraftContext(
            transcript, findings, passages, self.rules, self.codeset, candidates, analysis
        )
        with clock("draft"):
            draft = self.drafters[name].draft(ctx)
        check(deadline, "after drafting")
        with clock("guard"):
            if self.guard_enabled:
                result = self.guard.check(draft, ctx)
                draft, actions = result.draft, result.actions
            else:
                actions = []
        check(deadline, "after the guard")  # past it, nobody takes the answer
        notices = []
        if date_of_service is not None:
            notice = self.codeset.release.date_of_service_warning(date_of_service)
            if notice:
                notices.append(notice)
        timings["total"] = round(sum(v for k, v in timings.items()), 2)
        log.info(
            "suggest drafter=%s codes=%d prompts=%d warnings=%d guard_actions=%d findings=%d "
            "total_ms=%.1f",
            draft.drafter,
            len(draft.codes),
            len(draft.prompts),
            len(draft.warnings),
            len(actions),
            len(findings),
            timings["total"],
        )
        return SuggestResponse(
            request_id=request_id or uuid.uuid4().hex,
            code_set=self.codeset.release.name,
            engine=self._engine(name, draft),
            codes=draft.codes,
            prompts=draft.prompts,
            warnings=draft.warnings,
            findings=[_finding_out(f) for f in findings],
            guard=actions,
            notices=notices,
            timings_ms=timings,
            retrieved_chunk_ids=[p.chunk_id for p in passages],
        )

    def _retrieve(self, queries: list[str]) -> list[Passage]:
        if not queries:
            return []
        results = self.retriever.search_many(queries, k=6)
        return _merge(*results)

    def _engine(self, name: str, draft: Draft) -> EngineInfo:
        d = self.drafters[name]
        return EngineInfo(
            drafter=draft.drafter,
            model=d.model if draft.drafter == name else None,
            prompt_version=d.prompt_version if draft.drafter == name else None,
            index_id=self.index_id,
            degraded=draft.degraded_reason is not None,
            degraded_reason=draft.degraded_reason,
        )


def _rule_items(rules: list[LoadedRule], candidates: list[str]) -> list[str]:
    """Card items of the rules that may fire for these candidates (their citations)."""
    from scribeplugin.coding.ruleset import CodeMatcher

    matcher = CodeMatcher(candidates)
    return sorted(
        {
            lr.rule.item
            for lr in rules
            if not lr.rule.when.codes_any or matcher.any(lr.rule.when.codes_any)
        }
    )


def _merge(*groups: list[Passage]) -> list[Passage]:
    seen: dict[str, Passage] = {}
    for group in groups:
        for p in group:
            seen.setdefault(p.chunk_id, p)
    return list(seen.values())


def _finding_out(f: Finding) -> FindingOut:
    return FindingOut(
        concept=f.concept,
        category=str(f.category),
        text=f.text,
        start=f.start,
        end=f.end,
        speaker=f.speaker,
        assertion=f.assertion,
        level=f.level,
        region=f.region,
        laterality=f.laterality,
        site=f.site,
        structure=f.structure,
        digit=f.digit,
    )


class _Clock:
    """``with clock("step"):`` records the step's wall time in milliseconds."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round((time.perf_counter() - t) * 1000, 2)
