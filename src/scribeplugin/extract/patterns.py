"""Token patterns matched with spaCy ``Matcher`` semantics, but indexed by their first token.

spaCy's ``Matcher`` starts every pattern at every token, so its cost grows with tokens times
patterns. With our 1,386 target rules and ConText's 562 modifier rules, target matching and
ConText took 29 ms of the 41 ms that extracting a 1,500-word visit took (2026-12-03, see
BENCHMARKS.md). ``TokenPatterns`` compiles the part of spaCy's pattern language that the rules
use and indexes each pattern by the words its first token accepts, so a token only tries the
patterns that can start there.

Supported: ``LOWER`` and ``ORTH`` as a string, ``{"IN": [...]}`` or ``{"REGEX": ...}``;
``IS_PUNCT`` and ``LIKE_NUM`` as booleans; custom attributes (``{"_": {"name": value}}``); the
``?`` operator. Anything else raises ``UnsupportedPatternError``: a target rule that needs more
fails at start-up, and ``index_medspacy_matcher`` keeps spaCy's own matcher for ConText, so a new
kind of rule is never matched wrongly.

The result is what ``Matcher.__call__`` returns: ``(key, start, end)`` for every distinct match
of every key (an optional token gives one match with it and one without), ordered by span (start,
then end), the matches of one span in the order their patterns were added. That is the order
medspaCy's pruning reads them in; spaCy's own list has the same matches of a span in the same
order, but may put a longer match before a shorter one of the same start.
``tests/extract/test_patterns.py`` checks this against spaCy's ``Matcher`` on every unit of the
samples, the eval cases and the external dialogues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

# Columns of the per-doc attribute table (``Doc.to_array`` order).
_LOWER, _ORTH, _IS_PUNCT, _LIKE_NUM = range(4)
_COLUMNS = {"LOWER": _LOWER, "ORTH": _ORTH, "IS_PUNCT": _IS_PUNCT, "LIKE_NUM": _LIKE_NUM}
_STRING_ATTRS = ("LOWER", "ORTH")
_FLAG_ATTRS = ("IS_PUNCT", "LIKE_NUM")
# Test kinds (a flag is an equality test on its 0/1 column).
_EQ, _IN, _RE, _EXT = range(4)

Test = tuple[int, Any, Any]  # (kind, column or attribute name, value)
Spec = tuple[tuple[Test, ...], bool]  # (tests, optional)


class UnsupportedPatternError(ValueError):
    """A token pattern uses a part of spaCy's pattern language that ``TokenPatterns`` lacks."""


