"""Every row through both readers, and the figures: per label and system, the confusion counts,
accuracy, precision, recall and F1; per system, the rows with all four labels right, and the
confusion table of one assertion per row (:func:`assertion_class`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from scribeplugin.evaluation.negex.data import LABELS, Labels, Row
from scribeplugin.evaluation.negex.systems import Reader

log = logging.getLogger(__name__)

# One assertion per row, as extraction resolves one (``extract.mentions.assertion_of``: family,
# then negated, then possible, then historical, else present), in the set's words.
CLASSES = ("affirmed", "negated", "hypothetical", "historical", "other_experiencer")
_PRECEDENCE = ("other_experiencer", "negated", "hypothetical", "historical")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelScore(_Model):
    tp: int
    fp: int
    fn: int
    tn: int
    accuracy: float
    precision: float | None  # None: the system never gave the label
    recall: float | None  # None: the set never has it
    f1: float | None

    @property
    def correct(self) -> int:
        return self.tp + self.tn


class SystemScore(_Model):
    labels: dict[str, LabelScore]
    all_right: int  # rows with all four labels as annotated
    agreement: float  # all_right / rows scored
    confusion: dict[str, dict[str, int]]  # annotated class -> the system's class -> rows
    class_accuracy: float  # rows whose one class (assertion_class) is the annotated one

    def gate_values(self) -> dict[str, float | int | None]:
        """The figures ``evals/negex/thresholds.yaml`` may bound, by name (:data:`GATE_METRICS`)."""
        values: dict[str, float | int | None] = {
            "agreement": self.agreement,
            "class_accuracy": self.class_accuracy,
        }
        for name, x in self.labels.items():
            values |= {
                f"{name}_accuracy": x.accuracy,
                f"{name}_precision": x.precision,
                f"{name}_recall": x.recall,
                f"{name}_f1": x.f1,
            }
        return values


GATE_METRICS = (
    "agreement",
    "class_accuracy",
    *(f"{n}_{m}" for n in LABELS for m in ("accuracy", "precision", "recall", "f1")),
)


class RowResult(_Model):
    """One scored row: the labels that are true, by the set and by each system."""

    id: int
    gold: list[str]
    project: list[str]
    default: list[str]
    project_cues: list[str]
    default_cues: list[str]
    units: int  # the project's units the target spans


class NotFound(_Model):
    id: int
    note: str  # the annotators' remark, when the row has one


class Scores(_Model):
    rows: int
    scored: int
    not_found: list[NotFound]
    systems: dict[str, SystemScore]  # "project", "default"
    systems_agree: int  # rows where the two systems give the same four labels
    results: list[RowResult]


def true_labels(labels: Labels) -> list[str]:
    return [name for name in LABELS if labels.get(name)]


def assertion_class(labels: Labels) -> str:
    """The one class of a row: the first true label of other experiencer, negated,
    hypothetical, historical (extraction's order), else affirmed."""
    return next((n for n in _PRECEDENCE if labels.get(n)), "affirmed")


def confusion(gold: Sequence[Labels], got: Sequence[Labels]) -> dict[str, dict[str, int]]:
    """Rows by annotated class (outer key) and the system's class (inner key), zeros included."""
    table = {g: dict.fromkeys(CLASSES, 0) for g in CLASSES}
    for g, p in zip(gold, got, strict=True):
        table[assertion_class(g)][assertion_class(p)] += 1
    return table


def label_score(pairs: Sequence[tuple[bool, bool]]) -> LabelScore:
    """The score of (gold, predicted) pairs of one label."""
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    tn = len(pairs) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None  # 0 when it never agrees
    return LabelScore(
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        accuracy=(tp + tn) / len(pairs) if pairs else 0.0,
        precision=precision,
        recall=recall,
        f1=f1,
    )


def system_score(gold: Sequence[Labels], got: Sequence[Labels]) -> SystemScore:
    all_right = sum(g == p for g, p in zip(gold, got, strict=True))
    table = confusion(gold, got)
    return SystemScore(
        labels={
            name: label_score([(g.get(name), p.get(name)) for g, p in zip(gold, got, strict=True)])
            for name in LABELS
        },
        all_right=all_right,
        agreement=all_right / len(gold) if gold else 0.0,
        confusion=table,
        class_accuracy=sum(table[c][c] for c in CLASSES) / len(gold) if gold else 0.0,
    )


def evaluate(
    rows: Sequence[Row],
    project: Reader,
    default: Reader,
    progress: Callable[[int, int], None] | None = None,
) -> Scores:
    """Both readers on every row whose concept is found in its sentence."""
    results: list[RowResult] = []
    not_found: list[NotFound] = []
    gold: list[Labels] = []
    got: dict[str, list[Labels]] = {"project": [], "default": []}
    for n, row in enumerate(rows, 1):
        where = row.target()
        if where is None:
            not_found.append(NotFound(id=row.id, note=row.note))
        else:
            mine = project.read(row.sentence, *where)
            base = default.read(row.sentence, *where)
            gold.append(row.gold)
            got["project"].append(mine.labels)
            got["default"].append(base.labels)
            results.append(
                RowResult(
                    id=row.id,
                    gold=true_labels(row.gold),
                    project=true_labels(mine.labels),
                    default=true_labels(base.labels),
                    project_cues=list(mine.cues),
                    default_cues=list(base.cues),
                    units=mine.units,
                )
            )
        if progress is not None:
            progress(n, len(rows))
    if not_found:
        log.info("%d row(s) whose concept is not in its sentence", len(not_found))
    return Scores(
        rows=len(rows),
        scored=len(results),
        not_found=not_found,
        systems={name: system_score(gold, labels) for name, labels in got.items()},
        systems_agree=sum(a == b for a, b in zip(got["project"], got["default"], strict=True)),
        results=results,
    )
