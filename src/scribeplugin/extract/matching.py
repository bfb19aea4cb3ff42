"""TargetRules -> entity spans, in one indexed pass over a unit.

Every target rule goes into one ``patterns.TokenPatterns`` under its label, so a unit is read
once, and each token only tries the patterns that can start with it. What comes out is what one
medspaCy ``TargetMatcher`` per label gave before (and ``tests/extract/test_patterns.py`` holds it
to that): within a label, overlapping matches are pruned as medspaCy prunes them (the longest
wins, ``prune_overlapping_matches``); across labels, spaCy's ``filter_spans`` keeps the longest,
ties going to the target loaded first from the knowledge (``rules.build_target_rules``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scribeplugin.extract.patterns import TokenPatterns

if TYPE_CHECKING:
    from medspacy.target_matcher import TargetRule
    from spacy.language import Language
    from spacy.tokens import Doc, Span


class TargetSpans:
    """All target rules in one ``TokenPatterns``; ``__call__`` sets ``doc.ents``."""

    def __init__(
        self,
        nlp: Language,
        rules_by_label: dict[str, list[TargetRule]],
    ) -> None:
        self._engine = TokenPatterns(nlp.vocab)
        self._labels: dict[int, str] = {}  # key hash -> label, in priority order
        for label, label_rules in rules_by_label.items():
            for rule in label_rules:
                pattern = rule.pattern
                assert isinstance(pattern, list), "token patterns only (see rules.py)"
                self._engine.add(label, [pattern])
            self._labels[nlp.vocab.strings.add(label)] = label
        self._priority = {key: rank for rank, key in enumerate(self._labels)}
        from medspacy.common.util import prune_overlapping_matches
        from spacy.tokens import Span
        from spacy.util import filter_spans

        self._prune, self._span, self._filter_spans = prune_overlapping_matches, Span, filter_spans

    @property
    def n_rules(self) -> int:
        return len(self._engine)

    def __call__(self, doc: Doc) -> Doc:
        self.mark(doc)
        return doc

    def mark(self, doc: Doc) -> int:
        """Sets ``doc.ents`` (when anything matched) and returns how many there are."""
        ents = self.spans(doc)
        if ents:
            doc.ents = ents
        return len(ents)

    def spans(self, doc: Doc) -> list[Span]:
        """The spans ``mark`` would set, leaving ``doc.ents`` alone."""
        matches = self._engine(doc)
        if not matches:
            return []
        by_label: dict[int, list[tuple[int, int, int]]] = {}
        for match in matches:
            by_label.setdefault(match[0], []).append(match)
        span, prune = self._span, self._prune
        spans: list[Span] = []
        for key in sorted(by_label, key=self._priority.__getitem__):
            label = self._labels[key]
            spans.extend(
                span(doc, start, end, label=label) for _, start, end in prune(by_label[key])
            )
        out: list[Span] = self._filter_spans(spans)  # longest first, as medspaCy prunes
        return out
