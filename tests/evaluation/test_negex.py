"""The NegEx/ConText check: its reading of the file, its scoring, its gate, and the measured
levels on the real set.

The parsing and scoring tests use rows written here, so every figure is pinned to a known right
answer. ``test_measured_*`` run Chapman's annotations through the real medspaCy pipelines (the
project's ConText and the default) when ``../shared/external`` is beside the checkout, and skip
otherwise: the set is never copied into the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scribeplugin.cli import main
from scribeplugin.config import Settings
from scribeplugin.evaluation.metrics import Bound
from scribeplugin.evaluation.negex import report
from scribeplugin.evaluation.negex.data import FILE_NAME, Labels, NegexDataError, load_rows
from scribeplugin.evaluation.negex.gate import check, load_thresholds
from scribeplugin.evaluation.negex.report import NegexRun, render_markdown, run_negex
from scribeplugin.evaluation.negex.score import assertion_class, confusion, evaluate, label_score
from scribeplugin.evaluation.negex.systems import DefaultContext, ProjectContext, Reading

EXTERNAL = Settings().external_dir
needs_shared = pytest.mark.skipif(
    not (EXTERNAL / FILE_NAME).is_file(),
    reason=f"{EXTERNAL}/{FILE_NAME} is absent (Chapman's NegEx/ConText set lives in ../shared)",
)

ROWS = (
    "1\t\tpneumonia\tThere is no evidence of PNEUMONIA.\tNegated\tRecent\tPatient\n"
    "2\t\tbreast cancer\tHis mother had BREAST   CANCER.\tAffirmed\tHistorical\tFamily member\n"
    "3\tssm: sentence splitter mistake\tchest pain\tReturn if CHEST\tAffirmed\tNot particular\t"
    "Patient\n"
    "4\t\tfever\tShe has a cough.\tAffirmed\tRecent\tPatient\n"
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / FILE_NAME
    path.write_text(text, encoding="utf-8")
    return path


# -- the file ----------------------------------------------------------------------------------


def test_rows_are_read_with_their_labels(tmp_path: Path) -> None:
    rows = load_rows(write(tmp_path, ROWS))
    assert [r.id for r in rows] == [1, 2, 3, 4]
    assert rows[0].gold == Labels(negated=True)
    assert rows[1].gold == Labels(historical=True, other_experiencer=True)
    assert rows[2].gold == Labels(hypothetical=True)
    assert rows[2].note == "ssm: sentence splitter mistake"
    # the concept is found whatever its case and the runs of spaces inside it
    assert rows[1].target() == (15, 30)
    assert rows[2].target() is None  # "chest pain" is cut off by the sentence splitter
    assert rows[3].target() is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\t\tx\tX.\tNegated\tRecent\n", ":1: 6 tab-separated fields, expected 7"),
        ("1\t\tx\tX.\tMaybe\tRecent\tPatient\n", ":1: 'Maybe' is not one of Affirmed, Negated"),
        ("a\t\tx\tX.\tNegated\tRecent\tPatient\n", ":1: id 'a' is not a number"),
        ("1\t\tx\tX.\tNegated\tRecent\tPatient\n1\t\ty\tY.\tNegated\tRecent\tPatient\n", "twice"),
        ("\n", "no rows"),
    ],
)
def test_a_malformed_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(NegexDataError, match=message):
        load_rows(write(tmp_path, text))


def test_an_absent_file_says_where_the_set_lives(tmp_path: Path) -> None:
    with pytest.raises(NegexDataError, match=r"\.\./shared/external"):
        load_rows(tmp_path / FILE_NAME)


# -- the figures -------------------------------------------------------------------------------


def test_label_score_counts() -> None:
    # 2 TP, 1 FP, 1 FN, 3 TN
    pairs = [(True, True)] * 2 + [(False, True), (True, False)] + [(False, False)] * 3
    s = label_score(pairs)
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 3)
    assert s.accuracy == pytest.approx(5 / 7)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    never_given = label_score([(True, False), (False, False)])
    assert never_given.precision is None
    assert never_given.recall == 0.0
    assert never_given.f1 == 0.0  # it never agrees: 0, not "nothing to measure"
    assert label_score([(False, False)]).f1 is None


def test_one_assertion_per_row_in_extractions_order() -> None:
    assert assertion_class(Labels()) == "affirmed"
    assert assertion_class(Labels(negated=True, historical=True)) == "negated"
    assert assertion_class(Labels(historical=True, other_experiencer=True)) == "other_experiencer"
    assert assertion_class(Labels(hypothetical=True, historical=True)) == "hypothetical"
    table = confusion(
        [Labels(negated=True), Labels(negated=True), Labels()],
        [Labels(negated=True), Labels(), Labels(historical=True)],
    )
    assert table["negated"]["negated"] == 1
    assert table["negated"]["affirmed"] == 1
    assert table["affirmed"]["historical"] == 1
    assert sum(sum(row.values()) for row in table.values()) == 3


class Fixed:
    """A reader that gives the same labels to every sentence."""

    def __init__(self, name: str, labels: Labels) -> None:
        self.name = name
        self.labels = labels

    def read(self, sentence: str, start: int, end: int) -> Reading:
        return Reading(self.labels, ())


def test_evaluate_and_gate(tmp_path: Path) -> None:
    rows = load_rows(write(tmp_path, ROWS))
    scores = evaluate(rows, Fixed("project", Labels(negated=True)), Fixed("default", Labels()))
    assert (scores.rows, scores.scored) == (4, 2)
    assert [n.id for n in scores.not_found] == [3, 4]
    project = scores.systems["project"]
    assert project.labels["negated"].precision == 0.5
    assert project.labels["negated"].recall == 1.0
    assert project.class_accuracy == 0.5
    assert scores.systems["default"].class_accuracy == 0.0
    checks = check(scores, {"negated_recall": Bound(min=1.0), "historical_f1": Bound(min=0.1)})
    assert [(c.metric, c.passed) for c in checks] == [
        ("negated_recall", True),
        ("historical_f1", False),  # the one historical row is missed: F1 0
    ]


def test_thresholds_name_an_unknown_metric(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.yaml"
    path.write_text("gates:\n  negation_f1: {min: 0.9}\n", encoding="utf-8")
    with pytest.raises(NegexDataError, match=r"unknown metric.*negation_f1"):
        load_thresholds(path)


def test_the_committed_thresholds_load() -> None:
    gates = load_thresholds()
    assert {"negated_f1", "historical_f1", "hypothetical_f1", "other_experiencer_f1"} <= set(gates)


def test_cli_exits_2_when_the_set_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCRIBE_EXTERNAL_DIR", str(tmp_path))
    assert main(["eval", "--suite", "negex", "--out", str(tmp_path / "out")]) == 2
    assert "never copied into the repository" in capsys.readouterr().err


# -- the two readers on sentences written here -------------------------------------------------


@pytest.fixture(scope="module")
def readers() -> tuple[ProjectContext, DefaultContext]:
    return ProjectContext(), DefaultContext()


@pytest.mark.parametrize(
    ("sentence", "concept", "expected"),
    [
        ("There is no evidence of pneumonia.", "pneumonia", Labels(negated=True)),
        ("The patient denies chest pain.", "chest pain", Labels(negated=True)),
        ("History of diabetes mellitus.", "diabetes mellitus", Labels(historical=True)),
        ("His mother had breast cancer.", "breast cancer", Labels(other_experiencer=True)),
        ("Return to the clinic if fever develops.", "fever", Labels(hypothetical=True)),
        ("She has a productive cough.", "productive cough", Labels()),
    ],
)
def test_both_readers_on_plain_sentences(
    readers: tuple[ProjectContext, DefaultContext], sentence: str, concept: str, expected: Labels
) -> None:
    start = sentence.index(concept)
    for reader in readers:
        got = reader.read(sentence, start, start + len(concept))
        assert got.labels == expected, (reader.name, got.cues)


@pytest.mark.parametrize(
    ("sentence", "concept", "expected"),
    [
        # an age is not an old problem
        ("A 58-year-old obese man with a sore knee.", "obese", Labels()),
        ("An old fracture of the wrist.", "fracture", Labels(historical=True)),
        # the history ends where the visit's complaint begins; a note's heading is no history
        (
            "A man with a history of gout presents with swelling of the knee.",
            "swelling of the knee",
            Labels(),
        ),
        ("A man with a history of gout presents with knee pain.", "gout", Labels(historical=True)),
        ("History of present illness: swelling of the knee.", "swelling of the knee", Labels()),
        # a problem said to have resolved is negated, as NegEx annotates it
        ("Her knee effusion has resolved.", "knee effusion", Labels(negated=True)),
        ("Brace until the knee effusion has resolved.", "knee effusion", Labels()),
        # another person who acts on the patient is a witness, not the one with the problem
        ("He was brought in by his daughter with a swollen knee.", "swollen knee", Labels()),
        ("Her neighbor drove her in with a swollen knee.", "swollen knee", Labels()),
        ("His wife saw him fall and he was confused.", "confused", Labels()),
        (
            "Her sister had her hip replaced for arthritis.",
            "arthritis",
            Labels(other_experiencer=True),
        ),
    ],
)
def test_the_project_reader_on_note_wording(
    readers: tuple[ProjectContext, DefaultContext], sentence: str, concept: str, expected: Labels
) -> None:
    start = sentence.index(concept)
    got = readers[0].read(sentence, start, start + len(concept))
    assert got.labels == expected, got.cues


# -- the real set ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def measured() -> NegexRun:
    return run_negex(EXTERNAL / FILE_NAME)


@needs_shared
def test_measured_levels_hold(measured: NegexRun) -> None:
    """The project's figures at least the bounds of evals/negex/thresholds.yaml."""
    broken = [f"{c.metric} {c.value} < {c.bound}" for c in measured.gate if not c.passed]
    assert measured.passed, broken
    assert measured.scores.rows == 2376
    assert measured.scores.scored >= 2365  # the rows whose concept the sentence holds


