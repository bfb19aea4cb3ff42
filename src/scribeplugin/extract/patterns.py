"""Token patterns matched with spaCy ``Matcher`` semantics, run as a lazily built automaton.

spaCy's ``Matcher`` starts every pattern at every token, so its cost grows with tokens times
patterns: with our 386 target rules and ConText's 144 token rules that was most of the time
extraction took (2026-12-03, see BENCHMARKS.md). ``TokenPatterns`` compiles the part of spaCy's
pattern language the rules use into one automaton over all patterns, built lazily:

- a state is the set of (pattern, position) threads still alive in a match that started at some
  token; a match starts in the start state at every token;
- the step from a state on a token depends only on what the token tests can see: its text
  (``ORTH``; ``LOWER``, ``IS_PUNCT``, ``LIKE_NUM`` and regexes are functions of it) and its
  custom attributes. Steps are cached by the text, so a token costs one dict lookup per live
  state once its text has been met; a step that a custom attribute decides ("left" tagged as a
  side or not) is cached by the text and the attribute values, read for that token only;
- from the start state only the patterns whose first token can accept the token's words are
  tried (an index by first word; patterns that open with a regex, a flag or a custom attribute
  are tried on every new text).

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

# What a token test reads: a column of the token's lexical view, or a custom attribute.
_LOWER, _ORTH, _IS_PUNCT, _LIKE_NUM = range(4)
_COLUMNS = {"LOWER": _LOWER, "ORTH": _ORTH, "IS_PUNCT": _IS_PUNCT, "LIKE_NUM": _LIKE_NUM}
_STRING_ATTRS = ("LOWER", "ORTH")
_FLAG_ATTRS = ("IS_PUNCT", "LIKE_NUM")
# Test kinds (a flag is an equality test on its 0/1 column).
_EQ, _IN, _RE, _EXT = range(4)

Test = tuple[int, Any, Any]  # (kind, column or attribute name, value)
Spec = tuple[tuple[Test, ...], bool]  # (tests, optional)
Thread = tuple[int, int]  # (pattern index, position of the next token test)
Accept = tuple[int, int]  # (key hash, pattern index)

_CACHE_SIZE = 200_000  # cached steps (and regex verdicts); past it, steps are worked out each time


class UnsupportedPatternError(ValueError):
    """A token pattern uses a part of spaCy's pattern language that ``TokenPatterns`` lacks."""


_Step = tuple["_State | None", tuple[Accept, ...]]
_DEAD: _Step = (None, ())  # the step after which no thread is alive and no match ends


class _State:
    """Threads alive after some tokens, and the steps out of this state met so far."""

    __slots__ = ("next", "threads")

    def __init__(self, threads: frozenset[Thread]) -> None:
        self.threads = threads
        # token key -> (next state or None when no thread survives, matches ending here)
        self.next: dict[Any, _Step] = {}


# Marks a step that custom attributes decide (its own state object, so never equal to another)
_CUSTOM: _Step = (_State(frozenset()), ())


