"""The knowledge lint: the real knowledge is clean, and each broken file in
``tests/data/knowledge_broken/`` (loaded after the corpus's, as an extra folder would be) is
reported at its line."""

from __future__ import annotations

import pytest

from scribeplugin.config import PROJECT_ROOT
from scribeplugin.corpus.lint import lint_corpus
from scribeplugin.knowledge import KnowledgeError
from scribeplugin.knowledge.coding import load_coding
from scribeplugin.knowledge.extraction import CALLBACKS, ExtractionKnowledge
from scribeplugin.knowledge.extraction_checks import check

CORPUS = PROJECT_ROOT / "corpus"
BROKEN = PROJECT_ROOT / "tests" / "data" / "knowledge_broken"
EXTRACTION = CORPUS / "knowledge" / "extraction"
SYMPTOMS = EXTRACTION / "targets" / "20-symptoms.yaml"

CASES = [
    ("bad_category.yaml", 4, "concepts wrist_ganglion.category: Input should be 'condition'"),
    ("bad_regex.yaml", 3, "vocabulary WRIST_WORDS: bad regex (missing )"),
    (
        "duplicate_concept.yaml",
        3,
        f"concept sciatica is already defined at {EXTRACTION / 'concepts.yaml'}:",
    ),
    (
        "duplicate_pattern.yaml",
        9,
        f"target piriformis_pain: duplicate pattern 'sciatica|sciatic' (also in sciatica at "
        f"{SYMPTOMS}:",
    ),
    (
        "duplicate_pattern.yaml",
        10,
        "target piriformis_pain: duplicate pattern 'piriformis pain|ache' (also in "
        f"piriformis_pain at {BROKEN / 'duplicate_pattern.yaml'}:8)",
    ),
    (
        "unknown_callback.yaml",
        11,
        "unknown veto callback 'looks_like_a_bump'; known: heart_sounds, numbness_not_pain",
    ),
    ("unknown_concept.yaml", 3, "target wrist_ganglion: unknown concept"),
    (
        "unknown_context_concept.yaml",
        8,
        "context rule 'my mother thinks': unknown concept 'wrist_ganglion'",
    ),
    (
        "unknown_context_concept.yaml",
        12,
        "context rule 'my father thinks': unknown label set $limbs",
    ),
    ("unknown_section.yaml", 2, "unknown section 'synonyms'"),
    ("unknown_word_list.yaml", 8, "target wrist_ganglion: unknown word list @WRISTS"),
    ("unknown_negated_by.yaml", 7, "target wrist_ganglion negated_by: unknown word list @NOTS"),
    ("unknown_code.yaml", 5, "unknown ICD-10-CM code M67.499"),
    (
        "wrong_route.yaml",
        3,  # the coding section's line; the message names the condition and the path
        "coding knowledge limb_conditions:osteopenia: the Alphabetic Index path 'Osteopenia' "
        "leads to M85.8- (Osteopenia), not M81.0",
    ),
    (
        "unknown_part.yaml",
        3,
        "coding knowledge limb_conditions:tuft_fracture: route part 'tuft' needs the word list "
        "coding.phrases.part_tuft",
    ),
    (
        "wrong_aftercare.yaml",
        3,
        "coding knowledge limb_conditions:hip_resurfacing: the Alphabetic Index path "
        "'Aftercare > following surgery > joint replacement' leads to Z47.1",
    ),
    ("travels_not_structure.yaml", 3, "concept site_palm: travels is for structures"),
]


def test_real_knowledge_is_clean() -> None:
    knowledge, issues = check([CORPUS / "knowledge"])
    assert issues == [], "\n".join(map(str, issues))
    assert knowledge is not None and "radiculopathy" in knowledge.concepts


@pytest.mark.parametrize(("name", "line", "message"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_each_problem_is_reported_at_its_line(name: str, line: int, message: str) -> None:
    path = BROKEN / name
    # the lint's own checks, not the knowledge check's
    if name in (
        "unknown_code.yaml",
        "wrong_route.yaml",
        "unknown_part.yaml",
        "wrong_aftercare.yaml",
    ):
        problems = [str(p) for p in lint_corpus(CORPUS, knowledge_extra=[path])]
    else:
        _, issues = check([CORPUS / "knowledge", path])
        problems = [str(i) for i in issues]
    assert any(p.startswith(f"{path}:{line}: {message}") for p in problems), "\n".join(problems)


def test_lint_corpus_reports_knowledge_problems() -> None:
    """What the knowledge check finds, ``scribeplugin lint-corpus`` reports, and nothing else."""
    clean = {str(p) for p in lint_corpus(CORPUS)}
    path = BROKEN / "duplicate_pattern.yaml"
    new = [str(p) for p in lint_corpus(CORPUS, knowledge_extra=[path])]
    assert [p for p in new if p not in clean] == [
        str(i) for i in sorted(check([CORPUS / "knowledge", path])[1])
    ]


def test_broken_knowledge_does_not_load() -> None:
    with pytest.raises(KnowledgeError, match=r"unknown_callback\.yaml:11: unknown veto callback"):
        ExtractionKnowledge.load([CORPUS / "knowledge", BROKEN / "unknown_callback.yaml"])


def test_a_limb_condition_with_no_route_does_not_load() -> None:
    """Only a treatment coded by the recovery after it (an aftercare route) may have no other
    route; a condition with neither could never be coded."""
    with pytest.raises(KnowledgeError, match=r"no_route\.yaml:3: .*tendon_transfer.*needs routes"):
        load_coding((CORPUS / "knowledge", BROKEN / "no_route.yaml"))


def test_callbacks_declared_are_implemented() -> None:
    from scribeplugin.extract.callbacks import REGISTRY

    assert {k: set(v) for k, v in REGISTRY.items()} == {k: set(v) for k, v in CALLBACKS.items()}


@pytest.mark.parametrize(
    ("stated", "walked", "given"),
    [
        ("S83.41-", "S83.41-", True),
        ("S83.00-", "S83.006", True),  # the index's unspecified code, completed in the tabular
        ("S83.0-", "S83.006", False),  # more than one character above: not the index's route
        ("S83.01-", "S83.006", False),  # a sibling
        ("M10.9", "M10.9", True),
    ],
)
def test_a_route_is_given_by_the_index_code_or_the_unspecified_one_below(
    stated: str, walked: str, given: bool
) -> None:
    from scribeplugin.knowledge.coding import Route

    assert Route(index=("Dislocation", "patella"), code=stated).given_by(walked) is given
