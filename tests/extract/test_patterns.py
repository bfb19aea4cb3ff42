"""TokenPatterns returns exactly what spaCy's Matcher returns, and TargetSpans what medspaCy's
TargetMatchers gave: on small patterns chosen for the tricky cases, and on every unit of every
transcript the project has (samples, eval cases) and of the external dialogues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import spacy
from spacy.matcher import Matcher
from spacy.tokens import Doc, Token
from spacy.util import filter_spans

from scribeplugin.config import PROJECT_ROOT
from scribeplugin.evaluation.cases import load_cases
from scribeplugin.extract import rules
from scribeplugin.extract.findings import FindingExtractor
from scribeplugin.extract.matching import TargetSpans
from scribeplugin.extract.patterns import (
    TokenPatterns,
    UnsupportedPatternError,
    index_medspacy_matcher,
)
from scribeplugin.extract.transcript import parse_transcript
from scribeplugin.extract.units import split_units

EXTERNAL = PROJECT_ROOT / ".." / "shared" / "external" / "msk_dialogues.jsonl"
_EXTERNAL_PREFIX = "external:"

Token.set_extension("test_flag", default="", force=True)


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return spacy.blank("en")


def _by_span(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """spaCy's Matcher may list a longer match before a shorter one of the same start; what
    medspaCy reads is the order by span, matches of one span in the order spaCy gives them."""
    return sorted(matches, key=lambda m: (m[1], m[2]))


def _both(nlp: Any, patterns: dict[str, list[list[dict[str, Any]]]], text: str) -> tuple[Any, Any]:
    spacy_matcher = Matcher(nlp.vocab)
    ours = TokenPatterns(nlp.vocab)
    for key, pats in patterns.items():
        spacy_matcher.add(key, pats)
        ours.add(key, pats)
    doc = nlp(text)
    for tok in doc:
        if tok.lower_ == "flagged":
            tok._.test_flag = "yes"
    return _by_span(spacy_matcher(doc)), ours(doc)


CASES: list[tuple[str, dict[str, list[list[dict[str, Any]]]], str]] = [
    ("word", {"A": [[{"LOWER": "pain"}]]}, "Pain, pain and more PAIN"),
    (
        "optional last token: with and without it",
        {"A": [[{"LOWER": "back"}, {"LOWER": "pain", "OP": "?"}]]},
        "my back pain and my back",
    ),
    (
        "optional first token",
        {"A": [[{"LOWER": {"IN": ["low", "lower"]}, "OP": "?"}, {"LOWER": "back"}]]},
        "lower back and back and low back",
    ),
    (
        "optional middle tokens",
        {
            "A": [
                [
                    {"LOWER": "a"},
                    {"LOWER": "b", "OP": "?"},
                    {"LOWER": "c", "OP": "?"},
                    {"LOWER": "d"},
                ]
            ]
        },
        "a d a b d a c d a b c d a b b d",
    ),
    (
        "ties: same span under two keys keeps the order keys were added",
        {
            "B": [[{"LOWER": "no"}, {"LOWER": "pain"}]],
            "A": [[{"LOWER": "no"}, {"LOWER": "pain"}], [{"LOWER": "pain"}]],
        },
        "no pain no pain",
    ),
    (
        "one key, two patterns, one span: reported once",
        {
            "A": [
                [{"LOWER": "no"}, {"LOWER": "pain", "OP": "?"}],
                [{"LOWER": "x", "OP": "?"}, {"LOWER": "no"}],
            ]
        },
        "no pain x no",
    ),
    ("ORTH is case-sensitive", {"A": [[{"ORTH": "S"}, {"LOWER": "one"}]]}, "S one s one"),
    (
        "regex searches the lower-case text",
        {
            "A": [
                [
                    {"LOWER": {"REGEX": r"^[ctls](?:[1-9]|1[0-2])$"}},
                    {"LOWER": "-", "OP": "?"},
                    {"LOWER": {"REGEX": "s1"}},
                ]
            ]
        },
        "L5-S1 and l5 s1 and L4 - S1 but not XL5 S1",
    ),
    (
        "flags",
        {
            "A": [[{"LIKE_NUM": True}, {"LOWER": {"IN": ["weeks", "years"]}}]],
            "B": [[{"LOWER": "for"}, {"IS_PUNCT": False}, {"LOWER": "weeks"}]],
        },
        "for 3 weeks, for two weeks, for , weeks",
    ),
    (
        "custom attribute with a word test",
        {"A": [[{"LOWER": "flagged", "_": {"test_flag": "yes"}}, {"LOWER": "leg"}]]},
        "flagged leg",
    ),
    (
        "custom attribute alone (tried at every token)",
        {"A": [[{"_": {"test_flag": "yes"}}]]},
        "a flagged leg and another flagged one",
    ),
    (
        "match at the very end of the doc",
        {"A": [[{"LOWER": "left"}, {"LOWER": "side", "OP": "?"}, {"LOWER": "pain", "OP": "?"}]]},
        "worse on the left",
    ),
]


@pytest.mark.parametrize(("name", "patterns", "text"), CASES, ids=[c[0] for c in CASES])
def test_same_as_spacy_matcher(nlp: Any, name: str, patterns: Any, text: str) -> None:
    theirs, ours = _both(nlp, patterns, text)
    assert theirs, "each case should match something"
    assert ours == theirs


def test_custom_attributes_are_read_per_token_not_remembered_by_text(nlp: Any) -> None:
    """Steps are cached by token text; a step a custom attribute decides must still be decided
    token by token, across docs and within one."""
    patterns = {
        "A": [[{"LOWER": "flagged", "_": {"test_flag": "yes"}}, {"LOWER": "leg"}]],
        "B": [[{"_": {"test_flag": "yes"}}, {"LOWER": "arm"}]],
        "C": [[{"LOWER": "flagged"}, {"LOWER": "leg"}]],
    }
    spacy_matcher = Matcher(nlp.vocab)
    ours = TokenPatterns(nlp.vocab)
    for key, pats in patterns.items():
        spacy_matcher.add(key, pats)
        ours.add(key, pats)
    seen = []
    for flags in ((), (0,), (2,), (0, 2), (2,), ()):  # which "flagged" tokens carry the flag
        doc = nlp("flagged leg flagged leg flagged arm")
        for i in flags:
            doc[i]._.test_flag = "yes"
        if 2 in flags:
            doc[4]._.test_flag = "yes"  # the "flagged" before "arm" as well
        expected = _by_span(spacy_matcher(doc))
        assert ours(doc) == expected, flags
        seen.append(len(expected))
    assert seen == [2, 3, 4, 5, 4, 2]  # C twice always, A and B as flagged


def test_an_unhashable_custom_value_is_compared_not_cached(nlp: Any) -> None:
    """spaCy's Matcher raises on such a value (TypeError); we compare it as its ``==`` says."""
    Token.set_extension("test_tags", default=None, force=True)
    ours = TokenPatterns(nlp.vocab)
    ours.add("A", [[{"_": {"test_tags": "x"}}, {"LOWER": "leg"}]])
    doc = nlp("left leg right leg")
    doc[0]._.test_tags = ["x"]  # a list is not "x"
    doc[2]._.test_tags = "x"
    assert [(s, e) for _, s, e in ours(doc)] == [(2, 4)]
    assert [(s, e) for _, s, e in ours(doc)] == [(2, 4)]  # and again, from the caches


