"""The real-visit suite's data: labels (``evals/real/labels/*.yaml``), the split, the encounters.

Labels are ours (see ``evals/real/README.md`` for the coding policy they follow); the
encounters are not: they are read from ``../shared/external/aci_dev.jsonl`` at run time and never
copied into the repository. :class:`ExternalDataMissingError` says where they were looked for.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scribeplugin.corpus.rules import code_matches
from scribeplugin.errors import ScribeError

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet

Region = Literal[
    "spine",
    "shoulder",
    "arm",
    "elbow",
    "hand_wrist",
    "hip",
    "thigh",
    "knee",
    "leg",
    "ankle_foot",
    "systemic",
]
REGIONS: tuple[str, ...] = Region.__args__  # type: ignore[attr-defined]
# Why a code must not be given: the trap a wrong code fell into.
TrapError = Literal[
    "negation",
    "uncertainty",
    "history",
    "family",
    "ros",
    "imaging_only",
    "patient_theory",
    "not_addressed",
    "wrong_region",
    "other_organ",
]
# The traps of issue "Real visits": a code resting on one of these mentions is never right.
ASSERTION_ERRORS = frozenset(
    {"negation", "uncertainty", "history", "family", "ros", "imaging_only", "patient_theory"}
)
Basis = Literal["diagnosis", "symptom_for_uncertain", "symptom"]
SPLIT_SEED = 20261207
ENCOUNTERS_FILE = "aci_dev.jsonl"


class LabelError(ScribeError):
    """A label file, the split or the encounters file that cannot be read or is invalid."""


class ExternalDataMissingError(ScribeError):
    """``../shared/external`` (the real encounters) is not beside the checkout."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _code_shape(value: str) -> str:
    v = value.strip()
    if not v or not v[0].isalpha() or not v[0].isupper():
        raise ValueError(f"{value!r} is not an ICD-10-CM code")
    return v


class Problem(_Model):
    """One problem a coder would code for the visit: any of ``codes`` is right."""

    region: Region
    codes: list[str] = Field(min_length=1)
    family: str | None = None
    axis: str | None = None
    basis: Basis = "diagnosis"
    quote: str = Field(min_length=1)
    reason: str = Field(min_length=1)

    @field_validator("codes")
    @classmethod
    def _codes_look_like_codes(cls, v: list[str]) -> list[str]:
        return [_code_shape(c) for c in v]

    @property
    def family_code(self) -> str:
        """The category "the right family" is judged at (the first code's category)."""
        return self.family or self.codes[0].split(".")[0]

    def in_family(self, code: str) -> bool:
        return code.replace(".", "").startswith(self.family_code.replace(".", ""))


class Trap(_Model):
    """A code (or subtree, ``M54-``) that must not be given, and why."""

    code: str
    error: TrapError
    quote: str | None = None
    reason: str = Field(min_length=1)

    def matches(self, code: str) -> bool:
        return code_matches(code, self.code)


class Label(_Model):
    id: str = Field(pattern=r"^D2N[0-9]{3}$")
    chief_complaint: str = ""
    summary: str = ""
    msk: bool
    problems: list[Problem] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    not_codes: list[Trap] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="after")
    def _silence_means_no_problems(self) -> Label:
        if not self.msk and self.problems:
            raise ValueError(
                "msk is false, so no problem may be listed (the visit expects silence)"
            )
        return self

    def all_codes(self) -> list[str]:
        return [c for p in self.problems for c in p.codes] + list(self.optional)

    def trap_for(self, code: str) -> Trap | None:
        return next((t for t in self.not_codes if t.matches(code)), None)


@dataclass(frozen=True, slots=True)
class Encounter:
    id: str
    dialogue: str
    note: str
    chief_complaint: str


def load_labels(folder: Path) -> dict[str, Label]:
    """Every ``<ID>.yaml`` of ``folder``; :class:`LabelError` names the file and the problem."""
    if not folder.is_dir():
        raise LabelError(f"{folder}: no labels folder (the real-visit suite's labels live there)")
    labels: dict[str, Label] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            label = Label.model_validate(data)
        except (OSError, yaml.YAMLError) as exc:
            raise LabelError(f"{path}: cannot read ({exc})") from exc
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(map(str, err["loc"])) or "file"
            raise LabelError(f"{path}: {where}: {err['msg']}") from exc
        if label.id != path.stem:
            raise LabelError(f"{path}: id {label.id} does not match the file name")
        labels[label.id] = label
    if not labels:
        raise LabelError(f"{folder}: no label files")
    return labels


def make_split(ids: list[str], seed: int = SPLIT_SEED) -> set[str]:
    """The ``check`` ids: a third of ``ids``, drawn at random with ``seed`` (made once; the
    split file records it and a test holds the file to it)."""
    ordered = sorted(ids)
    return set(random.Random(seed).sample(ordered, round(len(ordered) / 3)))


def load_split(path: Path) -> tuple[int, set[str]]:
    """(seed, check ids) of ``split.yaml``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return int(data["seed"]), set(data["check"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise LabelError(f"{path}: not a split file with 'seed' and 'check' ({exc})") from exc


def split_of(encounter_id: str, check: set[str]) -> Literal["dev", "check"]:
    return "check" if encounter_id in check else "dev"


def load_encounters(external_dir: Path) -> dict[str, Encounter]:
    path = external_dir / ENCOUNTERS_FILE
    if not path.is_file():
        raise ExternalDataMissingError(
            f"{path} is absent: the real-visit suite reads the ACI-Bench encounters from "
            "../shared/external beside the checkout (or SCRIBE_EXTERNAL_DIR); they are never "
            "copied into the repository."
        )
    out: dict[str, Encounter] = {}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out[row["id"]] = Encounter(
                    row["id"], row["dialogue"], row.get("note", ""), row.get("chief_complaint", "")
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise LabelError(f"{path}:{n}: not an encounter record ({exc})") from exc
    return out


def check_labels(
    labels: dict[str, Label], codeset: CodeSet, encounters: dict[str, Encounter] | None = None
) -> list[str]:
    """Problems with the labels: unknown codes, non-billable expected codes, quotes that are not
    verbatim in their transcript (when the encounters are at hand), missing encounters."""
    problems: list[str] = []
    for label in labels.values():
        where = f"evals/real/labels/{label.id}.yaml"
        for code in label.all_codes():
            entry = codeset.get(code)
            if entry is None:
                problems.append(f"{where}: {code} is not in {codeset.release.name}")
            elif not entry.billable:
                problems.append(
                    f"{where}: {code} is not billable: expect one of the codes below it"
                )
        for p in label.problems:
            if p.family and codeset.get(p.family) is None:
                problems.append(f"{where}: family {p.family} is not in the code set")
        for t in label.not_codes:
            if codeset.get(t.code.rstrip("-").rstrip(".")) is None:
                problems.append(f"{where}: trap {t.code} is not in the code set")
        if encounters is None:
            continue
        enc = encounters.get(label.id)
        if enc is None:
            problems.append(f"{where}: no encounter {label.id} in {ENCOUNTERS_FILE}")
            continue
        quotes = [p.quote for p in label.problems] + [t.quote for t in label.not_codes if t.quote]
        problems += [
            f"{where}: quote not in the transcript: {q!r}" for q in quotes if q not in enc.dialogue
        ]
    return problems