class TokenPatterns:
    """Stands in for ``spacy.matcher.Matcher`` (``add``, ``__call__``) on the supported subset.

    Not thread-safe: calls extend the automaton and its caches, so one instance serves one
    thread at a time, as ``FindingExtractor`` runs its pipeline.
    """

    def __init__(self, vocab: Vocab) -> None:
        from spacy.attrs import ORTH

        self.vocab = vocab
        self._orth_attr = ORTH
        self._patterns: list[tuple[int, tuple[Spec, ...]]] = []  # (key hash, specs)
        self._by_word: dict[tuple[int, int], list[int]] = {}  # (column, hash) -> pattern indices
        # First token tested on other lexical attributes only (a regex, a flag): tried on every
        # new token text, since lexical attributes are functions of the text.
        self._by_lexeme: list[int] = []
        self._anywhere: list[int] = []  # first token tested on a custom attribute only
        self._ext_names: tuple[str, ...] = ()  # custom attributes any test reads
        self._reset()

    def _reset(self) -> None:
        self._states: dict[frozenset[Thread], _State] = {}
        self._start = _State(frozenset())  # stands for every pattern at its first test
        self._steps = 0

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
            self._patterns.append((key_hash, specs))
            starts = _first_words(specs)
            if starts is not None:
                for word in starts:
                    self._by_word.setdefault(word, []).append(index)
            elif _lexical_start(specs):
                self._by_lexeme.append(index)
            else:
                self._anywhere.append(index)
            names = {name for tests, _ in specs for kind, name, _ in tests if kind == _EXT}
            self._ext_names = tuple(sorted(set(self._ext_names) | names))
        self._reset()

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
        keys: list[int] = doc.to_array(self._orth_attr).tolist()
        start = self._start
        # Most tokens start nothing: their first steps are looked up in one pass, and only the
        # tokens where a thread survives or a match ends are walked on.
        firsts = list(map(start.next.get, keys))
        found: dict[tuple[int, int, int], int] = {}  # (key, start, end) -> first pattern index
        for i in [i for i, step in enumerate(firsts) if step is not _DEAD]:
            state: _State = start
            step, j = firsts[i], i
            while True:
                if step is None:
                    step = self._step(state, keys[j])
                if step is _CUSTOM:
                    step = self._custom_step(state, doc, j, keys[j])
                nxt, accepts = step
                j += 1
                for key, index in accepts:
                    found.setdefault((key, i, j), index)
                if nxt is None or j == n:
                    break
                state = nxt
                step = state.next.get(keys[j])
        return sorted(found, key=lambda m: (m[1], m[2], found[m]))

    def _custom_step(self, state: _State, doc: Doc, i: int, orth: int) -> _Step:
        """The step on token ``i``, whose text alone does not decide it: its custom attributes
        are read, and the step is cached by the text and their values."""
        token = doc[i]
        key = (orth, *(token._.get(name) for name in self._ext_names))
        try:
            step = state.next.get(key)
        except TypeError:  # an unhashable value: worked out, not cached
            return self._step(state, key, cache=False)
        return step if step is not None else self._step(state, key)

    def _step(self, state: _State, key: Any, *, cache: bool = True) -> _Step:
        """The step from ``state`` on a token with ``key``: its ORTH, or ``(ORTH, *custom
        attribute values)``. Given only ORTH, a step that a custom attribute would decide is
        ``_CUSTOM``: the caller reads the attributes and asks again."""
        orth, custom = (key, None) if isinstance(key, int) else (key[0], key[1:])
        lex = self.vocab[orth]
        view = (lex.lower, orth, int(lex.is_punct), int(lex.like_num))
        ext = dict(zip(self._ext_names, custom, strict=True)) if custom is not None else None
        threads = state.threads if state is not self._start else self._start_threads(view)
        patterns = self._patterns
        alive: set[Thread] = set()
        accepted: set[int] = set()
        for index, pos in threads:
            specs = patterns[index][1]
            passed = self._passes(specs[pos][0], view, ext)
            if passed is None:
                step: _Step = _CUSTOM
                break
            if not passed:
                continue
            pos += 1
            while True:  # the optional tokens that follow may be skipped
                if pos == len(specs):
                    accepted.add(index)
                    break
                alive.add((index, pos))
                if not specs[pos][1]:
                    break
                pos += 1
        else:
            step = self._next(alive, accepted)
        if cache and self._steps < _CACHE_SIZE:
            state.next[key] = step
            self._steps += 1
        return step

    def _next(self, alive: set[Thread], accepted: set[int]) -> _Step:
        nxt: _State | None = None
        if alive:
            frozen = frozenset(alive)
            nxt = self._states.get(frozen)
            if nxt is None:
                nxt = _State(frozen)
                if len(self._states) < _CACHE_SIZE:
                    self._states[frozen] = nxt
        if nxt is None and not accepted:
            return _DEAD
        return nxt, tuple((self._patterns[i][0], i) for i in sorted(accepted))

    def _start_threads(self, view: tuple[int, int, int, int]) -> list[Thread]:
        """Threads of the patterns that may start at a token: each at its first test, and at
        the tests after a leading optional token."""
        by_word = self._by_word
        candidates = {
            *by_word.get((_LOWER, view[_LOWER]), ()),
            *by_word.get((_ORTH, view[_ORTH]), ()),
            *(p for p in self._by_lexeme if self._could_start(self._patterns[p][1], view)),
            *self._anywhere,
        }
        threads = []
        for index in candidates:
            for pos, (_, optional) in enumerate(self._patterns[index][1]):
                threads.append((index, pos))
                if not optional:
                    break
        return threads

    def _could_start(self, specs: tuple[Spec, ...], view: tuple[int, int, int, int]) -> bool:
        """Could a match start at a token, judging by its lexical attributes alone?"""
        for tests, optional in specs:
            if self._passes(_lexical(tests), view, None):
                return True
            if not optional:
                return False
        return False  # pragma: no cover - add() refuses all-optional patterns

    def _passes(
        self, tests: tuple[Test, ...], view: tuple[int, int, int, int], ext: dict[str, Any] | None
    ) -> bool | None:
        """Whether a token passes ``tests``; None when a custom attribute test is reached and
        ``ext`` (the token's custom attribute values) was not given."""
        for kind, where, value in tests:
            if kind == _EQ:
                if view[where] != value:
                    return False
            elif kind == _IN:
                if view[where] not in value:
                    return False
            elif kind == _RE:
                if not value.test(view[where], self.vocab.strings):
                    return False
            elif ext is None:
                return None
            elif ext[where] != value:
                return False
        return True


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


def _lexical(tests: tuple[Test, ...]) -> tuple[Test, ...]:
    """The tests on what the token's text decides (all but custom attributes)."""
    return tuple(t for t in tests if t[0] != _EXT)


def _lexical_start(specs: tuple[Spec, ...]) -> bool:
    """Every token a match may start with has a test on a lexical attribute."""
    for tests, optional in specs:
        if not _lexical(tests):
            return False
        if not optional:
            return True
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