@needs_shared
def test_measured_against_the_baseline(measured: NegexRun) -> None:
    """The figures beside medspaCy's default, as measured: the project is at least the
    default on every label's F1 and accuracy (issue 15), negates more precisely (fewer "no" and
    "denies" reaching past a list) and gets more rows wholly right. A broken baseline fails
    here too."""
    p, d = measured.scores.systems["project"], measured.scores.systems["default"]
    assert p.labels["negated"].f1 is not None and d.labels["negated"].f1 is not None
    assert p.labels["negated"].f1 > d.labels["negated"].f1
    for label, ours in p.labels.items():
        theirs = d.labels[label]
        assert (ours.f1 or 0) >= (theirs.f1 or 0), label
        assert ours.accuracy >= theirs.accuracy, label
    assert p.class_accuracy > d.class_accuracy
    assert p.agreement > d.agreement
    # the baseline as measured with medspaCy 1.3.1 (rounded down)
    assert d.labels["negated"].f1 >= 0.929
    assert (d.labels["historical"].f1 or 0) >= 0.628
    assert (d.labels["hypothetical"].f1 or 0) >= 0.808
    assert d.class_accuracy >= 0.900


@needs_shared
def test_measured_report_and_json(
    measured: NegexRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = render_markdown(measured)
    for heading in ("## Summary", "## Gate", "## negated", "## Confusion", "### default"):
        assert heading in text
    monkeypatch.setattr(report, "run_negex", lambda *a, **k: measured)
    assert main(["eval", "--suite", "negex", "--json", "--out", str(tmp_path)]) == 0
    printed: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert printed["passed"] is True
    assert set(printed["scores"]["systems"]) == {"project", "default"}
    assert json.loads((tmp_path / "run.json").read_text(encoding="utf-8")) == printed
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == text