class TokenPatterns:
    """Stands in for ``spacy.matcher.Matcher`` (``add``, ``__call__``) on the supported subset.

    Not thread-safe: calls fill caches (start patterns by token text, regex verdicts), so one
    instance serves one thread at a time, as ``FindingExtractor`` runs its pipeline.
    """

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._patterns: list[tuple[int, tuple[Spec, ...], bool]] = []  # (key hash, specs, plain)
        self._by_word: dict[tuple[int, int], list[int]] = {}  # (column, hash) -> pattern indices
        # First token tested on other lexical attributes only (a regex, a flag): such patterns
        # are indexed as texts are met, since lexical attributes are functions of the text.
        self._by_lexeme: list[int] = []
        self._anywhere: list[int] = []  # first token tested on a custom attribute only
        self._starts: dict[int, tuple[int, ...]] = {}  # ORTH -> patterns that may start there

    def __len__(self) -> int:
        return len(self._patterns)

    def add(
        self, key: str, patterns: Iterable[Sequence[dict[str, Any]]], *, on_match: Any = None
    ) -> None:
        """Add patterns under ``key``, as ``Matcher.add`` does (callbacks are not supported)."""
        if on_match is not None:
            raise UnsupportedPatternError(f"{key}: on_match callbacks are not supported")
        key_hash = self.vocab.strings.add(key)
        for pattern in patterns:
            specs = tuple(self._compile(key, tok) for tok in pattern)
            if not specs or all(optional for _, optional in specs):
                raise UnsupportedPatternError(f"{key}: every token of the pattern is optional")
            index = len(self._patterns)
            plain = not any(optional for _, optional in specs)
            self._patterns.append((key_hash, specs, plain))
            starts = _first_words(specs)
            if starts is not None:
                for word in starts:
                    self._by_word.setdefault(word, []).append(index)
            elif _lexical_start(specs):
                self._by_lexeme.append(index)
            else:
                self._anywhere.append(index)
        self._starts.clear()

    def _compile(self, key: str, token: dict[str, Any]) -> Spec:
        spec = dict(token)
        op = spec.pop("OP", None)
        if op not in (None, "?"):
            raise UnsupportedPatternError(f"{key}: operator {op!r}")
        tests: list[Test] = []
        strings = self.vocab.strings
        for attr, value in spec.items():
            if attr in _STRING_ATTRS:
                col = _COLUMNS[attr]
                if isinstance(value, str):
                    tests.append((_EQ, col, strings.add(value)))
                elif isinstance(value, dict) and set(value) == {"IN"}:
                    tests.append((_IN, col, frozenset(strings.add(v) for v in value["IN"])))
                elif isinstance(value, dict) and set(value) == {"REGEX"}:
                    tests.append((_RE, col, _Regex(value["REGEX"])))
                else:
                    raise UnsupportedPatternError(f"{key}: {attr} {value!r}")
            elif attr in _FLAG_ATTRS and isinstance(value, bool):
                tests.append((_EQ, _COLUMNS[attr], int(value)))
            elif attr == "_" and isinstance(value, dict):
                for name, wanted in value.items():
                    if isinstance(wanted, dict):
                        raise UnsupportedPatternError(f"{key}: custom attribute test {wanted!r}")
                    tests.append((_EXT, name, wanted))
            else:
                raise UnsupportedPatternError(f"{key}: {attr} {value!r}")
        if not tests:
            raise UnsupportedPatternError(f"{key}: a token with no test")
        return tuple(tests), op == "?"

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        n = len(doc)
        if n == 0 or not self._patterns:
            return []
        from spacy.attrs import IS_PUNCT, LIKE_NUM, LOWER, ORTH

        table = doc.to_array([LOWER, ORTH, IS_PUNCT, LIKE_NUM]).T.tolist()
        orth = table[_ORTH]
        probe = _Probe(doc, table)
        patterns, starts = self._patterns, self._starts
        found: dict[tuple[int, int, int], int] = {}  # (key, start, end) -> first pattern index
        for i in range(n):
            candidates = starts.get(orth[i])
            if candidates is None:
                candidates = self._starts_at(i, table, probe)
            for index in candidates:
                key, specs, plain = patterns[index]
                if plain:
                    end = _plain_end(specs, i, n, probe)
                    if end:
                        found.setdefault((key, i, end), index)
                    continue
                for end in _ends(specs, i, n, probe):
                    if end > i:
                        found.setdefault((key, i, end), index)
        return sorted(found, key=lambda m: (m[1], m[2], found[m]))

    def _starts_at(self, i: int, table: list[list[int]], probe: _Probe) -> tuple[int, ...]:
        """The patterns a match may start with at token ``i``, cached by its text (ORTH)."""
        by_word = self._by_word
        hit = {
            *by_word.get((_LOWER, table[_LOWER][i]), ()),
            *by_word.get((_ORTH, table[_ORTH][i]), ()),
            *(p for p in self._by_lexeme if _could_start(self._patterns[p][1], i, probe)),
            *self._anywhere,
        }
        out = tuple(sorted(hit))
        if len(self._starts) < _CACHE_SIZE:
            self._starts[table[_ORTH][i]] = out
        return out


_CACHE_SIZE = 200_000  # distinct token texts per cache; past it, answers are worked out each time


class _Regex:
    """A token regex (``re.search``, as spaCy applies it) with its verdicts memoised by string."""

    __slots__ = ("_memo", "regex")

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern)
        self._memo: dict[int, bool] = {}

    def test(self, key: int, strings: Any) -> bool:
        hit = self._memo.get(key)
        if hit is None:
            hit = self.regex.search(strings[key]) is not None
            if len(self._memo) < _CACHE_SIZE:
                self._memo[key] = hit
        return hit