@pytest.mark.parametrize(
    "pattern",
    [
        [{"LOWER": "a", "OP": "*"}, {"LOWER": "b"}],
        [{"LOWER": "a", "OP": "+"}],
        [{"LOWER": "a", "OP": "!"}, {"LOWER": "b"}],
        [{"LOWER": {"NOT_IN": ["a"]}}],
        [{"LEMMA": "be"}],
        [{"LOWER": "a", "OP": "?"}],
        [{}],
    ],
)
def test_unsupported_patterns_are_refused(nlp: Any, pattern: list[dict[str, Any]]) -> None:
    with pytest.raises(UnsupportedPatternError):
        TokenPatterns(nlp.vocab).add("K", [pattern])


def test_callbacks_are_refused(nlp: Any) -> None:
    with pytest.raises(UnsupportedPatternError, match="on_match"):
        TokenPatterns(nlp.vocab).add("K", [[{"LOWER": "a"}]], on_match=lambda *a: None)


def test_a_medspacy_matcher_with_an_unsupported_rule_keeps_spacys_matcher(nlp: Any) -> None:
    from medspacy.target_matcher import TargetMatcher, TargetRule

    for supported, pattern in (
        (True, [{"LOWER": "back"}, {"LOWER": "pain", "OP": "?"}]),
        (False, [{"LOWER": "back"}, {"LOWER": "pain", "OP": "+"}]),
    ):
        tm = TargetMatcher(nlp)
        tm.add([TargetRule("back pain", "PAIN", pattern=pattern)])
        inner = tm._TargetMatcher__matcher
        assert index_medspacy_matcher(inner) is supported
        assert isinstance(inner._MedspacyMatcher__matcher, TokenPatterns) is supported
        doc = tm(nlp("my back pain"))
        assert [e.text for e in doc.ents] == ["back pain"]
    assert index_medspacy_matcher(object()) is False  # not a MedspacyMatcher: left alone


# -- the real rules on every unit of the project's transcripts and the external dialogues


def _transcripts() -> Iterator[tuple[str, Any]]:
    for path in sorted((PROJECT_ROOT / "examples" / "transcripts").iterdir()):
        if path.suffix == ".txt":
            yield path.name, path.read_text(encoding="utf-8")
        elif path.suffix == ".json":
            yield path.name, json.loads(path.read_text(encoding="utf-8"))
    for case in load_cases(PROJECT_ROOT / "evals" / "cases"):
        yield case.id, case.load_transcript()
    if EXTERNAL.exists():
        with EXTERNAL.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    yield _EXTERNAL_PREFIX + str(d["source_id"]), d["dialogue"]


@pytest.fixture(scope="module")
def unit_docs(extractor: FindingExtractor) -> list[tuple[str, Doc]]:
    """Every unit as the extractor tokenizes it, laterality tagged (17,617 units in 2026-12;
    2,392 without the external dialogues)."""
    if not EXTERNAL.exists():
        print(f"external dialogues not found at {EXTERNAL.resolve()}: project transcripts only")
    nlp = extractor._pipeline.nlp  # type: ignore[union-attr]
    out = []
    for name, data in _transcripts():
        transcript = parse_transcript(data)
        for unit in split_units(transcript):
            doc = nlp.make_doc(transcript.text[unit.start : unit.end])
            extractor._pipeline.tag_laterality(doc)  # type: ignore[union-attr]
            out.append((name, doc))
    assert len(out) > (15_000 if EXTERNAL.exists() else 2_000)
    return out


def _same_as_spacy(ours: TokenPatterns, theirs: Matcher, unit_docs: list[tuple[str, Doc]]) -> int:
    """Asserts equal matches on every unit; returns how many there were."""
    matched = 0
    for name, doc in unit_docs:
        expected = _by_span(theirs(doc))
        assert ours(doc) == expected, (name, doc.text)
        matched += len(expected)
    return matched


@pytest.mark.slow
def test_target_rules_match_as_spacy_does(
    extractor: FindingExtractor, unit_docs: list[tuple[str, Doc]]
) -> None:
    pipeline = extractor._pipeline
    assert pipeline is not None
    spacy_matcher = Matcher(pipeline.nlp.vocab)
    for label, label_rules in rules.build_target_rules().items():
        for rule in label_rules:
            spacy_matcher.add(label, [rule.pattern])
    ours = pipeline.targets_matcher._engine  # the extractor's own, caches and all
    assert _same_as_spacy(ours, spacy_matcher, unit_docs) > 3_000


@pytest.mark.slow
def test_context_rules_match_as_spacy_does(
    extractor: FindingExtractor, unit_docs: list[tuple[str, Doc]]
) -> None:
    pipeline = extractor._pipeline
    assert pipeline is not None
    medspacy_matcher = pipeline.context._ConText__matcher
    ours = medspacy_matcher._MedspacyMatcher__matcher
    assert isinstance(ours, TokenPatterns)
    spacy_matcher = Matcher(pipeline.nlp.vocab)
    for rule_id, rule in medspacy_matcher.rule_map.items():
        if isinstance(rule.pattern, list):
            spacy_matcher.add(rule_id, [rule.pattern])
    assert _same_as_spacy(ours, spacy_matcher, unit_docs) > 1_500


@pytest.mark.slow
def test_target_spans_as_one_medspacy_target_matcher_per_label(
    extractor: FindingExtractor, unit_docs: list[tuple[str, Doc]]
) -> None:
    from medspacy.target_matcher import TargetMatcher

    nlp = extractor._pipeline.nlp  # type: ignore[union-attr]
    by_label = rules.build_target_rules()
    reference = []
    for label, label_rules in by_label.items():
        tm = TargetMatcher(nlp, name=f"ref_{label.lower()}", result_type=None)
        tm.add(label_rules)
        reference.append(tm)
    spans = TargetSpans(nlp, by_label)
    with_ents = 0
    # The project's own transcripts are enough here (the matches themselves are compared on
    # everything above); one TargetMatcher per label is slow.
    for name, doc in unit_docs:
        if name.startswith(_EXTERNAL_PREFIX):
            continue
        expected = filter_spans([s for tm in reference for s in tm(doc)])
        got = spans(doc).ents
        assert [(e.start, e.end, e.label_) for e in got] == [
            (e.start, e.end, e.label_) for e in expected
        ], (name, doc.text)
        with_ents += bool(got)
    assert with_ents > 1_000


def test_unit_docs_cover_the_sources(unit_docs: list[tuple[str, Doc]]) -> None:
    names = {name for name, _ in unit_docs}
    assert any(n.endswith(".txt") for n in names) and "segments.json" in names
    assert len(names) >= 200 if EXTERNAL.exists() else len(names) >= 150