class _Probe:
    """Evaluates token tests on one doc; strings and custom attributes are fetched on demand."""

    __slots__ = ("_doc", "_table")

    def __init__(self, doc: Doc, table: list[list[int]]) -> None:
        self._doc = doc
        self._table = table

    def ok(self, tests: tuple[Test, ...], i: int) -> bool:
        table = self._table
        for kind, where, value in tests:
            if kind == _EQ:
                if table[where][i] != value:
                    return False
            elif kind == _IN:
                if table[where][i] not in value:
                    return False
            elif kind == _RE:
                if not value.test(table[where][i], self._doc.vocab.strings):
                    return False
            elif self._doc[i]._.get(where) != value:  # _EXT
                return False
        return True


def _plain_end(specs: tuple[Spec, ...], start: int, n: int, probe: _Probe) -> int:
    """The end of a match of ``specs`` (no optional token) at ``start``, or 0."""
    if start + len(specs) > n:
        return 0
    j = start
    for tests, _ in specs:
        if not probe.ok(tests, j):
            return 0
        j += 1
    return j


def _ends(specs: tuple[Spec, ...], start: int, n: int, probe: _Probe) -> set[int]:
    """Every end position of a match of ``specs`` that starts at token ``start``."""
    positions = {start}
    for tests, optional in specs:
        nxt = set(positions) if optional else set()
        for p in positions:
            if p < n and probe.ok(tests, p):
                nxt.add(p + 1)
        if not nxt:
            return nxt
        positions = nxt
    return positions


def _lexical(tests: tuple[Test, ...]) -> tuple[Test, ...]:
    return tuple(t for t in tests if t[0] != _EXT)


def _lexical_start(specs: tuple[Spec, ...]) -> bool:
    """Every token a match may start with has a test on a lexical attribute."""
    for tests, optional in specs:
        if not _lexical(tests):
            return False
        if not optional:
            return True
    return False  # pragma: no cover - add() refuses all-optional patterns


def _could_start(specs: tuple[Spec, ...], i: int, probe: _Probe) -> bool:
    """Could a match start at token ``i``, judging by lexical attributes alone?"""
    for tests, optional in specs:
        if probe.ok(_lexical(tests), i):
            return True
        if not optional:
            return False
    return False  # pragma: no cover - add() refuses all-optional patterns


def _first_words(specs: tuple[Spec, ...]) -> set[tuple[int, int]] | None:
    """The (column, word) pairs a match's first token may have; None if not only words.

    Leading optional tokens may be skipped, so their words and those of the next token count.
    """
    words: set[tuple[int, int]] = set()
    for tests, optional in specs:
        mine = None
        for kind, where, value in tests:
            if kind == _EQ and where in (_LOWER, _ORTH):
                mine = {(where, value)}
                break
            if kind == _IN and where in (_LOWER, _ORTH):
                mine = {(where, v) for v in value}
                break
        if mine is None:
            return None
        words |= mine
        if not optional:
            return words
    return None  # pragma: no cover - add() refuses all-optional patterns


def index_medspacy_matcher(matcher: Any) -> bool:
    """Swap the spaCy ``Matcher`` inside a medspaCy ``MedspacyMatcher`` for ``TokenPatterns``.

    The token-pattern rules are re-added under the same rule ids, in the same order; phrase and
    regex rules stay with medspaCy's own matchers, and so do pruning and the rule map. medspaCy
    keeps its ``Matcher`` in a private attribute (medspacy is pinned in pyproject.toml);
    returns False, changing nothing, if that attribute is missing or a rule is not supported.
    """
    attr = "_MedspacyMatcher__matcher"
    if not hasattr(matcher, attr):
        return False
    engine = TokenPatterns(getattr(matcher, attr).vocab)
    try:
        for rule_id, rule in matcher.rule_map.items():
            if isinstance(rule.pattern, list):
                engine.add(rule_id, [rule.pattern], on_match=rule.on_match)
    except UnsupportedPatternError:
        return False
    setattr(matcher, attr, engine)
    return True
